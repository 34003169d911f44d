"""Between the Studio's builder, its trainers and the Inspect panel.

Each trainer the Train panel makes gets one ``InspectionCallback``; its captures become
health badges on the builder's nodes (at most twice a second), and a node the learner clicks
in the builder is the layer the Inspect panel shows.
"""

from __future__ import annotations

import html
import threading
import time
import weakref
from typing import Any

import ipywidgets as w

from dlstudio.inspect import InspectionCallback, diagnoses_by_node

EVERY = 50  # steps between captures, at the least
# And at most this share of the training time: a capture of LeNet-5 costs about as much as two
# of its steps on digits, so every 50 steps alone cost 5 % (benchmarks/bench_app.py). At 0.5 %
# the badges still change every second or two, which is as often as a learner can read them.
BUDGET = 0.005
MIN_INTERVAL = 0.5  # seconds between two health updates sent to the page
HINT = "Click a layer in the Model tab's builder to show it here."


class InspectLink:
    """Health badges and node selection for a Studio's ``builder``.

    Example:
        >>> link = InspectLink(studio.model.builder)  # doctest: +SKIP
        >>> link.attach(trainer)  # before trainer.start(): badges follow its captures  # doctest: +SKIP
        >>> link.show(inspector)  # a node clicked in the builder is shown there  # doctest: +SKIP
    """

    def __init__(self, builder: Any, every: int = EVERY, min_interval: float = MIN_INTERVAL):
        self.builder = builder
        self.every = every
        self.min_interval = min_interval
        self.note = w.HTML(f"<i>{HINT}</i>")
        self.note.add_class("dls-inspect-node")
        self.inspector: Any = None
        self._callbacks: weakref.WeakKeyDictionary[Any, InspectionCallback] = (
            weakref.WeakKeyDictionary()
        )
        self._current: InspectionCallback | None = None
        self._lock = threading.Lock()
        self._last_push = 0.0
        self._timer: threading.Timer | None = None
        builder.observe(self._selection_changed, "selection")

    # -- trainers and badges ------------------------------------------------------------------

    def attach(self, trainer: Any) -> InspectionCallback:
        """Give ``trainer`` its InspectionCallback (once); its captures update the badges."""
        callback = self._callbacks.get(trainer)
        if callback is None:
            callback = InspectionCallback(every=self.every, budget=BUDGET)
            callback.on_capture(lambda _report: self._captured(callback))
            trainer.add_callback(callback)
            self._callbacks[trainer] = callback
        self._current = callback
        return callback

    def callback_for(self, trainer: Any) -> InspectionCallback | None:
        """The InspectionCallback attached to ``trainer``, if any."""
        return self._callbacks.get(trainer)

    def clear(self) -> None:
        """The model changed: no trainer's badges, nor its inspector, apply any more."""
        with self._lock:
            self._current = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.inspector = None
        self.note.value = f"<i>{HINT}</i>"
        self.builder.set_health({})

    def push(self, callback: InspectionCallback | None = None) -> None:
        """Send ``callback``'s (default: the current one's) health to the builder now."""
        callback = callback or self._current
        if callback is None or callback is not self._current or callback.graph is None:
            return
        graph = callback.graph
        notes = {
            node: " ".join(d.message for d in found)
            for node, found in diagnoses_by_node(callback.diagnoses, graph).items()
        }
        self.builder.set_health(callback.health(graph), notes)

    def _captured(self, callback: InspectionCallback) -> None:
        # Called in the training thread after each capture; the newest always arrives, at most
        # one update per ``min_interval`` (a later capture replaces a waiting one).
        with self._lock:
            if callback is not self._current:
                return
            wait = self._last_push + self.min_interval - time.monotonic()
            if wait > 0:
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._delayed)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._last_push = time.monotonic()
        self.push(callback)

    def _delayed(self) -> None:
        with self._lock:
            self._timer = None
            self._last_push = time.monotonic()
        self.push()

    # -- the Inspect panel ---------------------------------------------------------------------

    def show(self, inspector: Any) -> None:
        """Follow ``inspector`` from now on, starting with the node selected in the builder."""
        self.inspector = inspector
        inspector.on_select(self._shown)
        if not self._select(self.builder.selection):
            self._shown(inspector.selected)

    def _selection_changed(self, change: dict[str, Any]) -> None:
        self._select(change["new"])

    def _select(self, selection: list[str]) -> bool:
        if self.inspector is None or len(selection) != 1:
            return False
        node = selection[0]
        try:
            self.inspector.select(node)
        except KeyError:
            self.note.value = (
                f"<i>Node <b>{html.escape(node)}</b> has nothing to inspect (Input, Output, "
                "merge and reshaping nodes have no statistics of their own); click a layer "
                "node such as a Linear or a convolution.</i>"
            )
            return False
        return True

    def _shown(self, layer: str | None) -> None:
        if layer is None or self.inspector is None:
            return
        node = self.inspector.node_of_layer.get(layer)
        what = (
            f"node <b>{html.escape(node)}</b> (layer <code>{html.escape(layer)}</code>)"
            if node
            else f"layer <code>{html.escape(layer)}</code>"
        )
        self.note.value = f"Showing {what}. <small>{HINT}</small>"
