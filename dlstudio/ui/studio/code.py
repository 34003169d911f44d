"""The Code panel: the model's code in PyTorch, Keras 3 or Flax NNX (a switch), side by side
with another framework's and the differences marked, and a complete training script; each
view with a Copy and a Download button.

Example:
    >>> view = CodeView(title="Model", code="import torch\\n", filename="model.py")
    >>> view.code
    'import torch\\n'
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets
import traitlets

from dlstudio.graph import Graph, GraphError
from dlstudio.graph.frameworks.compare import NAMES, compare, model_code
from dlstudio.ui._bundle import BundledWidget


class CodeView(BundledWidget):
    """Read-only code, highlighted, with Copy (to the clipboard) and Download buttons.

    The same view as the ModelBuilder's code panel (``widgets/src/code``), from the same
    bundle. The page never sends anything back: the buttons act in the browser only.
    """

    bundle_name = "builder"
    _kind = traitlets.Unicode("code").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    code = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("code.py").tag(sync=True)
    copy_label = traitlets.Unicode("Copy").tag(sync=True)
    marks = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    """Lines to mark, ``{"<0-based line>": "<label>"}`` (a comparison's difference numbers)."""


def _commented(message: str) -> str:
    return "".join(f"# {line}\n" for line in message.splitlines())


_CHOICES = [(name, key) for key, name in NAMES.items()]
_TITLES = {"pytorch": "PyTorch", "keras": "Keras 3", "flax": "Flax NNX"}


class CodePanel(ipywidgets.VBox):
    """Model code (in the framework chosen, alone or beside another) and training script,
    recomputed from what the Studio currently shows.

    ``show_model(graph)`` and ``show_script(source)`` are called by the Studio; either may carry
    an error instead, shown as a comment that says what to fix.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.framework = ipywidgets.ToggleButtons(
            options=_CHOICES, value="pytorch", description="Code in"
        )
        self.side_by_side = ipywidgets.Checkbox(
            False, description="Side by side with", indent=False
        )
        self.other = ipywidgets.Dropdown(options=_CHOICES, value="keras", layout={"width": "9em"})
        self.model_view = CodeView(title="Model code (PyTorch)", filename="model.py")
        self.other_view = CodeView()
        self.differences = ipywidgets.HTML()
        self.script_view = CodeView(
            title="Training script: run it with python train.py", filename="train.py"
        )
        for widget, name in ((self.framework, "framework"), (self.side_by_side, "side-by-side"),
                             (self.other, "other-framework"), (self.model_view, "model-code"),
                             (self.other_view, "other-code"), (self.differences, "differences"),
                             (self.script_view, "script-code")):  # fmt: skip
            widget.add_class(f"dls-{name}")
        for view in (self.model_view, self.other_view):  # side by side: half the width each
            view.layout = ipywidgets.Layout(flex="1 1 0", min_width="0")
        self.codes = ipywidgets.HBox([self.model_view], layout={"width": "100%"})
        self._graph: Graph | None = None
        self._pytorch_script = ""
        self.script_maker: Callable[[str], str] | None = None
        """The training script in another framework ("keras", "flax"), set by the Studio."""
        controls = ipywidgets.HBox([self.framework, self.side_by_side, self.other])
        super().__init__([controls, self.codes, self.differences, self.script_view], **kwargs)
        for control in (self.framework, self.side_by_side, self.other):
            control.observe(lambda _change: self._draw(), "value")
        self.framework.observe(lambda _change: self._draw_script(), "value")

    def show_model(self, graph: Graph) -> None:
        """Show ``graph``'s generated code, or why there is none yet."""
        self._graph = graph
        self._draw()

    def _draw(self) -> None:
        chosen = self._chosen(self.framework, "pytorch")
        title = f"Model code ({_TITLES[chosen]})"
        suffix = "" if chosen == "pytorch" else f"_{chosen}"
        self.model_view.title, self.model_view.filename = title, f"model{suffix}.py"
        comparing = bool(self.side_by_side.value)
        self.codes.children = [self.model_view, self.other_view] if comparing else [self.model_view]
        if self._graph is None:
            return
        try:
            if comparing:
                self._show_comparison(self._graph, chosen, self._chosen(self.other, "keras"))
            else:
                self.model_view.code = model_code(self._graph, chosen)
                self.model_view.marks = {}
                self.differences.value = ""
        except GraphError as error:
            self.model_view.code = _commented(f"The model has problems; fix them first:\n{error}")
            self.model_view.marks = {}
            self.other_view.code, self.differences.value = "", ""

    def _show_comparison(self, graph: Graph, left: str, right: str) -> None:
        comparison = compare(graph, left, right)
        self.model_view.code, self.model_view.marks = comparison.left_code, comparison.marks("left")
        other_suffix = "" if right == "pytorch" else f"_{right}"
        self.other_view.title = f"Model code ({_TITLES[right]})"
        self.other_view.filename = f"model{other_suffix}.py"
        self.other_view.code, self.other_view.marks = (
            comparison.right_code,
            comparison.marks("right"),
        )
        items = "".join(
            f"<li value='{d.number}'><b>{html.escape(d.title)}</b>: {html.escape(d.explanation)}</li>"
            for d in comparison.differences
        )
        self.differences.value = f"<ol class='dls-differences-list'>{items}</ol>"

    def show_script(self, source: str | None, problem: str | None = None) -> None:
        """Show a training script, or a comment saying why it cannot be written."""
        self._pytorch_script = source if source is not None else _commented(problem or "")
        self._draw_script()

    @staticmethod
    def _chosen(control: ipywidgets.ToggleButtons | ipywidgets.Dropdown, default: str) -> str:
        """The framework a control names; a page that unset it (index None) gets ``default``."""
        value = control.value
        return value if isinstance(value, str) and value in NAMES else default

    def _draw_script(self) -> None:
        chosen = self._chosen(self.framework, "pytorch")
        if chosen == "pytorch" or self.script_maker is None:
            title, filename, code = (
                "Training script: run it with python train.py",
                "train.py",
                self._pytorch_script,
            )
        else:
            filename = f"train_{chosen}.py"
            run = (
                f"KERAS_BACKEND=torch python {filename}"
                if chosen == "keras"
                else f"python {filename}"
            )
            title = f"Training script ({_TITLES[chosen]}): run it with {run}"
            try:
                code = self.script_maker(chosen)
            except (GraphError, ValueError, TypeError) as error:
                code = _commented(f"No {_TITLES[chosen]} training script for this: {error}")
        self.script_view.title, self.script_view.filename, self.script_view.code = (
            title,
            filename,
            code,
        )
