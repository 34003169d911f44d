"""Batches that can restart in the middle of an epoch and give exactly the same samples.

The shuffle order of epoch ``e`` depends only on ``(seed, e)``, so a run stopped after batch ``k``
and resumed later continues with batch ``k + 1`` of the same permutation. Tensor data sets skip
the DataLoader entirely (one gather per batch, already on the device), and so do image sets
kept in memory (one indexing call per batch): per-item collation is where most of a small
model's step time would otherwise go.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset
from torch.utils.data._utils.collate import default_collate

from dlstudio.datasets.loaders import default_workers
from dlstudio.datasets.memory import ImageTensors

# Tensor data sets up to this size are copied to the GPU once instead of batch by batch.
_MAX_DEVICE_COPY_BYTES = 2 * 1024**3


def _as_tensors(dataset: Dataset) -> tuple[Tensor, ...] | None:
    """The (x, y) tensors behind a TensorDataset (or a Subset of one), else None."""
    if type(dataset) is TensorDataset:
        return tuple(dataset.tensors)
    if type(dataset) is Subset and type(dataset.dataset) is TensorDataset:
        index = torch.as_tensor(dataset.indices, dtype=torch.long)
        return tuple(t[index] for t in dataset.dataset.tensors)
    return None


class Batches:
    """Batches of ``(x, y)`` on ``device`` from a map-style data set.

    Example:
        >>> ds = TensorDataset(torch.randn(10, 3), torch.arange(10))
        >>> batches = Batches(ds, batch_size=4, seed=0, shuffle=True)
        >>> len(batches), [len(y) for _, y in batches.epoch(0, start=1)]
        (3, [4, 2])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        device: torch.device | str = "cpu",
    ):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.device = torch.device(device)
        self.size = len(dataset)  # type: ignore[arg-type]
        if self.size == 0:
            raise ValueError("The data set is empty: there is nothing to train or validate on.")
        batches = -(-self.size // self.batch_size)
        # A last batch of one sample breaks BatchNorm in training mode; drop it when shuffling
        # (it is a different sample each epoch, so nothing is lost for good).
        if shuffle and batches > 1 and self.size % self.batch_size == 1:
            batches -= 1
        self.steps = batches
        self._tensors = _as_tensors(dataset)
        if self._tensors is not None and self._fits_on_device(self._tensors):
            self._tensors = tuple(t.to(self.device) for t in self._tensors)
        self._pin = self.device.type == "cuda"

    def _fits_on_device(self, tensors: tuple[Tensor, ...]) -> bool:
        if self.device.type == "cpu":
            return True
        return sum(t.numel() * t.element_size() for t in tensors) <= _MAX_DEVICE_COPY_BYTES

    def __len__(self) -> int:
        return self.steps

    def order(self, epoch: int) -> Tensor:
        """The sample order of ``epoch``: a permutation fixed by (seed, epoch), or 0..n-1."""
        if not self.shuffle:
            return torch.arange(self.size)
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.size, generator=generator)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """Batches ``start..`` of ``epoch`` as ``(x, y)`` on the device."""
        order = self.order(epoch)
        bs = self.batch_size
        index_lists = [order[i * bs : (i + 1) * bs] for i in range(start, self.steps)]
        if self._tensors is not None:
            return self._gather(index_lists)
        if isinstance(self.dataset, ImageTensors):
            return self._index(index_lists)
        return self._load(index_lists, epoch)

    def _gather(self, index_lists: list[Tensor]) -> Iterator[tuple[Tensor, Tensor]]:
        x, y = self._tensors[0], self._tensors[1]  # type: ignore[index]
        if self.device.type == "cpu":
            for idx in index_lists:
                yield x[idx], y[idx]
            return
        on_device = x.device == self.device
        for idx in index_lists:
            if on_device:
                idx = idx.to(self.device, non_blocking=True)
                yield x[idx], y[idx]
            else:
                yield (
                    x[idx].to(self.device, non_blocking=True),
                    y[idx].to(self.device, non_blocking=True),
                )

    def _index(self, index_lists: list[Tensor]) -> Iterator[tuple[Tensor, Tensor]]:
        # ImageTensors answers a list of indices with a stacked batch (augmenting per image).
        on_cpu = self.device.type == "cpu"
        for idx in index_lists:
            x, y = self.dataset[idx]
            if on_cpu:
                yield x, y
                continue
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def _load(self, index_lists: list[Tensor], epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        workers = default_workers(self.dataset)
        loader = DataLoader(
            self.dataset,
            batch_sampler=[idx.tolist() for idx in index_lists],
            num_workers=workers,
            pin_memory=self._pin,
            # Worker seeds come from this generator, not the global RNG, so they too depend
            # only on (seed, epoch).
            generator=torch.Generator().manual_seed(self.seed * 1_000_003 + epoch),
        )
        for x, y in loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def sample(self, n: int = 2) -> tuple[Tensor, Tensor]:
        """The first ``n`` samples as one batch on the device (for setup checks)."""
        n = min(n, self.size)
        if self._tensors is not None:
            return self._tensors[0][:n].to(self.device), self._tensors[1][:n].to(self.device)
        x, y = default_collate([self.dataset[i] for i in range(n)])
        return x.to(self.device), y.to(self.device)
