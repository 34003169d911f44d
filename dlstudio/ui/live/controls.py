"""``TrainingControls``: settings, Train/Pause/Resume/Stop/Reset and progress for a Trainer.

Training runs in the trainer's background thread, so the buttons keep working while it runs:
the kernel's message loop is never blocked for longer than one training step.
"""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.errors import TrainingSetupError
from dlstudio.train.settings import LIMITS, choices
from dlstudio.train.trainer import Trainer
from dlstudio.ui.live import _responsive
from dlstudio.ui.live._trainers import (
    DEFAULTS,
    TrainerFactory,
    TrainerRecipe,
    attach,
    copy_weights,
    settings_of,
    validate_settings,
)
from dlstudio.ui.live.progress import TrainingProgress

BUTTONS = ("Train", "Pause", "Resume", "Stop", "Reset")
# Which buttons work in each trainer state (None: no trainer yet).
ENABLED = {
    None: {"Train"},
    "idle": {"Train", "Reset"},
    "running": {"Pause", "Stop", "Reset"},
    "paused": {"Resume", "Stop", "Reset"},
    "stopped": {"Train", "Resume", "Reset"},
    "finished": {"Train", "Reset"},
    "failed": {"Train", "Resume", "Reset"},
}
_WIDE = {"description_width": "110px"}


class _Watcher(Callback):
    """Tells the controls when the run changes state on its own (ends, fails), and keeps
    the kernel responsive while the run is active (see ``_responsive``)."""

    order = 60

    def __init__(self, changed: Callable[[Trainer], None]):
        self.changed = changed
        self._entered = False

    def on_fit_start(self, trainer: Trainer) -> None:
        if not self._entered:
            self._entered = True
            _responsive.enter()
        self.changed(trainer)

    def on_pause(self, trainer: Trainer) -> None:
        self.changed(trainer)

    def on_resume(self, trainer: Trainer) -> None:
        self.changed(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        if self._entered:
            self._entered = False
            _responsive.leave()
        self.changed(trainer)


def _choice(value: Any, names: Iterable[str]) -> list[tuple[str, Any]]:
    options = [(n, n) for n in names]
    if not isinstance(value, str):  # a class or module given in code stays selectable
        options.append((f"custom ({getattr(value, '__name__', type(value).__name__)})", value))
    return options


class TrainingControls(ipywidgets.VBox):
    """Epochs, batch size, learning rate, optimizer, loss and scheduler, with run buttons.

    ``source`` is a Trainer, or ``factory(**settings)`` returning one. Train starts a run of
    ``epochs`` epochs with the settings shown, continuing from the current weights; Resume
    continues a paused or stopped run; Reset goes back to the starting weights.
    ``callbacks`` (a LossPlot, results views...) are attached to every trainer made here.

    Example:
        >>> controls = TrainingControls(trainer, callbacks=[LossPlot()])  # doctest: +SKIP
        >>> controls.set(epochs=3, lr=0.01)  # doctest: +SKIP
        >>> controls.train(); controls.trainer.wait()  # doctest: +SKIP
    """

    def __init__(
        self,
        source: Trainer | TrainerFactory,
        callbacks: Iterable[Callback] = (),
        settings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.recipe = TrainerRecipe(source)
        self.callbacks = list(callbacks)
        self.progress = TrainingProgress()
        self._listeners: list[Callable[[Trainer], object]] = []
        self._watcher = _Watcher(self._state_changed)
        self.trainer: Trainer | None = self.recipe.first
        given = settings_of(self.trainer) if self.trainer else {}
        # Normalised, so that a trainer made with "SGD" or loss="ce" shows its dropdown choice.
        start = validate_settings({**DEFAULTS, **given, **(settings or {})})
        self._trainer_settings = dict(start) if self.trainer else None
        self.fields = self._make_fields(start)
        self.buttons = {
            name: ipywidgets.Button(description=name, tooltip=f"{name} training")
            for name in BUTTONS
        }
        for name, button in self.buttons.items():
            button.add_class(f"dls-{name.lower()}")
            button.on_click(lambda _b, name=name: self._press(name))
        self.message = ipywidgets.HTML("", _dom_classes=["dls-train-message"])
        grid = ipywidgets.GridBox(
            list(self.fields.values()),
            layout=ipywidgets.Layout(grid_template_columns="repeat(3, minmax(220px, 1fr))"),
        )
        row = ipywidgets.HBox(list(self.buttons.values()))
        super().__init__([grid, row, self.progress, self.message], **kwargs)
        self.add_class("dls-training-controls")
        if self.trainer is not None:
            self._adopt(self.trainer)
        self._refresh()

    # -- settings ------------------------------------------------------------------------------

    def _make_fields(self, start: dict[str, Any]) -> dict[str, ipywidgets.ValueWidget]:
        (e_low, e_high), (b_low, b_high) = LIMITS["epochs"], LIMITS["batch_size"]
        lr_low, lr_high = LIMITS["lr"]
        names = choices()
        return {
            "epochs": ipywidgets.BoundedIntText(
                start["epochs"], min=e_low, max=e_high, description="Epochs", style=_WIDE
            ),
            "batch_size": ipywidgets.BoundedIntText(
                start["batch_size"], min=b_low, max=b_high, description="Batch size", style=_WIDE
            ),
            "lr": ipywidgets.FloatLogSlider(
                start["lr"],
                base=10,
                min=_log10(lr_low),
                max=_log10(lr_high),
                step=0.05,
                readout_format=".1e",
                description="Learning rate",
                style=_WIDE,
            ),  # fmt: skip
            "optimizer": _dropdown("Optimizer", start["optimizer"], names["optimizer"]),
            "loss": _dropdown("Loss", start["loss"], names["loss"]),
            "scheduler": _dropdown("Scheduler", start["scheduler"], names["scheduler"]),
        }

    @property
    def settings(self) -> dict[str, Any]:
        """The settings on screen, validated."""
        return validate_settings({name: field.value for name, field in self.fields.items()})

    def set(self, **settings: Any) -> None:
        """Change settings (checked first: nothing changes if one is invalid).

        Example:
            >>> controls.set(epochs=5, optimizer="sgd", lr=0.05)  # doctest: +SKIP
        """
        valid = validate_settings(settings)
        for name, value in valid.items():
            field = self.fields[name]
            if isinstance(field, ipywidgets.Dropdown) and value not in dict(field.options).values():
                raise ValueError(f"{name} {value!r} is not one of the choices on screen.")
        for name, value in valid.items():
            self.fields[name].value = value

    # -- actions (the buttons call these) ------------------------------------------------------

    def train(self) -> Trainer:
        """Start a run with the settings on screen; returns the trainer doing it."""
        settings = self.settings
        current = self.trainer
        if current is not None and _busy(current):
            raise RuntimeError("Training is already running: press Stop or Pause first.")
        fresh_start = current is not None and current.step == 0 and current.state == "idle"
        if not (fresh_start and settings == self._trainer_settings):
            weights = copy_weights(current) if current is not None and current.step else None
            self._adopt(self.recipe.build(settings, weights), settings)
        assert self.trainer is not None
        self.trainer.start()
        self._refresh()
        return self.trainer

    def pause(self) -> None:
        """Pause after the current step."""
        if self.trainer is not None:
            self.trainer.pause(timeout=10.0)
        self._refresh()

    def resume(self) -> None:
        """Continue a paused or stopped run."""
        if self.trainer is not None:
            self.trainer.resume()
        self._refresh()

    def stop(self) -> None:
        """Stop after the current step (Resume or Train continue from there)."""
        if self.trainer is not None:
            self.trainer.stop(timeout=10.0)
        self._refresh()

    def reset(self) -> Trainer:
        """Stop, go back to the starting weights and clear the plots; nothing starts."""
        if self.trainer is not None and _busy(self.trainer):
            self.trainer.stop(timeout=10.0)
        settings = self.settings
        for callback in self.callbacks:
            clear = getattr(callback, "clear", None)
            if callable(clear):
                clear()
        self._adopt(self.recipe.fresh(settings), settings)
        self._refresh()
        assert self.trainer is not None
        return self.trainer

    def adopt(self, trainer: Trainer) -> None:
        """Drive an existing trainer from now on (a loaded checkpoint, for example); its
        settings are shown and the callbacks attached."""
        self._adopt(trainer)
        for name, value in settings_of(trainer).items():
            # An alias or a spec given as code: that field keeps what it shows.
            with contextlib.suppress(ValueError, TypeError):
                self.set(**{name: value})
        self._refresh()

    def forget(self) -> None:
        """Drop the current trainer (stopping it first): the next Train starts from fresh
        weights, e.g. after the model or the data changed."""
        if self.trainer is not None and _busy(self.trainer):
            self.trainer.stop(timeout=10.0)
        self.trainer = None
        self._trainer_settings = None
        self._refresh()

    def on_trainer(self, callback: Callable[[Trainer], object]) -> None:
        """Call ``callback(trainer)`` whenever Train or Reset makes a new trainer."""
        self._listeners.append(callback)

    # -- plumbing ------------------------------------------------------------------------------

    def _adopt(self, trainer: Trainer, settings: dict[str, Any] | None = None) -> None:
        attach(trainer, [*self.callbacks, self.progress.callback, self._watcher])
        self.trainer = trainer
        self._trainer_settings = dict(settings) if settings else settings_of(trainer)
        self.progress.show_trainer(trainer)
        for listener in self._listeners:
            listener(trainer)

    def _press(self, name: str) -> None:
        self.message.value = ""
        try:
            getattr(self, name.lower())()
        except (TrainingSetupError, ValueError, TypeError, RuntimeError) as error:
            self.message.value = f"<span style='color:#b00020'>{html.escape(str(error))}</span>"
            self._refresh()

    def _state_changed(self, trainer: Trainer) -> None:
        if trainer is self.trainer:
            self._refresh()

    def _refresh(self) -> None:
        trainer = self.trainer
        state = None if trainer is None else trainer.state
        self.progress.show_trainer(trainer)  # the state in words first: people watch it
        enabled = ENABLED.get(state, {"Reset"})
        for name, button in self.buttons.items():
            button.disabled = name not in enabled
        busy = state in ("running", "paused")
        for field in self.fields.values():
            field.disabled = busy


def _dropdown(description: str, value: Any, names: Iterable[str]) -> ipywidgets.Dropdown:
    return ipywidgets.Dropdown(
        options=_choice(value, names), value=value, description=description, style=_WIDE
    )


def _log10(value: float) -> float:
    return math.log10(value)


def _busy(trainer: Trainer) -> bool:
    return trainer.state in ("running", "paused")
