"""A ModelBuilder for Python-side tests: requests arrive as the page sends them, replies are kept."""

from __future__ import annotations

from typing import Any

from dlstudio.ui import ModelBuilder


class RecordingBuilder(ModelBuilder):
    """A ModelBuilder that also keeps the custom messages it sends to the page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)

    def send(self, content: Any, buffers: Any = None) -> None:
        self.sent.append(content)
        super().send(content, buffers)

    def request(self, **message: Any) -> dict[str, Any]:
        """Deliver a request as the page would and return Python's reply."""
        self._on_message(self, message, [])
        return self.sent[-1]
