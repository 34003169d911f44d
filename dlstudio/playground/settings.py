"""The Playground's settings: every choice TensorFlow Playground offers, under its names, checked.

A ``PlaygroundSettings`` is what a shared link holds. ``to_share`` writes it in the original's
URL-hash form (``activation=tanh&batchSize=10&...``, a hidden control as ``<name>_hide=true``),
and ``from_share`` reads that form, the original's own links included, so a teacher's existing
Playground link opens here with the same data set, network and rates.

Example:
    >>> settings = PlaygroundSettings(dataset="spiral", networkShape=[8, 8], sinX=True)
    >>> settings.feature_names()
    ['x', 'y', 'sinX']
    >>> PlaygroundSettings.from_share(settings.to_share()) == settings
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
PROBLEMS = ("classification", "regression")
CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_SETS = ("reg-plane", "reg-gauss")
CUSTOM = "custom"
"""The data set name of points a learner drew or loaded from a CSV file."""
DATASET_LABELS = {
    "circle": "Circle",
    "xor": "Exclusive or",
    "gauss": "Gaussian",
    "spiral": "Spiral",
    "reg-plane": "Plane",
    "reg-gauss": "Multi Gaussian",
    CUSTOM: "Your data",
}
# The input features, in the original's order (that is the order of the network's inputs).
FEATURES = {
    "x": "X₁",
    "y": "X₂",
    "xSquared": "X₁²",
    "ySquared": "X₂²",
    "xTimesY": "X₁X₂",
    "sinX": "sin(X₁)",
    "sinY": "sin(X₂)",
}
# The controls a teacher may hide (the original's list, then dlstudio's own panels).
HIDABLE = {
    "showTestData": "Show test data",
    "discretize": "Discretize output",
    "playButton": "Play button",
    "stepButton": "Step button",
    "resetButton": "Reset button",
    "learningRate": "Learning rate",
    "activation": "Activation",
    "regularization": "Regularization",
    "regularizationRate": "Regularization rate",
    "problem": "Problem type",
    "dataset": "Which dataset",
    "percTrainData": "Ratio train data",
    "noise": "Noise level",
    "batchSize": "Batch size",
    "numHiddenLayers": "# of hidden layers",
    "yourData": "Your data (CSV, drawing)",
    "code": "PyTorch code",
    **{name: f"Feature {label}" for name, label in FEATURES.items()},
}
MAX_LAYERS = 6
MAX_NEURONS = 8
NOISE_MAX, NOISE_STEP = 50, 5
RATIO_MIN, RATIO_MAX, RATIO_STEP = 10, 90, 10
BATCH_MAX = 30
DOMAIN = (-6.0, 6.0)
HIDE_SUFFIX = "_hide"


class PlaygroundError(ValueError):
    """A setting or request the Playground cannot take; the message says why in one sentence."""


def brief(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error repeats what it was given, never
    a whole megabyte of it.

    Example:
        >>> brief("x" * 100)
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def new_seed() -> str:
    """A fresh seed in the original's form, e.g. ``"0.51203"`` (Regenerate draws one)."""
    return f"{random.random():.5f}"


@dataclass
class PlaygroundSettings:
    """Every setting of a Playground run, named as in TensorFlow Playground's links.

    Example:
        >>> PlaygroundSettings().networkShape
        [4, 2]
        >>> PlaygroundSettings(noise=7)
        Traceback (most recent call last):
        ...
        dlstudio.playground.settings.PlaygroundError: noise must be one of 0, 5, ..., 50 (a multiple of 5); got 7.
    """

    problem: str = "classification"
    dataset: str = "circle"
    regDataset: str = "reg-plane"
    noise: int = 0
    percTrainData: int = 50
    batchSize: int = 10
    learningRate: float = 0.03
    activation: str = "tanh"
    regularization: str = "none"
    regularizationRate: float = 0.0
    networkShape: list[int] = field(default_factory=lambda: [4, 2])
    seed: str = field(default_factory=new_seed)
    showTestData: bool = False
    discretize: bool = False
    initZero: bool = False
    x: bool = True
    y: bool = True
    xSquared: bool = False
    ySquared: bool = False
    xTimesY: bool = False
    sinX: bool = False
    sinY: bool = False
    hidden: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            setattr(self, name, check_setting(name, value))

    # -- reading ------------------------------------------------------------------------------

    def feature_names(self) -> list[str]:
        """The input features switched on, in the network's input order."""
        return [name for name in FEATURES if getattr(self, name)]

    @property
    def classification(self) -> bool:
        return self.problem == "classification"

    @property
    def data_name(self) -> str:
        """The data set of the current problem (``dataset`` or ``regDataset``)."""
        return self.dataset if self.classification else self.regDataset

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (what the page's ``settings`` trait holds, ``hidden`` apart)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> PlaygroundSettings:
        """A checked copy with ``changes`` applied.

        Example:
            >>> PlaygroundSettings().replace(learningRate="0.1").learningRate
            0.1
        """
        unknown = sorted(set(changes) - set(SETTING_NAMES))
        if unknown:
            raise PlaygroundError(f"There is no Playground setting {brief(unknown[0])}.")
        return dataclasses.replace(self, **changes)

    # -- sharing ------------------------------------------------------------------------------

    def to_share(self) -> str:
        """The settings as the original's URL hash (without ``#``).

        Example:
            >>> PlaygroundSettings(seed="0.5").to_share().split("&")[:3]
            ['activation=tanh', 'batchSize=10', 'dataset=circle']
        """
        values = self.to_dict()
        hidden = values.pop("hidden")
        parts = [f"{name}={_share_value(values[name])}" for name in sorted(values)]
        parts += [f"{name}{HIDE_SUFFIX}=true" for name in hidden]
        return "&".join(parts)

    @classmethod
    def from_share(cls, text: str) -> PlaygroundSettings:
        """Settings from a shared state: ``name=value&...``, a whole link, or ``#...``.

        Names the original knows that dlstudio does not use (``collectStats``, ``tutorial``,
        ``cosX``...) are ignored; a value that cannot work is refused with the setting's name.

        Example:
            >>> link = "https://playground.tensorflow.org/#dataset=xor&networkShape=3&noise=10"
            >>> s = PlaygroundSettings.from_share(link)
            >>> s.dataset, s.networkShape, s.noise
            ('xor', [3], 10)
        """
        text = str(text).strip()
        if "#" in text:
            text = text.split("#", 1)[1]
        values: dict[str, Any] = {}
        hidden: list[str] = []
        parts = [part for part in text.split("&") if part]
        known = [p for p in parts if p.partition("=")[0].removesuffix(HIDE_SUFFIX) in KNOWN_NAMES]
        if parts and not known:
            raise PlaygroundError(
                "That text holds no Playground settings: share text looks like "
                "'activation=tanh&batchSize=10&dataset=circle&...'."
            )
        for part in parts:
            name, _, value = part.partition("=")
            if name.endswith(HIDE_SUFFIX):
                if value == "true" and name[: -len(HIDE_SUFFIX)] in HIDABLE:
                    hidden.append(name[: -len(HIDE_SUFFIX)])
            elif name in SETTING_NAMES and name != "hidden":
                values[name] = _parse_share_value(name, value)
        return cls(**values, hidden=hidden)


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(PlaygroundSettings))
BOOLEANS = ("showTestData", "discretize", "initZero", *FEATURES)
RESHAPING = ("networkShape", "activation", "problem", "initZero", "regularization", *FEATURES)
"""Settings that make a new network (as the original's reset); the rest keep the weights."""
REDATA = ("problem", "dataset", "regDataset", "noise", "percTrainData")
"""Settings that make new data from the seed."""
DISPLAY_ONLY = ("showTestData", "discretize", "hidden")
# Names the original's links carry that dlstudio reads past (its own link is still a link).
ORIGINAL_ONLY = ("collectStats", "tutorial", "hideText", "cosX", "cosY", "numHiddenLayers")
KNOWN_NAMES = (*SETTING_NAMES, *ORIGINAL_ONLY, *HIDABLE)


def _share_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _parse_share_value(name: str, value: str) -> Any:
    if name in BOOLEANS:
        return value != "false"
    if name == "networkShape":
        return [v for v in value.split(",") if v.strip()]
    return value


def check_setting(name: str, value: Any) -> Any:
    """``value`` normalised for setting ``name``, or PlaygroundError saying what is allowed.

    Example:
        >>> check_setting("learningRate", "0.3"), check_setting("networkShape", ["2", 3])
        (0.3, [2, 3])
    """
    if name in BOOLEANS:
        if not isinstance(value, bool):
            raise PlaygroundError(f"{name} is true or false; got {brief(value)}.")
        return value
    checker = _CHECKS.get(name)
    if checker is None:
        raise PlaygroundError(f"There is no Playground setting {brief(name)}.")
    return checker(name, value)


def _integer(name: str, value: Any, low: int, high: int, step: int = 1) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number == number or number != int(number) or not low <= number <= high:
        raise PlaygroundError(
            f"{name} must be a whole number from {low} to {high}; got {brief(value)}."
        )
    if int(number) % step:
        raise PlaygroundError(
            f"{name} must be one of {low}, {low + step}, ..., {high} (a multiple of {step}); "
            f"got {brief(value)}."
        )
    return int(number)


def _one_of(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    allowed = tuple(allowed)
    if isinstance(allowed[0], float):
        with contextlib.suppress(TypeError, ValueError):
            value = float(value)
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise PlaygroundError(f"{name} must be one of {shown}; got {brief(value)}.")
    return value


def _shape(name: str, value: Any) -> list[int]:
    if not isinstance(value, list | tuple) or len(value) > MAX_LAYERS:
        raise PlaygroundError(
            f"{name} is a list of at most {MAX_LAYERS} hidden layer sizes; got {brief(value)}."
        )
    return [_integer(f"{name} (layer {i + 1})", v, 1, MAX_NEURONS) for i, v in enumerate(value)]


def _seed(name: str, value: Any) -> str:
    text = str(value)
    if not 0 < len(text) <= 40 or not text.isprintable() or any(c in text for c in "&=#"):
        raise PlaygroundError(f"{name} is a short text without &, = or #; got {brief(value)}.")
    return text


def _hidden(name: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise PlaygroundError(f"{name} is a list of control names; got {brief(value)}.")
    unknown = [v for v in value if v not in HIDABLE]
    if unknown:
        raise PlaygroundError(f"There is no control {brief(unknown[0])} to hide.")
    return sorted(set(value), key=list(HIDABLE).index)


_CHECKS = {
    "problem": lambda n, v: _one_of(n, v, PROBLEMS),
    "dataset": lambda n, v: _one_of(n, v, (*CLASSIFICATION_SETS, CUSTOM)),
    "regDataset": lambda n, v: _one_of(n, v, (*REGRESSION_SETS, CUSTOM)),
    "noise": lambda n, v: _integer(n, v, 0, NOISE_MAX, NOISE_STEP),
    "percTrainData": lambda n, v: _integer(n, v, RATIO_MIN, RATIO_MAX, RATIO_STEP),
    "batchSize": lambda n, v: _integer(n, v, 1, BATCH_MAX),
    "learningRate": lambda n, v: _one_of(n, v, LEARNING_RATES),
    "activation": lambda n, v: _one_of(n, v, ACTIVATIONS),
    "regularization": lambda n, v: _one_of(n, v, REGULARIZATIONS),
    "regularizationRate": lambda n, v: _one_of(n, v, REGULARIZATION_RATES),
    "networkShape": _shape,
    "seed": _seed,
    "hidden": _hidden,
}


def options() -> dict[str, Any]:
    """The choices the page offers (the ``options`` trait)."""
    return {
        "learning_rates": list(LEARNING_RATES),
        "regularization_rates": list(REGULARIZATION_RATES),
        "activations": list(ACTIVATIONS),
        "regularizations": list(REGULARIZATIONS),
        "datasets": {
            "classification": [*CLASSIFICATION_SETS, CUSTOM],
            "regression": [*REGRESSION_SETS, CUSTOM],
        },
        "dataset_labels": dict(DATASET_LABELS),
        "features": [{"name": n, "label": label} for n, label in FEATURES.items()],
        "hidable": [{"name": n, "label": label} for n, label in HIDABLE.items()],
        "max_layers": MAX_LAYERS,
        "max_neurons": MAX_NEURONS,
        "noise_max": NOISE_MAX,
        "noise_step": NOISE_STEP,
        "ratio_min": RATIO_MIN,
        "ratio_max": RATIO_MAX,
        "ratio_step": RATIO_STEP,
        "batch_max": BATCH_MAX,
        "domain": list(DOMAIN),
    }


def changed(old: PlaygroundSettings, new: PlaygroundSettings) -> set[str]:
    """The names of the settings that differ."""
    a, b = old.to_dict(), new.to_dict()
    return {name for name in a if a[name] != b[name]}


def from_mapping(values: Mapping[str, Any]) -> PlaygroundSettings:
    """Settings from a dict (unknown names refused)."""
    return PlaygroundSettings().replace(**dict(values))
