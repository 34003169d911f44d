"""Augmentation by name: training split only, previews that show it."""

from __future__ import annotations

import pytest
import torch

from dlstudio import datasets
from dlstudio.datasets.augment import build_transform


@pytest.fixture(scope="module")
def digits() -> datasets.DataBundle:
    return datasets.load("digits")


def test_augmentation_changes_train_items_only(digits: datasets.DataBundle) -> None:
    augmented = digits.with_augmentation(["rotation", "noise"])
    assert augmented.augment == {"rotation": {}, "noise": {}}
    assert augmented.val is digits.val
    plain_x, plain_y = digits.train[0]
    torch.manual_seed(0)
    x, y = augmented.train[0]
    assert x.shape == plain_x.shape and x.dtype == torch.float32 and y == plain_y
    assert not torch.allclose(x, plain_x, atol=1e-3)
    # The original bundle is untouched.
    assert torch.equal(digits.train[0][0], plain_x)


def test_load_takes_augment_by_name(digits: datasets.DataBundle) -> None:
    bundle = datasets.load("digits", augment=["flip", "rotation"])
    assert set(bundle.augment) == {"flip", "rotation"}
    assert torch.equal(bundle.val[[0, 1, 2]][0], digits.val[[0, 1, 2]][0])


def test_preview_returns_changed_display_ready_images(digits: datasets.DataBundle) -> None:
    plain, plain_labels = digits.preview(6)
    assert plain.shape == (6, 1, 8, 8) and plain_labels.shape == (6,)
    assert plain.min() >= 0 and plain.max() <= 1
    # Without augmentation the preview is the raw image in [0, 1] (digits are 0..16 / 16).
    assert torch.allclose(plain * 16, (plain * 16).round(), atol=1e-4)
    images, labels = digits.with_augmentation(["rotation", "noise"]).preview(6)
    assert images.shape == (6, 1, 8, 8) and torch.equal(labels, plain_labels)
    assert images.min() >= 0 and images.max() <= 1
    changed = (images - plain).flatten(1).abs().amax(dim=1) > 0.05
    assert changed.all()


def test_preview_is_reproducible_and_leaves_global_rng_alone(digits: datasets.DataBundle) -> None:
    bundle = digits.with_augmentation({"rotation": {"degrees": 40}})
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a, _ = bundle.preview(4, seed=7)
    b, _ = bundle.preview(4, seed=7)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(3), before)
    c, _ = bundle.preview(4, seed=8)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 16, 16)])
@pytest.mark.parametrize("name", sorted(datasets.augmentations()))
def test_every_augmentation_runs_on_gray_and_colour(name: str, shape: tuple[int, ...]) -> None:
    transform = build_transform([name], shape)
    torch.manual_seed(0)
    image = torch.rand(shape)
    out = transform(image)
    assert out.shape == shape and out.dtype == torch.float32


def test_aliases_and_options() -> None:
    transform = build_transform({"colour": {"brightness": 0.9}, "hflip": {"p": 1.0}}, (3, 4, 4))
    image = torch.rand(3, 4, 4)
    torch.manual_seed(0)
    assert transform is not None and transform(image).shape == (3, 4, 4)
    flip_only = build_transform({"flip": {"p": 1.0}}, (1, 2, 2))
    assert torch.equal(flip_only(torch.tensor([[[0.0, 1.0], [0.5, 0.2]]])),
                       torch.tensor([[[1.0, 0.0], [0.2, 0.5]]]))  # fmt: skip


def test_removing_augmentation(digits: datasets.DataBundle) -> None:
    plain = digits.with_augmentation(["noise"]).with_augmentation([])
    assert plain.augment == {}
    assert torch.equal(plain.train[0][0], digits.train[0][0])


def test_augmentation_errors_are_clear(digits: datasets.DataBundle) -> None:
    with pytest.raises(ValueError, match="Unknown augmentation 'blur'. Choose from: flip"):
        digits.with_augmentation(["blur"])
    with pytest.raises(ValueError, match="'iris' is not an image data set"):
        datasets.load("iris", augment=["flip"])
    with pytest.raises(ValueError, match="Bad options for augmentation 'rotation'"):
        digits.with_augmentation({"rotation": {"spin": 3}})
