"""Data for dlstudio: built-in sets by name, your own CSV files, tensors and image folders.

Every loader returns a ``DataBundle`` with a training and a validation split, standardised with
statistics from the training split only.

Example:
    >>> from dlstudio import datasets
    >>> bundle = datasets.load("digits", augment=["rotation"])
    >>> bundle.input_shape, bundle.num_classes, bundle.image
    ((1, 8, 8), 10, True)
    >>> train_loader, val_loader = bundle.loaders(batch_size=64, seed=0)
"""

from __future__ import annotations

from typing import Any

from dlstudio.datasets.augment import augmentations
from dlstudio.datasets.batches import Batches
from dlstudio.datasets.builtin import catalog, load, names
from dlstudio.datasets.bundle import DataBundle, Task
from dlstudio.datasets.folder import from_folder
from dlstudio.datasets.tensors import from_tensors

__all__ = [
    "Batches",
    "DataBundle",
    "Task",
    "augmentations",
    "catalog",
    "from_csv",
    "from_folder",
    "from_tensors",
    "load",
    "names",
]


def __getattr__(name: str) -> Any:
    # pandas (0.3 s to import) only when someone reads a CSV file: the Studio app opens faster.
    if name == "from_csv":
        from dlstudio.datasets.csvfile import from_csv

        return from_csv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
