"""Which traits of dlstudio's widgets the page may write.

The page draws the kernel's state and changes only what a person changes by hand there (the
builder's selection, the loss plot's log-scale box and smoothing slider). A state update of any
other trait can come only from a hand-made message; it is refused, and the kernel's own value is
sent back so the page draws it again. Edits to the model go through the builder's checked
requests, never through its state.

Example:
    >>> import ipywidgets, traitlets
    >>> class Counter(PageWritable, ipywidgets.Widget):
    ...     page_writable = frozenset({"clicks"})
    ...     clicks = traitlets.Int(0).tag(sync=True)
    ...     total = traitlets.Int(7).tag(sync=True)
    >>> counter = Counter()
    >>> counter.set_state({"clicks": 2, "total": -1})
    >>> counter.clicks, counter.total
    (2, 7)
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class PageWritable:
    """Mixin for an ipywidgets Widget: only ``page_writable`` traits take the page's updates."""

    page_writable: ClassVar[frozenset[str]] = frozenset()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        taken = {key: value for key, value in sync_data.items() if key in self.page_writable}
        refused = [key for key in sync_data if key not in self.page_writable]
        if taken:
            super().set_state(taken)  # type: ignore[misc]
        if refused:
            log.warning("Refused a page update of %s (kept the kernel's values)", refused)
            self.send_state(refused)  # type: ignore[attr-defined]
