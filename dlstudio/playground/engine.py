"""Training a Playground network on PyTorch exactly as TensorFlow Playground trains its own.

The original (``nn.ts``) runs plain SGD on the loss ½(o − t)² one example at a time, sums the
derivatives and, after every ``batchSize``-th example of an epoch, moves each weight by the
learning rate times their mean. Examples left over at an epoch's end are carried into the next
epoch's first batch. Regularisation is a separate step after the gradient step: L2 pulls each
weight by ``lr * rate * w``; L1 by ``lr * rate * sign(w)``, and a weight that L1 pushes across 0
is set to 0 and never trained again (a "dead" link). Biases are not regularised. Here the model
is the module built from the graph (float64, as JavaScript's numbers), the gradients come from
autograd on each batch, and the update follows those rules; ``tests/playground`` checks the
result against a line-by-line reading of the original.

Example:
    >>> run = PlaygroundRun(PlaygroundSettings(dataset="circle", seed="1"))
    >>> run.step(100)
    >>> run.epoch, run.loss_test < 0.05
    (100, True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from dlstudio.playground.data import PlaygroundData, Points, make_data, seed_number
from dlstudio.playground.network import (
    CLASS_NAME,
    feature_columns,
    init_weights,
    linear_layers,
    playground_graph,
)
from dlstudio.playground.settings import (
    REDATA,
    RESHAPING,
    PlaygroundError,
    PlaygroundSettings,
    brief,
    changed,
)

MAX_HISTORY = 500


@dataclass
class Snapshot:
    """A copy of a run's weights and numbers at one moment (what a picture is drawn from)."""

    epoch: int
    state: dict[str, torch.Tensor]
    dead: list[np.ndarray]
    loss_train: float
    loss_test: float
    history: list[list[float]] = field(default_factory=list)


def _tensor(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(values), dtype=torch.float64)


def train_epoch(
    model: nn.Module,
    x: torch.Tensor,
    t: torch.Tensor,
    batch_size: int,
    pending: int,
    update: Callable[[int], None],
) -> int:
    """One pass over the training points in order, summing the derivatives of ½(o − t)²;
    ``update(count)`` after every ``batch_size``-th point (``count``: the points summed since
    the last update, ``pending`` of them left from the epoch before). Returns the points left
    over for the next epoch."""
    for start in range(0, len(t), batch_size):
        end = min(start + batch_size, len(t))
        output = model(x[start:end]).squeeze(1)
        (0.5 * (output - t[start:end]) ** 2).sum().backward()
        pending += end - start
        if end % batch_size == 0:
            update(pending)
            model.zero_grad(set_to_none=False)
            pending = 0
    return pending


@torch.no_grad()
def sgd_update(
    layers: list[nn.Linear],
    dead: list[torch.Tensor],
    count: int,
    lr: float,
    regularization: str,
    rate: float,
) -> None:
    """The original's step: the mean derivative of the last ``count`` points times ``lr``, then
    the regularisation pull ``lr * rate`` (L1: sign(w), L2: w, on the weight before the step);
    a weight L1 pushes across 0 becomes 0 and dead (never trained again)."""
    for layer, gone in zip(layers, dead, strict=True):
        weight, bias = layer.weight, layer.bias
        weight_grad, bias_grad = _grad(weight), _grad(bias)
        bias.sub_(lr * bias_grad / count)
        if regularization == "L1":
            penalty = torch.sign(weight)
        elif regularization == "L2":
            penalty = weight.clone()
        else:
            penalty = torch.zeros_like(weight)
        # Dead links are neither trained nor pulled (the original skips them).
        stepped = torch.where(gone, weight, weight - lr * weight_grad / count)
        pulled = torch.where(gone, weight, stepped - lr * rate * penalty)
        if regularization == "L1":
            crossed = stepped * pulled < 0
            pulled = torch.where(crossed, 0.0, pulled)
            gone |= crossed
        weight.copy_(pulled)


def _grad(tensor: torch.Tensor) -> torch.Tensor:
    # A parameter no point reached has no gradient yet: it does not move.
    return tensor.grad if tensor.grad is not None else torch.zeros_like(tensor)


@torch.no_grad()
def half_squared_error(model: nn.Module, x: torch.Tensor, t: torch.Tensor) -> float:
    """The mean of ½(o − t)² over the points (the original's loss; 0 without points)."""
    if not len(t):
        return 0.0
    return float((0.5 * (model(x).squeeze(1) - t) ** 2).mean())


class PlaygroundRun:
    """One Playground network and its data, trained by the original's rule.

    Every method is safe to call from the page's thread while another thread calls ``step``:
    one lock orders steps, edits and snapshots.

    Example:
        >>> run = PlaygroundRun(PlaygroundSettings(networkShape=[2], seed="7"))
        >>> run.set_weight(1, to=0, source=1, value=0.25)
        >>> float(run.weights()[0][0][1])
        0.25
    """

    def __init__(self, settings: PlaygroundSettings, custom: Points | None = None) -> None:
        self.settings = settings
        self.custom = custom if custom is not None else Points()
        self.lock = threading.RLock()
        self.resets = 0
        self.data: PlaygroundData = make_data(settings, self.custom)
        self._new_network()

    # -- building -----------------------------------------------------------------------------

    def _new_network(self) -> None:
        self.graph = playground_graph(self.settings)
        self.model: nn.Module = self.graph.build(CLASS_NAME).double()
        self.linears = linear_layers(self.model)
        init_weights(self.model, self.weight_seed, self.settings.initZero)
        self.dead = [torch.zeros_like(layer.weight, dtype=torch.bool) for layer in self.linears]
        self.epoch = 0
        self.history: list[list[float]] = []
        self._pending = 0
        self._load_tensors()
        self._measure()

    @property
    def weight_seed(self) -> int:
        """The seed of the starting weights: the data seed and how many resets came before."""
        return seed_number(self.settings.seed) + 1 + self.resets

    def _load_tensors(self) -> None:
        names = self.settings.feature_names()
        train, test = self.data.train, self.data.test
        self.train_x = _tensor(feature_columns(train.xy, names).reshape(len(train), len(names)))
        self.train_t = _tensor(train.label)
        self.test_x = _tensor(feature_columns(test.xy, names).reshape(len(test), len(names)))
        self.test_t = _tensor(test.label)

    def apply(self, settings: PlaygroundSettings, custom: Points | None = None) -> None:
        """Take new settings (and points): new data and/or a new network where they need one,
        as the original does (a new learning rate keeps the weights; a new activation does not).
        """
        with self.lock:
            difference = changed(self.settings, settings)
            self.settings = settings
            if custom is not None:
                self.custom = custom
            if difference & {*REDATA, "seed"} or custom is not None:
                self.data = make_data(settings, self.custom)
                self._load_tensors()
            if difference & ({*RESHAPING, *REDATA, "batchSize", "regularizationRate"}):
                self.resets += 1
                self._new_network()
            else:
                self._measure()

    def reset(self) -> None:
        """New starting weights and epoch 0 (the Reset button)."""
        with self.lock:
            self.resets += 1
            self._new_network()

    # -- training -----------------------------------------------------------------------------

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` passes over the training points, then measure both losses."""
        for _ in range(int(epochs)):
            with self.lock:
                self._epoch()
                self.epoch += 1
                self._measure()

    def _epoch(self) -> None:
        self._pending = train_epoch(
            self.model, self.train_x, self.train_t, self.settings.batchSize, self._pending,
            self._update,
        )  # fmt: skip

    def _update(self, count: int) -> None:
        settings = self.settings
        sgd_update(
            self.linears, self.dead, count, settings.learningRate,
            settings.regularization, settings.regularizationRate,
        )  # fmt: skip

    def _loss(self, x: torch.Tensor, t: torch.Tensor) -> float:
        return half_squared_error(self.model, x, t)

    def _measure(self) -> None:
        """Both losses now; the history's point for this epoch (replaced if the epoch has one:
        an edit or a new rate measures again without a new point)."""
        self.loss_train = self._loss(self.train_x, self.train_t)
        self.loss_test = self._loss(self.test_x, self.test_t)
        point = [self.epoch, self.loss_train, self.loss_test]
        if self.history and self.history[-1][0] == self.epoch:
            self.history[-1] = point
            return
        self.history.append(point)
        if len(self.history) > MAX_HISTORY:
            # Keep the first point and every other one after it: a long run stays drawable.
            self.history = self.history[:1] + self.history[2::2]

    # -- reading and editing --------------------------------------------------------------------

    def weights(self) -> list[np.ndarray]:
        """Each Linear layer's weight matrix, [to][from] (hidden layers, then the output)."""
        with self.lock:
            return [layer.weight.detach().numpy().copy() for layer in self.linears]

    def biases(self) -> list[np.ndarray]:
        with self.lock:
            return [layer.bias.detach().numpy().copy() for layer in self.linears]

    def _layer(self, layer: Any) -> nn.Linear:
        try:
            index = int(layer)
        except (TypeError, ValueError):
            index = 0
        if not 1 <= index <= len(self.linears):
            raise PlaygroundError(
                f"There is no layer {brief(layer)}: layers are numbered 1 to {len(self.linears)}."
            )
        return self.linears[index - 1]

    def set_weight(self, layer: int, to: int, source: int, value: float) -> None:
        """Set one link's weight (``layer`` 1-based Linear layer, ``to``/``source`` 0-based
        neurons); an L1-dead link comes back to life."""
        linear = self._layer(layer)
        row, column = (
            _index(to, linear.out_features, "to"),
            _index(source, linear.in_features, "from"),
        )
        number = _number(value)
        with self.lock, torch.no_grad():
            linear.weight[row, column] = number
            self.dead[int(layer) - 1][row, column] = False
            self._measure()

    def set_bias(self, layer: int, node: int, value: float) -> None:
        """Set one neuron's bias."""
        linear = self._layer(layer)
        row = _index(node, linear.out_features, "node")
        number = _number(value)
        with self.lock, torch.no_grad():
            linear.bias[row] = number
            self._measure()

    def snapshot(self) -> Snapshot:
        """A copy of the weights and numbers now (cheap: the network is tiny)."""
        with self.lock:
            state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return Snapshot(
                self.epoch,
                state,
                [d.numpy().copy() for d in self.dead],
                self.loss_train,
                self.loss_test,
                [list(h) for h in self.history],
            )


def _index(value: Any, size: int, name: str) -> int:
    try:
        index = int(value)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < size:
        raise PlaygroundError(
            f"{name} must be a neuron number from 0 to {size - 1}; got {brief(value)}."
        )
    return index


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or abs(number) > 1e6:
        raise PlaygroundError(f"A weight is a number between -1e6 and 1e6; got {brief(value)}.")
    return number
