"""``from_tensors``: your own arrays or tensors as a DataBundle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from dlstudio.datasets.augment import AugmentSpec
from dlstudio.datasets.bundle import DataBundle, Task
from dlstudio.datasets.memory import as_targets, image_bundle, tensor_bundle


def from_tensors(
    x: Any,
    y: Any,
    task: Task | None = None,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    name: str = "tensors",
    description: str = "",
    feature_names: Sequence[str] | None = None,
    standardize: bool = True,
    augment: AugmentSpec = None,
) -> DataBundle:
    """Bundle inputs ``x`` (N, ...) and targets ``y`` (N,) or (N, k), split and standardised.

    The shape of ``x`` says what it is: (N, F) features, (N, L, F) sequences, (N, C, H, W)
    images (uint8, or floats in [0, 1] if you want augmentation), (N,) one feature; int64
    (N, L) means token ids for an Embedding and is left as is. ``task`` defaults to
    classification for integer or text labels and regression for float targets.

    Example:
        >>> import torch
        >>> from dlstudio import datasets
        >>> x, y = torch.randn(100, 3), torch.randint(0, 2, (100,))
        >>> bundle = datasets.from_tensors(x, y)
        >>> bundle.task, bundle.input_shape, bundle.num_classes
        ('classification', (3,), 2)
    """
    x = _as_tensor(x, "x")
    y_array = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if len(x) != len(y_array):
        raise ValueError(f"x has {len(x)} samples but y has {len(y_array)}; they must match.")
    task, y_array, found_classes = _targets(y_array, task)
    targets = as_targets(y_array, task)
    if classes is not None:
        classes = [str(c) for c in classes]
        if task == "classification" and len(classes) <= int(targets.max()):
            raise ValueError(
                f"classes names {len(classes)} classes but the labels go up to "
                f"{int(targets.max())}; give one name per class index."
            )
    classes = classes or found_classes
    if x.ndim == 1:
        x = x.unsqueeze(1)
    if x.ndim == 4:
        bundle = image_bundle(
            name,
            x if x.dtype == torch.uint8 else x.float(),
            targets,
            classes,
            val_fraction=val_fraction,
            seed=seed,
            description=description,
            task=task,
            standardize=standardize,
        )
        return bundle.with_augmentation(augment) if augment else bundle
    if augment:
        raise ValueError("augment applies to images (N, C, H, W); these inputs are not images.")
    tokens = x.dtype == torch.long
    return tensor_bundle(
        name,
        x if tokens else x.float(),
        targets,
        task,
        val_fraction=val_fraction,
        seed=seed,
        classes=classes,
        standardize=standardize,
        description=description,
        feature_names=list(feature_names) if feature_names is not None else None,
        input_dtype="long" if tokens else "float",
    )


def _as_tensor(x: Any, what: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        tensor = x.detach().cpu()
    else:
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{what} must be numeric; got values of type {array.dtype}.")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.ndim == 0 or len(tensor) == 0:
        raise ValueError(f"{what} is empty; it needs one row per sample.")
    if tensor.dtype == torch.bool:
        tensor = tensor.float()
    if tensor.is_floating_point() and not torch.isfinite(tensor).all():
        raise ValueError(f"{what} holds NaN or infinite values; fill or drop them first.")
    return tensor


def _targets(y: np.ndarray, task: Task | None) -> tuple[Task, np.ndarray, list[str] | None]:
    """The task, the targets as numbers, and class names found in text labels."""
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None; got {task!r}.")
    if y.ndim == 2 and y.shape[1] == 1 and task != "regression":
        y = y.reshape(-1)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind in "OUS":
        if task == "regression":
            raise ValueError("Regression needs numeric targets; these are text labels.")
        names, codes = np.unique(y.astype(str), return_inverse=True)
        return "classification", codes.reshape(-1), [str(n) for n in names]
    if y.dtype.kind in "iu" and task != "regression":
        if y.ndim == 1 and (len(y) == 0 or y.min() >= 0):
            return "classification", y, None
        # Negative labels: number the distinct values in sorted order.
        names, codes = np.unique(y, return_inverse=True)
        return "classification", codes.reshape(-1), [str(n) for n in names]
    if y.dtype.kind != "f" and y.dtype.kind not in "iu":
        raise ValueError(f"y must hold numbers or labels; got values of type {y.dtype}.")
    if task == "classification":
        if not np.all(np.isfinite(y)) or not np.all(np.equal(np.round(y), y)) or y.min() < 0:
            raise ValueError(
                "Classification needs class indices 0, 1, 2, ...; y holds fractional, negative "
                "or missing values. Use task='regression' or convert the labels."
            )
        return "classification", y.astype(np.int64).reshape(-1), None
    if not np.all(np.isfinite(y)):
        raise ValueError("y holds NaN or infinite values; remove or fill them first.")
    return "regression", y.astype(np.float32), None
