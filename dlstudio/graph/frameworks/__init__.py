"""The graph written for the other frameworks learners compare PyTorch with: Keras 3 and Flax
NNX source, channels last, checked against PyTorch by ``dlstudio.frameworks``.

Example:
    >>> from dlstudio.graph import examples
    >>> "layers.Conv2D(6, 5" in framework_code(examples.load("lenet5"), "keras")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlstudio.graph.frameworks.flax_code import FlaxCode, flax_code, write_flax
from dlstudio.graph.frameworks.keras_code import KerasCode, keras_code, write_keras

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph

FRAMEWORKS = ("pytorch", "keras", "flax")

__all__ = [
    "FRAMEWORKS",
    "FlaxCode",
    "KerasCode",
    "flax_code",
    "framework_code",
    "keras_code",
    "write_flax",
    "write_keras",
]


def framework_code(graph: Graph, framework: str, class_name: str = "Net") -> str:
    """``graph``'s source in ``framework`` ("keras" or "flax"; PyTorch is ``Graph.to_code``)."""
    if framework == "keras":
        return keras_code(graph, class_name)
    if framework == "flax":
        return flax_code(graph, class_name)
    raise ValueError(f"Unknown framework {framework!r}: choose one of {', '.join(FRAMEWORKS)}.")
