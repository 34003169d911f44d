"""The Train panel: the live TrainingControls, LossPlot and results views, driving Trainers
built from what the Studio shows (the builder's graph, the chosen data, the seed).

A summary line under the plot says the latest validation numbers in words.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.settings import LIMITS, TrainingSettings

SettingsSource = Callable[[], tuple[Any, Any]]  # () -> (graph, bundle) for the next trainer
# A first run that finishes in seconds on the built-in sets; the Trainer's defaults are longer.
QUICK_START = TrainingSettings(epochs=5, batch_size=32)


def summarise(record: dict[str, Any], epochs: int) -> str:
    """One line about the latest epoch, e.g. "Epoch 3/5: validation accuracy 96.1 %".

    Example:
        >>> summarise({"epoch": 2, "val_loss": 0.1, "val_accuracy": 0.961}, 5)
        'Epoch 3/5: validation accuracy 96.1 %, validation loss 0.1000'
    """
    parts = []
    for key, value in record.items():
        if not key.startswith("val_") or key == "val_loss" or not isinstance(value, int | float):
            continue
        label = key[4:].replace("_", " ")
        shown = f"{value * 100:.1f} %" if key == "val_accuracy" else f"{value:.4g}"
        parts.append(f"validation {label} {shown}")
    if isinstance(record.get("val_loss"), int | float):
        parts.append(f"validation loss {record['val_loss']:.4f}")
    return f"Epoch {record.get('epoch', 0) + 1}/{epochs}: " + ", ".join(parts)


class _Summary(Callback):
    """Writes the latest epoch's numbers into the panel's summary line."""

    order = 55

    def __init__(self, show: Callable[[str], None]):
        self.show = show

    def on_fit_start(self, trainer: Any) -> None:
        if not trainer.history.epochs:
            self.show("Training… the first numbers come at the end of the first epoch.")

    def on_epoch_end(self, trainer: Any, epoch_info: dict[str, Any]) -> None:
        self.show(summarise(epoch_info, trainer.epochs))


class TrainPanel(w.VBox):
    """Controls + live plot + results for Trainers made from ``source()``.

    The widgets are made when first needed (the tab is shown, or Python asks for them): the
    plots' 1.5 MB script then loads only for learners who open the Train tab, not with the page.

    Example:
        >>> panel = TrainPanel(lambda: (graph, bundle))  # doctest: +SKIP
        >>> panel.controls.train().wait()  # doctest: +SKIP
    """

    children: tuple[w.Widget, ...]  # ipywidgets' TypedTuple trait, which mypy cannot see through

    def __init__(
        self,
        source: SettingsSource,
        settings: TrainingSettings | None = None,
        on_settings: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self._start = settings or QUICK_START
        self._on_settings = on_settings
        self._bundle: Any = None
        self._built = False
        self.results: list[Any] = []
        self._trainer_listeners: list[Callable[[Any], object]] = []
        super().__init__([], **kwargs)
        self.add_class("dls-train-panel")

    def _build(self) -> None:
        if self._built:
            return
        from dlstudio.ui.live import LossPlot, TrainingControls, results_for

        self._built = True
        start = self._start
        low, high = LIMITS["seed"]
        self._seed = w.BoundedIntText(start.seed, min=low, max=high, description="Seed")
        self._seed.add_class("dls-seed")
        self._plot = LossPlot(title="Loss and accuracy")
        self._summary_html = w.HTML("<i>Press Train to start.</i>")
        self._summary_html.add_class("dls-accuracy")
        self.results_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self._summary = _Summary(self._show_summary)
        self.results = results_for(self._bundle) if self._bundle is not None else []
        self.results_box.children = tuple(self.results)
        first = {k: v for k, v in start.to_dict().items() if k != "seed"}
        self._controls = TrainingControls(
            self._make_trainer,
            callbacks=[self._plot, self._summary, *self.results],
            settings=first,
        )
        for listener in self._trainer_listeners:
            self._controls.on_trainer(listener)
        if self._on_settings is not None:
            changed = self._on_settings
            for field in [*self._controls.fields.values(), self._seed]:
                field.observe(lambda _change: changed(), "value")

    def on_trainer(self, listener: Callable[[Any], object]) -> None:
        """Call ``listener(trainer)`` for each trainer made or adopted here, before it starts
        (the widgets are not built for this)."""
        self._trainer_listeners.append(listener)
        if self._built:
            self._controls.on_trainer(listener)

    def show(self) -> None:
        """Put the widgets on the panel (the Studio calls this when the tab is shown)."""
        self._build()
        if not self.children:
            self.children = (self._controls, self._seed, self._summary_html, self._plot,
                             self.results_box)  # fmt: skip

    @property
    def controls(self) -> Any:
        """The TrainingControls (Train, Pause, Resume, Stop, Reset and the settings)."""
        self._build()
        return self._controls

    @property
    def plot(self) -> Any:
        """The LossPlot."""
        self._build()
        return self._plot

    @property
    def seed(self) -> w.BoundedIntText:
        self._build()
        return self._seed

    @property
    def summary(self) -> w.HTML:
        """The line with the latest validation numbers."""
        self._build()
        return self._summary_html

    # -- trainers -------------------------------------------------------------------------------

    def _make_trainer(self, **settings: Any) -> Any:
        from dlstudio.train import Trainer

        graph, bundle = self.source()
        graph.validate()  # a GraphError lists every problem before any weight is made
        return Trainer(graph, bundle, seed=int(self.seed.value), **settings)

    @property
    def trainer(self) -> Any:
        """The trainer the controls drive now (None before the first Train)."""
        return self._controls.trainer if self._built else None

    @property
    def busy(self) -> bool:
        trainer = self.trainer
        return trainer is not None and trainer.state in ("running", "paused")

    def settings(self) -> TrainingSettings:
        """The settings on screen, checked."""
        if not self._built:
            return self._start
        return TrainingSettings.from_dict({**self.controls.settings, "seed": self.seed.value})

    def apply(self, settings: TrainingSettings) -> None:
        """Show ``settings`` in the controls (a session load)."""
        if not self._built:
            self._start = settings
            if self._on_settings is not None:
                self._on_settings()
            return
        values = settings.to_dict()
        self.seed.value = values.pop("seed")
        self.controls.set(**values)

    def forget(self, bundle: Any) -> None:
        """The model or the data changed: the next Train starts from fresh weights, and the
        results views fit the new data. A running run is stopped first."""
        self._bundle = bundle
        if not self._built:
            return
        from dlstudio.ui.live import results_for

        self.controls.forget()  # stops a running run; the next Train makes fresh weights
        for view in self.results:
            view.close()
        self.results = results_for(bundle) if bundle is not None else []
        self.controls.callbacks[:] = [self.plot, self._summary, *self.results]
        self.results_box.children = tuple(self.results)
        self.plot.clear()
        self.summary.value = "<i>Press Train to start.</i>"

    def adopt(self, trainer: Any) -> None:
        """Drive an existing trainer (a loaded session): plot its history, show its numbers."""
        self.controls.adopt(trainer)
        history = trainer.history
        self.plot.show_history(history, trainer.steps_per_epoch)
        if history.epochs:
            self._show_summary(summarise(history.epochs[-1], trainer.epochs))
        for view in self.results:
            view.update(trainer)

    def _show_summary(self, text: str) -> None:
        self._summary_html.value = f"<b>{html.escape(text)}</b>"
