"""DataLoader settings for a bundle's splits.

In-memory splits (TensorDataset, ImageTensors without augmentation) are read a whole batch per
indexing operation: the sampler yields lists of indices and the dataset answers with stacked
tensors, which is several times faster than collating items one by one. Worker processes only
pay off when items are decoded from files, so only file-backed data sets get them.
"""

from __future__ import annotations

import os

import torch
from torch.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

from dlstudio.datasets.memory import ImageTensors


class IndexBatches(Sampler[torch.Tensor]):
    """Batches of indices as tensors: one permutation per epoch from ``generator``, cut in slices.

    Tensors index a TensorDataset several times faster than lists of ints do.

    Example:
        >>> [b.tolist() for b in IndexBatches(5, 2, shuffle=False)]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self, size: int, batch_size: int, shuffle: bool, generator: torch.Generator | None = None
    ) -> None:
        self.size, self.batch_size = size, batch_size
        self.shuffle, self.generator = shuffle, generator

    def __len__(self) -> int:
        return -(-self.size // self.batch_size)

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.size, generator=self.generator)
        else:
            order = torch.arange(self.size)
        yield from order.split(self.batch_size)


def make_loaders(
    train: Dataset,
    val: Dataset,
    batch_size: int,
    seed: int = 0,
    device: str | torch.device = "cpu",
    num_workers: int | None = None,
) -> tuple[DataLoader, DataLoader]:
    """(train_loader, val_loader); the training one shuffles from ``torch.Generator(seed)``.

    Example:
        >>> ds = TensorDataset(torch.arange(10.0).view(10, 1), torch.zeros(10))
        >>> train_loader, _ = make_loaders(ds, ds, batch_size=4)
        >>> [len(x) for x, _ in train_loader]
        [4, 4, 2]
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    pin_memory = torch.device(device).type == "cuda"
    # One generator drives both the shuffling and the worker seeds, so a seed fixes everything.
    generator = torch.Generator().manual_seed(int(seed))
    train_loader = _loader(train, batch_size, True, generator, pin_memory, num_workers)
    val_loader = _loader(val, batch_size, False, None, pin_memory, num_workers)
    return train_loader, val_loader


def _loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator | None,
    pin_memory: bool,
    num_workers: int | None,
) -> DataLoader:
    if num_workers is None:
        num_workers = default_workers(dataset)
    if _reads_whole_batches(dataset) and num_workers == 0:
        # batch_size=None turns off per-item collation: each index tensor from the sampler is
        # one dataset[indices] call that returns the batch already stacked.
        return DataLoader(
            dataset,
            batch_size=None,
            sampler=IndexBatches(len(dataset), batch_size, shuffle, generator),
            pin_memory=pin_memory,
            generator=generator,
        )
    sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        pin_memory=pin_memory,
        generator=generator,
        persistent_workers=num_workers > 0,
    )


def default_workers(dataset: Dataset) -> int:
    """Worker processes for ``dataset``: some for file decoding, none for in-memory tensors.

    Example:
        >>> default_workers(TensorDataset(torch.zeros(3, 2)))
        0
    """
    if not getattr(dataset, "decodes_files", False):
        return 0
    # Leave one core to the training loop itself.
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _reads_whole_batches(dataset: Dataset) -> bool:
    if isinstance(dataset, TensorDataset):
        return True
    # Augmentation draws random parameters per image, so it needs one call per item.
    return isinstance(dataset, ImageTensors) and dataset.transform is None
