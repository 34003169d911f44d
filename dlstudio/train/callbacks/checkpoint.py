"""Checkpoint: save the trainer to a folder every few epochs, or whenever a number improves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.callbacks.early_stopping import Improvement

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class Checkpoint(Callback):
    """Save with ``trainer.save(directory)`` after every ``every`` epochs, or, with ``monitor``,
    only after epochs that improve it. ``Trainer.load(directory, data)`` continues from there.

    Example:
        >>> Checkpoint("runs/best", monitor="val_accuracy").improvement.mode
        'max'
    """

    order = 20

    def __init__(
        self, directory: str | Path, monitor: str | None = None, mode: str = "auto", every: int = 1
    ):
        self.directory = Path(directory)
        self.every = max(1, int(every))
        self.improvement = Improvement(monitor, mode) if monitor else None
        self.saved_epochs: list[int] = []

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        if self.improvement is not None:
            if not self.improvement.update(self.improvement.value(epoch_info)):
                return
        elif (epoch_info["epoch"] + 1) % self.every:
            return
        trainer.save(self.directory)
        self.saved_epochs.append(epoch_info["epoch"])
