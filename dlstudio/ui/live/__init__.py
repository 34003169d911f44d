"""Live training widgets: a loss plot, training controls with progress, results views, and
``live(trainer)`` (in ``view.py``) that shows them all for a Trainer.

This package is ``dlstudio.ui.live``; the function is ``dlstudio.live`` and
``dlstudio.ui.live.live``.

Example:
    >>> from dlstudio.ui.live import LossPlot, live
    >>> view = live(trainer)  # doctest: +SKIP
"""

from dlstudio.ui.live.controls import TrainingControls
from dlstudio.ui.live.loss_plot import LossPlot
from dlstudio.ui.live.progress import TrainingProgress
from dlstudio.ui.live.results import (
    ConfusionMatrix,
    DecisionBoundary,
    RegressionPlot,
    ResultsView,
    results_for,
)
from dlstudio.ui.live.view import LiveView, live

__all__ = [
    "ConfusionMatrix",
    "DecisionBoundary",
    "LiveView",
    "LossPlot",
    "RegressionPlot",
    "ResultsView",
    "TrainingControls",
    "TrainingProgress",
    "live",
    "results_for",
]
