"""The learning-rate finder (fastai style): raise the rate each batch until the loss explodes.

The sweep trains a throw-away copy of the optimizer on the real model, then puts the weights and
random state back, so ``find_lr()`` can run before ``fit()`` without changing its outcome.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from dlstudio.train.optim import make_optimizer, trainable_parameters

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

_SMOOTHING = 0.98  # exponential moving average of the loss, debiased as in fastai
_EXPLODED = 4.0  # stop once the smoothed loss is this many times its best value


@dataclass
class LRFinderResult:
    """The sweep: learning rates tried, smoothed losses, and the suggested rate.

    ``suggestion`` is a tenth of the rate at the lowest loss (safely before the blow-up);
    ``steepest`` is where the loss fell fastest.

    Example:
        >>> r = LRFinderResult([1e-3, 1e-2, 1e-1], [1.0, 0.5, 2.0])
        >>> round(r.suggestion, 6)
        0.001
    """

    lrs: list[float]
    losses: list[float]
    suggestion: float = field(init=False)
    steepest: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.losses:
            self.suggestion = self.steepest = math.nan
            return
        best = min(range(len(self.losses)), key=self.losses.__getitem__)
        self.suggestion = self.lrs[best] / 10
        slopes = [
            (self.losses[i + 1] - self.losses[i])
            / (math.log(self.lrs[i + 1]) - math.log(self.lrs[i]))
            for i in range(max(best, 1))
            if i + 1 < len(self.losses)
        ]
        self.steepest = (
            self.lrs[min(range(len(slopes)), key=slopes.__getitem__)] if slopes else self.suggestion
        )


def find_lr(trainer: Trainer, start_lr: float, end_lr: float, num_steps: int) -> LRFinderResult:
    """Run the sweep on ``trainer``'s model and training batches (see the module docstring)."""
    if not 0 < start_lr < end_lr:
        raise ValueError("find_lr needs 0 < start_lr < end_lr.")
    model = trainer.model
    saved_weights = copy.deepcopy(model.state_dict())
    saved_rng = torch.get_rng_state()
    optimizer = make_optimizer(trainer.config["optimizer"], trainable_parameters(model), start_lr)
    factor = (end_lr / start_lr) ** (1 / max(num_steps - 1, 1))
    lrs: list[float] = []
    losses: list[float] = []
    average, best = 0.0, math.inf
    batches = trainer._train_batches
    was_training = model.training
    model.train()
    try:
        epoch = 1_000_000  # its own shuffle order, unrelated to the run's epochs
        while len(lrs) < num_steps:
            for x, y in batches.epoch(epoch):
                lr = start_lr * factor ** len(lrs)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with trainer.precision.autocast():
                    loss = trainer.loss_fn(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                value = loss.item()
                if not math.isfinite(value):
                    return LRFinderResult(lrs, losses)
                average = _SMOOTHING * average + (1 - _SMOOTHING) * value
                smoothed = average / (1 - _SMOOTHING ** (len(lrs) + 1))
                lrs.append(lr)
                losses.append(smoothed)
                best = min(best, smoothed)
                if smoothed > _EXPLODED * best or len(lrs) >= num_steps:
                    return LRFinderResult(lrs, losses)
            epoch += 1
        return LRFinderResult(lrs, losses)
    finally:
        model.load_state_dict(saved_weights)
        model.train(was_training)
        torch.set_rng_state(saved_rng)
