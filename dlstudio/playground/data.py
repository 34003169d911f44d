"""The Playground's data: TensorFlow Playground's six data sets, and your own 2-D points.

Each generator follows the original's ``dataset.ts`` (the same shapes, sizes, label rules and
noise semantics: ``noise`` is the slider's 0-50 divided by 100) on its [-6, 6] plane, drawing
from a NumPy generator instead of JavaScript's ``Math.random``. Classification labels are -1
and +1, regression labels lie in [-1, 1]. ``make_data`` shuffles and splits as the original does
(the first ``percTrainData`` % train, the rest test); your own points (drawn, or two feature
columns and a label from a CSV file) are scaled onto the same plane.

Example:
    >>> data = make_data(PlaygroundSettings(dataset="spiral", seed="1"))
    >>> len(data.train), len(data.test), sorted(set(data.train.label.tolist()))
    (250, 250, [-1.0, 1.0])
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from dataclasses import dataclass, field

import numpy as np

from dlstudio.playground.settings import (
    CUSTOM,
    DOMAIN,
    PlaygroundError,
    PlaygroundSettings,
    brief,
)

NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200
THUMBNAIL_SAMPLES = 200
MAX_CSV_BYTES = 2_000_000
MAX_POINTS = 5000
CUSTOM_SPAN = 5.0
"""Your own features are scaled onto [-5, 5], inside the plane, as the built-in sets lie."""


def classify_circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Points inside radius 2.5 (label +1) and in the ring from 3.5 to 5 (label -1); noise
    moves the point the label is read from, so noisy points near the edge get the other label."""
    radius = 5.0
    half = n // 2
    inside = rng.uniform(0, radius * 0.5, half)
    outside = rng.uniform(radius * 0.7, radius, n - half)
    r = np.concatenate([inside, outside])
    angle = rng.uniform(0, 2 * np.pi, n)
    x, y = r * np.sin(angle), r * np.cos(angle)
    shifted = np.hypot(x + rng.uniform(-radius, radius, n) * noise,
                       y + rng.uniform(-radius, radius, n) * noise)  # fmt: skip
    return x, y, np.where(shifted < radius * 0.5, 1.0, -1.0)


def classify_xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Points in the four quadrants, kept 0.3 off the axes; +1 where x1 and x2 share a sign."""
    x, y = rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)
    x, y = x + np.where(x > 0, 0.3, -0.3), y + np.where(y > 0, 0.3, -0.3)
    noisy_x = x + rng.uniform(-5, 5, n) * noise
    noisy_y = y + rng.uniform(-5, 5, n) * noise
    return x, y, np.where(noisy_x * noisy_y >= 0, 1.0, -1.0)


def classify_two_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Two Gaussian clouds around (2, 2) (label +1) and (-2, -2) (label -1); noise widens the
    variance from 0.5 (noise 0) to 4 (noise 50)."""
    variance = 0.5 + noise / 0.5 * 3.5
    half = n // 2
    centre = np.where(np.arange(n) < half, 2.0, -2.0)
    spread = np.sqrt(variance)
    x, y = rng.normal(centre, spread), rng.normal(centre, spread)
    return x, y, np.sign(centre)


def classify_spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Two spiral arms, 1.75 turns out to radius 5, the second turned by pi (label -1)."""
    half = n // 2
    i = np.tile(np.arange(half), 2)
    turn = np.repeat([0.0, np.pi], half)
    r = i / half * 5
    t = 1.75 * i / half * 2 * np.pi + turn
    x = r * np.sin(t) + rng.uniform(-1, 1, 2 * half) * noise
    y = r * np.cos(t) + rng.uniform(-1, 1, 2 * half) * noise
    return x, y, np.where(turn == 0, 1.0, -1.0)


def regress_plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Points on the plane labelled (x1 + x2) / 10, read at a noisy position."""
    radius = 6.0
    x, y = rng.uniform(-radius, radius, n), rng.uniform(-radius, radius, n)
    noisy_x = x + rng.uniform(-radius, radius, n) * noise
    noisy_y = y + rng.uniform(-radius, radius, n) * noise
    return x, y, (noisy_x + noisy_y) / 10


GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def regress_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Six bumps of alternating sign; a point's label is the strongest bump's value there,
    falling linearly from 1 at a centre to 0 at distance 2."""
    radius = 6.0
    x, y = rng.uniform(-radius, radius, n), rng.uniform(-radius, radius, n)
    noisy_x = x + rng.uniform(-radius, radius, n) * noise
    noisy_y = y + rng.uniform(-radius, radius, n) * noise
    bumps = np.stack([
        sign * np.clip(1 - np.hypot(noisy_x - cx, noisy_y - cy) / 2, 0, 1)
        for cx, cy, sign in GAUSSIANS
    ])  # fmt: skip
    strongest = np.abs(bumps).argmax(axis=0)
    return x, y, bumps[strongest, np.arange(n)]


GENERATORS = {
    "circle": classify_circle,
    "xor": classify_xor,
    "gauss": classify_two_gauss,
    "spiral": classify_spiral,
    "reg-plane": regress_plane,
    "reg-gauss": regress_gauss,
}


@dataclass
class Points:
    """Points on the plane: ``xy`` (n, 2) and ``label`` (n,)."""

    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    label: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.label)

    def to_json(self) -> dict[str, list[float]]:
        """``{x, y, label}`` lists, rounded for the page."""
        return {
            "x": np.round(self.xy[:, 0], 4).tolist(),
            "y": np.round(self.xy[:, 1], 4).tolist(),
            "label": np.round(self.label, 4).tolist(),
        }


@dataclass
class PlaygroundData:
    """The training and test points of a run."""

    train: Points
    test: Points


def seed_number(seed: str) -> int:
    """The integer a seed text stands for (the same text always gives the same number).

    Example:
        >>> seed_number("0.51203") == seed_number("0.51203"), seed_number("a") != seed_number("b")
        (True, True)
    """
    return int.from_bytes(hashlib.sha256(str(seed).encode()).digest()[:6], "big")


def generate(name: str, n: int, noise: float, seed: int) -> Points:
    """``n`` points of the built-in data set ``name`` (``noise`` from 0 to 0.5).

    Example:
        >>> len(generate("xor", 100, 0.0, seed=1))
        100
    """
    x, y, label = GENERATORS[name](n, noise, np.random.default_rng(seed))
    return Points(np.stack([x, y], axis=1), np.asarray(label, dtype=float))


def split_indices(count: int, percent_train: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The points' order shuffled by ``seed``, cut after ``percent_train`` %: (train, test)."""
    order = np.random.default_rng([seed, 1]).permutation(count)
    cut = count * percent_train // 100
    return order[:cut], order[cut:]


def split(points: Points, percent_train: int, seed: int) -> PlaygroundData:
    """Shuffled, then the first ``percent_train`` % for training (as the original splits)."""
    train, test = split_indices(len(points), percent_train, seed)
    return PlaygroundData(
        Points(points.xy[train], points.label[train]), Points(points.xy[test], points.label[test])
    )


def make_data(settings: PlaygroundSettings, custom: Points | None = None) -> PlaygroundData:
    """The run's data: the chosen built-in set generated from the seed, or ``custom`` points.

    Example:
        >>> len(make_data(PlaygroundSettings(problem="regression", seed="1")).train)
        600
    """
    seed = seed_number(settings.seed)
    if settings.data_name == CUSTOM:
        return split(custom if custom is not None else Points(), settings.percTrainData, seed)
    n = NUM_SAMPLES_CLASSIFY if settings.classification else NUM_SAMPLES_REGRESS
    points = generate(settings.data_name, n, settings.noise / 100, seed)
    return split(points, settings.percTrainData, seed)


def thumbnails(problem: str, custom: Points | None = None) -> dict[str, dict[str, list[float]]]:
    """200 noiseless points of each data set of ``problem`` for the pickers (the page's
    ``thumbnails`` trait); your own points under ``"custom"`` when there are any."""
    out = dict(_builtin_thumbnails(problem))
    if custom is not None and len(custom):
        out[CUSTOM] = custom.to_json()
    return out


@functools.cache
def _builtin_thumbnails(problem: str) -> dict[str, dict[str, list[float]]]:
    # The same every time (seed 0, no noise): made once, not at every drawn point.
    names = [n for n in GENERATORS if n.startswith("reg-") == (problem == "regression")]
    return {name: generate(name, THUMBNAIL_SAMPLES, 0.0, seed=0).to_json() for name in names}


# -- your own points ----------------------------------------------------------------------------


def add_point(points: Points, x: float, y: float, label: float, classification: bool) -> Points:
    """``points`` with one more, checked: on the plane, label -1 or 1 (classification) or in
    [-1, 1] (regression)."""
    low, high = DOMAIN
    values = []
    for name, value in (("x", x), ("y", y), ("label", label)):
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            raise PlaygroundError(
                f"A point's {name} must be a number; got {brief(value)}."
            ) from None
    x, y, label = values
    if not (low <= x <= high and low <= y <= high):
        raise PlaygroundError(
            f"A point must lie on the plane ({low:g} to {high:g}); got ({x}, {y})."
        )
    if classification and label not in (-1.0, 1.0):
        raise PlaygroundError(f"A point's class is -1 or 1; got {label:g}.")
    if not -1 <= label <= 1:
        raise PlaygroundError(f"A point's value lies between -1 and 1; got {label:g}.")
    if len(points) >= MAX_POINTS:
        raise PlaygroundError(f"The Playground holds at most {MAX_POINTS} points.")
    return Points(np.vstack([points.xy, [[x, y]]]), np.append(points.label, label))


@dataclass
class CsvPoints:
    """Points read from a CSV file, and what was done to them (said to the learner)."""

    points: Points
    classification: bool
    summary: str


def read_csv(text: str, name: str = "data.csv") -> CsvPoints:
    """Points from CSV text: two numeric feature columns and a label column (the last).

    Two distinct labels make a classification set (the first in sorted order becomes -1, the
    other +1); more make a regression set scaled onto [-1, 1]. The features are scaled onto
    [-5, 5] each, so any units fit the plane.

    Example:
        >>> found = read_csv("a,b,label\\n0,0,no\\n1,2,yes\\n2,1,yes\\n3,3,no\\n")
        >>> found.classification, found.points.label.tolist()
        (True, [-1.0, 1.0, 1.0, -1.0])
    """
    name = brief(str(name), 60).strip("'\"")
    if len(text.encode("utf-8", "replace")) > MAX_CSV_BYTES:
        raise PlaygroundError(f"{name} is larger than {MAX_CSV_BYTES // 1_000_000} MB.")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and not _numeric(rows[0][:2]):
        header, rows = rows[0], rows[1:]
    else:
        header = ["x1", "x2", "label"]
    if len(header) != 3 or any(len(row) != 3 for row in rows):
        raise PlaygroundError(
            f"{name} must have three columns: two features and a label (the last column)."
        )
    if len(rows) < 4:
        raise PlaygroundError(
            f"{name} has {len(rows)} rows of data; the Playground needs 4 or more."
        )
    if len(rows) > MAX_POINTS:
        raise PlaygroundError(
            f"{name} has {len(rows):,} rows; the Playground takes {MAX_POINTS:,}."
        )
    features = _features(rows, header, name)
    labels, classification, described = _labels([row[2].strip() for row in rows], header[2], name)
    summary = (
        f"Loaded {name}: {len(rows)} points, features {brief(header[0])} and {brief(header[1])} scaled "
        f"onto the plane, {described}."
    )
    return CsvPoints(Points(features, labels), classification, summary)


def _numeric(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


def _features(rows: list[list[str]], header: list[str], name: str) -> np.ndarray:
    try:
        values = np.array([[float(row[0]), float(row[1])] for row in rows])
    except ValueError:
        raise PlaygroundError(
            f"The feature columns {brief(header[0])} and {brief(header[1])} of {name} must hold numbers."
        ) from None
    if not np.isfinite(values).all():
        raise PlaygroundError(f"The feature columns of {name} hold empty or infinite values.")
    low, high = values.min(axis=0), values.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled: np.ndarray = (values - low) / span * 2 * CUSTOM_SPAN - CUSTOM_SPAN
    return scaled


def _labels(cells: list[str], column: str, name: str) -> tuple[np.ndarray, bool, str]:
    distinct = sorted(set(cells))
    if len(distinct) == 2:
        classes = np.array([1.0 if c == distinct[1] else -1.0 for c in cells])
        return (
            classes,
            True,
            f"{brief(column)} {brief(distinct[0])} as -1 and {brief(distinct[1])} as +1",
        )
    if len(distinct) < 2:
        raise PlaygroundError(f"The label column {brief(column)} of {name} has one value only.")
    if not _numeric(distinct):
        raise PlaygroundError(
            f"The label column {brief(column)} of {name} has {len(distinct)} different texts; the "
            "Playground takes two classes or numbers."
        )
    values = np.array([float(c) for c in cells])
    low, high = values.min(), values.max()
    return (values - low) / (high - low) * 2 - 1, False, f"{brief(column)} scaled onto [-1, 1]"
