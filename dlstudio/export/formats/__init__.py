"""The export formats, one module each, sharing one shape.

Each module has ``FILE`` (the model file's name), ``RUNTIME`` (what loads it, in words),
``write(item, folder, **options) -> Written`` and ``load(folder) -> Runner`` (the file read back by
its own runtime), and ``PREDICT``: the lines of ``predict.py`` that define ``run(x)`` with that
runtime, so the folder can be used without dlstudio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn


@dataclass
class Written:
    """What a format wrote: the main file, and what that file must compute.

    ``intended`` is the model the file was made from (a quantized or pruned copy; None: the
    source model itself), to which the file read back must be equal.
    """

    file: str
    intended: nn.Module | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    measured: bool = True
    """False for training scripts: there is no model file to run."""


def module_predict(setup: str) -> str:
    """``predict.py``'s lines for a file read back as a torch module: ``setup`` binds ``model``,
    and ``run`` calls it without gradients."""
    return f"{setup}\n\n\ndef run(x):\n    with torch.no_grad():\n        return model(x)"
