"""``Studio``: build, train and watch a model learn, in one widget.

Tabs: Data, Model, Train, Code, Inspect, Explain, Session, Export and Playground (made when
first opened: TensorFlow Playground's lessons on a small network of its own). The state lives in Python
objects and synced traits, so a reloaded page (while the kernel lives) draws the same Studio again.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import Any

import ipywidgets as w

from dlstudio.export import Exportable, ExportError, resolve, with_data
from dlstudio.export.script import training_script
from dlstudio.graph import Graph, GraphError
from dlstudio.session import DataSpec
from dlstudio.train.settings import TrainingSettings
from dlstudio.ui.export_panel import ExportPanel
from dlstudio.ui.studio.code import CodePanel
from dlstudio.ui.studio.data import DataPanel
from dlstudio.ui.studio.inspect_link import InspectLink
from dlstudio.ui.studio.model import ModelPanel, data_fit
from dlstudio.ui.studio.session import SessionPanel
from dlstudio.ui.studio.slots import explain_slot, inspect_slot
from dlstudio.ui.studio.train import TrainPanel

log = logging.getLogger(__name__)

DATA_DIR_ENV = "DLSTUDIO_DATA_DIR"
TABS = ("Data", "Model", "Train", "Code", "Inspect", "Explain", "Session", "Export", "Playground")
EXPORTS = "dlstudio-exports"  # the folder, inside the data folder, that the Export tab fills


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The allowed data folder: ``data_dir``, else ``$DLSTUDIO_DATA_DIR``, else the working
    directory. The page can pick files only inside it."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or os.getcwd()
    return Path(chosen).expanduser().resolve()


class Studio(w.VBox):
    """The whole dlstudio workflow in one widget: data, model, training, code, session.

    Example:
        >>> from dlstudio import Studio
        >>> studio = Studio()                     # digits and a small MLP, ready to train
        >>> studio.model.use_template("lenet5")   # fitted to 1x8x8 digits, 10 classes
        >>> trainer = studio.train.controls.train()  # what the Train button does
        >>> trainer.wait().epochs[-1]["val_accuracy"] > 0.5  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        data: str | DataSpec = "digits",
        template: str = "mlp",
        *,
        data_dir: str | os.PathLike | None = None,
        session_dir: str | os.PathLike | None = None,
        settings: TrainingSettings | None = None,
        **kwargs: Any,
    ) -> None:
        self.root = data_root(data_dir)
        spec = DataSpec("builtin", data) if isinstance(data, str) else data
        self.header = w.HTML()
        self.header.add_class("dls-studio-header")
        self.data = DataPanel(self.root, spec)
        self.model = ModelPanel(template)
        self.train = TrainPanel(self._for_training, settings, on_settings=self._update_script)
        self.code = CodePanel()
        # Badges on the builder's nodes during training; a clicked node is shown in Inspect.
        self.inspection = InspectLink(self.model.builder)
        self.train.on_trainer(self.inspection.attach)
        self.inspect = inspect_slot(self.inspection)
        self.explain = explain_slot()
        sessions = Path(session_dir).expanduser().resolve() if session_dir else self.root
        self.session = SessionPanel(self, sessions / "dlstudio-sessions")
        self.export = ExportPanel(self._for_export, self.root / EXPORTS)
        self.playground_tab = w.VBox()
        self.playground: Any = None
        self.tabs = w.Tab(
            [self.data, self.model, self.train, self.code, self.inspect, self.explain,
             self.session, self.export, self.playground_tab],
            titles=TABS,
        )  # fmt: skip
        super().__init__([self.header, self.tabs], **kwargs)
        self.add_class("dls-studio")
        self._data_changed()
        self.data.observe(lambda _: self._data_changed(), "bundle")
        self.model.builder.on_change(lambda _graph: self._model_changed())
        self.tabs.observe(self._tab_changed, "selected_index")

    @classmethod
    def for_csv(cls, path: str | os.PathLike, **kwargs: Any) -> Studio:
        """A Studio on the Data tab with the CSV file ``path`` chosen, asking for the column to
        predict. The data folder is the file's folder; with ``data_dir``, ``path`` is inside
        that folder.

        Example:
            >>> studio = Studio.for_csv("houses.csv")  # doctest: +SKIP
            >>> studio.data.csv_target.options  # the file's columns  # doctest: +SKIP
        """
        name = os.fspath(path)
        if kwargs.get("data_dir") is None:
            file = Path(name).expanduser().resolve()
            kwargs["data_dir"], name = file.parent, file.name
        studio = cls(**kwargs)
        studio.data.offer_csv(name)
        studio.tabs.selected_index = 0
        return studio

    # -- what the panels share --------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        """The model on screen (a copy)."""
        return self.model.graph

    @property
    def trainer(self) -> Any:
        """The trainer of the last or current run (None before the first Train)."""
        return self.train.trainer

    def _for_training(self) -> tuple[Graph, Any]:
        if self.data.bundle is None:
            raise ValueError("Choose a data set first (Data tab).")
        return self.model.graph, self.data.bundle

    def _for_export(self) -> Exportable:
        """The trained model (or the untrained one) with the data and settings on screen."""
        bundle, trainer, settings = self.data.bundle, self.trainer, self.train.settings()
        if bundle is None:
            raise ExportError("Choose a data set first (Data tab).")
        if trainer is not None and trainer.state == "running":
            raise ExportError("The model is training: pause or stop it first (Train tab).")
        if trainer is not None and trainer.step:
            item = resolve(trainer)
        else:
            item = with_data(resolve(self.graph), bundle, settings.batch_size, settings.seed)
        item.data, item.settings, item.data_dir = self.data.spec, settings, self.root
        return item

    def script(self) -> str:
        """The complete training script for what is on screen (the Code tab shows it).

        Raises GraphError while the model has problems.
        """
        bundle, spec = self.data.bundle, self.data.spec
        if spec is None:
            raise ValueError("Choose a data set first (Data tab).")
        return training_script(
            self.model.graph,
            spec,
            self.train.settings(),
            data_dir=self.root,
            task=bundle.task,
            num_classes=bundle.num_classes,
        )

    def restore(
        self,
        spec: DataSpec,
        settings: TrainingSettings,
        graph: Graph,
        template: str | None,
        bundle: Any = None,
    ) -> None:
        """Show a saved state: data, settings and model (what loading a session does);
        ``bundle`` is the data when it is loaded already."""
        self.data.select(spec, bundle)
        self.train.apply(settings)
        self.model.show_template(template, graph)

    # -- keeping the panels in step -----------------------------------------------------------

    def _data_changed(self) -> None:
        bundle = self.data.bundle
        if bundle is None:
            return
        self.model.set_data(data_fit(bundle))
        self._model_changed()

    def _model_changed(self) -> None:
        self.train.forget(self.data.bundle)
        self.inspection.clear()
        self.code.show_model(self.model.graph)
        self._update_script()
        self._update_header()

    def _update_script(self) -> None:
        try:
            source, problem = self.script(), None
        except GraphError as error:
            source, problem = None, f"The model has problems; fix them first:\n{error}"
        except (ValueError, TypeError) as error:
            source, problem = None, f"No training script yet: {error}"
        self.code.script_maker = self._framework_script
        self.code.show_script(source, problem)

    def _framework_script(self, framework: str) -> str:
        """The training script of what is on screen in Keras or Flax (digits only)."""
        from dlstudio.frameworks.scripts import flax_script, keras_script

        make = keras_script if framework == "keras" else flax_script
        return make(self.model.graph, self.train.settings(), data=self.data.spec)

    def _update_header(self) -> None:
        bundle, graph = self.data.bundle, self.model.graph
        analysis = graph.analyze()
        model = (
            f"{len(graph.nodes)} layers, {analysis.param_count:,} parameters"
            if analysis.ok
            else f"{len(analysis.problems)} problem(s) to fix in the Model tab"
        )
        data = f"{bundle.name} ({len(bundle.train):,} training samples)" if bundle else "no data"
        self.header.value = (
            '<div style="display:flex;gap:16px;align-items:baseline">'
            '<span style="font-size:18px;font-weight:600">dlstudio Studio</span>'
            f"<span>Data: <b>{html.escape(data)}</b></span>"
            f"<span>Model: <b>{html.escape(model)}</b></span></div>"
        )

    def _tab_changed(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index is None:
            return
        name = TABS[index]
        if name == "Model":
            self.model.show_builder()
        elif name == "Train":
            self.train.show()
        elif name == "Inspect":
            self.inspect.fill(self.trainer)
        elif name == "Explain":
            self.explain.fill(self.trainer)
        elif name == "Session":
            self.session.refresh()
        elif name == "Playground":
            self._show_playground()

    def _show_playground(self) -> None:
        if self.playground is None:
            from dlstudio.ui.playground import Playground

            self.playground = Playground(on_open_builder=self._open_in_builder)
            self.playground_tab.children = (self.playground,)

    def _open_in_builder(self, graph: Graph) -> None:
        """The Playground's network as the model (the Model tab says what does not fit the data)."""
        self.model.show_template(None, graph)
        self.tabs.selected_index = TABS.index("Model")
