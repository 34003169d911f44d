"""Problems found in a graph, and the error that carries all of them at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph, said for a learner.

    ``fix`` is a change the editor can apply in one click: ``{"node_id": id, "params": {...}}``
    where a ``None`` value removes the parameter so it is inferred again.

    Example:
        >>> Problem("fc1", "Linear 'fc1' has no input.", "Connect a layer to it.").to_dict()["node_id"]
        'fc1'
    """

    node_id: str | None
    message: str
    hint: str | None = None
    fix: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "message": self.message,
            "hint": self.hint,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class GraphError(ValueError):
    """A graph that cannot work; ``problems`` lists every reason, each tied to a node.

    Example:
        >>> err = GraphError([Problem(None, "The graph has no Output node.")])
        >>> err.problems[0].message
        'The graph has no Output node.'
    """

    def __init__(
        self, problems: list[Problem], shapes: dict[str, tuple[int | None, ...]] | None = None
    ):
        self.problems = list(problems)
        self.shapes = dict(shapes or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"The graph has {len(self.problems)} problems:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class ShapeFailure(Exception):
    """Raised inside a shape rule; turned into a Problem on the failing node."""

    def __init__(self, message: str, hint: str | None = None, fix: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fix = fix
