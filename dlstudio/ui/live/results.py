"""Results views: confusion matrix + mistakes, predicted vs true, and the decision boundary.

Each view is a Trainer callback that recomputes on a bounded sample at every epoch's end (the
decision boundary also every ``interval`` seconds while steps run, as TensorFlow Playground
does) and keeps what it shows in the synced ``payload`` trait, so a saved notebook redraws it.
Call ``update(trainer)`` to compute it by hand.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import traitlets

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.metrics import confusion_matrix
from dlstudio.train.outputs import class_probabilities
from dlstudio.ui._bundle import BundledWidget
from dlstudio.ui.live._compute import (
    boundary_grid,
    display_images,
    grid_bounds,
    misclassified,
    png_data_url,
    take,
)

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

log = logging.getLogger(__name__)


class ResultsView(BundledWidget, Callback):
    """Base of the results views: ``compute(trainer)`` gives the payload the page draws."""

    order = 55
    kind = "results"

    bundle_name = "plots"
    _kind = traitlets.Unicode("results").tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    """What the page draws: ``{"type": ..., ...}``; ``{"type": ..., "empty": True}`` before."""
    title = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(380).tag(sync=True)

    interval = 2.0
    """Seconds between two redraws while training runs (epochs can be much shorter)."""
    budget = 0.01
    """Largest share of the training time this view may take (a big model's redraw is slow)."""

    def __init__(self, trainer: Trainer | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trainer = trainer
        self._next = 0.0
        self.clear()

    def compute(self, trainer: Trainer) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, trainer: Trainer | None = None) -> dict[str, Any]:
        """Recompute from ``trainer`` (default: the last one seen) and redraw; returns it."""
        trainer = trainer or self.trainer
        if trainer is None:
            raise ValueError(f"{type(self).__name__}.update needs a trainer: update(trainer).")
        self.trainer = trainer
        payload = {"type": self.kind, **self.compute(trainer)}
        self.payload = payload
        return payload

    def clear(self) -> None:
        """Show the empty view again (before any training)."""
        self.payload = {"type": self.kind, "empty": True}

    def refresh(self, trainer: Trainer, force: bool = False) -> None:
        """``update`` from a training hook, at most every ``interval`` seconds unless
        ``force``; a failure is logged, never ends the run."""
        now = time.monotonic()
        if not force and now < self._next:
            return
        cpu = time.thread_time()
        try:
            self.update(trainer)
        except Exception:
            log.exception("dlstudio: %s could not be updated", type(self).__name__)
        # Short epochs or a big model: keep this view within its budget of training time,
        # and the page's message queue short (a backlog would delay the Stop button's answer).
        # CPU time, not wall time: waiting for the GIL on a busy kernel is not this view's cost.
        cost = time.thread_time() - cpu
        self._next = time.monotonic() + max(self.interval, cost / self.budget)

    def on_fit_start(self, trainer: Trainer) -> None:
        self.trainer = trainer
        # The first redraw comes after `interval`: the first steps change little, and a short
        # run pays for one drawing (at its end) instead of two.
        self._next = max(self._next, time.monotonic() + self.interval)

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        self.refresh(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        if trainer.step:
            self.refresh(trainer, force=True)


class ConfusionMatrix(ResultsView):
    """Confusion matrix on up to ``max_samples`` validation samples, with the
    ``gallery_size`` most confident mistakes (images shown small, or their feature values).

    Example:
        >>> view = ConfusionMatrix()
        >>> trainer = Trainer(model, bundle, callbacks=[view])  # doctest: +SKIP
        >>> view.update(trainer)["matrix"]  # doctest: +SKIP
        [[50, 2], [3, 45]]
    """

    kind = "confusion"

    def __init__(
        self,
        trainer: Trainer | None = None,
        max_samples: int = 2000,
        gallery_size: int = 16,
        **kwargs: Any,
    ):
        self.max_samples, self.gallery_size = int(max_samples), int(gallery_size)
        super().__init__(trainer, title="Confusion matrix (validation)", **kwargs)

    def compute(self, trainer: Trainer) -> dict[str, Any]:
        bundle = trainer.data
        indices, x, y = take(bundle.val, self.max_samples)
        probs = class_probabilities(trainer.predict(x)).numpy()
        true = y.reshape(-1).numpy().astype(np.int64)
        num_classes = max(int(bundle.num_classes or 0), probs.shape[1], int(true.max()) + 1)
        matrix = confusion_matrix(true, probs.argmax(axis=1), num_classes).numpy()
        classes = list(bundle.classes) or [str(i) for i in range(num_classes)]
        gallery = []
        mistakes = misclassified(true, probs, self.gallery_size)
        if mistakes:
            positions = torch.tensor([m[0] for m in mistakes])
            images = (
                display_images(bundle, bundle.val, indices[positions], x[positions])
                if bundle.image
                else None
            )
            for k, (pos, truth, pred, confidence) in enumerate(mistakes):
                item: dict[str, Any] = {
                    "index": int(indices[pos]), "true": classes[truth], "pred": classes[pred],
                    "confidence": confidence,
                }  # fmt: skip
                if images is not None:
                    item["src"] = png_data_url(images[k])
                else:
                    item["features"] = x[pos].reshape(-1)[:8].float().numpy().round(3).tolist()
                gallery.append(item)
        return {
            "classes": classes,
            "matrix": matrix.tolist(),
            "accuracy": float(np.trace(matrix) / max(matrix.sum(), 1)),
            "samples": len(true),
            "gallery": gallery,
            "epoch": trainer.epoch,
        }


class RegressionPlot(ResultsView):
    """Predicted against true values on up to ``max_samples`` validation samples, with R².

    Example:
        >>> view = RegressionPlot()
        >>> view.update(trainer)["r2"]  # doctest: +SKIP
        0.91
    """

    kind = "regression"

    def __init__(self, trainer: Trainer | None = None, max_samples: int = 1000, **kwargs: Any):
        self.max_samples = int(max_samples)
        super().__init__(trainer, title="Predicted vs true (validation)", **kwargs)

    def compute(self, trainer: Trainer) -> dict[str, Any]:
        _, x, y = take(trainer.data.val, self.max_samples)
        pred = trainer.predict(x).float().reshape(len(x), -1)[:, 0].numpy()
        true = y.float().reshape(len(x), -1)[:, 0].numpy()
        total = float(((true - true.mean()) ** 2).sum())
        r2 = 1.0 - float(((true - pred) ** 2).sum()) / total if total > 0 else float("nan")
        return {
            "true": true.round(4).tolist(),
            "pred": pred.round(4).tolist(),
            "r2": r2 if np.isfinite(r2) else None,
            "samples": len(true),
            "epoch": trainer.epoch,
        }


class DecisionBoundary(ResultsView):
    """The model's prediction over the plane for 2-D data (moons, spirals...), points on top.

    Redrawn every ``interval`` seconds while training runs, on a ``resolution``² grid.

    Example:
        >>> view = DecisionBoundary(resolution=60, interval=0.5)
        >>> view.update(trainer)["z"][0][:3]  # doctest: +SKIP
        [0.12, 0.13, 0.15]
    """

    kind = "boundary"
    points = traitlets.Dict().tag(sync=True)
    """The training points drawn over the boundary: ``{"x", "y", "label"}``."""

    def __init__(
        self,
        trainer: Trainer | None = None,
        resolution: int = 60,
        interval: float = 0.5,
        max_points: int = 600,
        **kwargs: Any,
    ):
        if not 4 <= resolution <= 200:
            raise ValueError(f"resolution must be between 4 and 200 cells, not {resolution}.")
        self.resolution, self.interval, self.max_points = resolution, interval, max_points
        self._points_of: Any = None
        super().__init__(trainer, title="Decision boundary", **kwargs)

    @staticmethod
    def applies_to(bundle: Any) -> bool:
        """Whether a data set has two input features and classes (what this view draws)."""
        return tuple(bundle.input_shape) == (2,) and bundle.task == "classification"

    def compute(self, trainer: Trainer) -> dict[str, Any]:
        bundle = trainer.data
        if not self.applies_to(bundle):
            raise ValueError(
                f"A decision boundary needs 2 input features and classes; {bundle.name!r} has "
                f"input shape {tuple(bundle.input_shape)} ({bundle.task})."
            )
        if self._points_of is not bundle:
            # The training points change only with the data set: synced once, in `points`.
            _, x, y = take(bundle.train, self.max_points)
            self._bounds = grid_bounds(x.float())
            self.points = {
                "x": x[:, 0].numpy().round(4).tolist(),
                "y": x[:, 1].numpy().round(4).tolist(),
                "label": y.reshape(-1).tolist(),
            }
            self._points_of = bundle
        # The whole grid in one pass: redrawn several times a second while training runs.
        grid = boundary_grid(
            lambda x: trainer.predict(x, batch_size=len(x)), self._bounds, self.resolution
        )
        classes = list(bundle.classes) or [str(i) for i in range(bundle.num_classes or 2)]
        return {**grid, "classes": classes, "step": trainer.step}

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        self.refresh(trainer)


def results_for(data: Any) -> list[ResultsView]:
    """The results views that fit a DataBundle: decision boundary for 2-D classes, confusion
    matrix for classification, predicted vs true for regression.

    Example:
        >>> [type(v).__name__ for v in results_for(datasets.load("moons"))]  # doctest: +SKIP
        ['DecisionBoundary', 'ConfusionMatrix']
    """
    views: list[ResultsView] = []
    if DecisionBoundary.applies_to(data):
        views.append(DecisionBoundary())
    if data.task == "classification":
        views.append(ConfusionMatrix())
    elif data.task == "regression":
        views.append(RegressionPlot())
    return views
