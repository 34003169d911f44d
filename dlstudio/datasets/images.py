"""Image data sets: raw pixels in, augmented and standardised ``(x, y)`` items out.

``ImageTensors`` keeps every image in memory; ``ImageFiles`` decodes files on access. Both read
raw images in [0, 1] (``raw``), run the augmentation on them, then standardise per channel with
the training split's statistics, so augmentation always sees real pixels.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from dlstudio.datasets.augment import Transform

Index = int | Sequence[int] | torch.Tensor
Item = tuple[torch.Tensor, torch.Tensor]


def within(path: str | os.PathLike[str], root: Path) -> bool:
    """Whether ``path``, links followed, lies inside ``root`` (a resolved folder).

    Example:
        >>> within("/data/cats/1.png", Path("/data")), within("/etc/passwd", Path("/data"))
        (True, False)
    """
    return root in Path(path).resolve().parents


def decode(path: str, size: tuple[int, int], channels: int) -> torch.Tensor:
    """The image at ``path`` as float (channels, H, W) in [0, 1], resized to ``size`` (H, W).

    Example:
        >>> decode("cat.png", (32, 32), 3).shape  # doctest: +SKIP
        torch.Size([3, 32, 32])
    """
    with Image.open(path) as file:
        image = file.convert("L" if channels == 1 else "RGB")
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        array = np.asarray(image, dtype=np.uint8)
    tensor = torch.from_numpy(array.copy())
    tensor = tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    return tensor.float() / 255


class StandardisedImages(Dataset[Item]):
    """The shared base: subclasses say how to read raw images (``raw``); this class augments
    them with ``transform`` and standardises them with ``mean``/``std`` (one per channel).

    Example:
        >>> ds = ImageTensors(torch.ones(2, 1, 2, 2), torch.zeros(2), mean=[0.5], std=[0.5])
        >>> ds[0][0].flatten().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    reads_batches = False
    """Whether a tensor of indices reads a whole stacked batch in one call (see ``Batches``)."""
    decodes_files = False
    """Whether reading decodes files, so that worker processes pay off (see ``Batches``)."""

    def __init__(
        self,
        targets: torch.Tensor,
        channels: int,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        transform: Transform | None = None,
    ) -> None:
        self.targets = targets
        self.mean = torch.tensor(mean if mean is not None else [0.0] * channels).view(-1, 1, 1)
        self.std = torch.tensor(std if std is not None else [1.0] * channels).view(-1, 1, 1)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.targets)

    def raw(self, index: Index) -> torch.Tensor:
        """Images at ``index`` as float in [0, 1], before augmentation and standardisation."""
        raise NotImplementedError

    def __getitem__(self, index: Index) -> Item:
        images = self.raw(index)
        if self.transform is not None:
            images = self._augment(images)
        return (images - self.mean) / self.std, self.targets[index]

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        transform = self.transform
        assert transform is not None
        if images.ndim == 4:
            # v2 transforms draw one set of random parameters per call: a batch goes image by
            # image, or every image in it would get the same rotation.
            return torch.stack([transform(image) for image in images])
        return transform(images)

    def with_transform(self, transform: Transform | None) -> StandardisedImages:
        """The same images (shared, not copied) with another augmentation.

        Example:
            >>> ds = ImageTensors(torch.zeros(2, 1, 2, 2), torch.zeros(2))
            >>> ds.with_transform(torch.flip).images is ds.images
            True
        """
        changed = copy.copy(self)
        changed.transform = transform
        return changed


class ImageTensors(StandardisedImages):
    """Images (N, C, H, W) kept raw in memory: uint8 (0..255, a quarter of the float size) or
    float in [0, 1]. Items are ``(x, y)`` with ``x`` float32 (C, H, W); a list or tensor of
    indices reads a whole batch at once.

    Example:
        >>> ds = ImageTensors(torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long))
        >>> ds[0][0].shape, ds[[0, 1]][0].shape
        (torch.Size([1, 8, 8]), torch.Size([2, 1, 8, 8]))
    """

    reads_batches = True

    def __init__(
        self,
        images: torch.Tensor,
        targets: torch.Tensor,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        transform: Transform | None = None,
    ) -> None:
        if images.ndim != 4:
            raise ValueError(f"Images must be (N, C, H, W); got shape {tuple(images.shape)}.")
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} targets.")
        super().__init__(targets, images.shape[1], mean, std, transform)
        self.images = images

    def raw(self, index: Index) -> torch.Tensor:
        images = self.images[index]
        return images.float() / 255 if images.dtype == torch.uint8 else images.float()

    def __getitem__(self, index: Index) -> Item:
        if isinstance(index, list | tuple):
            index = torch.as_tensor(index, dtype=torch.long)  # far faster to index with
        return super().__getitem__(index)


class ImageFiles(StandardisedImages):
    """Image files decoded on access (one int index at a time), resized to ``size`` (H, W)
    with ``channels`` channels.

    Example:
        >>> ds = ImageFiles(["cat.png"], torch.tensor([0]), (32, 32), 3)  # doctest: +SKIP
    """

    decodes_files = True

    def __init__(
        self,
        paths: Sequence[str],
        targets: torch.Tensor,
        size: tuple[int, int],
        channels: int,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        transform: Transform | None = None,
        root: Path | None = None,
    ) -> None:
        super().__init__(targets, channels, mean, std, transform)
        self.paths = list(paths)
        self.size = size
        self.channels = channels
        self.root = root
        """The data folder (resolved): a file swapped for a link out of it is not read."""

    def raw(self, index: Any) -> torch.Tensor:
        path = self.paths[index]
        if self.root is not None and not within(path, self.root):
            raise OSError(f"{path} now links to outside the data folder {self.root}; not read.")
        try:
            return decode(path, self.size, self.channels)
        except Exception as error:
            raise OSError(
                f"Could not read {self.paths[index]} (it was readable when the data set was "
                f"loaded; was it changed or removed?): {error}"
            ) from error
