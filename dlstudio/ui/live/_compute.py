"""What the results views show, computed from a trainer: plain numbers, no widgets here.

Predictions come from ``Trainer.predict``; probabilities and the confusion matrix from the
core (``dlstudio.train.outputs``, ``dlstudio.train.metrics``).

Everything is bounded (a sample of the validation split, a fixed-size grid), so it is cheap
enough to recompute while training runs.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from dlstudio.train.outputs import class_probabilities


def take(dataset: Dataset, n: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Up to ``n`` items of ``dataset`` as ``(indices, x, y)``, spread evenly at random.

    Example:
        >>> from torch.utils.data import TensorDataset
        >>> idx, x, y = take(TensorDataset(torch.zeros(10, 2), torch.arange(10)), 4)
        >>> x.shape, len(idx)
        (torch.Size([4, 2]), 4)
    """
    size = len(dataset)  # type: ignore[arg-type]
    if n >= size:
        indices = torch.arange(size)
    else:
        indices = torch.randperm(size, generator=torch.Generator().manual_seed(seed))[:n]
        indices = indices.sort().values
    try:  # dlstudio's in-memory sets index a whole batch at once
        x, y = dataset[indices.tolist()]
        if len(x) == len(indices):
            return indices, torch.as_tensor(x), torch.as_tensor(y)
    except Exception:  # noqa: BLE001 - any other Dataset: one item at a time
        pass
    items = [dataset[i] for i in indices.tolist()]
    x = torch.stack([torch.as_tensor(item[0]) for item in items])
    y = torch.stack([torch.as_tensor(item[1]) for item in items])
    return indices, x, y


def misclassified(
    true: np.ndarray, probs: np.ndarray, limit: int
) -> list[tuple[int, int, int, float]]:
    """The ``limit`` most confident mistakes as ``(position, true, predicted, confidence)``.

    Example:
        >>> misclassified(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), 5)
        [(1, 1, 0, 0.8)]
    """
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != true)
    confidence = probs[wrong, pred[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [(int(i), int(true[i]), int(pred[i]), round(float(probs[i, pred[i]]), 4)) for i in order]


def png_data_url(image: Tensor) -> str:
    """A (C, H, W) image in [0, 1] as a ``data:image/png`` URL (grey or RGB).

    Example:
        >>> png_data_url(torch.zeros(1, 2, 2)).startswith("data:image/png;base64,")
        True
    """
    from PIL import Image

    pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    array = pixels[0].numpy() if pixels.shape[0] == 1 else pixels[:3].permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def display_images(bundle: Any, dataset: Dataset, indices: Tensor, x: Tensor) -> Tensor:
    """Images in [0, 1] for showing: raw pixels where the set keeps them, else un-standardised."""
    raw = getattr(dataset, "raw", None)
    if callable(raw):
        return raw(indices.tolist()).float()
    if bundle.mean is not None and bundle.std is not None:
        mean = torch.tensor(bundle.mean).view(1, -1, 1, 1)
        std = torch.tensor(bundle.std).view(1, -1, 1, 1)
        return x * std + mean
    low, high = x.amin(), x.amax()
    return (x - low) / (high - low).clamp_min(1e-8)


def grid_bounds(points: Tensor, margin: float = 0.1) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)`` around 2-D ``points`` with a ``margin`` fraction on each side."""
    low, high = points.amin(0), points.amax(0)
    pad = (high - low).clamp_min(1e-3) * margin
    low, high = low - pad, high + pad
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def boundary_grid(
    predict: Any, bounds: tuple[float, float, float, float], resolution: int
) -> dict[str, Any]:
    """The model's answer on a ``resolution`` x ``resolution`` grid over ``bounds``.

    Two classes: ``z`` is P(class 1) (a smooth boundary, as in TensorFlow Playground); more
    classes: ``z`` is the predicted class. ``predict(x)`` returns logits for a (N, 2) batch.

    Example:
        >>> g = boundary_grid(lambda x: x[:, :1], (-1, 1, -1, 1), 5)
        >>> len(g["z"]), len(g["z"][0]), g["binary"]
        (5, 5, True)
    """
    x0, x1, y0, y1 = bounds
    xs = torch.linspace(x0, x1, resolution)
    ys = torch.linspace(y0, y1, resolution)
    mesh_y, mesh_x = torch.meshgrid(ys, xs, indexing="ij")  # rows follow y, as a heatmap draws
    points = torch.stack([mesh_x.reshape(-1), mesh_y.reshape(-1)], dim=1)
    probs = class_probabilities(torch.as_tensor(predict(points)))
    binary = probs.shape[1] == 2
    z = probs[:, 1] if binary else probs.argmax(dim=1).float()
    grid = z.reshape(resolution, resolution).numpy().round(3)
    return {
        "x": xs.numpy().round(4).tolist(),
        "y": ys.numpy().round(4).tolist(),
        "z": grid.tolist(),
        "binary": binary,
    }
