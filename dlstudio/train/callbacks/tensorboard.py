"""TensorBoardLogger: write TensorBoard event files (torch.utils.tensorboard)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudio.train.callbacks.base import Callback

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class TensorBoardLogger(Callback):
    """Log the training loss and learning rate every ``every`` steps, and each epoch's record,
    to ``log_dir``; view with ``tensorboard --logdir runs``.

    Example:
        >>> logger = TensorBoardLogger("runs/digits", every=10)
        >>> logger.log_dir.name
        'digits'
    """

    order = 30

    def __init__(self, log_dir: str | Path = "runs", every: int = 1):
        self.log_dir = Path(log_dir)
        self.every = max(1, int(every))
        self.writer: Any = None

    def on_fit_start(self, trainer: Trainer) -> None:
        # Imported here: tensorboard takes a second to import and most runs never need it.
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(self.log_dir))

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        step = step_info["step"]
        if step % self.every == 0:
            self.writer.add_scalar("train/loss", step_info["loss"], step)
            self.writer.add_scalar("train/lr", step_info["lr"], step)

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        for key, value in epoch_info.items():
            if key in ("epoch", "seconds", "epoch_seconds", "lr"):
                continue
            # Per-epoch training numbers get their own tags, apart from the per-step curves.
            tag = f"val/{key[4:]}" if key.startswith("val_") else f"train/epoch_{key}"
            self.writer.add_scalar(tag, value, trainer.step)
        self.writer.add_scalar("epoch", epoch_info["epoch"], trainer.step)

    def on_fit_end(self, trainer: Trainer) -> None:
        # Closed at the end of each run; a resumed run opens a new event file in the same
        # folder, and TensorBoard merges them.
        if self.writer is not None:
            self.writer.close()
            self.writer = None
