"""bundle.loaders: deterministic shuffling, whole-batch reads for in-memory data."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import TensorDataset

from dlstudio import datasets
from dlstudio.datasets.loaders import make_loaders


def order(loader) -> list[int]:
    return [int(v) for x, _ in loader for v in x[:, 0]]


@pytest.fixture
def numbered() -> TensorDataset:
    # The feature is the sample's index, so a batch shows which samples it holds.
    return TensorDataset(torch.arange(50.0).view(50, 1), torch.zeros(50, dtype=torch.long))


def test_same_seed_same_order_every_run(numbered: TensorDataset) -> None:
    a, _ = make_loaders(numbered, numbered, batch_size=8, seed=5)
    b, _ = make_loaders(numbered, numbered, batch_size=8, seed=5)
    first_a, second_a = order(a), order(a)
    assert first_a == order(b) and second_a == order(b)
    # Each epoch is a fresh permutation of all samples.
    assert sorted(first_a) == list(range(50)) and first_a != second_a
    c, _ = make_loaders(numbered, numbered, batch_size=8, seed=6)
    assert order(c) != first_a


def test_generator_state_resumes_the_same_order(numbered: TensorDataset) -> None:
    loader, _ = make_loaders(numbered, numbered, batch_size=8, seed=1)
    order(loader)
    state = loader.generator.get_state()
    expected = order(loader)
    fresh, _ = make_loaders(numbered, numbered, batch_size=8, seed=99)
    fresh.generator.set_state(state)
    assert order(fresh) == expected


def test_validation_is_not_shuffled(numbered: TensorDataset) -> None:
    _, val = make_loaders(numbered, numbered, batch_size=16, seed=0)
    assert order(val) == list(range(50))


def test_in_memory_batches_come_whole(numbered: TensorDataset) -> None:
    train, val = make_loaders(numbered, numbered, batch_size=16)
    assert train.num_workers == 0 and not train.pin_memory
    sizes = [len(x) for x, _ in train]
    assert sizes == [16, 16, 16, 2] and len(train) == 4
    x, y = next(iter(val))
    assert x.shape == (16, 1) and y.shape == (16,) and y.dtype == torch.long


def test_pin_memory_only_for_cuda(numbered: TensorDataset) -> None:
    train, val = make_loaders(numbered, numbered, batch_size=4, device="cuda")
    assert train.pin_memory and val.pin_memory
    train, _ = make_loaders(numbered, numbered, batch_size=4, device=torch.device("cpu"))
    assert not train.pin_memory


def test_bundle_loaders_for_images_with_and_without_augmentation() -> None:
    bundle = datasets.load("digits")
    train, val = bundle.loaders(batch_size=64, seed=0)
    x, y = next(iter(train))
    assert x.shape == (64, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert sum(len(y) for _, y in val) == len(bundle.val)
    augmented = bundle.with_augmentation(["flip"])
    train_a, _ = augmented.loaders(batch_size=64, seed=0)
    assert train_a.batch_size == 64  # per-item path: each image gets its own random flip
    x_a, y_a = next(iter(train_a))
    assert x_a.shape == x.shape and torch.equal(y_a, y)  # same shuffle from the same seed


def test_tabular_loader_yields_standardised_batches() -> None:
    train, _ = datasets.load("iris").loaders(batch_size=120)
    x, _ = next(iter(train))
    assert torch.allclose(x.mean(0), torch.zeros(4), atol=1e-5)


def test_bad_batch_size_is_a_clear_error(numbered: TensorDataset) -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_loaders(numbered, numbered, batch_size=0)
