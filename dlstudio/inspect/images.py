"""Small PNG pictures from numpy arrays with Pillow: heatmaps, image grids and overlays.

Widgets show these as ``<img>`` tags; no plotting library is needed.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

# Viridis sampled at nine points (matplotlib's values); linear interpolation between them is
# within a few levels of the full table.
_VIRIDIS = np.array(
    [
        [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
        [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
    ],
    dtype=np.float64,
)  # fmt: skip
# Blue (negative) - white (zero) - red (positive), for signed attributions.
_DIVERGING = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130],
                       [178, 24, 43]], dtype=np.float64)  # fmt: skip
CMAPS = {"viridis": _VIRIDIS, "diverging": _DIVERGING}


def colorize(values: np.ndarray, cmap: str = "viridis", lo: float | None = None,
             hi: float | None = None) -> np.ndarray:  # fmt: skip
    """Map a 2-D array to RGB (uint8, H×W×3). ``diverging`` centres 0 on white.

    Example:
        >>> colorize(np.array([[0.0, 1.0]])).shape
        (1, 2, 3)
    """
    table = CMAPS[cmap]
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if cmap == "diverging":
        bound = max(abs(float(v.min(initial=0.0))), abs(float(v.max(initial=0.0)))) or 1.0
        lo, hi = (-bound, bound) if lo is None else (lo, hi)
    lo = float(v.min(initial=0.0)) if lo is None else lo
    hi = float(v.max(initial=1.0)) if hi is None else hi
    t = np.clip((v - lo) / ((hi - lo) or 1.0), 0.0, 1.0) * (len(table) - 1)
    below = np.floor(t).astype(int).clip(0, len(table) - 2)
    frac = (t - below)[..., None]
    return (table[below] * (1 - frac) + table[below + 1] * frac).round().astype(np.uint8)


def to_png(rgb: np.ndarray, min_size: int = 0) -> bytes:
    """PNG bytes of an H×W×3 (or H×W) uint8 array, enlarged (sharp pixels) to ``min_size``.

    Example:
        >>> to_png(np.zeros((2, 2, 3), np.uint8))[:4]
        b'\\x89PNG'
    """
    image = Image.fromarray(np.ascontiguousarray(rgb))
    scale = max(1, math.ceil(min_size / max(1, min(image.size)))) if min_size else 1
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def heatmap_png(values: np.ndarray, cmap: str = "viridis", min_size: int = 160) -> bytes:
    """A 2-D array as a PNG heatmap."""
    return to_png(colorize(values, cmap), min_size)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A (C, H, W) or (H, W) float image, stretched to 0..255, as H×W×3 uint8."""
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 3:
        x = x[0] if x.shape[0] == 1 else np.moveaxis(x[:3], 0, -1)
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    x = (np.nan_to_num(x) - lo) / ((hi - lo) or 1.0) * 255
    x = x.round().clip(0, 255).astype(np.uint8)
    return np.repeat(x[..., None], 3, axis=-1) if x.ndim == 2 else x


def grid(maps: np.ndarray, columns: int | None = None, pad: int = 1, limit: int = 64) -> np.ndarray:
    """Lay (C, H, W) maps out in a grid, each map stretched to its own range (H'×W'×3 uint8).

    Example:
        >>> grid(np.random.rand(6, 4, 4), columns=3).shape
        (9, 14, 3)
    """
    maps = np.asarray(maps, dtype=np.float64)[:limit]
    if maps.ndim == 2:
        maps = maps[:, None, :]  # 1-D feature maps (Conv1d) as one-row images
    count, h, w = maps.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    out = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad, 3), 255, np.uint8)
    for index in range(count):
        r, c = divmod(index, columns)
        m = maps[index]
        tile = colorize(m, "viridis", float(np.nanmin(m)), float(np.nanmax(m)))
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = tile
    return out


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Blend a signed heatmap (H, W) over an image ((C, H, W) or (H, W)), as H×W×3 uint8."""
    base = as_rgb(image).astype(np.float64)
    colours = colorize(heat, "diverging").astype(np.float64)
    # Strong attributions cover the picture, weak ones let it show through.
    strength = np.abs(np.nan_to_num(heat)) / (np.abs(np.nan_to_num(heat)).max() or 1.0)
    weight = (alpha * strength)[..., None]
    return (base * (1 - weight) + colours * weight).round().astype(np.uint8)


def bars(counts: np.ndarray, height: int = 72, bar: int = 5, colour=(59, 81, 139)) -> np.ndarray:
    """A histogram as an image: one ``bar``-pixel column per bin, tallest bin ``height`` high.

    Example:
        >>> bars(np.array([1, 2]), height=4, bar=2).shape
        (4, 4, 3)
    """
    counts = np.nan_to_num(np.asarray(counts, dtype=np.float64))
    out = np.full((height, len(counts) * bar, 3), 250, np.uint8)
    top = counts.max(initial=0.0) or 1.0
    for index, count in enumerate(counts):
        filled = int(round(count / top * (height - 1)))
        if filled:
            out[height - filled :, index * bar : (index + 1) * bar - 1] = colour
    return out
