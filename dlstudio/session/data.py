"""Which data the Studio trains on, as a checked value: a built-in set, a CSV file or an image
folder, with its split, seed and augmentations.

It comes from the page and from session files, so every field is checked when it is built:
names against the known lists, numbers against ranges; file paths are looked up only inside
the allowed data folder (``dlstudio.paths.inside``).

Example:
    >>> DataSpec(source="csv", path="houses.csv", target="price").describe()
    "datasets.from_csv('houses.csv', target='price')"
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import PurePosixPath
from typing import Any, Literal

from dlstudio import datasets
from dlstudio.paths import PathError, inside
from dlstudio.train.errors import SettingsError, unknown_choice
from dlstudio.train.settings import check_setting, in_range

Source = Literal["builtin", "csv", "folder"]
SOURCES: tuple[str, ...] = ("builtin", "csv", "folder")
IMAGE_SIZE = (4, 512)
VAL_FRACTION = (0.05, 0.5)


def _check_relative(path: str, source: str) -> None:
    """A path as a session file or the page may give it: relative, inside the data folder
    before any link is followed (``paths.inside`` checks again after)."""
    if not path:
        raise SettingsError(f"A {source} data choice needs a path inside the data folder.")
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if PurePosixPath(path).is_absolute() or ".." in parts or "\0" in path:
        raise PathError(f"{path!r} is outside the data folder; pick a file inside it.")


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{name} must be true or false, not {value!r}.")
    return value


@dataclass(frozen=True)
class DataSpec:
    """A data choice; ``path`` is relative to the allowed data folder.

    Example:
        >>> DataSpec("builtin", "iris").describe()
        "datasets.load('iris')"
        >>> DataSpec("builtin", "no-such-set")
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: Unknown data set 'no-such-set': choose one of ...
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
        if self.source not in SOURCES:
            raise unknown_choice("data source", self.source, SOURCES)
        if self.source == "builtin" and self.name not in datasets.names():
            raise unknown_choice("data set", self.name, tuple(datasets.names()))
        if not isinstance(self.path, str):
            raise SettingsError("The data path must be text: a path inside the data folder.")
        if self.source == "builtin" and self.path:
            raise SettingsError("A built-in data set takes no path; leave 'path' empty.")
        if self.source != "builtin":
            _check_relative(self.path, self.source)
        if self.source == "csv" and (not isinstance(self.target, str) or not self.target):
            raise SettingsError("A CSV data choice needs the name of the column to predict.")
        if not isinstance(self.augment, list | tuple):
            raise SettingsError("augment must be a list of augmentation names.")
        checked = {
            "image_size": in_range("The image size", self.image_size, *IMAGE_SIZE, whole=True),
            "val_fraction": in_range(
                "The validation fraction", self.val_fraction, *VAL_FRACTION, whole=False
            ),
            "seed": check_setting("seed", self.seed),
            "augment": tuple(check_setting("augmentation", name) for name in self.augment),
            "grayscale": _check_bool("grayscale", self.grayscale),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: normalised values go in here

    def load(self, root: str | os.PathLike[str] = ".") -> Any:
        """The DataBundle this choice names (files looked up inside ``root``)."""
        common: dict[str, Any] = {"val_fraction": self.val_fraction, "seed": self.seed}
        if self.source == "builtin":
            bundle = datasets.load(self.name, **common)
        elif self.source == "csv":
            bundle = datasets.from_csv(inside(root, self.path), target=self.target, **common)
        else:
            bundle = datasets.from_folder(
                inside(root, self.path),
                image_size=self.image_size,
                grayscale=self.grayscale,
                **common,
            )
        return bundle.with_augmentation(list(self.augment)) if self.augment else bundle

    def loader_call(self, root_expr: str = "DATA_DIR") -> str:
        """The Python expression that loads this data in a script (``root_expr`` names the
        folder variable for files)."""
        common = f"val_fraction={self.val_fraction!r}, seed={self.seed!r}"
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
        """The choice as JSON (what ``from_dict`` reads back)."""
        data = asdict(self)
        data["augment"] = list(self.augment)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> DataSpec:
        """Check a JSON object (a session file, the page) and build the choice.

        Example:
            >>> DataSpec.from_dict({"source": "builtin", "name": "iris", "augment": []}).name
            'iris'
        """
        if not isinstance(data, dict):
            raise SettingsError(
                f"The data choice must be a JSON object, not {type(data).__name__}."
            )
        unknown = sorted(set(data) - {item.name for item in fields(cls)})
        if unknown:
            raise SettingsError(f"The data choice has unknown fields: {', '.join(unknown)}.")
        return cls(**data)
