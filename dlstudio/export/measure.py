"""Measuring an exported model against the eager one: largest difference, accuracy, latency.

A *runner* is any callable from an input batch to the output tensor: the eager module, or a
file loaded back by its runtime (ONNX Runtime, ``torch.jit.load``, ``torch.export.load``).

Example:
    >>> import torch
    >>> scores = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
    >>> largest_difference(scores, scores + 0.5), accuracy(scores, torch.tensor([0, 0]))
    (0.5, 0.5)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor

Runner = Callable[[Tensor], Tensor]

LATENCY_BATCHES = (1, 64)
"""The batch sizes whose median latency an export report gives."""


def largest_difference(output: Tensor, reference: Tensor) -> float:
    """The largest absolute difference between two outputs for the same inputs."""
    return float((output.float() - reference.float()).abs().max())


def accuracy(output: Tensor, targets: Tensor) -> float:
    """Share of samples whose predicted class (one logit: positive or not) is the target."""
    if output.dim() > 1 and output.shape[1] > 1:
        predicted = output.argmax(dim=1)
    else:
        predicted = (output.reshape(-1) > 0).long()
    return float((predicted == targets.reshape(-1)).float().mean())


def batch_of(inputs: Tensor, size: int) -> Tensor:
    """``size`` samples taken from ``inputs`` (repeated when there are fewer)."""
    repeats = -(-size // inputs.shape[0])
    return inputs.repeat(repeats, *([1] * (inputs.dim() - 1)))[:size].contiguous()


@torch.no_grad()
def median_latency_ms(run: Runner, x: Tensor, budget_s: float = 0.5, most: int = 25) -> float:
    """Median milliseconds per call of ``run(x)``, after three warm-up calls (first calls fill
    caches and pick kernels), over as many calls as fit in ``budget_s`` (3 to ``most``)."""
    for _ in range(3):
        run(x)
    times: list[float] = []
    spent = 0.0
    while len(times) < 3 or (spent < budget_s and len(times) < most):
        start = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return 1000 * statistics.median(times)
