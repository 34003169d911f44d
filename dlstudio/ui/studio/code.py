"""The Code panel: the model's PyTorch code and a complete training script, each with a Copy
and a Download button.

Example:
    >>> view = CodeView(title="Model", code="import torch\\n", filename="model.py")
    >>> view.code
    'import torch\\n'
"""

from __future__ import annotations

from typing import Any

import ipywidgets
import traitlets

from dlstudio.graph import Graph, GraphError
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


def _commented(message: str) -> str:
    return "".join(f"# {line}\n" for line in message.splitlines())


class CodePanel(ipywidgets.VBox):
    """Model code and training script, recomputed from what the Studio currently shows.

    ``update(graph, script_source)`` is called by the Studio; either may carry an error
    instead, shown as a comment that says what to fix.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.model_view = CodeView(title="Model code (PyTorch)", filename="model.py")
        self.script_view = CodeView(
            title="Training script: run it with python train.py", filename="train.py"
        )
        self.model_view.add_class("dls-model-code")
        self.script_view.add_class("dls-script-code")
        super().__init__([self.model_view, self.script_view], **kwargs)

    def show_model(self, graph: Graph) -> None:
        """Show ``graph``'s generated code, or why there is none yet."""
        try:
            self.model_view.code = graph.to_code()
        except GraphError as error:
            self.model_view.code = _commented(f"The model has problems; fix them first:\n{error}")

    def show_script(self, source: str | None, problem: str | None = None) -> None:
        """Show a training script, or a comment saying why it cannot be written."""
        self.script_view.code = source if source is not None else _commented(problem or "")
