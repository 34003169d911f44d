"""Histograms over time (TensorBoard's distributions view) from a series of captures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlstudio.inspect.report import Report
from dlstudio.inspect.stats import Histogram, TensorStats

KINDS = ("output", "grad", "weight", "weight_grad")


@dataclass(frozen=True)
class HeatmapOverSteps:
    """``counts[i, j]``: how many values fell in bin ``j`` (between ``edges[j]`` and
    ``edges[j + 1]``) at capture ``steps[i]``. All rows share one set of edges."""

    layer: str
    kind: str
    steps: list[int]
    edges: np.ndarray
    counts: np.ndarray

    def normalised(self) -> np.ndarray:
        """Each row divided by its total: the distribution's shape, whatever the batch size."""
        totals = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, totals, out=np.zeros_like(self.counts), where=totals > 0)


def tensor_stats(
    report: Report, layer: str, kind: str, param: str = "weight"
) -> TensorStats | None:
    """The statistics of ``kind`` (one of ``KINDS``) for ``layer`` in ``report``, if captured."""
    entry = report.layers.get(layer)
    if entry is None:
        return None
    if kind == "output":
        return entry.output
    if kind == "grad":
        return entry.grad
    found = entry.params.get(param)
    if found is None:
        return None
    return found.weight if kind == "weight" else found.grad


def heatmap_over_steps(
    reports: Sequence[Report],
    layer: str,
    kind: str = "output",
    param: str = "weight",
    bins: int = 48,
) -> HeatmapOverSteps:
    """Re-bin each capture's histogram of ``layer`` onto one shared range, row per capture.

    Example:
        >>> h = heatmap_over_steps(callback.reports, "fc1", "weight")  # doctest: +SKIP
        >>> h.counts.shape  # doctest: +SKIP
        (12, 48)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    found: list[tuple[int, Histogram]] = []
    for index, report in enumerate(reports):
        stats = tensor_stats(report, layer, kind, param)
        if stats is not None and math.isfinite(stats.min) and math.isfinite(stats.max):
            found.append((report.step if report.step is not None else index, stats.histogram))
    if not found:
        return HeatmapOverSteps(layer, kind, [], np.linspace(0, 1, bins + 1), np.zeros((0, bins)))
    lo = min(h.lo for _, h in found)
    hi = max(h.hi for _, h in found)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    counts = np.zeros((len(found), bins))
    for row, (_, hist) in enumerate(found):
        # Each old bin's count goes to the new bin holding its centre: exact when ranges agree,
        # and within one bin width otherwise.
        centres = (hist.edges[:-1] + hist.edges[1:]) / 2
        index = np.clip(((centres - lo) / (hi - lo) * bins).astype(int), 0, bins - 1)
        np.add.at(counts[row], index, hist.counts)
    return HeatmapOverSteps(layer, kind, [s for s, _ in found], edges, counts)
