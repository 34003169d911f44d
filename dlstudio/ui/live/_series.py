"""Bounded curves: recent points at full resolution, older ones merged in pairs.

A 100,000-step run keeps at most ``capacity`` points per curve. Each time a curve fills up,
its older half is halved by averaging neighbouring pairs, so the oldest points end up
averaging many steps while the newest stay exact (a cheap relative of TensorBoard's
reservoir sampling that also keeps the curve's mean honest). Amortised cost per point: O(1).
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_CAPACITY = 2000


class Series:
    """One curve ``(x, y)`` holding at most ``capacity`` points.

    Example:
        >>> s = Series(capacity=8)
        >>> for step in range(100):
        ...     s.append(step, float(step))
        >>> len(s) <= 8, s.x[-1]
        (True, 99)
    """

    __slots__ = ("capacity", "x", "y")

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 4:
            raise ValueError(f"A curve needs a capacity of at least 4 points, not {capacity}.")
        self.capacity = int(capacity)
        self.x: list[float] = []
        self.y: list[float] = []

    def __len__(self) -> int:
        return len(self.x)

    def append(self, x: float, y: float) -> None:
        self.x.append(x)
        self.y.append(y)
        if len(self.x) > self.capacity:
            self._compact()

    def extend(self, xs: list[float], ys: list[float]) -> None:
        for x, y in zip(xs, ys, strict=True):
            self.append(x, y)

    def _compact(self) -> None:
        # Merge pairs in the older half; the newer half stays as it came.
        half = (len(self.x) // 2) & ~1
        xs, ys = self.x, self.y
        merged_x = [xs[i + 1] for i in range(0, half, 2)]  # the later step of each pair
        merged_y = [_mean(ys[i], ys[i + 1]) for i in range(0, half, 2)]
        self.x = merged_x + xs[half:]
        self.y = merged_y + ys[half:]

    def to_json(self) -> dict[str, list[Any]]:
        """``{"x": [...], "y": [...]}`` with non-finite values as None (JSON has no NaN)."""
        return {"x": list(self.x), "y": [clean(v) for v in self.y]}


def _mean(a: float, b: float) -> float:
    # A diverged (inf/NaN) point stays visible as a gap instead of poisoning its neighbour.
    if not math.isfinite(a):
        return b
    if not math.isfinite(b):
        return a
    return (a + b) / 2


def clean(value: Any) -> float | None:
    """A float fit for JSON: NaN and infinities become None (a gap in the curve).

    Example:
        >>> clean(float("nan")) is None, clean(2)
        (True, 2.0)
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
