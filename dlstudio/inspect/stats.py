"""Tensor statistics computed on the tensor's own device, packed into one flat vector each.

A capture stacks every vector into one tensor and copies it to the host once, so a GPU is
synchronised once per capture instead of once per number (no per-layer ``.item()``).

Layout of one record (``RECORD_SIZE`` floats):
``[numel, mean, std, min, max, zeros, nans, infs, norm, extra, lo, hi, counts * BINS]``.
Mean, std, min, max, norm and the histogram cover the finite values; ``nans`` and ``infs``
count the others. ``extra`` is a layer-specific number (dead-unit or saturation fraction) or NaN.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

BINS = 32
FIELDS = ("numel", "mean", "std", "min", "max", "zeros", "nans", "infs", "norm", "extra")
RECORD_SIZE = len(FIELDS) + 2 + BINS
# Histograms look at an evenly spaced sample of each tensor: enough for the shape of the
# distribution, and a capture stays within its time budget whatever the tensor's size.
HISTOGRAM_SAMPLE = 1024
# Tensors are concatenated and reduced together, in groups of at most this many values: about
# twenty kernels per group instead of fifteen per tensor, with bounded extra memory.
GROUP_VALUES = 1 << 23
# On the CPU the statistics use numpy and one check of a sum (no device to synchronise with);
# False sends CPU tensors down the GPU path too (the tests compare the two).
CPU_FAST_PATH = True


def records(tensors: Sequence[Tensor], extras: Sequence[Tensor | None] | None = None) -> Tensor:
    """Statistics and a histogram of each tensor, as an ``(len(tensors), RECORD_SIZE)`` float64
    tensor on their device, computed without any device-to-host copy.

    ``extras`` (one 0-d tensor or None per tensor) fills the ``extra`` column. Mean, std, norm,
    min and max cover the finite values; ``nans`` and ``infs`` count the others.

    Example:
        >>> records([torch.tensor([1.0, -1.0, 0.0])])[0, :3].tolist()
        [3.0, 0.0, 1.0]
    """
    extras = list(extras) if extras is not None else [None] * len(tensors)
    if not tensors:
        return torch.zeros((0, RECORD_SIZE), dtype=torch.float64)
    device = tensors[0].device
    rows: list[Tensor | None] = [None] * len(tensors)
    group: list[int] = []
    size = 0

    def flush() -> None:
        found = _group_records([tensors[i] for i in group], [extras[i] for i in group])
        for row, index in enumerate(group):
            rows[index] = found[row]

    for index, t in enumerate(tensors):
        if t.numel() == 0:
            empty = torch.full((RECORD_SIZE,), math.nan, dtype=torch.float64, device=t.device)
            empty[0] = 0.0  # numel; the rest is undefined
            rows[index] = empty
            continue
        if group and (size + t.numel() > GROUP_VALUES or t.device != tensors[group[0]].device):
            flush()
            group, size = [], 0
        group.append(index)
        size += t.numel()
    if group:
        flush()
    return torch.stack([r.to(device) for r in rows])  # type: ignore[union-attr]


def tensor_record(x: Tensor, extra: Tensor | None = None) -> Tensor:
    """The record of one tensor (see ``records``).

    Example:
        >>> tensor_record(torch.tensor([1.0, -1.0, 0.0]))[:3].tolist()
        [3.0, 0.0, 1.0]
    """
    return records([x], [extra])[0]


@functools.lru_cache(maxsize=16)
def _host_plan(sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group shape (cached: a model's captures repeat): the flat indices of each tensor's
    histogram sample, which of them are real, and how many values each one stands for."""
    k = HISTOGRAM_SAMPLE
    index = np.zeros((len(sizes), k), dtype=np.int64)
    valid = np.zeros((len(sizes), k), dtype=np.float64)
    weight = np.zeros(len(sizes), dtype=np.float64)
    start = 0
    for row, n in enumerate(sizes):
        taken = min(k, n)
        index[row, :taken] = start + np.linspace(0, n - 1, taken).round().astype(np.int64)
        valid[row, :taken] = 1.0
        weight[row] = n / taken
        start += n
    return index, valid, weight


@functools.lru_cache(maxsize=4)
def _plan(sizes: tuple[int, ...], device: torch.device) -> tuple[Any, ...]:
    """The host plan on ``device``, with segment lengths and each value's tensor index."""
    index, valid, weight = _host_plan(sizes)
    lengths = torch.as_tensor(sizes, dtype=torch.long, device=device)
    segment = None
    if device.type != "cpu":  # on the CPU (tests only) repeat_interleave is used instead
        segment = torch.repeat_interleave(
            torch.arange(len(sizes), device=device), lengths, output_size=sum(sizes)
        )
    to = functools.partial(torch.as_tensor, device=device)
    return lengths, segment, to(index), to(valid, dtype=torch.float32), to(weight)


@functools.lru_cache(maxsize=16)
def _starts(sizes: tuple[int, ...]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def _group_records(tensors: list[Tensor], extras: list[Tensor | None]) -> Tensor:
    device = tensors[0].device
    sizes = tuple(t.numel() for t in tensors)
    # float32: each tensor is reduced on its own (no cancellation between tensors), and a
    # float64 copy of big activations would double the memory traffic.
    x = torch.cat([t.detach().reshape(-1).float() for t in tensors])
    nan = torch.full((), math.nan, device=device)
    extra = torch.stack([nan if e is None else e.float().reshape(()) for e in extras])
    if device.type == "cpu" and CPU_FAST_PATH:
        return torch.from_numpy(_host_group(x.numpy(), sizes, extra.double().numpy()))
    return _device_group(x, sizes, extra)


def _host_group(x: np.ndarray, sizes: tuple[int, ...], extra: np.ndarray) -> np.ndarray:
    """The CPU path, in numpy, one slice per tensor: numpy's pairwise sums, BLAS dot products
    and min/max beat torch's segment reductions several times there, and on the host reading
    a number costs no synchronisation."""
    head = np.empty((len(sizes), len(FIELDS)))
    lo, hi = np.empty(len(sizes)), np.empty(len(sizes))
    with np.errstate(invalid="ignore", divide="ignore"):
        for row, (start, n) in enumerate(zip(_starts(sizes), sizes, strict=True)):
            head[row], lo[row], hi[row] = _host_row(x[start : start + n], extra[row])
    index, valid, weight = _host_plan(sizes)
    sample = x[index]
    lo_b, hi_b, scale = _bin_range(lo, hi)
    with np.errstate(invalid="ignore"):
        scaled = (sample - lo_b[:, None]) * scale[:, None]
    keep = valid * np.isfinite(sample)
    bins = np.clip(np.nan_to_num(scaled, nan=0, posinf=0, neginf=0).astype(np.int64), 0, BINS - 1)
    flat = (bins + np.arange(len(sizes))[:, None] * BINS).reshape(-1)
    counts = np.bincount(flat, weights=keep.reshape(-1), minlength=len(sizes) * BINS)
    counts = counts.reshape(len(sizes), BINS) * weight[:, None]
    return np.concatenate([head, lo_b[:, None], hi_b[:, None], counts], axis=1)


def _host_row(values: np.ndarray, extra: float) -> tuple[tuple, float, float]:
    """One tensor's head fields, its min and its max (finite values only)."""
    n = len(values)
    total = values.sum(dtype=np.float64)
    nans = infs = 0
    if not np.isfinite(total):  # a NaN or an Inf somewhere: describe the finite values
        finite = np.isfinite(values)
        nans = int(np.count_nonzero(np.isnan(values)))
        infs = n - nans - int(np.count_nonzero(finite))
        values = values[finite]
        total = values.sum(dtype=np.float64)
    count = len(values)
    if not count:
        return (n, np.nan, np.nan, np.inf, -np.inf, 0.0, nans, infs, 0.0, extra), np.inf, -np.inf
    mean = total / count
    # Two passes: a sum of squares minus the squared mean would lose the spread of a tensor
    # whose values sit close together.
    centred = values - np.float32(mean)
    squares = float(np.dot(centred, centred))
    lo, hi = float(values.min()), float(values.max())
    zeros = (count - np.count_nonzero(values)) / n
    norm = np.sqrt(squares + count * mean * mean)
    std = np.sqrt(squares / max(count - 1, 1))
    return (n, mean, std, lo, hi, zeros, nans, infs, norm, extra), lo, hi


def _bin_range(lo, hi):
    """Histogram range per tensor: a tensor with no finite values bins against [0, 1]."""
    mod = np if isinstance(lo, np.ndarray) else torch
    lo = mod.where(mod.isfinite(lo), lo, 0.0)
    hi = mod.where(mod.isfinite(hi), hi, 1.0)
    width = hi - lo
    scale = BINS / mod.where(width > 1e-12, width, 1e-12)
    return lo, hi, scale


def _device_group(x: Tensor, sizes: tuple[int, ...], extra: Tensor) -> Tensor:
    """The accelerator path: torch only, no device-to-host copy, no data-dependent branch."""
    lengths, segment, sample_index, valid, weight = _plan(sizes, x.device)

    def per_tensor(values: Tensor, reduce: str = "sum") -> Tensor:
        return torch.segment_reduce(values, reduce, lengths=lengths, unsafe=True)

    numel = lengths.float()
    finite = (x - x) == 0  # x - x is NaN for NaN and ±Inf
    clean = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    count = per_tensor(finite.float())
    nans = per_tensor((x != x).float())  # NaN is the one value unequal to itself
    lo = per_tensor(torch.where(finite, x, math.inf), "min")
    hi = per_tensor(torch.where(finite, x, -math.inf), "max")
    mean = per_tensor(clean) / count
    by_value = mean[segment] if segment is not None else torch.repeat_interleave(mean, lengths)
    centred = torch.where(finite, clean - by_value, 0.0)
    var = per_tensor(centred * centred) / (count - 1).clamp(min=1)
    head = torch.stack(
        [numel, mean, var.sqrt(), lo, hi, per_tensor((x == 0).float()) / numel, nans,
         numel - count - nans, per_tensor(clean * clean).sqrt(), extra],
        dim=1,
    )  # fmt: skip
    sample = x[sample_index]
    lo_b, hi_b, scale = _bin_range(lo, hi)
    scaled = (sample - lo_b[:, None]) * scale[:, None]
    keep = valid * ((sample - sample) == 0)
    bins = torch.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0).long().clamp_(0, BINS - 1)
    flat = bins + torch.arange(len(sizes), device=x.device)[:, None] * BINS
    # scatter_add, not bincount: bincount's output size depends on the data (a sync).
    counts = torch.zeros(len(sizes) * BINS, device=x.device)
    counts.scatter_add_(0, flat.reshape(-1), keep.reshape(-1).float())
    counts = counts.reshape(len(sizes), BINS).double() * weight[:, None]
    return torch.cat([head.double(), lo_b.double()[:, None], hi_b.double()[:, None], counts], 1)


def dead_fraction(output: Tensor) -> Tensor:
    """Fraction of units (channel dim 1, or the features of a 2-D output) that never fire.

    Example:
        >>> dead_fraction(torch.tensor([[0.0, 1.0], [0.0, 2.0]])).item()
        0.5
    """
    x = output.detach()
    if x.ndim < 2 or x.shape[0] == 0:
        return torch.tensor(math.nan, device=x.device)
    # A unit fired if its largest output over the batch (and positions) is above 0: one
    # reduction, no transposed copy.
    others = [d for d in range(x.ndim) if d != 1]
    return (x.amax(dim=others) <= 0).float().mean()


def saturation(output: Tensor, kind: str) -> Tensor:
    """Fraction of a sigmoid's (``kind="sigmoid"``) or tanh's outputs in the flat 1% tails.

    Example:
        >>> saturation(torch.tensor([0.001, 0.5, 0.999]), "sigmoid").item()
        0.6666666865348206
    """
    x = output.detach().float()
    flat = (x < 0.01) | (x > 0.99) if kind == "sigmoid" else x.abs() > 0.99
    return flat.float().mean()


@dataclass(frozen=True)
class Histogram:
    """Counts over ``BINS`` equal bins between ``lo`` and ``hi`` (finite values only)."""

    lo: float
    hi: float
    counts: np.ndarray

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, len(self.counts) + 1)


@dataclass(frozen=True)
class TensorStats:
    """Statistics of one tensor, read back from a record on the host.

    ``zeros`` is a fraction; ``nans`` and ``infs`` are counts; the other numbers cover the
    finite values only.
    """

    shape: tuple[int, ...]
    mean: float
    std: float
    min: float
    max: float
    zeros: float
    nans: int
    infs: int
    norm: float
    histogram: Histogram

    @classmethod
    def from_record(cls, shape: tuple[int, ...], row: np.ndarray) -> TensorStats:
        get = dict(zip(FIELDS, row[: len(FIELDS)].tolist(), strict=True))
        lo, hi = float(row[len(FIELDS)]), float(row[len(FIELDS) + 1])
        return cls(
            shape=tuple(shape),
            mean=get["mean"],
            std=get["std"],
            min=get["min"],
            max=get["max"],
            zeros=get["zeros"],
            nans=int(get["nans"]) if math.isfinite(get["nans"]) else 0,
            infs=int(get["infs"]) if math.isfinite(get["infs"]) else 0,
            norm=get["norm"],
            histogram=Histogram(lo, hi, row[len(FIELDS) + 2 :].copy()),
        )

    @property
    def finite(self) -> bool:
        """Whether the tensor held no NaN and no infinity."""
        return self.nans == 0 and self.infs == 0

    def to_dict(self) -> dict[str, object]:
        """The numbers as plain Python values (JSON-ready, histogram left out)."""
        return {
            "shape": list(self.shape), "mean": self.mean, "std": self.std, "min": self.min,
            "max": self.max, "zeros": self.zeros, "nans": self.nans, "infs": self.infs,
            "norm": self.norm,
        }  # fmt: skip


def extra_value(row: np.ndarray) -> float | None:
    """The record's layer-specific number, or None where the layer has none."""
    value = float(row[FIELDS.index("extra")])
    return None if math.isnan(value) else value
