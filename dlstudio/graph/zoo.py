"""torchvision's classification architectures as editable graphs: what the Studio's Import offers.

Each is built without weights worth keeping (on the ``meta`` device where it can be) and traced
by ``Graph.from_module``; nothing is downloaded. Pretrained weights come in through a
``Pretrained`` node or ``Graph.build(weights=...)``.

Example:
    >>> g = import_architecture("resnet18")
    >>> g.node("layer1.0").op, g.param_count()
    ('BasicBlock', 11689512)
"""

from __future__ import annotations

import torch

from dlstudio.graph.graph import Graph
from dlstudio.graph.pretrained import TRACEABLE, empty_architecture

IMPORTABLE = TRACEABLE
"""The architectures that import (swin_t reads a position-index buffer that no node holds)."""

IMPORT_INPUT = (3, 224, 224)
"""The images torchvision's networks were made for (ViT needs exactly this size)."""


def import_architecture(arch: str, *, blocks: str = "auto") -> Graph:
    """torchvision's ``arch`` as a graph, traced on 3x224x224 images; fit it to other data with
    ``dlstudio.graph.adapt.fit_to_data``.

    Raises KeyError for a name not in ``IMPORTABLE``.
    """
    if arch not in IMPORTABLE:
        raise KeyError(f"{arch!r} is not one of the architectures that import: {IMPORTABLE}")
    model = empty_architecture(arch).eval()
    device = next(model.parameters()).device
    graph = Graph.from_module(model, torch.empty((1, *IMPORT_INPUT), device=device), blocks=blocks)
    graph.metadata = {
        "title": arch,
        "description": f"torchvision.models.{arch}, imported with fresh weights.",
    }
    return graph
