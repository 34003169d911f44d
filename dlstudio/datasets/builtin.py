"""Built-in data sets by name: scikit-learn's bundled files, generated toys, torchvision sets."""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlstudio.datasets import generated
from dlstudio.datasets.bundle import DataBundle, Task
from dlstudio.datasets.memory import as_targets, image_bundle, tensor_bundle

_COMMON = {"val_fraction": 0.2, "seed": 0}


@dataclass(frozen=True)
class _Entry:
    description: str
    kind: str  # "image", "tabular", "generated", "sequence" or "download"
    task: Task
    build: Callable[..., DataBundle]
    options: dict[str, Any]


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits file as (images N x 8 x 8, labels), read the way its
    ``load_digits`` reads it but without importing scikit-learn (1.7 s, a third of the Studio
    app's launch: the app opens on digits). Falls back to ``load_digits`` if the file moved."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    folders = (spec.submodule_search_locations or []) if spec else []
    path = next((Path(f) / "datasets" / "data" / "digits.csv.gz" for f in folders), None)
    if path is None or not path.is_file():
        from sklearn.datasets import load_digits

        raw = load_digits()
        return raw.images, raw.target
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(int)


def _sklearn(name: str, *, val_fraction: float, seed: int) -> DataBundle:
    entry = _REGISTRY[name]
    if name == "digits":
        pixels, labels = _digits_arrays()
        images = torch.from_numpy(pixels).float().unsqueeze(1) / 16  # pixels are 0..16
        return image_bundle(
            name,
            images,
            as_targets(labels, "classification"),
            [str(i) for i in range(10)],
            val_fraction=val_fraction,
            seed=seed,
            description=entry.description,
        )
    from sklearn import datasets as sk

    raw = getattr(sk, f"load_{name}")()
    classes = [str(c) for c in raw.target_names] if entry.task == "classification" else None
    return tensor_bundle(
        name,
        torch.from_numpy(np.asarray(raw.data, dtype=np.float32)),
        as_targets(raw.target, entry.task),
        entry.task,
        val_fraction=val_fraction,
        seed=seed,
        classes=classes,
        description=entry.description,
        feature_names=[str(f) for f in raw.feature_names],
    )


def _generated(name: str, *, val_fraction: float, seed: int, **options: Any) -> DataBundle:
    x, y = getattr(generated, name)(seed=seed, **options)
    entry = _REGISTRY[name]
    is_sequence = name == "sine"
    return tensor_bundle(
        name,
        torch.from_numpy(np.asarray(x, dtype=np.float32)),
        as_targets(y, entry.task),
        entry.task,
        val_fraction=val_fraction,
        seed=seed,
        description=entry.description,
        feature_names=None if is_sequence else ["x1", "x2"],
    )


def _torchvision(name: str, **options: Any) -> DataBundle:
    from dlstudio.datasets.torchvision_sets import load_torchvision

    return load_torchvision(name, description=_REGISTRY[name].description, **options)


_TOY = {"n_samples": 1000, "noise": None}
_DOWNLOAD = {"root": None, "download": True, "n_samples": None, "use_test_set": False}
_REGISTRY: dict[str, _Entry] = {
    "digits": _Entry(
        "1,797 handwritten digits as 1x8x8 images, 10 classes.",
        "image",
        "classification",
        _sklearn,
        {},
    ),
    "iris": _Entry(
        "150 iris flowers, 4 measurements, 3 species.", "tabular", "classification", _sklearn, {}
    ),
    "wine": _Entry(
        "178 wines, 13 chemical measurements, 3 cultivars.",
        "tabular",
        "classification",
        _sklearn,
        {},
    ),
    "breast_cancer": _Entry(
        "569 tumour biopsies, 30 features, malignant or benign.",
        "tabular",
        "classification",
        _sklearn,
        {},
    ),
    "diabetes": _Entry(
        "442 patients, 10 features; predict disease progression (regression).",
        "tabular",
        "regression",
        _sklearn,
        {},
    ),
    "moons": _Entry(
        "Two interleaving half moons, 2 features, 2 classes (noise 0.1).",
        "generated",
        "classification",
        _generated,
        _TOY,
    ),
    "circles": _Entry(
        "A circle inside a circle, 2 features, 2 classes (noise 0.05).",
        "generated",
        "classification",
        _generated,
        _TOY,
    ),
    "spirals": _Entry(
        "Two interleaved spirals, 2 features, 2 classes (noise 0.05).",
        "generated",
        "classification",
        _generated,
        _TOY | {"turns": 1.5},
    ),
    "xor": _Entry(
        "Four quadrants, class by sign of x*y, 2 features, 2 classes (noise 0.05).",
        "generated",
        "classification",
        _generated,
        _TOY,
    ),
    "blobs": _Entry(
        "Gaussian clusters, 2 features, one class per cluster (noise 0.3).",
        "generated",
        "classification",
        _generated,
        _TOY | {"centers": 3},
    ),
    "sine": _Entry(
        "Sine-wave windows (length 20, 1 feature); forecast the next value.",
        "sequence",
        "regression",
        _generated,
        _TOY | {"length": 20},
    ),
    "mnist": _Entry(
        "70,000 handwritten digits, 1x28x28, 10 classes (downloads 11 MB).",
        "download",
        "classification",
        _torchvision,
        _DOWNLOAD,
    ),
    "fashion_mnist": _Entry(
        "70,000 clothing photos, 1x28x28, 10 classes (downloads 30 MB).",
        "download",
        "classification",
        _torchvision,
        _DOWNLOAD,
    ),
    "cifar10": _Entry(
        "60,000 small photos, 3x32x32, 10 classes (downloads 163 MB).",
        "download",
        "classification",
        _torchvision,
        _DOWNLOAD,
    ),
}


def names() -> dict[str, str]:
    """Built-in data set names, each with a one-line description.

    Example:
        >>> from dlstudio import datasets
        >>> datasets.names()["iris"]
        '150 iris flowers, 4 measurements, 3 species.'
    """
    return {name: entry.description for name, entry in _REGISTRY.items()}


def catalog() -> list[dict[str, Any]]:
    """Built-in data sets with their kind, task and options (defaults), for pickers and forms.

    Example:
        >>> from dlstudio import datasets
        >>> [e["name"] for e in datasets.catalog() if e["kind"] == "download"]
        ['mnist', 'fashion_mnist', 'cifar10']
    """
    return [
        {
            "name": name,
            "description": entry.description,
            "kind": entry.kind,
            "task": entry.task,
            "image": entry.kind == "image" or entry.kind == "download",
            "offline": entry.kind != "download",
            "options": _COMMON | entry.options,
        }
        for name, entry in _REGISTRY.items()
    ]


def load(name: str, **options: Any) -> DataBundle:
    """Load a built-in data set by name (see ``names()``), split and standardised.

    Every set takes ``val_fraction`` (default 0.2) and ``seed``; image sets take ``augment``
    (see ``augmentations()``); generated sets take ``n_samples`` and ``noise``; torchvision sets
    take ``root``, ``download``, ``n_samples`` and ``use_test_set``.

    Example:
        >>> from dlstudio import datasets
        >>> bundle = datasets.load("moons", noise=0.2, n_samples=500, seed=1)
        >>> len(bundle.train), len(bundle.val)
        (400, 100)
    """
    key = str(name).lower().replace("-", "_")
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, _REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown data set {name!r}.{hint} Built-in data sets: {', '.join(_REGISTRY)}. "
            "For your own data use datasets.from_csv, from_folder or from_tensors."
        )
    entry = _REGISTRY[key]
    augment = options.pop("augment", None)
    allowed = _COMMON | entry.options
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = [*allowed, "augment"] if entry.kind in ("image", "download") else [*allowed]
        raise TypeError(
            f"{key} does not take option(s) {', '.join(unknown)}; it takes: {', '.join(accepted)}."
        )
    # None means "the generator's own default" (noise differs per set).
    options = {k: v for k, v in (_COMMON | options).items() if v is not None or k in _COMMON}
    bundle = entry.build(key, **options)
    return bundle.with_augmentation(augment) if augment else bundle
