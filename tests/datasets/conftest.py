"""Small, locally generated copies of on-disk data formats for the datasets tests.

The MNIST and CIFAR10 files are written byte for byte in the formats torchvision reads (idx ubyte
files; pickled CIFAR batches), so the real torchvision readers run on them.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]  # fmt: skip


def _write_idx(path: Path, array: np.ndarray) -> None:
    # idx format: two zero bytes, a type code (0x08 = ubyte), the rank, then big-endian sizes.
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(
    root: Path, folder: str, n_train: int = 200, n_test: int = 50, seed: int = 0
) -> Path:
    """MNIST-format files under ``root/folder/raw``: images whose brightness encodes the label."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 60, size=(n, 28, 28)) + labels[:, None, None] * 19
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def write_cifar10(root: Path, per_batch: int = 30, seed: int = 0) -> dict[str, str]:
    """CIFAR10 python batches under ``root/cifar-10-batches-py``; returns their md5 sums."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        labels = list(rng.integers(0, 10, size=per_batch))
        data = rng.integers(0, 256, size=(per_batch, 3 * 32 * 32), dtype=np.uint8)
        entry = {"batch_label": name, "labels": [int(v) for v in labels], "data": data}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {"label_names": CIFAR_CLASSES, "num_cases_per_batch": per_batch, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return {
        name: hashlib.md5((folder / name).read_bytes()).hexdigest()
        for name in [*names, "batches.meta"]
    }


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mnist(tmp_path_factory.mktemp("mnist"), "MNIST")


@pytest.fixture(scope="session")
def fashion_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mnist(tmp_path_factory.mktemp("fashion"), "FashionMNIST", seed=1)


@pytest.fixture
def cifar_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small CIFAR10 copy. torchvision checks each batch against the md5 of the real file, so
    the expected sums become those of these files; torchvision's own check and reader still run."""
    from torchvision.datasets import CIFAR10

    sums = write_cifar10(tmp_path)
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", sums[f"data_batch_{i}"]]
                                                 for i in range(1, 6)])  # fmt: skip
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", sums["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", dict(CIFAR10.meta, md5=sums["batches.meta"]))
    return tmp_path


def write_pngs(folder: Path, n: int, brightness: int, seed: int = 0) -> None:
    """``n`` PNGs of mixed sizes around ``brightness``; the last one grayscale."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        size = (20 + 3 * i, 16 + 2 * i)
        pixels = np.clip(rng.normal(brightness, 10, size=(size[1], size[0], 3)), 0, 255)
        image = Image.fromarray(pixels.astype(np.uint8), "RGB")
        if i == n - 1:
            image = image.convert("L")  # a grayscale file among colour ones
        image.save(folder / f"{folder.name}{i}.png")


def write_corrupt_png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10)


@pytest.fixture
def image_tree(tmp_path: Path) -> Path:
    """root/cat (dark) and root/dog (bright) with 6 PNGs each, one corrupt PNG and a stray
    text file."""
    root = tmp_path / "pets"
    write_pngs(root / "cat", 6, brightness=40)
    write_pngs(root / "dog", 6, brightness=200)
    write_corrupt_png(root / "dog" / "broken.png")
    (root / "cat" / "notes.txt").write_text("a file that is not an image")
    return root


@pytest.fixture
def split_tree(tmp_path: Path) -> Path:
    """root/train/{cat,dog} (4 PNGs each, one corrupt extra) and root/val/{cat,dog,bird}."""
    root = tmp_path / "split"
    for split, n in (("train", 4), ("val", 2)):
        write_pngs(root / split / "cat", n, brightness=40)
        write_pngs(root / split / "dog", n, brightness=200)
    write_pngs(root / "val" / "bird", 1, brightness=120)  # no such class in train/
    write_corrupt_png(root / "train" / "dog" / "broken.png")
    return root


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    """200 rows: numeric and categorical features with gaps, a text class target, a numeric
    regression target, a small-integer target and an id column with a value per row."""
    rng = np.random.default_rng(0)
    n = 200
    size = rng.normal(10, 3, n)
    color = rng.choice(["red", "green", "blue"], n)
    weight = rng.normal(50, 10, n)
    kind = np.where(size + (color == "red") * 3 > 11, "big", "small")
    price = 3 * size + weight + rng.normal(0, 1, n)
    rating = rng.integers(1, 6, n)
    rows = ["id,size,color,weight,kind,price,rating"]
    for i in range(n):
        cells = [f"user{i}", f"{size[i]:.3f}", color[i], f"{weight[i]:.2f}", kind[i],
                 f"{price[i]:.2f}", str(rating[i])]  # fmt: skip
        if i % 10 == 3:
            cells[1] = ""  # missing numeric
        if i % 15 == 4:
            cells[2] = ""  # missing category
        if i % 25 == 7:
            cells[3] = "?"  # a "?" marking a gap in a numeric column
        rows.append(",".join(cells))
    path = tmp_path / "shop.csv"
    path.write_text("\n".join(rows) + "\n")
    return path
