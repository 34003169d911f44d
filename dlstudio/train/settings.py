"""Training settings: one checked value, one list of choices, one set of limits.

The Trainer, the live controls, the Studio page, session files and the exported script all check
settings here, so a bad value gets the same sentence wherever it comes from. The choices are read
from the optimizer, scheduler, loss and augmentation registries, so they cannot drift apart.

Example:
    >>> TrainingSettings(epochs=3, optimizer="SGD").optimizer
    'sgd'
    >>> TrainingSettings.from_dict({"epochs": 0})
    Traceback (most recent call last):
    ...
    dlstudio.train.errors.SettingsError: The number of epochs must be between 1 and 10,000, not 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType
from typing import Any

from dlstudio.datasets.augment import augmentations
from dlstudio.train.errors import SettingsError, unknown_choice
from dlstudio.train.losses import loss_choices, resolve_loss
from dlstudio.train.optim import (
    optimizer_choices,
    resolve_optimizer,
    resolve_scheduler,
    scheduler_choices,
)

__all__ = [
    "FIELDS",
    "LIMITS",
    "SettingsError",
    "TrainingSettings",
    "check_setting",
    "check_settings",
    "choices",
    "in_range",
]

# Wide enough for honest runs from Python (full-batch training, a learning rate of 1e6 to show
# divergence), narrow enough that a page cannot ask for a run that never ends.
LIMITS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "epochs": (1, 10_000),
        "batch_size": (1, 65_536),
        "lr": (1e-6, 1e6),
        "seed": (0, 2**31 - 1),
    }
)
_LABELS = {
    "epochs": "The number of epochs",
    "batch_size": "The batch size",
    "lr": "The learning rate",
    "seed": "The seed",
}
_WHOLE = {"epochs", "batch_size", "seed"}


def _resolve_augmentation(name: str) -> str:
    if name not in augmentations():
        raise unknown_choice("augmentation", name, tuple(augmentations()))
    return name


_RESOLVERS: dict[str, Callable[[str], str]] = {
    "optimizer": resolve_optimizer,
    "loss": resolve_loss,
    "scheduler": resolve_scheduler,
    "augmentation": _resolve_augmentation,
}


def choices() -> dict[str, tuple[str, ...]]:
    """The names each choice setting accepts, in the order a form shows them.

    Example:
        >>> choices()["scheduler"]
        ('none', 'step', 'cosine', 'onecycle', 'plateau')
    """
    return {
        "optimizer": optimizer_choices(),
        "loss": loss_choices(),
        "scheduler": scheduler_choices(),
        "augmentation": tuple(augmentations()),
    }


def _show(number: float) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:g}"


def in_range(label: str, value: Any, low: float, high: float, *, whole: bool) -> Any:
    """``value`` as an int (``whole``) or a float between ``low`` and ``high``, or SettingsError
    whose sentence starts with ``label``. Numbers written as text (from a form) are read.

    Example:
        >>> in_range("The image size", "32", 4, 512, whole=True)
        32
        >>> in_range("The image size", 2.5, 4, 512, whole=True)
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: The image size must be a whole number between 4 and 512, not 2.5.
    """
    kind = "a whole number" if whole else "a number"
    wrong_type = SettingsError(f"{label} must be {kind} between {_show(low)} and {_show(high)}, "
                               f"not {value!r}.")  # fmt: skip
    if isinstance(value, bool):
        raise wrong_type
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise wrong_type from None
    if whole and not number.is_integer():
        raise wrong_type
    if not math.isfinite(number) or not low <= number <= high:
        raise SettingsError(
            f"{label} must be between {_show(low)} and {_show(high)}, not {value!r}."
        )
    return int(number) if whole else number


def check_setting(name: str, value: Any) -> Any:
    """One setting checked and normalised (``"SGD"`` -> ``"sgd"``, ``"5"`` -> 5), or
    SettingsError. ``name`` is a field of TrainingSettings, or ``"augmentation"``.

    Example:
        >>> check_setting("loss", "CE")
        'cross_entropy'
        >>> check_setting("batch_size", 0)
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: The batch size must be between 1 and 65,536, not 0.
    """
    if name in LIMITS:
        low, high = LIMITS[name]
        return in_range(_LABELS[name], value, low, high, whole=name in _WHOLE)
    resolve = _RESOLVERS.get(name)
    if resolve is None:
        raise _unknown_settings([name], FIELDS)
    if name == "scheduler" and value is None:
        return "none"
    if not isinstance(value, str):
        raise unknown_choice(name, value, choices()[name])
    return resolve(value)


def check_settings(
    values: Mapping[str, Any], names: Iterable[str] | None = None, *, code: bool = False
) -> dict[str, Any]:
    """Several settings checked at once; the first bad one raises SettingsError.

    ``names`` are the settings allowed (all fields by default). With ``code``, an optimizer,
    loss or scheduler given as code (a torch class, a module, a dict with options, None) passes
    unchanged, as the Trainer accepts them.

    Example:
        >>> check_settings({"epochs": "3", "optimizer": "Adam"})
        {'epochs': 3, 'optimizer': 'adam'}
        >>> check_settings({"momentum": 0.9})
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: Unknown training setting(s): momentum. Use epochs, batch_size, lr, optimizer, loss, scheduler, seed.
    """
    allowed = tuple(FIELDS if names is None else names)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise _unknown_settings(unknown, allowed)
    checked = {}
    for name, value in values.items():
        as_code = code and name in _RESOLVERS and not isinstance(value, str)
        checked[name] = value if as_code else check_setting(name, value)
    return checked


def _unknown_settings(unknown: Iterable[str], allowed: Iterable[str]) -> SettingsError:
    return SettingsError(
        f"Unknown training setting(s): {', '.join(unknown)}. Use {', '.join(allowed)}."
    )


@dataclass(frozen=True)
class TrainingSettings:
    """The training settings as one checked, JSON-ready value (defaults: the Trainer's).

    Building one checks every field; ``from_dict`` also refuses unknown fields, so a session
    file or a page message can be passed straight in.

    Example:
        >>> settings = TrainingSettings(epochs=3, scheduler="cosine")
        >>> settings.trainer_kwargs()["scheduler"], settings.to_dict()["scheduler"]
        ('cosine', 'cosine')
        >>> TrainingSettings(lr=1e9)
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: The learning rate must be between 1e-06 and 1e+06, not 1000000000.0.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    loss: str = "auto"
    scheduler: str = "none"
    seed: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):
            # Frozen: normalised values ("SGD" -> "sgd") go in through object.__setattr__.
            object.__setattr__(self, item.name, check_setting(item.name, getattr(self, item.name)))

    @classmethod
    def from_dict(cls, data: Any) -> TrainingSettings:
        """Check a JSON object (a session file, the page) and build the settings; fields left
        out take their defaults.

        Example:
            >>> TrainingSettings.from_dict({"epochs": 2, "lr": "0.01"}).lr
            0.01
        """
        if not isinstance(data, Mapping):
            raise SettingsError(
                f"The training settings must be a JSON object, not {type(data).__name__}."
            )
        return cls(**check_settings(data))

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON (what ``from_dict`` reads back)."""
        return asdict(self)

    def trainer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Trainer(model, data, **kwargs)``.

        Example:
            >>> TrainingSettings().trainer_kwargs()["scheduler"] is None
            True
        """
        kwargs = self.to_dict()
        kwargs["scheduler"] = None if self.scheduler == "none" else self.scheduler
        return kwargs


FIELDS: tuple[str, ...] = tuple(item.name for item in fields(TrainingSettings))
