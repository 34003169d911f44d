"""ProgressTracker: steps per second and time left, cheap enough to run on every step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlstudio.train.callbacks.base import Callback

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class ProgressTracker(Callback):
    """Keeps a smoothed steps/s rate; ``snapshot()`` gives everything a progress bar shows.

    ``on_update(snapshot)`` (optional) is called from the training thread at most every
    ``interval`` seconds, and once more when the run ends.

    Example:
        >>> tracker = ProgressTracker(interval=0.5, on_update=print)
        >>> tracker.snapshot()["steps_per_second"]
        0.0
    """

    order = 40

    def __init__(
        self,
        interval: float = 0.25,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        smoothing: float = 0.05,
    ):
        self.interval = interval
        self.on_update = on_update
        self.smoothing = smoothing
        self.rate = 0.0
        self.trainer: Trainer | None = None
        self._last_time = 0.0
        self._last_update = 0.0

    def on_fit_start(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self._last_time = self._last_update = time.perf_counter()

    def on_resume(self, trainer: Trainer) -> None:
        self._last_time = time.perf_counter()  # the pause is not a slow step

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        now = time.perf_counter()
        dt = now - self._last_time
        self._last_time = now
        if dt > 0:
            instant = 1.0 / dt
            self.rate = (
                instant if self.rate == 0.0 else self.rate + self.smoothing * (instant - self.rate)
            )
        if self.on_update is not None and now - self._last_update >= self.interval:
            self._last_update = now
            self.on_update(self.snapshot())

    def on_fit_end(self, trainer: Trainer) -> None:
        if self.on_update is not None:
            self.on_update(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """step, total_steps, epoch, epochs, fraction, steps_per_second, eta_seconds,
        elapsed_seconds and state."""
        t = self.trainer
        if t is None:
            return {"step": 0, "total_steps": 0, "fraction": 0.0, "steps_per_second": 0.0,
                    "eta_seconds": None, "state": "idle"}  # fmt: skip
        total = t.total_steps
        left = max(total - t.step, 0)
        return {
            "step": t.step,
            "total_steps": total,
            "epoch": t.epoch,
            "epochs": t.epochs,
            "fraction": t.step / total if total else 1.0,
            "steps_per_second": self.rate,
            "eta_seconds": left / self.rate if self.rate > 0 else None,
            "elapsed_seconds": t.seconds,
            "state": t.state,
        }
