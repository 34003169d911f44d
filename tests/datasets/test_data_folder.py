"""from_folder: ImageFolder layout, unreadable images skipped and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio import datasets


def _pngs(folder: Path, n: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (6, 6), (120, 120, 120)).save(folder / f"{i}.png")


def test_folder_loads_classes_and_skips_the_corrupt_image(image_tree: Path) -> None:
    bundle = datasets.from_folder(image_tree, image_size=16)
    assert bundle.classes == ["cat", "dog"] and bundle.num_classes == 2
    assert bundle.input_shape == (3, 16, 16) and bundle.image
    assert len(bundle.train) + len(bundle.val) == 12
    assert (len(bundle.train), len(bundle.val)) == (10, 2)
    skipped = dict(bundle.skipped)
    assert str(image_tree / "dog" / "broken.png") in skipped
    assert skipped[str(image_tree / "dog" / "broken.png")].startswith("unreadable image (")
    assert "not an image file (.txt)" in skipped[str(image_tree / "cat" / "notes.txt")]
    assert "2 files skipped" in bundle.description


def test_folder_items_are_standardised_images(image_tree: Path) -> None:
    bundle = datasets.from_folder(image_tree, image_size=(12, 10))
    x, y = bundle.train[0]
    assert x.shape == (3, 12, 10) and x.dtype == torch.float32 and y.dtype == torch.int64
    xs = torch.stack([bundle.train[i][0] for i in range(len(bundle.train))])
    assert xs.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    # Cats were drawn dark and dogs bright: the label shows in the pixels.
    ys = torch.stack([bundle.train[i][1] for i in range(len(bundle.train))])
    assert xs[ys == 0].mean() < 0 < xs[ys == 1].mean()


def test_grayscale_option_gives_one_channel(image_tree: Path) -> None:
    bundle = datasets.from_folder(image_tree, image_size=8, grayscale=True)
    assert bundle.input_shape == (1, 8, 8) and bundle.train[0][0].shape == (1, 8, 8)


def test_folder_loaders_decode_in_worker_processes(image_tree: Path) -> None:
    bundle = datasets.from_folder(image_tree, image_size=8, augment=["flip"])
    train_loader, val_loader = bundle.loaders(batch_size=4, seed=0)
    assert train_loader.num_workers >= 1
    batches = [x for x, _ in train_loader]
    assert [len(b) for b in batches] == [4, 4, 2] and batches[0].shape == (4, 3, 8, 8)
    assert sum(len(y) for _, y in val_loader) == 2


def test_folder_errors_are_clear(tmp_path: Path, image_tree: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No folder at"):
        datasets.from_folder(tmp_path / "missing")
    flat = tmp_path / "flat"
    (flat / "only").mkdir(parents=True)
    with pytest.raises(ValueError, match="at least two class folders"):
        datasets.from_folder(flat)
    with pytest.raises(ValueError, match="image_size"):
        datasets.from_folder(image_tree, image_size=0)


def test_a_root_split_into_train_and_val_keeps_its_split(split_tree: Path) -> None:
    bundle = datasets.from_folder(split_tree, image_size=8, val_fraction=0.5)
    assert bundle.classes == ["cat", "dog"]
    assert (len(bundle.train), len(bundle.val)) == (8, 4)
    reasons = dict(bundle.skipped)
    bird = str(split_tree / "val" / "bird" / "bird0.png")
    assert reasons[bird] == "class 'bird' has no images in the training folder"
    broken = str(split_tree / "train" / "dog" / "broken.png")
    assert reasons[broken].startswith("unreadable image")


def test_links_out_of_the_folder_are_skipped_and_said(tmp_path: Path, image_tree: Path) -> None:
    secret = tmp_path / "secret"
    _pngs(secret / "private", 3)  # images outside the data folder
    (image_tree / "private").symlink_to(secret / "private", target_is_directory=True)
    (image_tree / "cat" / "stolen.png").symlink_to(secret / "private" / "0.png")
    kept = next(p for p in sorted((image_tree / "dog").glob("*.png")) if "broken" not in p.name)
    (image_tree / "dog" / "same.png").symlink_to(kept)  # a link inside the folder is kept
    bundle = datasets.from_folder(image_tree, image_size=8)
    assert bundle.classes == ["cat", "dog"]
    skipped = dict(bundle.skipped)
    assert skipped[str(image_tree / "private")] == "a link to outside the data folder"
    assert skipped[str(image_tree / "cat" / "stolen.png")] == "a link to outside the data folder"
    assert len(bundle.train) + len(bundle.val) == 13  # 12 images and the link inside
    paths = bundle.train.paths + bundle.val.paths
    assert not [p for p in paths if "secret" in str(Path(p).resolve())]


def test_an_image_swapped_for_a_link_out_after_loading_is_not_read(
    tmp_path: Path, image_tree: Path
) -> None:
    bundle = datasets.from_folder(image_tree, image_size=8)
    path = Path(bundle.train.paths[0])
    _pngs(tmp_path / "secret", 1)
    path.unlink()
    path.symlink_to(tmp_path / "secret" / "0.png")
    with pytest.raises(OSError, match="outside the data folder"):
        bundle.train[0]
