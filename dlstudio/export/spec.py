"""What the Studio trains: the data choice and the training settings, as checked JSON.

Both come from the page (through widgets) and from session folders, so every field is checked
here: names against the known lists, numbers against ranges, paths against the allowed folder.

Example:
    >>> spec = DataSpec(source="builtin", name="digits")
    >>> spec.describe()
    "datasets.load('digits')"
    >>> TrainSettings(epochs=3).trainer_kwargs()["epochs"]
    3
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

Source = Literal["builtin", "csv", "folder"]
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("auto", "cross_entropy", "mse", "l1", "bce", "huber")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
AUGMENTATIONS = ("flip", "vflip", "crop", "rotation", "color", "noise")
LIMITS = {
    "epochs": (1, 1000),
    "batch_size": (1, 4096),
    "seed": (0, 2**31 - 1),
    "image_size": (4, 512),
}
LR_RANGE = (1e-6, 10.0)
VAL_FRACTION_RANGE = (0.05, 0.5)


class SpecError(ValueError):
    """A data choice or a training setting that cannot be used, said in one sentence."""


def inside(root: str | os.PathLike, name: str | os.PathLike) -> Path:
    """``root / name`` resolved, refusing anything that leaves ``root`` (``..``, links, /abs).

    Example:
        >>> inside("/data", "iris.csv").as_posix()
        '/data/iris.csv'
        >>> inside("/data", "../etc/passwd")
        Traceback (most recent call last):
        ...
        dlstudio.export.spec.SpecError: '../etc/passwd' is outside the data folder /data; pick a file inside it.
    """
    base = Path(root).expanduser().resolve()
    path = (base / name).resolve()
    if path != base and base not in path.parents:
        raise SpecError(f"{str(name)!r} is outside the data folder {base}; pick a file inside it.")
    return path


def _int(name: str, value: Any) -> int:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise SpecError(f"{name} must be a whole number between {low} and {high}, not {value!r}.")
    if not low <= int(value) <= high:
        raise SpecError(f"{name} must be between {low} and {high}; {value} is out of range.")
    return int(value)


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SpecError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


@dataclass(frozen=True)
class DataSpec:
    """Which data to train on: a built-in set, a CSV file or an image folder.

    ``path`` is relative to the allowed data folder (the page can only name files inside it).

    Example:
        >>> DataSpec(source="csv", path="houses.csv", target="price").describe()
        "datasets.from_csv('houses.csv', target='price')"
    """

    source: Source = "builtin"
    name: str = "digits"
    path: str = ""
    target: str = ""
    image_size: int = 28
    grayscale: bool = False
    augment: tuple[str, ...] = ()
    val_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        _choice("source", self.source, ("builtin", "csv", "folder"))
        if self.source == "builtin":
            from dlstudio.datasets import names

            _choice("data set", self.name, tuple(names()))
        elif not self.path or not isinstance(self.path, str):
            raise SpecError(f"A {self.source} data choice needs a path inside the data folder.")
        if self.source == "csv" and (not isinstance(self.target, str) or not self.target):
            raise SpecError("A CSV data choice needs the name of the column to predict.")
        _int("image_size", self.image_size)
        _int("seed", self.seed)
        for name in self.augment:
            _choice("augmentation", name, AUGMENTATIONS)
        low, high = VAL_FRACTION_RANGE
        if not isinstance(self.val_fraction, float | int) or not low <= self.val_fraction <= high:
            raise SpecError(f"val_fraction must be between {low} and {high}.")

    def load(self, root: str | os.PathLike = ".") -> Any:
        """The DataBundle this choice names (files looked up inside ``root``)."""
        from dlstudio import datasets

        common = {"val_fraction": float(self.val_fraction), "seed": self.seed}
        if self.source == "builtin":
            bundle = datasets.load(self.name, **common)
        elif self.source == "csv":
            bundle = datasets.from_csv(inside(root, self.path), target=self.target, **common)
        else:
            size = self.image_size
            bundle = datasets.from_folder(
                inside(root, self.path), image_size=size, grayscale=self.grayscale, **common
            )
        return bundle.with_augmentation(list(self.augment)) if self.augment else bundle

    def loader_call(self, root_expr: str = "DATA_DIR") -> str:
        """The Python expression that loads this data in a script (``root_expr`` names the
        folder variable for files)."""
        common = f"val_fraction={float(self.val_fraction)!r}, seed={self.seed!r}"
        augment = f", augment={list(self.augment)!r}" if self.augment else ""
        if self.source == "builtin":
            return f"datasets.load({self.name!r}, {common}{augment})"
        if self.source == "csv":
            call = (
                f"datasets.from_csv({root_expr} / {self.path!r}, target={self.target!r}, {common})"
            )
            return f"{call}.with_augmentation({list(self.augment)!r})" if augment else call
        return (
            f"datasets.from_folder({root_expr} / {self.path!r}, image_size={self.image_size!r}, "
            f"grayscale={self.grayscale!r}, {common}{augment})"
        )

    def describe(self) -> str:
        """A short call-like description for status lines."""
        if self.source == "builtin":
            return f"datasets.load({self.name!r})"
        if self.source == "csv":
            return f"datasets.from_csv({self.path!r}, target={self.target!r})"
        return f"datasets.from_folder({self.path!r}, image_size={self.image_size})"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["augment"] = list(self.augment)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> DataSpec:
        """Check a JSON object (from a session file or the page) and build the spec."""
        return cls(**_known(cls, data, "data choice"))


@dataclass(frozen=True)
class TrainSettings:
    """The training settings on screen; the same ones go to the Trainer and into the script.

    Example:
        >>> TrainSettings(lr=100)
        Traceback (most recent call last):
        ...
        dlstudio.export.spec.SpecError: lr must be between 1e-06 and 10.0; 100 is out of range.
    """

    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    loss: str = "auto"
    scheduler: str = "none"
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _int("epochs", self.epochs)
        _int("batch_size", self.batch_size)
        _int("seed", self.seed)
        low, high = LR_RANGE
        if isinstance(self.lr, bool) or not isinstance(self.lr, int | float):
            raise SpecError(f"lr must be a number between {low} and {high}, not {self.lr!r}.")
        if not math.isfinite(self.lr) or not low <= self.lr <= high:
            raise SpecError(f"lr must be between {low} and {high}; {self.lr} is out of range.")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("loss", self.loss, LOSSES)
        _choice("scheduler", self.scheduler, SCHEDULERS)

    def trainer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Trainer(model, data, **kwargs)``."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": float(self.lr),
            "optimizer": self.optimizer,
            "loss": self.loss,
            "scheduler": None if self.scheduler == "none" else self.scheduler,
            "seed": self.seed,
        }

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}

    @classmethod
    def from_dict(cls, data: Any) -> TrainSettings:
        """Check a JSON object (from a session file or the page) and build the settings."""
        return cls(**_known(cls, data, "training settings"))


def _known(cls: type, data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SpecError(f"The {what} must be a JSON object, not {type(data).__name__}.")
    names = {f.name for f in fields(cls)} - {"extra"}
    unknown = sorted(set(data) - names)
    if unknown:
        raise SpecError(f"The {what} has unknown fields: {', '.join(unknown)}.")
    values = dict(data)
    if "augment" in values:
        if not isinstance(values["augment"], list | tuple):
            raise SpecError("augment must be a list of augmentation names.")
        values["augment"] = tuple(values["augment"])
    return values
