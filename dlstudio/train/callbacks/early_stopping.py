"""EarlyStopping: finish the run when a validation number stops improving."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.errors import CancelFit
from dlstudio.train.history import minimise

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class Improvement:
    """Tracks the best value of a history key; ``mode`` "auto" minimises losses and errors."""

    def __init__(self, monitor: str, mode: str = "auto", min_delta: float = 0.0):
        if mode == "auto":
            mode = "min" if minimise(monitor) else "max"
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min', 'max' or 'auto', not {mode!r}.")
        self.monitor, self.mode, self.min_delta = monitor, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, record: dict[str, Any]) -> float:
        if self.monitor not in record:
            known = ", ".join(k for k in record if k not in ("epoch", "seconds", "epoch_seconds"))
            raise KeyError(f"Cannot monitor {self.monitor!r}: the epoch records hold {known}.")
        return float(record[self.monitor])

    def update(self, value: float) -> bool:
        """Record ``value``; True if it beats the best so far by more than ``min_delta``."""
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """End training (state "finished") after ``patience`` epochs without improvement of
    ``monitor``; with ``restore_best`` the model gets the best epoch's weights back.

    Example:
        >>> stopper = EarlyStopping(monitor="val_loss", patience=3)
        >>> stopper.improvement.mode
        'min'
    """

    order = 10

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 3,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        self.improvement = Improvement(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best = restore_best
        self.waited = 0
        self.best_epoch: int | None = None
        self._best_weights: dict[str, Any] | None = None

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        if self.improvement.update(self.improvement.value(epoch_info)):
            self.waited = 0
            self.best_epoch = epoch_info["epoch"]
            if self.restore_best:
                self._best_weights = {
                    k: v.detach().clone() for k, v in trainer.model.state_dict().items()
                }
            return
        self.waited += 1
        if self.waited < self.patience:
            return
        if self.restore_best and self._best_weights is not None:
            trainer.model.load_state_dict(self._best_weights)
        monitor = self.improvement.monitor
        raise CancelFit(
            f"early stopping: {monitor} did not improve for {self.patience} epochs "
            f"(best {self.improvement.best:.4g} at epoch {self.best_epoch})",
            finished=True,
        )
