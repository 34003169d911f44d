"""Inspect and Explain: slots that show their panel once the widget exists and a model does.

The panels come from other parts of dlstudio (``dlstudio.ui.inspector``,
``dlstudio.ui.attribution``); a slot imports its panel only when its tab is opened, so the
Studio starts without them and works where they are missing.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

import ipywidgets as w

if TYPE_CHECKING:
    from dlstudio.ui.studio.inspect_link import InspectLink

log = logging.getLogger(__name__)

Maker = Callable[[type, Any], Any]  # (panel class, trainer) -> widget


class PanelSlot(w.VBox):
    """A tab whose content is ``module.class_name`` built for the current trainer.

    Example:
        >>> slot = PanelSlot("Inspect", "dlstudio.ui.inspector", "TensorInspector",
        ...                  lambda cls, t: cls(t.model, t.batch))
        >>> slot.fill(None)  # no trainer yet: a sentence says what to do
    """

    def __init__(self, title: str, module: str, class_name: str, make: Maker, **kwargs: Any):
        self.title, self.module, self.class_name, self.make = title, module, class_name, make
        self.message = w.HTML()
        self._for: Any = None
        super().__init__([self.message], **kwargs)
        self.add_class(f"dls-slot-{title.lower()}")
        self.fill(None)

    def available(self) -> bool:
        """Whether the panel's module is installed (found without importing it: the
        attribution panel pulls in Captum, which the Studio's start should not wait for)."""
        try:
            return find_spec(self.module) is not None
        except ImportError:
            return False

    def panel_class(self) -> type | None:
        """The panel's class, or None while that part of dlstudio is not installed."""
        try:
            return getattr(import_module(self.module), self.class_name)
        except (ImportError, AttributeError):
            return None

    def fill(self, trainer: Any) -> None:
        """Show the panel for ``trainer`` (once per trainer), or say why it cannot be shown."""
        missing = f"{self.title} needs {self.module}.{self.class_name}, not installed here."
        if not self.available():
            self._say(missing)
            return
        if trainer is None or not trainer.step:
            self._say(
                f"Train the model (Train tab) for a few steps, then come back to {self.title}."
            )
            return
        if trainer is self._for:
            return
        cls = self.panel_class()
        if cls is None:
            self._say(missing)
            return
        try:
            panel = self.make(cls, trainer)
        except Exception as error:  # a broken panel must not break the Studio
            log.exception("dlstudio: the %s panel failed", self.title)
            self._say(f"{self.title} could not start: {error}")
            return
        self._for = trainer
        self.children = [panel]

    def _say(self, text: str) -> None:
        self._for = None
        self.message.value = f"<i>{html.escape(text)}</i>"
        self.children = [self.message]


def inspect_slot(link: InspectLink | None = None) -> PanelSlot:
    """The Inspect tab: activations and gradients of one batch (``TensorInspector``).

    With ``link`` the inspector follows the trainer's InspectionCallback and shows the node
    selected in the builder, under a line that names it.
    """

    def make(cls: type, trainer: Any) -> Any:
        batch = trainer.batch
        if batch is None:
            x, y = next(iter(trainer.data.loaders(batch_size=16)[1]))
            batch = (x, y)
        callback = link.callback_for(trainer) if link is not None else None
        inspector = cls(
            trainer.model, batch, graph=trainer.graph, callback=callback, lock=trainer.lock
        )
        if link is None:
            return inspector
        link.show(inspector)
        return w.VBox([link.note, inspector])

    return PanelSlot("Inspect", "dlstudio.ui.inspector", "TensorInspector", make)


def explain_slot() -> PanelSlot:
    """The Explain tab: attributions of the model's predictions (``AttributionPanel``)."""

    def make(cls: type, trainer: Any) -> Any:
        data = trainer.data
        return cls(
            trainer.model,
            data,
            graph=trainer.graph,
            classes=list(data.classes) or None,
            feature_names=data.feature_names,
            lock=trainer.lock,
        )

    return PanelSlot("Explain", "dlstudio.ui.attribution", "AttributionPanel", make)
