"""Tensor statistics computed on the tensor's own device, packed into one flat vector each.

A capture stacks every vector into one tensor and copies it to the host once, so a GPU is
synchronised once per capture instead of once per number (no per-layer ``.item()``).

Layout of one record (``RECORD_SIZE`` floats):
``[numel, mean, std, min, max, zeros, nans, infs, norm, extra, lo, hi, counts * BINS]``.
Mean, std, min, max and norm are taken over the finite values only; ``nans`` and ``infs`` count
the rest. ``extra`` is a layer-specific number (dead-unit or saturation fraction) or NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

BINS = 32
FIELDS = ("numel", "mean", "std", "min", "max", "zeros", "nans", "infs", "norm", "extra")
RECORD_SIZE = len(FIELDS) + 2 + BINS
# Histograms look at an evenly strided subset of big tensors: the shape of the distribution
# survives and the capture stays within its time budget.
HISTOGRAM_SAMPLE = 1 << 16


def tensor_record(x: Tensor, extra: Tensor | None = None) -> Tensor:
    """Statistics and a histogram of ``x`` as one float64 vector on ``x``'s device (no sync).

    Example:
        >>> tensor_record(torch.tensor([1.0, -1.0, 0.0]))[:3].tolist()
        [3.0, 0.0, 1.0]
    """
    # float32 arithmetic: a float64 copy of a big activation would double its memory; torch's
    # reductions sum pairwise, so float32 keeps about seven significant digits here.
    x = x.detach().reshape(-1).float()
    n = x.numel()
    device = x.device
    if n == 0:
        empty = torch.full((RECORD_SIZE,), math.nan, dtype=torch.float64, device=device)
        empty[0] = 0.0
        return empty
    finite = torch.isfinite(x)
    count = finite.sum().float()
    clean = torch.where(finite, x, torch.zeros((), dtype=x.dtype, device=device))
    mean = clean.sum() / count
    centred = torch.where(finite, x - mean, torch.zeros((), dtype=x.dtype, device=device))
    # Sample standard deviation (torch's default, correction 1) over the finite values.
    std = torch.sqrt((centred * centred).sum() / (count - 1).clamp(min=1))
    lo = torch.where(finite, x, torch.full((), math.inf, dtype=x.dtype, device=device)).amin()
    hi = torch.where(finite, x, torch.full((), -math.inf, dtype=x.dtype, device=device)).amax()
    nans = torch.isnan(x).sum().float()
    head = torch.stack(
        [
            torch.tensor(float(n), device=device),
            mean,
            std,
            lo,
            hi,
            (x == 0).sum().float() / n,
            nans,
            n - count - nans,
            torch.linalg.vector_norm(clean),
            extra.float().reshape(())
            if extra is not None
            else torch.tensor(math.nan, device=device),
        ]
    )
    return torch.cat([head, _histogram(x, finite, lo, hi)]).double()


def _histogram(x: Tensor, finite: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
    step = max(1, x.numel() // HISTOGRAM_SAMPLE)
    sample, keep = x[::step], finite[::step]
    # All-NaN tensors give lo=inf, hi=-inf: fall back to [0, 1] so the arithmetic stays finite.
    lo = torch.where(torch.isfinite(lo), lo, torch.zeros_like(lo))
    hi = torch.where(torch.isfinite(hi), hi, torch.ones_like(hi))
    width = (hi - lo).clamp(min=1e-12)
    scaled = torch.where(keep, (sample - lo) / width * BINS, torch.zeros_like(sample))
    index = scaled.long().clamp(0, BINS - 1)
    # scatter_add instead of bincount: bincount's output size depends on the data (a sync).
    counts = torch.zeros(BINS, device=x.device)
    counts.scatter_add_(0, index, keep.float())
    return torch.cat([lo.reshape(1), hi.reshape(1), counts * step])


def dead_fraction(output: Tensor) -> Tensor:
    """Fraction of units (channel dim 1, or the features of a 2-D output) that never fire.

    Example:
        >>> dead_fraction(torch.tensor([[0.0, 1.0], [0.0, 2.0]])).item()
        0.5
    """
    x = output.detach()
    if x.ndim < 2 or x.shape[0] == 0:
        return torch.tensor(math.nan, device=x.device)
    per_unit = x.transpose(0, 1).reshape(x.shape[1], -1)
    return (~(per_unit > 0).any(dim=1)).float().mean()


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
