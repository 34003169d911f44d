"""What flows along an edge: a tensor's shape (batch first, ``None`` = any batch size) and dtype."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlstudio.graph.errors import ShapeFailure

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class TensorSpec:
    """The tensor a node outputs.

    ``note`` remembers how a flattened size was made (``16x7x7``) so that a later error can explain it.

    Example:
        >>> format_shape(TensorSpec((None, 16, 14, 14)).shape)
        '(N, 16, 14, 14)'
    """

    shape: Shape
    dtype: str = "float"
    note: str | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def features(self) -> tuple[int, ...]:
        """The shape without the batch dimension."""
        return tuple(self.size(axis) for axis in range(1, self.rank))

    def size(self, axis: int) -> int:
        """The size along ``axis``, any but the batch axis (the only one whose size is ``None``).

        Example:
            >>> TensorSpec((None, 16, 14, 14)).size(-1)
            14
        """
        size = self.shape[axis]
        if size is None:
            raise ValueError(f"axis {axis} of {format_shape(self.shape)} is the batch axis")
        return size


def format_shape(shape: Shape) -> str:
    """``(None, 6, 28, 28)`` as learners read it: ``(N, 6, 28, 28)``."""
    return "(" + ", ".join("N" if size is None else str(size) for size in shape) + ")"


def as_tuple(value: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    """Expand a size given as one int or a tuple into a tuple of ``n`` ints (torch's convention)."""
    if isinstance(value, tuple):
        if len(value) != n:
            raise ShapeFailure(f"expects {n} sizes but was given {len(value)}")
        return value
    return (value,) * n


def product(sizes: Any) -> int:
    total = 1
    for size in sizes:
        total *= int(size)
    return total
