"""The Callback base class: every place a callback can hook into the loop, as a typed no-op.

Hooks run in the training thread, in the order of ``Callback.order`` then the order given. A hook
steers the loop by raising :class:`~dlstudio.train.CancelStep`, :class:`~dlstudio.train.CancelEpoch`
or :class:`~dlstudio.train.CancelFit`; any other exception fails the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

HOOKS = (
    "on_fit_start",
    "on_epoch_start",
    "on_step_start",
    "on_after_backward",
    "on_step_end",
    "on_validation_end",
    "on_epoch_end",
    "on_pause",
    "on_resume",
    "on_exception",
    "on_fit_end",
)


class Callback:
    """Base class for training callbacks; override only the hooks you need.

    ``step_info`` holds ``step`` (1-based count of batches so far), ``epoch`` (0-based),
    ``batch`` (index within the epoch) and ``batch_size``; from ``on_after_backward`` on it also
    holds ``loss`` (float), ``lr`` and ``seconds`` (training time so far). The batch itself is
    ``trainer.batch`` (x, y) and the model's output ``trainer.output``.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, trainer, epoch_info):
        ...         print(epoch_info["epoch"], round(epoch_info["loss"], 3))
    """

    order: int = 0
    """Lower runs first; built-in guards use negative values, loggers positive ones."""

    def on_fit_start(self, trainer: Trainer) -> None:
        """A run starts or resumes (``trainer.step`` tells which)."""

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        """The loop enters an epoch; also when a run resumes in the middle of one."""

    def on_step_start(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        """A batch is on the device (``trainer.batch``); raise CancelStep to skip it."""

    def on_after_backward(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        """Gradients are ready and the loss is known; the optimizer has not stepped yet."""

    def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        """The optimizer stepped; ``step_info`` is the record just added to ``history.steps``."""

    def on_validation_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Validation finished; ``metrics`` holds ``val_loss`` and ``val_<metric>`` values."""

    def on_epoch_end(self, trainer: Trainer, epoch_info: dict[str, Any]) -> None:
        """An epoch ended; ``epoch_info`` is the record just added to ``history.epochs``."""

    def on_pause(self, trainer: Trainer) -> None:
        """The run paused between two steps."""

    def on_resume(self, trainer: Trainer) -> None:
        """A paused run continues."""

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """The run failed with ``error`` (``trainer.state == "failed"``)."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """A run ended, however it ended (``trainer.state`` says how)."""


class CallbackList:
    """Dispatches each hook to the callbacks that override it.

    Hooks nobody overrides cost nothing per step: ``callers[hook]`` (the bound methods to call,
    in order) is computed once.
    """

    def __init__(self, callbacks: Iterable[Callback]):
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"{cb!r} is not a Callback: subclass dlstudio.train.Callback and override "
                    "the hooks you need."
                )
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        self.callers: dict[str, list[Any]] = {
            hook: [
                getattr(cb, hook)
                for cb in self.callbacks
                if getattr(type(cb), hook) is not getattr(Callback, hook)
            ]
            for hook in HOOKS
        }

    def has(self, hook: str) -> bool:
        """Whether any callback overrides ``hook``."""
        return bool(self.callers[hook])

    def __call__(self, hook: str, *args: Any) -> None:
        for method in self.callers[hook]:
            method(*args)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)
