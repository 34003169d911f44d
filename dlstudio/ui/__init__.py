"""Notebook widgets: thin views over the core, drawn by the bundle in ``static/``.

Names load on first use, so a widget that is missing or broken does not stop the others.

Example:
    >>> from dlstudio.ui import ModelBuilder
    >>> b = ModelBuilder("lenet5")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlstudio.ui.builder import ModelBuilder
    from dlstudio.ui.studio import Studio

# name -> module holding it. Not "live": dlstudio.ui.live is the subpackage (the function is
# dlstudio.live), and a lazy name equal to a subpackage's changes meaning once it is imported.
_LIVE = ("LossPlot", "TrainingControls", "TrainingProgress", "ConfusionMatrix",
         "RegressionPlot", "DecisionBoundary", "ResultsView", "results_for", "LiveView")  # fmt: skip
_LAZY = {
    "ModelBuilder": "dlstudio.ui.builder",
    "Studio": "dlstudio.ui.studio",
    "TensorInspector": "dlstudio.ui.inspector",
    "AttributionPanel": "dlstudio.ui.attribution",
    **{name: "dlstudio.ui.live" for name in _LIVE},
}

__all__ = ["ModelBuilder", "Studio", "TensorInspector", "AttributionPanel", *_LIVE]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'dlstudio.ui' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
