"""Splitting and standardising in-memory data, and bundling it.

Tabular and sequence data become plain ``TensorDataset``s holding standardised float32 features.
Images become ``ImageTensors`` (``images.py``): the raw pixels stay in memory and are
standardised on access, so augmentation can run on raw pixels first. Both read a whole batch
in one indexing operation, which ``Batches`` uses to avoid per-item Python overhead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from dlstudio.datasets.bundle import DataBundle, Task
from dlstudio.datasets.images import ImageTensors


def check_val_fraction(val_fraction: float) -> float:
    """``val_fraction`` as a float, or a ValueError that says what is allowed."""
    if not 0 < float(val_fraction) < 1:
        raise ValueError(
            f"val_fraction must be between 0 and 1 (exclusive), e.g. 0.2; got {val_fraction!r}."
        )
    return float(val_fraction)


def split_indices(
    n: int, val_fraction: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and validation indices of a seeded shuffle; stratified by ``labels`` when
    every class has enough members.

    Example:
        >>> train, val = split_indices(10, 0.2, seed=0, labels=np.array([0, 1] * 5))
        >>> len(train), len(val), sorted(np.array([0, 1] * 5)[val].tolist())
        (8, 2, [0, 1])
    """
    val_fraction = check_val_fraction(val_fraction)
    n_val = int(round(n * val_fraction))
    if n < 2 or n_val < 1 or n_val >= n:
        raise ValueError(
            f"Cannot split {n} samples with val_fraction={val_fraction}: "
            "both splits need at least one sample. Use more data or another val_fraction."
        )
    rng = np.random.default_rng(seed)
    groups = _strata(labels, n_val, n) if labels is not None else None
    if groups is None:
        val_idx = rng.permutation(n)[:n_val]
    else:
        per_class = _allocate(np.array([len(g) for g in groups]), n_val, rng)
        val_idx = np.concatenate(
            [rng.permutation(g)[:k] for g, k in zip(groups, per_class, strict=True)]
        )
    is_val = np.zeros(n, dtype=bool)
    is_val[val_idx] = True
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


# The stratified split is written here rather than taken from scikit-learn's train_test_split:
# importing scikit-learn costs 1.7 s (scipy.stats), which was a third of the Studio app's
# launch time (benchmarks/bench_app.py), for these few lines.
def _strata(labels: np.ndarray, n_val: int, n: int) -> list[np.ndarray] | None:
    """Indices of each class, or None when some class is too small to stratify by."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    # Stratifying needs two members per class and room for every class in both splits.
    if counts.min() < 2 or len(counts) > min(n_val, n - n_val):
        return None
    order = np.argsort(inverse, kind="stable")
    return list(np.split(order, np.cumsum(counts)[:-1]))


def _allocate(counts: np.ndarray, n_val: int, rng: np.random.Generator) -> np.ndarray:
    """Validation samples per class: proportional to its size, summing to ``n_val``, and
    leaving at least one sample of every class for training (largest remainders first)."""
    exact = counts * n_val / counts.sum()
    taken: np.ndarray = np.minimum(np.floor(exact).astype(int), counts - 1)
    remainder = exact - taken
    # Random tie-breaking, so equal classes are not always favoured in the same order.
    order = np.lexsort((rng.random(len(counts)), -remainder))
    while taken.sum() < n_val:  # ends: the classes hold n - len(counts) >= n_val spare samples
        for index in order:
            if taken.sum() < n_val and taken[index] < counts[index] - 1:
                taken[index] += 1
    return taken


def fit_scale(train: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std over ``dims`` of the training data; constant features get std 1."""
    mean = train.double().mean(dim=dims, keepdim=True)
    std = train.double().std(dim=dims, keepdim=True, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return mean.float(), std.float()


def image_stats(images: torch.Tensor, chunk: int = 2048) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of images (N, C, H, W) in [0, 1] units (uint8 counts as /255).

    Works through the images in chunks: converting all of CIFAR10 to float64 at once would
    take over a gigabyte.

    Example:
        >>> image_stats(torch.full((2, 1, 4, 4), 255, dtype=torch.uint8))
        ([1.0], [1.0])
    """
    channels = images.shape[1]
    total = torch.zeros(channels, dtype=torch.float64)
    total_sq = torch.zeros(channels, dtype=torch.float64)
    scale = 255.0 if images.dtype == torch.uint8 else 1.0
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].double() / scale
        total += part.sum(dim=(0, 2, 3))
        total_sq += (part * part).sum(dim=(0, 2, 3))
    count = images.numel() // channels
    return stats_from_sums(total, total_sq, count)


def stats_from_sums(
    total: torch.Tensor, total_sq: torch.Tensor, count: int
) -> tuple[list[float], list[float]]:
    """Mean and std per channel from sums of values and of squares over ``count`` values each."""
    mean = total / count
    std = (total_sq / count - mean * mean).clamp(min=0).sqrt()
    std = torch.where(std > 1e-6, std, torch.ones_like(std))  # a blank channel: no division by 0
    return mean.tolist(), std.tolist()


def as_targets(y: np.ndarray | torch.Tensor, task: Task) -> torch.Tensor:
    """Targets as int64 (N,) for classification or float32 (N, k) for regression."""
    y = torch.tensor(np.asarray(y))  # a copy: pandas hands out read-only arrays
    if task == "classification":
        return y.long().reshape(-1)
    y = y.float()
    return y.reshape(len(y), -1)


def tensor_bundle(
    name: str,
    x: torch.Tensor,
    y: torch.Tensor,
    task: Task,
    *,
    val_fraction: float,
    seed: int,
    classes: list[str] | None = None,
    standardize: bool = True,
    split: tuple[np.ndarray, np.ndarray] | None = None,
    **meta: Any,
) -> DataBundle:
    """Split tabular (N, F) or sequence (N, L, F) data, standardise on train stats, and bundle it.

    ``split`` gives (train, val) indices chosen earlier; ``meta`` passes on to DataBundle
    (description, feature_names, input_dtype...).
    """
    labels = y.numpy() if task == "classification" else None
    train_idx, val_idx = split or split_indices(len(x), val_fraction, seed, labels)
    x_train, x_val = x[train_idx], x[val_idx]
    if standardize and x.is_floating_point():
        # Per feature: over samples, and over time steps for sequences.
        mean, std = fit_scale(x_train, dims=tuple(range(x.ndim - 1)))
        x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    return DataBundle(
        name=name,
        train=TensorDataset(x_train.contiguous(), y[train_idx]),
        val=TensorDataset(x_val.contiguous(), y[val_idx]),
        input_shape=tuple(x.shape[1:]),
        task=task,
        **_target_meta(y, task, classes),
        **meta,
    )


def image_bundle(
    name: str,
    images: torch.Tensor,
    y: torch.Tensor,
    classes: list[str] | None,
    *,
    val_fraction: float,
    seed: int,
    description: str = "",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    task: Task = "classification",
    standardize: bool = True,
) -> DataBundle:
    """Split raw images (uint8 or [0, 1] floats), standardise per channel on train stats.

    With ``val`` given (images, targets), all of ``images`` train and ``val`` validates.
    """
    if val is None:
        labels = y.numpy() if task == "classification" else None
        train_idx, val_idx = map(
            torch.from_numpy, split_indices(len(images), val_fraction, seed, labels)
        )
        val = images[val_idx], y[val_idx]
        images, y = images[train_idx], y[train_idx]
    channels = images.shape[1]
    if standardize:
        mean_list, std_list = image_stats(images)
    else:
        mean_list, std_list = [0.0] * channels, [1.0] * channels
    return DataBundle(
        name=name,
        train=ImageTensors(images, y, mean_list, std_list),
        val=ImageTensors(*val, mean_list, std_list),
        input_shape=tuple(images.shape[1:]),
        task=task,
        description=description,
        image=True,
        mean=tuple(mean_list),
        std=tuple(std_list),
        **_target_meta(torch.cat([y, val[1]]), task, classes),
    )


def _target_meta(y: torch.Tensor, task: Task, classes: list[str] | None) -> dict[str, Any]:
    if task == "regression":
        return {"num_classes": None, "classes": [], "output_size": y.shape[1] if y.ndim > 1 else 1}
    if classes is None:
        classes = [str(i) for i in range(int(y.max()) + 1 if len(y) else 0)]
    return {"num_classes": len(classes), "classes": list(classes), "output_size": len(classes)}
