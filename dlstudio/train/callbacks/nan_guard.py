"""NaNGuard: end the run as soon as the loss is NaN or infinite, naming where it started."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.divergence import divergence_message, locate_divergence
from dlstudio.train.errors import DivergenceError

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer


class NaNGuard(Callback):
    """Fail the run with a :class:`DivergenceError` when a step's loss is not finite.

    It runs before the optimizer step, so the weights stay as they were before the bad batch.
    Every Trainer gets one unless its callbacks already include one.

    Example:
        >>> from dlstudio.train import Trainer
        >>> t = Trainer(model, bundle, lr=1e6, callbacks=[NaNGuard()])  # doctest: +SKIP
        >>> t.fit()  # doctest: +SKIP
        DivergenceError: Training diverged at step 4: ... the output of layer 'fc1' (Linear) ...
    """

    order = -100

    def on_after_backward(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
        loss = step_info["loss"]
        if math.isfinite(loss):
            return
        x, y = trainer.batch  # type: ignore[misc]
        found = locate_divergence(
            trainer.model, x, y, trainer.loss_fn, trainer.node_ids, trainer.precision.autocast
        )
        raise DivergenceError(
            divergence_message(step_info["step"], loss, found),
            layer=trainer.node_ids.get(found.layer, found.layer) if found.layer else None,
            where=found.where,
            step=step_info["step"],
        )
