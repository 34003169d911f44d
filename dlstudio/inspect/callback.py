"""InspectionCallback: capture every layer's statistics every N training steps."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlstudio.inspect.capture import Capture, tracked_layers
from dlstudio.inspect.diagnose import Diagnosis, diagnose
from dlstudio.inspect.history import HeatmapOverSteps, heatmap_over_steps
from dlstudio.inspect.nodes import node_health
from dlstudio.inspect.report import Report
from dlstudio.train.callbacks.base import Callback

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class InspectionCallback(Callback):
    """Capture outputs, gradients, weights and update ratios on step 1 and every ``every``
    steps after, keeping the last ``keep`` reports and their diagnoses.

    Hooks are attached only for the captured step, so the other steps run at full speed.
    With a ``budget`` (say 0.02), captures also take at most that share of the training time:
    after a capture that cost c seconds (its step's time less a plain step's), the next waits
    until c / budget seconds have passed (then for the next multiple of ``every``), so a fast
    model is not slowed by captures that cost as much as many of its steps.
    ``listeners`` (or ``on_capture(fn)``) are called in the training thread with each new
    Report; a widget should only hand the report over to its own thread there.

    Example:
        >>> from dlstudio.train import Trainer
        >>> inspection = InspectionCallback(every=50)
        >>> t = Trainer(graph, bundle, callbacks=[inspection])  # doctest: +SKIP
        >>> t.fit()  # doctest: +SKIP
        >>> [d.message for d in inspection.diagnoses]  # doctest: +SKIP
    """

    order = 20  # after the built-in guards (NaNGuard -100), before loggers

    def __init__(self, every: int = 50, keep: int = 200, budget: float | None = None):
        if budget is not None and not 0 < budget <= 1:
            raise ValueError(f"budget is a share of the training time in (0, 1], not {budget}.")
        self.every = max(1, int(every))
        self.keep = max(1, int(keep))
        self.budget = budget
        # For the budget: a captured step costs its time minus a plain step's (which includes
        # the hooks' work during the forward and backward passes, not only our own calls).
        self._cost = 0.0  # seconds the last capture added to its step
        self._plain: float | None = None  # a plain step's seconds (moving average)
        self._step_start = 0.0
        self._last_end = 0.0
        self.reports: list[Report] = []
        self.diagnoses: list[Diagnosis] = []
        self.node_ids: dict[str, str] = {}
        self.graph: Any = None
        self._listeners: list[Callable[[Report], None]] = []
        self._capture: Capture | None = None
        self._layers: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def last_report(self) -> Report | None:
        with self._lock:
            return self.reports[-1] if self.reports else None

    def on_capture(self, listener: Callable[[Report], None]) -> None:
        """Call ``listener(report)`` after each capture (in the training thread)."""
        self._listeners.append(listener)

    def off_capture(self, listener: Callable[[Report], None]) -> None:
        """Stop calling ``listener`` (a closed view); unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def heatmap(self, layer: str, kind: str = "output", param: str = "weight") -> HeatmapOverSteps:
        """Histograms of ``layer`` over the kept captures (see ``heatmap_over_steps``)."""
        with self._lock:
            reports = list(self.reports)
        return heatmap_over_steps(reports, layer, kind, param)

    def health(self, graph: Any = None) -> dict[str, str]:
        """``{node_id: "ok" | "warn" | "bad"}`` from the latest diagnoses: the badges of the
        trained Graph's nodes (or of ``graph``'s). Empty before the first capture.

        Example:
            >>> inspection.health()  # doctest: +SKIP
            {'conv1': 'ok', 'relu1': 'bad', 'fc1': 'ok'}
        """
        graph = graph if graph is not None else self.graph
        if graph is None or self.last_report is None:
            return {}
        with self._lock:
            found = list(self.diagnoses)
        return node_health(found, graph)

    def _due(self, step: int) -> bool:
        if step == 1:
            return True
        if step % self.every:
            return False
        if self.budget is None:
            return True
        return time.perf_counter() - self._last_end >= self._cost / self.budget

    def on_fit_start(self, trainer: Trainer) -> None:
        self._layers = tracked_layers(trainer.model)
        self.node_ids = dict(getattr(trainer, "node_ids", {}) or {})
        self.graph = getattr(trainer, "graph", None)

    def on_step_start(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        self._drop()  # a step skipped by CancelStep never reached on_step_end
        self._step_start = time.perf_counter()
        if self._due(step_info["step"]):
            self._capture = Capture(trainer.model, self._layers).attach()

    def on_after_backward(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        capture = self._capture
        if capture is None:
            return
        capture.detach()  # the forward and backward passes are over
        capture.record_params()
        capture.snapshot_weights()

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        capture, self._capture = self._capture, None
        if capture is None:
            self._time_plain_step()
            return
        capture.record_updates()
        self._publish(capture.collect(step=step_info["step"], loss=step_info.get("loss")))
        self._last_end = time.perf_counter()
        # Step 1 comes before any plain step to compare with (and is slow anyway: warm-up).
        seconds = self._last_end - self._step_start
        self._cost = 0.0 if self._plain is None else max(0.0, seconds - self._plain)

    def _time_plain_step(self) -> None:
        seconds = time.perf_counter() - self._step_start
        self._plain = seconds if self._plain is None else 0.9 * self._plain + 0.1 * seconds

    def _publish(self, report: Report) -> None:
        found = diagnose(report, self.node_ids)
        with self._lock:
            self.reports = (
                [*self.reports[-(self.keep - 1) :], report] if self.keep > 1 else [report]
            )
            self.diagnoses = found
        for listener in list(self._listeners):
            try:
                listener(report)
            except Exception as exc:  # noqa: BLE001 - a broken view must not end the training
                warnings.warn(
                    f"An inspection listener failed: {exc!r}", RuntimeWarning, stacklevel=2
                )

    def _drop(self) -> None:
        if self._capture is not None:
            self._capture.detach()
            self._capture = None

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        capture, self._capture = self._capture, None
        if capture is None:
            return
        # A run that failed mid-capture (NaNGuard, most often) still says where it broke.
        capture.detach()
        capture.record_params()
        self._publish(capture.collect(step=trainer.step + 1))

    def on_fit_end(self, trainer: Trainer) -> None:
        # A step cancelled or stopped mid-capture must not leave hooks on the model.
        self._drop()
