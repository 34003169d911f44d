"""Deprecated (kept for one release): the Studio's settings schema and path sandbox moved.

- ``TrainSettings`` is ``dlstudio.train.settings.TrainingSettings``; its choice lists and limits
  (``OPTIMIZERS``, ``LOSSES``, ``SCHEDULERS``, ``AUGMENTATIONS``, ``LIMITS``, ``LR_RANGE``) are
  ``choices()`` and ``LIMITS`` there, and ``SpecError`` is its ``SettingsError``.
- ``DataSpec`` (and ``VAL_FRACTION_RANGE``) is ``dlstudio.session.DataSpec``.
- ``inside`` is ``dlstudio.paths.inside`` (which raises ``dlstudio.paths.PathError``).

Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     from dlstudio.export.spec import TrainSettings
    >>> TrainSettings.__name__
    'TrainingSettings'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlstudio import paths
from dlstudio.session import data as _data
from dlstudio.train import settings as _settings


def _inside(root: str | os.PathLike[str], name: str | os.PathLike[str]) -> Path:
    # The old function raised SpecError: old callers may catch exactly that.
    try:
        return paths.inside(root, name)
    except paths.PathError as error:
        raise _settings.SettingsError(str(error)) from None


def _limits() -> dict[str, tuple[float, float]]:
    whole = {k: v for k, v in _settings.LIMITS.items() if k != "lr"}
    return {**whole, "image_size": _data.IMAGE_SIZE}


_MOVED: dict[str, tuple[str, Callable[[], Any]]] = {
    "TrainSettings": ("dlstudio.train.settings.TrainingSettings",
                      lambda: _settings.TrainingSettings),
    "SpecError": ("dlstudio.train.settings.SettingsError", lambda: _settings.SettingsError),
    "OPTIMIZERS": ("dlstudio.train.settings.choices()", lambda: _settings.choices()["optimizer"]),
    "LOSSES": ("dlstudio.train.settings.choices()", lambda: _settings.choices()["loss"]),
    "SCHEDULERS": ("dlstudio.train.settings.choices()", lambda: _settings.choices()["scheduler"]),
    "AUGMENTATIONS": ("dlstudio.train.settings.choices()",
                      lambda: _settings.choices()["augmentation"]),
    "LIMITS": ("dlstudio.train.settings.LIMITS", _limits),
    "LR_RANGE": ("dlstudio.train.settings.LIMITS['lr']", lambda: _settings.LIMITS["lr"]),
    "DataSpec": ("dlstudio.session.DataSpec", lambda: _data.DataSpec),
    "Source": ("dlstudio.session.data.Source", lambda: _data.Source),
    "VAL_FRACTION_RANGE": ("dlstudio.session.data.VAL_FRACTION", lambda: _data.VAL_FRACTION),
    "inside": ("dlstudio.paths.inside", lambda: _inside),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    new, value = _MOVED[name]
    warnings.warn(
        f"dlstudio.export.spec.{name} moved to {new}; the old name goes in the next release.",
        DeprecationWarning,
        stacklevel=2,
    )
    return value()


def __dir__() -> list[str]:
    return sorted(_MOVED)
