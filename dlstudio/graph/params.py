"""Typed layer parameters: what the catalog declares and how a value from JSON is checked.

Values that pass ``Param.check`` are plain literals (int, float, bool, a string from a fixed list,
or a tuple of ints), which is what lets the code generator write them with ``repr`` safely.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

MAX_SIZE = 10**7
"""Upper bound for any size-like integer: far above any sensible layer, far below overflow."""

PARAM_TYPES = ("int", "float", "bool", "choice", "ints", "shape", "int_or_choice", "text")
MAX_TEXT = 300

_Number = TypeVar("_Number", int, float)


@dataclass(frozen=True)
class Param:
    """One constructor argument of a layer, as the editor and the validator see it.

    Example:
        >>> Param("out_features", "int", default=10, min=1).check(12)
        12
    """

    name: str
    type: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False
    inferred: bool = False
    key: bool = False
    length: int | None = None
    doc: str = ""
    torch_arg: bool = True
    """False for dlstudio's own settings (e.g. an LSTM's ``output``) not passed to torch."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = list(self.choices) if self.choices else None
        del data["torch_arg"]
        return data

    def check(self, value: Any) -> Any:
        """Return the value normalised (lists become tuples) or raise ValueError in words."""
        if value is None:
            if self.nullable or self.inferred:
                return None
            raise ValueError(f"{self.name} needs a value")
        checker = _CHECKERS[self.type]
        return checker(self, value)

    def _int(self, value: Any) -> int:
        number = self._numeric(value)
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueError(f"{self.name} must be a whole number, not {number}")
            number = int(number)
        return self._bounded(number, MAX_SIZE)

    def _float(self, value: Any) -> float:
        number = float(self._numeric(value))
        if not math.isfinite(number):
            raise ValueError(f"{self.name} must be a finite number, not {number}")
        return self._bounded(number, None)

    def _numeric(self, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name} must be a number, not {_describe(value)}")
        return value

    def _bounded(self, value: _Number, default_max: int | None) -> _Number:
        low = self.min
        high = self.max if self.max is not None else default_max
        if low is not None and value < low:
            raise ValueError(f"{self.name} must be at least {_num(low)}, not {_num(value)}")
        if high is not None and value > high:
            raise ValueError(f"{self.name} must be at most {_num(high)}, not {_num(value)}")
        return value


def _num(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) or float(value).is_integer() else str(value)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_int(param: Param, value: Any) -> int:
    return param._int(value)


def _check_float(param: Param, value: Any) -> float:
    return param._float(value)


def _check_bool(param: Param, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{param.name} must be true or false, not {_describe(value)}")
    return value


def _check_choice(param: Param, value: Any) -> str:
    if not isinstance(value, str) or value not in (param.choices or ()):
        options = ", ".join(repr(choice) for choice in param.choices or ())
        raise ValueError(f"{param.name} must be one of {options}, not {_describe(value)}")
    return value


def _check_ints(param: Param, value: Any) -> int | tuple[int, ...]:
    if isinstance(value, list | tuple):
        if param.length is not None and len(value) != param.length:
            raise ValueError(
                f"{param.name} must be one number or a list of {param.length}, not {len(value)} values"
            )
        if not value or len(value) > 8:
            raise ValueError(f"{param.name} must be a number or a short list of numbers")
        return tuple(param._int(item) for item in value)
    return param._int(value)


def _check_shape(param: Param, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value or len(value) > 8:
        raise ValueError(f"{param.name} must be a list of 1 to 8 sizes, like [1, 28, 28]")
    sizes = []
    for item in value:
        if param.min is not None and param.min < 0 and item == -1:
            sizes.append(-1)
            continue
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_SIZE:
            raise ValueError(f"{param.name} sizes must be whole numbers from 1 to {MAX_SIZE:,}")
        sizes.append(item)
    if sizes.count(-1) > 1:
        raise ValueError(f"{param.name} may contain -1 (infer this size) at most once")
    return tuple(sizes)


def _check_text(param: Param, value: Any) -> str:
    """A short line of text (a file name): written into code as a plain string literal."""
    if (
        not isinstance(value, str)
        or not value.isprintable()
        or len(value) > MAX_TEXT
        or set(value) & {'"', "\\"}
    ):
        raise ValueError(
            f"{param.name} must be a line of at most {MAX_TEXT} characters without quotes or "
            "backslashes (use / in paths)"
        )
    return value


def _check_int_or_choice(param: Param, value: Any) -> Any:
    if isinstance(value, str):
        return _check_choice(param, value)
    return _check_ints(param, value)


_CHECKERS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "choice": _check_choice,
    "ints": _check_ints,
    "shape": _check_shape,
    "int_or_choice": _check_int_or_choice,
    "text": _check_text,
}
