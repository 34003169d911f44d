"""Bounded curves: the newest points at full resolution, the older ones evenly downsampled.

A 100,000-step run keeps at most ``capacity`` points per curve. The newest quarter stays
exact (what you watch while training); points leaving it are averaged into buckets of
``stride`` steps, and when the older part fills up, neighbouring buckets merge and the stride
doubles. So the whole run stays evenly covered, each old point is the mean of the steps it
stands for (the curve's level stays honest), and the cost per point is O(1) amortised.
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

    __slots__ = ("_acc", "_old_x", "_old_y", "_recent", "_tail_x", "_tail_y", "capacity", "stride")

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 8:
            raise ValueError(f"A curve needs a capacity of at least 8 points, not {capacity}.")
        self.capacity = int(capacity)
        self._recent = self.capacity // 4
        self.stride = 1
        """How many steps each older point averages."""
        self._old_x: list[float] = []
        self._old_y: list[float] = []
        self._tail_x: list[float] = []
        self._tail_y: list[float | None] = []
        self._acc = [0.0, 0, 0, 0.0]  # sum of finite values, finite count, steps, last x

    @property
    def x(self) -> list[float]:
        partial = [self._acc[3]] if self._acc[2] else []
        return self._old_x + partial + self._tail_x

    @property
    def y(self) -> list[float | None]:
        partial: list[float | None] = [self._bucket_value()] if self._acc[2] else []
        return self._old_y + partial + self._tail_y

    def __len__(self) -> int:
        return len(self._old_x) + (1 if self._acc[2] else 0) + len(self._tail_x)

    def append(self, x: float, y: float | None) -> None:
        self._tail_x.append(x)
        self._tail_y.append(y)
        if len(self._tail_x) > self._recent:
            self._age(self._tail_x.pop(0), self._tail_y.pop(0))

    def extend(self, xs: list[float], ys: list[float | None]) -> None:
        for x, y in zip(xs, ys, strict=True):
            self.append(x, y)

    def _age(self, x: float, y: float | None) -> None:
        acc = self._acc
        if y is not None and math.isfinite(y):
            acc[0] += y
            acc[1] += 1
        acc[2] += 1
        acc[3] = x
        if acc[2] >= self.stride:
            self._old_x.append(x)
            self._old_y.append(self._bucket_value())
            self._acc = [0.0, 0, 0, 0.0]
            # An even limit: every bucket merges with a partner and all keep the same stride.
            if len(self._old_x) >= (self.capacity - self._recent - 2) & ~1:
                self._merge_pairs()

    def _bucket_value(self) -> float:
        # A bucket of only inf/NaN stays a gap; otherwise the mean of its finite values.
        total, finite = self._acc[0], self._acc[1]
        return total / finite if finite else math.nan

    def _merge_pairs(self) -> None:
        xs, ys = self._old_x, self._old_y
        self._old_x = xs[1::2]
        self._old_y = [_mean(ys[i], ys[i + 1]) for i in range(0, len(ys) - 1, 2)]
        self.stride *= 2

    def to_json(self) -> dict[str, list[Any]]:
        """``{"x": [...], "y": [...]}`` with non-finite values as None (JSON has no NaN)."""
        return {"x": self.x, "y": [clean(v) for v in self.y]}


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
