"""A ModelBuilder for Python-side tests: requests arrive as the page sends them, replies are kept."""

from __future__ import annotations

from typing import Any

from dlstudio.ui import ModelBuilder, protocol

VIEW = "test-view"


class RecordingBuilder(ModelBuilder):
    """A ModelBuilder that also keeps what it sends to the page: custom messages in ``sent``,
    trait updates (``{trait: value}``, one dict per message) in ``updates``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self._edits = 0
        super().__init__(*args, **kwargs)

    def send(self, content: Any, buffers: Any = None) -> None:
        self.sent.append(content)
        super().send(content, buffers)

    def _send(self, msg: dict[str, Any], buffers: Any = None) -> None:
        if msg.get("method") == "update":
            self.updates.append(dict(msg["state"]))
        super()._send(msg, buffers)

    def request(self, **message: Any) -> dict[str, Any]:
        """Deliver a request as the page would and return Python's reply.

        The view defaults to ``VIEW``, and a request made on the document to the revision held
        now (a page that is up to date)."""
        self._deliver(message)
        return self.sent[-1]

    def edit(self, doc: dict[str, Any], **message: Any) -> dict[str, Any]:
        """Deliver ``doc`` as a page edit made on the graph held now; the answer it got."""
        self._edits += 1
        message.setdefault("id", self._edits)
        self._deliver({"type": "edit", "graph": doc, **message})
        return self.graph_revision

    def _deliver(self, message: dict[str, Any]) -> None:
        message.setdefault("view", VIEW)
        if message["type"] in protocol.GRAPH_REQUESTS:
            message.setdefault("base", self.graph_revision["number"])
        self._on_message(self, message, [])

    def graphs_sent(self) -> list[dict[str, Any]]:
        """The graph documents sent to the page so far."""
        return [state["graph"] for state in self.updates if "graph" in state]
