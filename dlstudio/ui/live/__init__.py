"""Live training widgets: a loss plot, training controls with progress, results views, and
``live(trainer)`` that shows them all for a Trainer.

Example:
    >>> from dlstudio.ui.live import LossPlot, live
    >>> view = live(trainer)  # doctest: +SKIP
"""

import sys
import types
from typing import Any

from dlstudio.ui.live.controls import TrainingControls
from dlstudio.ui.live.live import LiveView, live
from dlstudio.ui.live.loss_plot import LossPlot
from dlstudio.ui.live.progress import TrainingProgress
from dlstudio.ui.live.results import (
    ConfusionMatrix,
    DecisionBoundary,
    RegressionPlot,
    ResultsView,
    results_for,
)

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


class _CallableModule(types.ModuleType):
    """This package shares its name with its main function, and importing it sets
    ``dlstudio.ui.live`` to the package: calling it like the function keeps
    ``dlstudio.live(trainer)`` working whichever of the two a lazy import found."""

    def __call__(self, *args: Any, **kwargs: Any) -> LiveView:
        return live(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
