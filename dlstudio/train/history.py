"""The record of a run: one dict per step and one per epoch, plain JSON all the way down."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class History:
    """What happened so far.

    ``steps``: ``{"step", "epoch", "loss", "lr", "seconds", "batch_size"}`` per batch.
    ``epochs``: ``{"epoch", "loss", "val_loss", "val_<metric>"..., "lr", "seconds",
    "epoch_seconds"}`` per epoch; ``loss`` is the mean training loss of the epoch and
    ``seconds`` the training time since the first step (pauses excluded).

    Example:
        >>> h = History(epochs=[{"epoch": 0, "val_loss": 0.5}, {"epoch": 1, "val_loss": 0.4}])
        >>> h.best("val_loss")["epoch"]
        1
    """

    steps: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    def best(self, key: str = "val_loss", mode: str = "auto") -> dict[str, Any] | None:
        """The epoch record with the best ``key`` (lowest for losses and errors, else highest)."""
        records = [e for e in self.epochs if _is_number(e.get(key))]
        if not records:
            return None
        if mode == "auto":
            mode = "min" if minimise(key) else "max"
        pick = min if mode == "min" else max
        return pick(records, key=lambda e: e[key])

    def to_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "epochs": self.epochs}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(list(data.get("steps", [])), list(data.get("epochs", [])))

    def __len__(self) -> int:
        return len(self.epochs)


def minimise(key: str) -> bool:
    """Whether smaller is better for a history key (losses and errors)."""
    return "loss" in key or key.endswith(("mae", "mse", "error"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not math.isnan(value)
