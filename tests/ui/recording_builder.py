"""A ModelBuilder for Python-side tests: requests arrive as the page sends them, replies are kept."""

from __future__ import annotations

from typing import Any

from dlstudio.ui import ModelBuilder


class RecordingBuilder(ModelBuilder):
    """A ModelBuilder that also keeps what it sends to the page: custom messages in ``sent``,
    trait updates (``{trait: value}``, one dict per message) in ``updates``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)

    def send(self, content: Any, buffers: Any = None) -> None:
        self.sent.append(content)
        super().send(content, buffers)

    def _send(self, msg: dict[str, Any], buffers: Any = None) -> None:
        if msg.get("method") == "update":
            self.updates.append(dict(msg["state"]))
        super()._send(msg, buffers)

    def request(self, **message: Any) -> dict[str, Any]:
        """Deliver a request as the page would and return Python's reply."""
        self._on_message(self, message, [])
        return self.sent[-1]

    def graphs_sent(self) -> list[dict[str, Any]]:
        """The graph documents sent to the page so far, each with the revision it went with."""
        return [
            {"graph": state["graph"], "revision": state.get("graph_revision")}
            for state in self.updates
            if "graph" in state
        ]
