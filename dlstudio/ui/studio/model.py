"""The Model panel: templates and torchvision architectures fitted to the chosen data, edited in
the ModelBuilder.

Picking a template (here or in the builder's own toolbar), importing an architecture or changing
the data set refits the graph's Input shape and output size with ``fit_to_data``; what cannot be
fitted stays a problem that the builder shows on the node. The page can only import from the
list of torchvision's architectures; any other module is imported from Python with
``import_module``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
from torch import nn

from dlstudio.graph import Graph, GraphError, examples, zoo
from dlstudio.graph.adapt import fit_to_data, freeze_all_but_head
from dlstudio.ui.builder import ModelBuilder

DataFit = tuple[tuple[int, ...], int, str]  # input shape, output size, input dtype


class StudioBuilder(ModelBuilder):
    """A ModelBuilder whose templates arrive already fitted to the Studio's data."""

    def __init__(self, graph: Graph | str | dict | None = None, **kwargs: Any) -> None:
        self.fit: DataFit | None = None
        super().__init__(graph, **kwargs)

    def fitted(self, graph: Graph) -> Graph:
        """``graph`` fitted to the current data (unchanged before any data is known)."""
        if self.fit is None:
            return graph
        shape, size, dtype = self.fit
        return fit_to_data(graph, shape, size, dtype)

    def _request_apply_template(self, request: Any) -> None:
        self.graph = self.fitted(examples.load(request["name"]))


def data_fit(bundle: Any) -> DataFit:
    """What a model for ``bundle`` must take and give."""
    return tuple(bundle.input_shape), int(bundle.output_size), bundle.input_dtype


class ModelPanel(w.VBox):
    """Template buttons above the builder; ``builder.graph`` is the model the Studio trains.

    Example:
        >>> panel = ModelPanel("mlp")
        >>> panel.set_data(((1, 8, 8), 10, "float"))
        >>> panel.builder.graph.infer_shapes()["output"]
        (None, 10)
    """

    children: tuple[w.Widget, ...]  # the VBox trait, declared for the type checker

    def __init__(self, template: str | None = "mlp", **kwargs: Any) -> None:
        described = {item["name"]: item for item in examples.describe()}
        self.templates = w.ToggleButtons(
            options=[(str(described[n].get("title", n)), n) for n in examples.names()],
            value=template,
            description="Template",
            tooltips=[str(described[n].get("description", "")) for n in examples.names()],
        )
        self.templates.add_class("dls-templates")
        self.builder = StudioBuilder(examples.load(template) if template else None)
        self.builder.layout.height = "560px"
        self.architecture = w.Dropdown(
            options=list(zoo.IMPORTABLE), value="resnet18", description="torchvision"
        )
        self.import_button = w.Button(
            description="Import",
            tooltip="The architecture as an editable graph with fresh weights, fitted to the data",
        )
        self.import_button.add_class("dls-import")
        self.head_only = w.Button(
            description="Train only the head",
            tooltip="Freeze every layer with weights except the one that gives the scores",
        )
        self.head_only.add_class("dls-head-only")
        self.train_all = w.Button(description="Train every layer", tooltip="Unfreeze all layers")
        self.train_all.add_class("dls-train-all")
        actions = w.HBox([self.architecture, self.import_button, self.head_only, self.train_all])
        actions.add_class("dls-model-actions")
        self.note = w.HTML()
        self.note.add_class("dls-model-note")
        # The builder joins the panel when its tab is first shown: React Flow measures its
        # container once, and a view drawn inside a hidden tab measures zero and shows nothing.
        super().__init__([self.templates, actions, self.note], **kwargs)
        self.add_class("dls-model-panel")
        self._quiet = False  # True while Python shows a saved model: no template is loaded
        self.templates.observe(self._template_changed, "value")
        self.import_button.on_click(lambda _: self._import_chosen())
        self.head_only.on_click(lambda _: self.freeze(head_only=True))
        self.train_all.on_click(lambda _: self.freeze(head_only=False))

    def show_builder(self) -> None:
        """Put the builder on the panel (call when the panel becomes visible)."""
        if self.builder not in self.children:
            self.children = (*self.children, self.builder)

    @property
    def graph(self) -> Graph:
        return self.builder.graph

    def set_data(self, fit: DataFit) -> None:
        """Refit the current model to new data: Input shape and output size."""
        self.builder.fit = fit
        self.builder.graph = self.builder.fitted(self.builder.graph)
        shape, size, dtype = fit
        kind = "token ids" if dtype == "long" else "inputs"
        self.note.value = (
            f"<small>Fitted to the data: {html.escape(kind)} of shape {shape}, {size} output(s). "
            "Edit any layer; problems show on the nodes.</small>"
        )

    def use_template(self, name: str) -> None:
        """Replace the model by the template ``name`` fitted to the data."""
        if self.templates.value != name:
            self.templates.value = name  # the observer loads it
        else:
            self.builder.graph = self.builder.fitted(examples.load(name))

    def import_architecture(self, arch: str) -> None:
        """Replace the model by torchvision's ``arch`` (fresh weights) fitted to the data.

        Example:
            >>> panel = ModelPanel("mlp")
            >>> panel.set_data(((3, 32, 32), 4, "float"))
            >>> panel.import_architecture("resnet18")
            >>> panel.graph.node("layer1.0").op, panel.graph.infer_shapes()["output"]
            ('BasicBlock', (None, 4))
        """
        self.show_template(None, self.builder.fitted(zoo.import_architecture(arch)))

    def import_module(self, module: nn.Module, example_input: Any) -> None:
        """Replace the model by any ``module``, traced on ``example_input`` (as
        ``ModelBuilder.from_module``); its own input shape and outputs are kept."""
        self.show_template(None, Graph.from_module(module, example_input))

    def freeze(self, *, head_only: bool) -> None:
        """Freeze every layer but the head (transfer learning), or unfreeze them all."""
        graph = self.builder.graph
        if head_only:
            graph = freeze_all_but_head(graph)
        else:
            for node in graph.nodes:
                node.frozen = False
        self.builder.graph = graph

    def _import_chosen(self) -> None:
        arch = self.architecture.value
        self.import_button.disabled = True
        self.note.value = f"<small>Importing {html.escape(arch)}...</small>"
        try:
            self.import_architecture(arch)
        except (GraphError, ValueError) as error:
            self.note.value = (
                f"<small>Could not import {html.escape(arch)}: {html.escape(str(error))}</small>"
            )
            return
        finally:
            self.import_button.disabled = False
        self.note.value = (
            f"<small>torchvision's {html.escape(arch)} with fresh weights, fitted to the data. "
            "Blocks open with Ungroup; give pretrained weights with a Pretrained node or from "
            "Python.</small>"
        )

    def show_template(self, name: str | None, graph: Graph) -> None:
        """Show ``graph`` as the model, with ``name`` as the highlighted template (a session
        load: the saved graph may have been edited after the template was picked)."""
        self._quiet = True
        try:
            self.templates.value = name if name in examples.names() else None
        finally:
            self._quiet = False
        self.builder.graph = graph

    def _template_changed(self, change: dict[str, Any]) -> None:
        if change["new"] and not self._quiet:
            self.builder.graph = self.builder.fitted(examples.load(change["new"]))
