"""MNIST, FashionMNIST and CIFAR10 through torchvision, kept in memory as uint8 images.

torchvision reads its own on-disk formats; we take its decoded ``data``/``targets`` arrays
directly instead of going through its per-item PIL conversion, which is far slower.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlstudio.datasets.bundle import DataBundle
from dlstudio.datasets.memory import check_val_fraction, image_bundle

_FILES = {
    "mnist": (
        "MNIST",
        "MNIST/raw",
        "train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte",
    ),
    "fashion_mnist": (
        "FashionMNIST",
        "FashionMNIST/raw",
        "train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte",
    ),
    "cifar10": (
        "CIFAR10",
        "cifar-10-batches-py",
        "data_batch_1 ... data_batch_5, test_batch "
        "and batches.meta (the unpacked cifar-10-python.tar.gz)",
    ),
}


def default_root() -> Path:
    """Where downloaded data sets live: ``$DLSTUDIO_DATA`` or ``~/.dlstudio/data``."""
    return Path(os.environ.get("DLSTUDIO_DATA", "~/.dlstudio/data")).expanduser()


def load_torchvision(
    name: str,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    n_samples: int | None = None,
    use_test_set: bool = False,
    val_fraction: float = 0.2,
    seed: int = 0,
    description: str = "",
) -> DataBundle:
    """Load ``name`` ("mnist", "fashion_mnist", "cifar10") from ``root``, downloading if allowed.

    The training file is split by ``val_fraction``; ``use_test_set=True`` validates on the
    official test set instead. ``n_samples`` keeps a random (seeded) subset of the training
    images, for quick experiments.

    Example:
        >>> bundle = load_torchvision("mnist", root="data", n_samples=5000)  # doctest: +SKIP
    """
    root = Path(root).expanduser() if root is not None else default_root()
    train = _open(name, root, train=True, download=download)
    images, targets = _arrays(train)
    classes = _class_names(name, train)
    check_val_fraction(val_fraction)
    if n_samples is not None:
        if int(n_samples) < 2:
            raise ValueError(f"n_samples must be at least 2; got {n_samples!r}.")
        keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
        keep = keep[: int(n_samples)].sort().values
        images, targets = images[keep], targets[keep]
    val = _arrays(_open(name, root, train=False, download=download)) if use_test_set else None
    return image_bundle(
        name,
        images,
        targets,
        classes,
        val_fraction=val_fraction,
        seed=seed,
        description=description,
        val=val,
    )


def _open(name: str, root: Path, *, train: bool, download: bool) -> Any:
    from torchvision import datasets as tv

    class_name, folder, files = _FILES[name]
    dataset_class = getattr(tv, class_name)
    try:
        return dataset_class(str(root), train=train, download=download)
    except Exception as error:  # noqa: BLE001 -- download failures come in many types
        how = (
            "and could not be downloaded"
            if download
            else "(download=False, so nothing was fetched)"
        )
        raise FileNotFoundError(
            f"The {class_name} files are missing from {root / folder} {how}. "
            f"Put {files} in {root / folder}, or run once with download=True on a machine "
            f"that can reach the internet and copy the folder {root} here. "
            f"Choose another folder with root=... or the DLSTUDIO_DATA variable. "
            f"(torchvision said: {error})"
        ) from error


def _arrays(dataset: Any) -> tuple[torch.Tensor, torch.Tensor]:
    data = torch.as_tensor(np.asarray(dataset.data))
    # MNIST stores (N, H, W); CIFAR stores (N, H, W, C): both become (N, C, H, W) uint8.
    images = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
    targets = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.long)
    return images.contiguous(), targets


def _class_names(name: str, dataset: Any) -> list[str]:
    if name == "mnist":
        # torchvision names them "0 - zero"; plain digits read better on plots.
        return [str(i) for i in range(10)]
    return [str(c) for c in dataset.classes]
