"""The Model panel: templates fitted to the chosen data, edited in the ModelBuilder.

Picking a template (here or in the builder's own toolbar) or changing the data set refits the
graph's Input shape and output size with ``fit_to_data``; what cannot be fitted stays a problem
that the builder shows on the node.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from dlstudio.graph import Graph, examples
from dlstudio.graph.adapt import fit_to_data
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
        self.note = w.HTML()
        self.note.add_class("dls-model-note")
        # The builder joins the panel when its tab is first shown: React Flow measures its
        # container once, and a view drawn inside a hidden tab measures zero and shows nothing.
        super().__init__([self.templates, self.note], **kwargs)
        self.add_class("dls-model-panel")
        self._quiet = False  # True while Python shows a saved model: no template is loaded
        self.templates.observe(self._template_changed, "value")

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
