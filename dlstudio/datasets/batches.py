"""Batches of a data set that can restart in the middle of an epoch and give the same samples.

The shuffle order of epoch ``e`` depends only on ``(seed, e)``, so a run stopped after batch ``k``
and resumed later, even in another process, continues with batch ``k + 1`` of the same
permutation: this is what makes a saved and resumed run bit-identical to an uninterrupted one.

How a batch is read depends on the data set, fastest first: tensor data sets are gathered
(one indexing per batch, already on the device); sets that say ``reads_batches = True``
(``ImageTensors``) answer a tensor of indices with a stacked batch; any other map-style set goes
through a DataLoader, with worker processes when it says ``decodes_files = True``. Per-item
collation is where most of a small model's step time would otherwise go.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate

# Tensor data sets up to this size are copied to the GPU once instead of batch by batch.
_MAX_DEVICE_COPY_BYTES = 2 * 1024**3
# Spreads (seed, epoch) pairs apart, so seed 1 epoch 0 and seed 0 epoch 1 differ.
_SEED_STRIDE = 1_000_003

Batch = tuple[Tensor, Tensor]


def epoch_seed(seed: int, epoch: int) -> int:
    """The generator seed of one epoch's shuffle (and of its worker processes).

    Example:
        >>> epoch_seed(0, 3), epoch_seed(1, 0)
        (3, 1000003)
    """
    return int(seed) * _SEED_STRIDE + int(epoch)


def size_of(dataset: Dataset[Any]) -> int:
    """The number of samples in a map-style data set (torch's Dataset type leaves out len).

    Example:
        >>> size_of(TensorDataset(torch.zeros(3, 2)))
        3
    """
    return len(dataset)  # type: ignore[arg-type]


def default_workers(dataset: Dataset[Any]) -> int:
    """Worker processes for ``dataset``: some for file decoding, none for in-memory tensors.

    Example:
        >>> default_workers(TensorDataset(torch.zeros(3, 2)))
        0
    """
    if not getattr(dataset, "decodes_files", False):
        return 0
    # Leave one core to the training loop itself.
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _as_tensors(dataset: Dataset[Any]) -> tuple[Tensor, ...] | None:
    """The (x, y) tensors behind a TensorDataset (or a Subset of one), else None."""
    if type(dataset) is TensorDataset:
        return tuple(dataset.tensors)
    if type(dataset) is Subset and type(dataset.dataset) is TensorDataset:
        index = torch.as_tensor(dataset.indices, dtype=torch.long)
        return tuple(t[index] for t in dataset.dataset.tensors)
    return None


class Batches:
    """Batches of ``(x, y)`` on ``device`` from a map-style data set, ordered by (seed, epoch).

    ``epoch(e, start)`` gives batches ``start..`` of epoch ``e``. Iterating the object itself
    works like a DataLoader: each pass is the next epoch (``next_epoch`` counts them; set it to
    resume). With ``shuffle``, a last batch of a single sample is dropped: it would break
    BatchNorm in training mode, and it is a different sample each epoch, so none is lost for good.

    Example:
        >>> ds = TensorDataset(torch.randn(10, 3), torch.arange(10))
        >>> batches = Batches(ds, batch_size=4, seed=0, shuffle=True)
        >>> len(batches), [len(y) for _, y in batches.epoch(0, start=1)]
        (3, [4, 2])
        >>> [len(y) for _, y in batches], batches.next_epoch
        ([4, 4, 2], 1)
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        device: torch.device | str = "cpu",
        num_workers: int | None = None,
    ):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.device = torch.device(device)
        self.num_workers = default_workers(dataset) if num_workers is None else int(num_workers)
        self.next_epoch = 0
        """The epoch the next ``iter(batches)`` yields."""
        self.size = size_of(dataset)
        if self.size == 0:
            raise ValueError("The data set is empty: there is nothing to train or validate on.")
        self.steps = self._count_steps()
        self._tensors = _as_tensors(dataset)
        if self._tensors is not None and self._fits_on_device(self._tensors):
            self._tensors = tuple(t.to(self.device) for t in self._tensors)

    def _count_steps(self) -> int:
        steps = -(-self.size // self.batch_size)
        if self.shuffle and steps > 1 and self.size % self.batch_size == 1:
            steps -= 1  # the lone last sample (see the class docstring)
        return steps

    def _fits_on_device(self, tensors: tuple[Tensor, ...]) -> bool:
        if self.device.type == "cpu":
            return True
        return sum(t.numel() * t.element_size() for t in tensors) <= _MAX_DEVICE_COPY_BYTES

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[Batch]:
        epoch = self.next_epoch
        self.next_epoch += 1
        return self.epoch(epoch)

    def order(self, epoch: int) -> Tensor:
        """The sample order of ``epoch``: a permutation fixed by (seed, epoch), or 0..n-1.

        Example:
            >>> b = Batches(TensorDataset(torch.zeros(4, 1)), batch_size=2, seed=7)
            >>> torch.equal(b.order(1), b.order(1)), sorted(b.order(1).tolist())
            (True, [0, 1, 2, 3])
        """
        if not self.shuffle:
            return torch.arange(self.size)
        generator = torch.Generator().manual_seed(epoch_seed(self.seed, epoch))
        return torch.randperm(self.size, generator=generator)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """Batches ``start..`` of ``epoch`` as ``(x, y)`` on the device."""
        order = self.order(epoch)
        bs = self.batch_size
        index_lists = [order[i * bs : (i + 1) * bs] for i in range(start, self.steps)]
        if self._tensors is not None:
            return self._gather(index_lists)
        if getattr(self.dataset, "reads_batches", False) and self.num_workers == 0:
            return self._index(index_lists)
        return self._load(index_lists, epoch)

    def _to_device(self, x: Tensor, y: Tensor) -> Batch:
        if self.device.type == "cpu":
            return x, y
        return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def _gather(self, index_lists: list[Tensor]) -> Iterator[Batch]:
        x, y = self._tensors[0], self._tensors[1]  # type: ignore[index]
        if x.device == self.device:  # the usual case: gather where the tensors live
            on_cpu = self.device.type == "cpu"
            for idx in index_lists:
                if not on_cpu:
                    idx = idx.to(self.device, non_blocking=True)
                yield x[idx], y[idx]
            return
        for idx in index_lists:
            yield self._to_device(x[idx], y[idx])

    def _index(self, index_lists: list[Tensor]) -> Iterator[Batch]:
        for idx in index_lists:
            yield self._to_device(*self.dataset[idx])

    def _load(self, index_lists: list[Tensor], epoch: int) -> Iterator[Batch]:
        loader = DataLoader(
            self.dataset,
            batch_sampler=[idx.tolist() for idx in index_lists],
            num_workers=self.num_workers,
            pin_memory=self.device.type == "cuda",
            # Worker seeds come from this generator, not the global RNG, so they too depend
            # only on (seed, epoch).
            generator=torch.Generator().manual_seed(epoch_seed(self.seed, epoch)),
        )
        for x, y in loader:
            yield self._to_device(x, y)

    def sample(self, n: int = 2) -> Batch:
        """The first ``n`` samples as one batch on the device (for setup checks).

        Example:
            >>> Batches(TensorDataset(torch.zeros(5, 3), torch.zeros(5)), 4).sample(2)[0].shape
            torch.Size([2, 3])
        """
        n = min(n, self.size)
        if self._tensors is not None:
            return self._tensors[0][:n].to(self.device), self._tensors[1][:n].to(self.device)
        x, y = default_collate([self.dataset[i] for i in range(n)])
        return x.to(self.device), y.to(self.device)

    def __repr__(self) -> str:
        return (
            f"Batches({len(self)} of {self.batch_size} from {self.size} samples, "
            f"seed={self.seed}, shuffle={self.shuffle}, device={str(self.device)!r})"
        )


def make_loaders(
    train: Dataset[Any],
    val: Dataset[Any],
    batch_size: int,
    seed: int = 0,
    device: str | torch.device = "cpu",
    num_workers: int | None = None,
) -> tuple[Batches, Batches]:
    """``(train, val)`` batches: the training split shuffled by (seed, epoch), validation in order.

    Example:
        >>> ds = TensorDataset(torch.arange(10.0).view(10, 1), torch.zeros(10))
        >>> train_batches, _ = make_loaders(ds, ds, batch_size=4)
        >>> [len(x) for x, _ in train_batches]
        [4, 4, 2]
    """
    return (
        Batches(train, batch_size, seed, True, device, num_workers),
        Batches(val, batch_size, seed, False, device, num_workers),
    )
