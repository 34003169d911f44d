"""The DataBundle: a data set split for training and validation, and what a model must know."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import torch
from torch.utils.data import Dataset

from dlstudio.datasets.augment import AugmentSpec, build_transform, normalize_spec
from dlstudio.datasets.batches import Batches, make_loaders, size_of

Task = Literal["classification", "regression"]


@dataclass
class DataBundle:
    """A data set ready to train on.

    Items of ``train``/``val`` are ``(x, y)`` pairs: ``x`` a tensor of ``input_shape``
    (float32, or int64 token ids when ``input_dtype == "long"``); ``y`` an int64 scalar class
    index for classification, a float32 tensor of shape ``(output_size,)`` for regression.

    Example:
        >>> from dlstudio import datasets
        >>> bundle = datasets.load("iris")
        >>> bundle.input_shape, bundle.num_classes
        ((4,), 3)
    """

    name: str
    train: Dataset[Any]
    val: Dataset[Any]
    input_shape: tuple[int, ...]
    task: Task
    num_classes: int | None = None
    classes: list[str] = field(default_factory=list)
    description: str = ""
    feature_names: list[str] | None = None
    input_dtype: Literal["float", "long"] = "float"
    output_size: int = 1
    """Size of the model's last layer: ``num_classes`` (classification) or targets per row."""
    image: bool = False
    """True when ``x`` is an image (C, H, W): galleries, augmentation and Grad-CAM apply."""
    mean: tuple[float, ...] | None = None
    """Per-channel pixel mean (images in [0, 1]) used to standardise images; None otherwise."""
    std: tuple[float, ...] | None = None
    """Per-channel pixel std used to standardise images; ``x * std + mean`` shows an image."""
    augment: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Augmentations applied to the training split, as ``{name: options}``."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Inputs left out while loading, as ``(what, why)``: unreadable images, for example."""

    def loaders(
        self,
        batch_size: int = 64,
        seed: int = 0,
        device: str | torch.device = "cpu",
        num_workers: int | None = None,
    ) -> tuple[Batches, Batches]:
        """Training and validation batches on ``device``, iterated like DataLoaders: each pass
        over the training ones is the next epoch, shuffled by (seed, epoch), the engine the
        Trainer uses (set ``next_epoch`` to resume at an epoch); validation stays in order.

        Example:
            >>> from dlstudio import datasets
            >>> train_loader, val_loader = datasets.load("iris").loaders(batch_size=16)
            >>> next(iter(train_loader))[0].shape
            torch.Size([16, 4])
        """
        return make_loaders(self.train, self.val, batch_size, seed, device, num_workers)

    def with_augmentation(self, augment: AugmentSpec) -> DataBundle:
        """A copy whose training split applies ``augment`` (names or ``{name: options}``);
        the validation split never changes. An empty list removes augmentation.

        Example:
            >>> from dlstudio import datasets
            >>> bundle = datasets.load("digits").with_augmentation(["rotation", "noise"])
            >>> sorted(bundle.augment)
            ['noise', 'rotation']
        """
        spec = normalize_spec(augment)
        if spec and not self.image:
            raise ValueError(
                f"Augmentation applies to images, and {self.name!r} is not an image data set."
            )
        if not hasattr(self.train, "with_transform"):
            if not spec:
                return replace(self, augment={})
            raise ValueError(
                f"The training split of {self.name!r} cannot be augmented: build the bundle with "
                "datasets.from_tensors or datasets.from_folder to get an augmentable split."
            )
        transform = build_transform(spec, self.input_shape)
        return replace(self, train=self.train.with_transform(transform), augment=spec)

    def preview(self, n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` training samples as the model sees them after augmentation, for display.

        Images come back in [0, 1] (N, C, H, W), ready to show; other data as the model's input.
        The same ``seed`` gives the same samples and the same random augmentations. torchvision
        draws them from torch's global RNG, which this saves and restores: a training run in
        another thread at that moment may see its random stream disturbed.

        Example:
            >>> from dlstudio import datasets
            >>> images, labels = datasets.load("digits", augment=["rotation"]).preview(4)
            >>> images.shape, labels.shape
            (torch.Size([4, 1, 8, 8]), torch.Size([4]))
        """
        n = min(int(n), size_of(self.train))
        generator = torch.Generator().manual_seed(seed)
        indices = torch.randperm(size_of(self.train), generator=generator)[:n].tolist()
        # Augmentations draw from torch's global RNG: seed a private copy of it.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            items = [self.train[i] for i in indices]
        xs = torch.stack([x for x, _ in items])
        ys = torch.stack([torch.as_tensor(y) for _, y in items])
        if self.image and self.mean is not None and self.std is not None:
            mean = torch.tensor(self.mean).view(1, -1, 1, 1)
            std = torch.tensor(self.std).view(1, -1, 1, 1)
            xs = (xs * std + mean).clamp(0, 1)
        return xs, ys

    def __repr__(self) -> str:
        kind = f"{self.num_classes} classes" if self.task == "classification" else "regression"
        return (
            f"DataBundle({self.name!r}: {size_of(self.train)} train / {size_of(self.val)} val, "
            f"input {self.input_shape}, {kind})"
        )
