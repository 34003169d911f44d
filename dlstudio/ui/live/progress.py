"""``TrainingProgress``: a progress bar with steps/s, time left and the run's state in words."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets

from dlstudio.train.callbacks.progress import ProgressTracker

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

STATE_WORDS = {
    "idle": "ready",
    "running": "training",
    "paused": "paused",
    "stopped": "stopped",
    "finished": "finished",
    "failed": "failed",
}


def format_seconds(seconds: float | None) -> str:
    """A short duration for people: ``"42 s"``, ``"3 min 05 s"``, ``"1 h 02 min"``.

    Example:
        >>> format_seconds(185), format_seconds(None)
        ('3 min 05 s', '–')
    """
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "–"
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def describe(snapshot: dict[str, Any]) -> str:
    """One line: step, epoch, speed and time left, from ``ProgressTracker.snapshot()``.

    Example:
        >>> describe({"step": 50, "total_steps": 200, "epoch": 1, "epochs": 4,
        ...           "steps_per_second": 25.0, "eta_seconds": 6.0, "state": "running"})
        'step 50 / 200 · epoch 1 / 4 · 25.0 steps/s · 6 s left'
    """
    parts = [f"step {snapshot['step']:,} / {snapshot['total_steps']:,}"]
    if "epochs" in snapshot:
        parts.append(f"epoch {snapshot['epoch']} / {snapshot['epochs']}")
    rate = snapshot.get("steps_per_second") or 0.0
    if rate > 0:
        parts.append(f"{rate:,.1f} steps/s")
    if snapshot.get("state") == "running" and snapshot.get("eta_seconds") is not None:
        parts.append(f"{format_seconds(snapshot['eta_seconds'])} left")
    elif snapshot.get("elapsed_seconds"):
        parts.append(f"took {format_seconds(snapshot['elapsed_seconds'])}")
    return " · ".join(parts)


class _Tracker(ProgressTracker):
    """The progress tracker, also reporting pauses and resumes at once."""

    def on_fit_start(self, trainer: Trainer) -> None:
        super().on_fit_start(trainer)
        if self.on_update is not None:
            self.on_update(self.snapshot())

    def on_pause(self, trainer: Trainer) -> None:
        if self.on_update is not None:
            self.on_update(self.snapshot())

    def on_resume(self, trainer: Trainer) -> None:
        super().on_resume(trainer)
        if self.on_update is not None:
            self.on_update(self.snapshot())


class TrainingProgress(ipywidgets.VBox):
    """Bar + "step 50 / 200 · 25 steps/s · 6 s left" + the state ("training", "stopped"...).

    Attach ``progress.callback`` to a Trainer; it updates at most every ``interval`` seconds.

    Example:
        >>> progress = TrainingProgress()
        >>> trainer = Trainer(model, bundle, callbacks=[progress.callback])  # doctest: +SKIP
        >>> progress.state.value
        'ready'
    """

    def __init__(self, interval: float = 0.25, **kwargs: Any) -> None:
        self.bar = ipywidgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=ipywidgets.Layout(width="100%")
        )
        self.state = ipywidgets.Label("ready", _dom_classes=["dls-train-state"])
        self.detail = ipywidgets.HTML("", _dom_classes=["dls-train-detail"])
        self.callback = _Tracker(interval=interval, on_update=self.show)
        head = ipywidgets.HBox([ipywidgets.Label("State:"), self.state, self.detail])
        super().__init__([self.bar, head], **kwargs)
        self.add_class("dls-train-progress")

    def show(self, snapshot: dict[str, Any], error: BaseException | None = None) -> None:
        """Draw a ``ProgressTracker.snapshot()`` (from any thread)."""
        state = snapshot.get("state", "idle")
        text = describe(snapshot) if snapshot.get("total_steps") else ""
        trainer = self.callback.trainer
        error = error or getattr(trainer, "error", None)
        if state == "failed" and error is not None:
            text = f"{text} · {type(error).__name__}: {error}"
        elif state == "stopped" and trainer is not None and trainer.stop_reason:
            text = f"{text} · {trainer.stop_reason}"
        self.bar.value = float(snapshot.get("fraction", 0.0))
        self.bar.bar_style = {"failed": "danger", "finished": "success"}.get(state, "")
        self.state.value = STATE_WORDS.get(state, state)
        self.detail.value = html.escape(text)

    def show_trainer(self, trainer: Trainer | None) -> None:
        """Draw ``trainer``'s state now (after a button press, from the kernel's thread)."""
        if trainer is None:
            self.show({"state": "idle", "fraction": 0.0})
            return
        self.callback.trainer = trainer
        self.show(self.callback.snapshot())
