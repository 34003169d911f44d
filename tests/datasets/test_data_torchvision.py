"""MNIST, FashionMNIST and CIFAR10 read by torchvision from small local copies, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio import datasets
from dlstudio.datasets.torchvision_sets import default_root


def test_mnist_loads_from_idx_files(mnist_root: Path) -> None:
    bundle = datasets.load("mnist", root=mnist_root, download=False)
    assert bundle.input_shape == (1, 28, 28) and bundle.image
    assert bundle.classes == [str(i) for i in range(10)] and bundle.num_classes == 10
    assert (len(bundle.train), len(bundle.val)) == (160, 40)
    x, y = bundle.train[0]
    assert x.dtype == torch.float32 and x.shape == (1, 28, 28) and y.dtype == torch.int64
    # The fixture's brightness grows with the label: the pixels really came from the files.
    xs, ys = bundle.train[list(range(len(bundle.train)))]
    assert xs[ys == 9].mean() > xs[ys == 0].mean()
    assert abs(float(xs.mean())) < 1e-4


def test_fashion_mnist_has_clothing_names(fashion_root: Path) -> None:
    bundle = datasets.load("fashion_mnist", root=fashion_root, download=False)
    assert bundle.classes[0] == "T-shirt/top" and bundle.input_shape == (1, 28, 28)


def test_cifar10_loads_from_python_batches(cifar_root: Path) -> None:
    bundle = datasets.load("cifar10", root=cifar_root, download=False, val_fraction=0.25)
    assert bundle.input_shape == (3, 32, 32)
    assert bundle.classes[:3] == ["airplane", "automobile", "bird"]  # from batches.meta
    assert (len(bundle.train), len(bundle.val)) == (112, 38)  # 5 batches of 30
    assert bundle.mean is not None and len(bundle.mean) == 3
    assert bundle.train[0][0].shape == (3, 32, 32)


def test_official_test_split_and_subset(mnist_root: Path) -> None:
    bundle = datasets.load("mnist", root=mnist_root, download=False, use_test_set=True)
    assert (len(bundle.train), len(bundle.val)) == (200, 50)
    subset = datasets.load("mnist", root=mnist_root, download=False, n_samples=50)
    assert (len(subset.train), len(subset.val)) == (40, 10)


def test_augmentation_option_on_a_torchvision_set(mnist_root: Path) -> None:
    bundle = datasets.load("mnist", root=mnist_root, download=False, augment=["crop"])
    assert bundle.augment == {"crop": {}}
    images, labels = bundle.preview(3)
    assert images.shape == (3, 1, 28, 28) and labels.shape == (3,)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("mnist", "MNIST/raw"),
        ("fashion_mnist", "FashionMNIST/raw"),
        ("cifar10", "cifar-10-batches-py"),
    ],
)
def test_missing_files_say_where_to_put_them(tmp_path: Path, name: str, folder: str) -> None:
    with pytest.raises(FileNotFoundError) as error:
        datasets.load(name, root=tmp_path, download=False)
    message = str(error.value)
    assert "files are missing" in message and str(tmp_path / folder) in message
    assert "Put " in message and "download=True" in message


def test_default_root_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DLSTUDIO_DATA", str(tmp_path))
    assert default_root() == tmp_path
    monkeypatch.delenv("DLSTUDIO_DATA")
    assert default_root() == Path.home() / ".dlstudio" / "data"
