"""Generated toy data sets in the style of the TensorFlow Playground, plus a sine forecasting set.

Each generator returns ``(x, y)`` numpy arrays from ``n_samples``, ``noise`` and ``seed`` alone,
so the same arguments always give the same points. 2-D sets live on a scale of about [-1, 1] and
``noise`` is the standard deviation of Gaussian jitter on that scale (blobs: the cluster spread).
"""

from __future__ import annotations

import numpy as np


def _check(n_samples: int, noise: float, minimum: int = 4) -> None:
    if int(n_samples) < minimum:
        raise ValueError(f"n_samples must be at least {minimum}; got {n_samples!r}.")
    if float(noise) < 0:
        raise ValueError(f"noise must be zero or positive; got {noise!r}.")


def moons(
    n_samples: int = 1000, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, two classes.

    Example:
        >>> x, y = moons(n_samples=100, noise=0.1, seed=0)
        >>> x.shape, sorted(set(y.tolist()))
        ((100, 2), [0, 1])
    """
    from sklearn.datasets import make_moons

    _check(n_samples, noise)
    x, y = make_moons(n_samples=int(n_samples), noise=float(noise) or None, random_state=seed)
    return x, y


def circles(
    n_samples: int = 1000, noise: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one, two classes.

    Example:
        >>> x, y = circles(n_samples=100, noise=0.0)
        >>> round(float(abs(x[y == 0]).max()), 2)
        1.0
    """
    from sklearn.datasets import make_circles

    _check(n_samples, noise)
    x, y = make_circles(
        n_samples=int(n_samples), noise=float(noise) or None, factor=0.5, random_state=seed
    )
    return x, y


def spirals(
    n_samples: int = 1000, noise: float = 0.05, seed: int = 0, turns: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two spiral arms wound around each other, two classes.

    Example:
        >>> x, y = spirals(n_samples=10, turns=2)
        >>> x.shape, y.tolist()[:4]
        ((10, 2), [0, 1, 0, 1])
    """
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    y = np.arange(int(n_samples)) % 2
    t = rng.uniform(0.05, 1.0, size=len(y))  # distance from the centre; skip the crowded middle
    angle = 2 * np.pi * turns * t + np.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + rng.normal(0, noise, size=x.shape), y


def xor(n_samples: int = 1000, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in the four quadrants; class 1 where x and y have the same sign.

    Example:
        >>> x, y = xor(n_samples=200, noise=0.0)
        >>> bool(((x[:, 0] * x[:, 1] > 0) == (y == 1)).all())
        True
    """
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(int(n_samples), 2))
    # Push points off the axes (as the Playground does) so the classes have a margin.
    x += np.sign(x) * 0.05
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + rng.normal(0, noise, size=x.shape), y


def blobs(
    n_samples: int = 1000, noise: float = 0.3, seed: int = 0, centers: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one class each, centred evenly on the unit circle (turned by a random
    angle); ``noise`` is the cluster spread, so it alone sets how much classes overlap.

    Example:
        >>> x, y = blobs(n_samples=90, centers=3)
        >>> sorted(set(y.tolist()))
        [0, 1, 2]
    """
    _check(n_samples, noise)
    if int(centers) < 2:
        raise ValueError(f"blobs needs at least 2 centers; got {centers!r}.")
    rng = np.random.default_rng(seed)
    y = np.arange(int(n_samples)) % int(centers)
    angles = 2 * np.pi * np.arange(int(centers)) / int(centers) + rng.uniform(0, 2 * np.pi)
    middles = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return middles[y] + rng.normal(0, noise, size=(len(y), 2)), y


def sine(
    n_samples: int = 1000, noise: float = 0.05, seed: int = 0, length: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of noisy sine waves (n, length, 1) and the value that follows each (n, 1).

    Each window has its own frequency and phase, so a model must read the rhythm from the
    sequence rather than memorise one wave.

    Example:
        >>> x, y = sine(n_samples=8, length=20)
        >>> x.shape, y.shape
        ((8, 20, 1), (8, 1))
    """
    _check(n_samples, noise)
    if int(length) < 2:
        raise ValueError(f"length must be at least 2; got {length!r}.")
    rng = np.random.default_rng(seed)
    n, length = int(n_samples), int(length)
    frequency = rng.uniform(0.5, 1.5, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    t = np.arange(length + 1) * 0.3
    waves = np.sin(frequency * t + phase) + rng.normal(0, noise, size=(n, length + 1))
    return waves[:, :length, None], waves[:, length:]
