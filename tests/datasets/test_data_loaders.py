"""bundle.loaders and Batches: shuffling fixed by (seed, epoch), whole-batch reads in memory."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from dlstudio import datasets
from dlstudio.datasets import Batches
from dlstudio.datasets.batches import make_loaders


def order(batches) -> list[int]:
    return [int(v) for x, _ in batches for v in x[:, 0]]


@pytest.fixture
def numbered() -> TensorDataset:
    # The feature is the sample's index, so a batch shows which samples it holds.
    return TensorDataset(torch.arange(50.0).view(50, 1), torch.zeros(50, dtype=torch.long))


class Items(Dataset):
    """A data set read one item at a time, through a DataLoader."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor([float(index)]), torch.tensor(0)


def test_same_seed_same_order_every_run(numbered: TensorDataset) -> None:
    a, _ = make_loaders(numbered, numbered, batch_size=8, seed=5)
    b, _ = make_loaders(numbered, numbered, batch_size=8, seed=5)
    first_a, second_a = order(a), order(a)
    assert first_a == order(b) and second_a == order(b)
    # Each epoch is a fresh permutation of all samples.
    assert sorted(first_a) == list(range(50)) and first_a != second_a
    c, _ = make_loaders(numbered, numbered, batch_size=8, seed=6)
    assert order(c) != first_a


def test_an_epoch_is_the_same_whoever_reads_it(numbered: TensorDataset) -> None:
    loader, _ = make_loaders(numbered, numbered, batch_size=8, seed=1)
    order(loader)
    expected = order(loader)
    fresh, _ = make_loaders(numbered, numbered, batch_size=8, seed=1)
    fresh.next_epoch = 1  # what resuming at epoch 1 sets
    assert order(fresh) == expected
    # The Trainer reads epochs directly, from any batch on.
    assert order(fresh.epoch(1, start=2)) == expected[16:]


@pytest.mark.parametrize("make", [lambda n: Items(n), lambda n: Subset(Items(n + 5), range(n))])
def test_every_kind_of_data_set_gives_the_same_order(numbered: TensorDataset, make) -> None:
    tensors = Batches(numbered, 8, seed=3)
    other = Batches(make(50), 8, seed=3, num_workers=0)
    assert order(other.epoch(2)) == order(tensors.epoch(2))


def test_validation_is_not_shuffled(numbered: TensorDataset) -> None:
    _, val = make_loaders(numbered, numbered, batch_size=16, seed=0)
    assert order(val) == list(range(50))


def test_in_memory_batches_come_whole(numbered: TensorDataset) -> None:
    train, val = make_loaders(numbered, numbered, batch_size=16)
    assert train.num_workers == 0
    sizes = [len(x) for x, _ in train]
    assert sizes == [16, 16, 16, 2] and len(train) == 4
    x, y = next(iter(val))
    assert x.shape == (16, 1) and y.shape == (16,) and y.dtype == torch.long


def test_a_lone_last_sample_is_dropped_when_shuffling(numbered: TensorDataset) -> None:
    train, val = make_loaders(numbered, numbered, batch_size=7)  # 50 = 7 * 7 + 1
    assert [len(x) for x, _ in train] == [7] * 7
    assert sum(len(x) for x, _ in val) == 50


def test_bundle_loaders_for_images_with_and_without_augmentation() -> None:
    bundle = datasets.load("digits")
    train, val = bundle.loaders(batch_size=64, seed=0)
    x, y = next(iter(train))
    assert x.shape == (64, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert sum(len(y) for _, y in val) == len(bundle.val)
    augmented = bundle.with_augmentation(["flip"])
    train_a, _ = augmented.loaders(batch_size=64, seed=0)
    x_a, y_a = next(iter(train_a))
    assert x_a.shape == x.shape and torch.equal(y_a, y)  # same shuffle from the same seed
    assert not torch.equal(x_a, x)  # each image got its own random flip


def test_tabular_loader_yields_standardised_batches() -> None:
    train, _ = datasets.load("iris").loaders(batch_size=120)
    x, _ = next(iter(train))
    assert torch.allclose(x.mean(0), torch.zeros(4), atol=1e-5)


def test_bad_batch_size_is_a_clear_error(numbered: TensorDataset) -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_loaders(numbered, numbered, batch_size=0)
