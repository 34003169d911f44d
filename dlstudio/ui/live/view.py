"""``live(trainer)``: loss plot, controls, progress and results for a Trainer, in one call."""

from __future__ import annotations

import os
from typing import Any

import ipywidgets

from dlstudio.train.trainer import Trainer
from dlstudio.ui.live._trainers import TrainerFactory, attach
from dlstudio.ui.live.controls import TrainingControls
from dlstudio.ui.live.loss_plot import LossPlot
from dlstudio.ui.live.results import ResultsView, results_for


class LiveView:
    """What ``live`` shows: ``plot``, ``controls``, ``results`` and the whole ``widget``.

    ``view.trainer`` is the trainer the controls drive now (Train and Reset may make a new one).
    """

    def __init__(
        self,
        plot: LossPlot,
        controls: TrainingControls,
        results: list[ResultsView],
        widget: ipywidgets.Widget,
    ):
        self.plot, self.controls, self.results, self.widget = plot, controls, results, widget
        self._shown_in: int | None = None

    @property
    def trainer(self) -> Trainer | None:
        return self.controls.trainer

    def show(self) -> None:
        """Display the widget (in the current cell's output)."""
        from IPython.display import display

        display(self.widget)
        self._shown_in = _execution_count()

    def _ipython_display_(self) -> None:
        # `live(t)` as a cell's last line already displayed it once in this very cell.
        if self._shown_in is None or self._shown_in != _execution_count():
            self.show()

    def __repr__(self) -> str:
        return f"LiveView({self.trainer!r})"


def live(
    trainer: Trainer | TrainerFactory,
    results: bool = True,
    display: bool = True,
    export_to: str | os.PathLike[str] | None = None,
    **settings: Any,
) -> LiveView:
    """Show a live loss plot, training controls with progress, and results for ``trainer``.

    Press Train (or call ``trainer.start()``) and watch; ``settings`` preset the controls.
    With ``export_to`` (a folder), an Export panel below writes the trained model in the
    chosen formats there and shows each report. Returns the LiveView (its ``widget`` goes into
    your own layouts with ``display=False``).

    Example:
        >>> import dlstudio
        >>> view = dlstudio.live(trainer)  # doctest: +SKIP
        >>> view.controls.train()          # same as pressing Train  # doctest: +SKIP
    """
    plot = LossPlot()
    data = trainer.data if isinstance(trainer, Trainer) else None
    views = results_for(data) if results and data is not None else []
    controls = TrainingControls(trainer, callbacks=[plot, *views], settings=settings or None)
    if isinstance(trainer, Trainer):
        attach(trainer, [plot, *views])
    # Results views of a factory's data are known only once the first trainer exists.
    results_box = ipywidgets.HBox(list(views), layout=ipywidgets.Layout(flex_flow="row wrap"))
    if results and data is None:

        def add_results(new: Trainer) -> None:
            if not results_box.children:
                found = results_for(new.data)
                controls.callbacks.extend(found)
                attach(new, found)
                views.extend(found)
                results_box.children = tuple(found)

        controls.on_trainer(add_results)
    parts: list[ipywidgets.Widget] = [controls, plot, results_box]
    if export_to is not None:
        parts.append(_export_panel(controls, export_to))
    widget = ipywidgets.VBox(parts)
    widget.add_class("dls-live")
    view = LiveView(plot, controls, views, widget)
    if display:
        view.show()
    return view


def _export_panel(controls: TrainingControls, folder: str | os.PathLike[str]) -> ipywidgets.Widget:
    from dlstudio.export import ExportError, resolve
    from dlstudio.ui.export_panel import ExportPanel

    def current() -> Any:
        trainer = controls.trainer
        if trainer is None or not trainer.step:
            raise ExportError("Train the model first: there is nothing trained to export yet.")
        if trainer.state == "running":
            raise ExportError("The model is training: pause or stop it first.")
        return resolve(trainer)

    box = ipywidgets.Accordion([ExportPanel(current, folder)], titles=("Export",))
    box.add_class("dls-live-export")
    return box


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count
