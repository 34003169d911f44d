"""``LossPlot``: training and validation curves drawn live with plotly.js in the page.

Python keeps every curve bounded (see ``_series``) and sends only NEW points, batched, as
custom messages (at most about four a second). The bounded history also lives in the synced
``data`` trait, refreshed every couple of seconds and at each epoch's end, so a view that
appears later (a page reload, a second view, a saved notebook) draws from it first: a message
sent before a view exists is lost.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

import traitlets

from dlstudio.train.callbacks.base import Callback
from dlstudio.ui._bundle import BundledWidget
from dlstudio.ui.live._batcher import Batcher
from dlstudio.ui.live._series import DEFAULT_CAPACITY, Series, clean
from dlstudio.ui.protocol import (
    CurveKind,
    CurvePanel,
    PlotCurve,
    is_hello,
    points_message,
)

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

STEP: CurveKind = "step"
EPOCH: CurveKind = "epoch"


def panel_of(name: str) -> CurvePanel:
    """Which panel draws a curve: losses share the upper one, metrics the lower one.

    Example:
        >>> panel_of("val_loss"), panel_of("val_accuracy")
        ('loss', 'metric')
    """
    return "loss" if "loss" in name else "metric"


class LossPlot(BundledWidget, Callback):
    """Loss and metric curves, per step and per epoch, updated live while training runs.

    Use it as a Trainer callback, or call ``log`` from your own loop.

    Example:
        >>> plot = LossPlot()
        >>> trainer = Trainer(model, bundle, callbacks=[plot])  # doctest: +SKIP
        >>> for step in range(1, 4):                             # or log by hand
        ...     plot.log(step=step, loss=1.0 / step)
        >>> plot.log_epoch(step=3, val_loss=0.4, val_accuracy=0.9)
        >>> plot.snapshot()["series"]["loss"]["y"]  # what a newly opened view draws
        [1.0, 0.5, 0.3333333333333333]
    """

    order = 50  # after the progress tracker: drawing is the least urgent thing

    bundle_name = "plots"
    _kind = traitlets.Unicode("loss").tag(sync=True)

    data = traitlets.Dict().tag(sync=True)
    """The bounded history, a ``protocol.PlotCurves``: ``{"seq": n, "series": {name: curve}}``."""
    page_writable = frozenset({"log_scale", "smoothing"})
    log_scale = traitlets.Bool(False).tag(sync=True)
    smoothing = traitlets.Float(0.6).tag(sync=True)
    """EMA weight for per-step curves (0 = raw, 0.99 = very smooth), as in TensorBoard."""
    title = traitlets.Unicode("Training").tag(sync=True)
    height = traitlets.Int(360).tag(sync=True)

    def __init__(
        self,
        title: str = "Training",
        capacity: int = DEFAULT_CAPACITY,
        interval: float = 0.25,
        sync_interval: float = 2.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(title=title, **kwargs)
        self.capacity = int(capacity)
        self.sync_interval = float(sync_interval)
        self._series: dict[str, Series] = {}
        self._kinds: dict[str, CurveKind] = {}
        self._pending: dict[str, tuple[list[float], list[float | None]]] = {}
        self._lock = threading.Lock()  # guards _pending (training thread vs flusher)
        self._send_lock = threading.RLock()  # one sender at a time keeps seq in order
        self._seq = 0
        # The first sync of `data` comes sync_interval after the plot was made (points reach a
        # view through messages before that), wherever the monotonic clock started.
        self._last_sync = time.monotonic()
        self._sync_due = False
        self._last_step = 0
        self._offset = 0
        self._trainer: Any = None
        self.messages_sent = 0
        """Custom messages sent so far (for tests and benchmarks)."""
        self._batcher = Batcher(self.flush, interval, name="lossplot")
        self.data = {"seq": 0, "series": {}}
        self.on_msg(self._on_message)

    # -- validation of page-set values -------------------------------------------------------

    @traitlets.validate("smoothing")
    def _valid_smoothing(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0.0 <= value <= 0.999 or math.isnan(value):
            raise traitlets.TraitError(f"smoothing must be between 0 and 0.999, not {value}.")
        return value

    # -- logging by hand ---------------------------------------------------------------------

    def log(self, step: int | None = None, **values: float) -> None:
        """Add one point per value at ``step`` (default: the step after the last one).

        Example:
            >>> plot = LossPlot()
            >>> plot.log(loss=0.9)
            >>> plot.log(step=10, loss=0.5, accuracy=0.7)
        """
        step = self._last_step + 1 if step is None else int(step)
        self._add(step, values, STEP)

    def log_epoch(self, step: int | None = None, **values: float) -> None:
        """Add per-epoch points (validation loss, metrics) at ``step`` (default: the last step).

        Example:
            >>> LossPlot().log_epoch(step=100, val_loss=0.3, val_accuracy=0.92)
        """
        step = self._last_step if step is None else int(step)
        self._add(step, values, EPOCH)

    def _add(self, step: int, values: dict[str, Any], kind: CurveKind) -> None:
        if not values:
            raise ValueError("Give at least one value to plot, e.g. plot.log(step=1, loss=0.5).")
        with self._lock:
            for name in values:
                known = self._kinds.setdefault(name, kind)
                if known != kind:
                    raise ValueError(
                        f"{name!r} is already plotted per {known}; log it with "
                        f"{'log' if known == STEP else 'log_epoch'}() or give it another name."
                    )
            for name, value in values.items():
                self._append(name, step, value)
        self._batcher.poke()

    def _append(self, name: str, step: int, value: Any) -> None:
        # Called with _lock held. Values are cleaned for JSON in flush(), off this thread.
        if step > self._last_step:
            self._last_step = step
        pending = self._pending.get(name)
        if pending is None:
            pending = self._pending[name] = ([], [])
        pending[0].append(step)
        pending[1].append(value)

    def show_history(self, history: Any, steps_per_epoch: int) -> None:
        """Plot a finished or loaded run's ``History`` (per-step loss, per-epoch records), with
        the same curve names a live run gets.

        Example:
            >>> plot = LossPlot()
            >>> plot.show_history(trainer.history, trainer.steps_per_epoch)  # doctest: +SKIP
        """
        for record in history.steps:
            self.log(step=record["step"], loss=record["loss"])
        for record in history.epochs:
            values = {"epoch_loss": record["loss"]}
            values.update((k, v) for k, v in record.items() if k.startswith("val_"))
            self.log_epoch(step=steps_per_epoch * (record["epoch"] + 1), **values)

    def clear(self) -> None:
        """Remove every curve (the page clears too)."""
        with self._send_lock:
            with self._lock:
                self._pending = {}
                self._series.clear()
                self._kinds.clear()
                self._last_step = self._offset = 0
                self._trainer = None
            self._seq += 1
            self.data = {"seq": self._seq, "series": {}}

    # -- sending -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Send what is pending now (the batcher does this on its own a few times a second)."""
        with self._send_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            if pending:
                self._seq += 1
                update: dict[str, PlotCurve] = {}
                for name, (xs, raw) in pending.items():
                    ys = [clean(v) for v in raw]
                    series = self._series.get(name)
                    if series is None:
                        series = self._series[name] = Series(self.capacity)
                    series.extend(xs, ys)
                    update[name] = self._curve(name, x=xs, y=ys)
                self.send(points_message(self._seq, update))
                self.messages_sent += 1
            now = time.monotonic()
            if self._sync_due or (pending and now - self._last_sync >= self.sync_interval):
                self._sync()

    def _sync(self) -> None:
        self._sync_due = False
        self._last_sync = time.monotonic()
        series = {name: self._curve(name, **s.to_json()) for name, s in self._series.items()}
        self.data = {"seq": self._seq, "series": series}

    def _curve(self, name: str, x: list[float], y: list[float | None]) -> PlotCurve:
        return {"x": x, "y": y, "kind": self._kinds.get(name, STEP), "panel": panel_of(name)}

    def snapshot(self) -> dict[str, Any]:
        """Flush, then the bounded history as ``data`` holds it (what a new view draws)."""
        with self._send_lock:
            self.flush()
            self._sync()
            return self.data

    def _on_message(self, _widget: Any, content: Any, _buffers: list[bytes]) -> None:
        # A view that just appeared asks for the newest history instead of waiting for a sync.
        if is_hello(content):
            self.snapshot()

    def close(self) -> None:
        self._batcher.close()
        super().close()

    # -- the Trainer callback ----------------------------------------------------------------

    def on_fit_start(self, trainer: Trainer) -> None:
        if trainer is not self._trainer:
            # A new trainer (e.g. Train after a settings change) continues the same curves.
            self._offset = self._last_step - trainer.step if self._trainer is not None else 0
            self._trainer = trainer

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        # The hot path (every training step): one append under the lock, nothing else.
        with self._lock:
            if "loss" not in self._kinds:
                self._kinds["loss"] = STEP
            self._append("loss", self._offset + step_info["step"], step_info["loss"])
        self._batcher.poke()

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        values = {"epoch_loss": epoch_info["loss"]}
        values.update((k, v) for k, v in epoch_info.items() if k.startswith("val_"))
        self.log_epoch(step=self._offset + trainer.step, **values)

    def on_pause(self, trainer: Trainer) -> None:
        self._sync_due = True
        self._batcher.poke()

    def on_fit_end(self, trainer: Trainer) -> None:
        self._sync_due = True
        self._batcher.poke()
