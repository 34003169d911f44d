"""A Playground run as a script of its own: the same data, starting weights and update rule.

The script holds copies of the Playground's own functions (the data set's generator, the split,
the features, the network's class exactly as the code panel shows it, the original's start and
update rule), so ``python playground.py`` with numpy and torch prints the losses the page shows,
without dlstudio. Weights typed into the page and settings changed in the middle of a run are
not replayed: the script trains from the start with the settings on screen.

Example:
    >>> run = PlaygroundRun(PlaygroundSettings(dataset="xor", seed="1"))
    >>> source = playground_script(run)
    >>> "def classify_xor(" in source and "class PlaygroundNet(nn.Module):" in source
    True
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from dlstudio.export.copy_source import functions_source
from dlstudio.playground import data, engine, network
from dlstudio.playground.engine import PlaygroundRun
from dlstudio.playground.network import CLASS_NAME
from dlstudio.playground.settings import DATASET_LABELS, FEATURES, PlaygroundSettings

DEFAULT_EPOCHS = 100
IMPORTS = (
    "from collections.abc import Callable\n\nimport numpy as np\nimport torch\nfrom torch import nn"
)
REPORT_EVERY = 10

MAIN = """
def main() -> None:
    {load}
    train, test = split_indices(len(label), PERCENT_TRAIN, SEED)
    columns = torch.as_tensor(feature_columns(xy, FEATURES), dtype=torch.float64)
    labels = torch.as_tensor(label, dtype=torch.float64)
    train_x, train_t, test_x, test_t = columns[train], labels[train], columns[test], labels[test]

    model = {class_name}().double()
    init_weights(model, WEIGHT_SEED, zero=INIT_ZERO)
    layers = linear_layers(model)
    dead = [torch.zeros_like(layer.weight, dtype=torch.bool) for layer in layers]

    def update(count: int) -> None:
        sgd_update(layers, dead, count, LEARNING_RATE, REGULARIZATION, REGULARIZATION_RATE)

    pending = 0
    for epoch in range(1, EPOCHS + 1):
        pending = train_epoch(model, train_x, train_t, BATCH_SIZE, pending, update)
        if epoch % {every} == 0 or epoch == EPOCHS:
            train_loss = half_squared_error(model, train_x, train_t)
            test_loss = half_squared_error(model, test_x, test_t)
            print(f"epoch {{epoch}}: training loss {{train_loss:.3f}}, test loss {{test_loss:.3f}}")


if __name__ == "__main__":
    main()
"""


def _describe(settings: PlaygroundSettings) -> str:
    features = ", ".join(FEATURES[name] for name in settings.feature_names())
    hidden = ", ".join(str(w) for w in settings.networkShape) or "none"
    rule = (
        f", {settings.regularization} {settings.regularizationRate:g}"
        if settings.regularization != "none"
        else ""
    )
    noise = f"noise {settings.noise}, " if settings.data_name != "custom" else ""
    name = DATASET_LABELS[settings.data_name].lower()
    data_name = "your own points" if settings.data_name == "custom" else f"{name} data"
    summary = (
        f"Playground run: {data_name} ({noise}"
        f"{settings.percTrainData}% for training), inputs {features}; hidden layers {hidden} "
        f"with {settings.activation}; SGD on ½(o − t)², learning rate {settings.learningRate:g}, "
        f"batch {settings.batchSize}{rule}."
    )
    return (
        '"""' + textwrap.fill(summary, 99) + "\n\nWritten by dlstudio's Playground: the same "
        "data, starting weights and update rule as the run on\nscreen. Run it with `python "
        'playground.py` (needs numpy and torch).\n"""'
    )


def _constants(run: PlaygroundRun) -> str:
    settings = run.settings
    lines = [
        f"SEED = {data.seed_number(settings.seed)}  # the Playground's seed {json.dumps(settings.seed)}",
        f"WEIGHT_SEED = {run.weight_seed}",
        f"NOISE = {settings.noise / 100!r}",
        f"PERCENT_TRAIN = {settings.percTrainData}",
        f"FEATURES = {json.dumps(settings.feature_names())}",
        f"BATCH_SIZE = {settings.batchSize}",
        f"LEARNING_RATE = {settings.learningRate!r}",
        f"REGULARIZATION = {json.dumps(settings.regularization)}",
        f"REGULARIZATION_RATE = {settings.regularizationRate!r}",
        f"INIT_ZERO = {settings.initZero}",
        f"WEIGHT_RANGE = {network.WEIGHT_RANGE!r}",
        f"BIAS_START = {network.BIAS_START!r}",
        f"EPOCHS = {run.epoch or DEFAULT_EPOCHS}",
    ]
    return "\n".join(lines)


def _points_literal(run: PlaygroundRun) -> str:
    points = run.custom
    rows = np.column_stack([points.xy, points.label]).tolist()
    body = "".join(f"        [{x!r}, {y!r}, {t!r}],\n" for x, y, t in rows)
    return (
        f"# Your own points on the plane: x1, x2, label.\nPOINTS = np.array(\n    [\n{body}    ]\n)"
    )


def _loading(run: PlaygroundRun) -> tuple[str, list[Callable[..., Any]]]:
    """The first lines of main() and the generator to copy (none for your own points)."""
    settings = run.settings
    if settings.data_name == "custom":
        return "xy, label = POINTS[:, :2], POINTS[:, 2]", []
    generator = data.GENERATORS[settings.data_name]
    count = data.NUM_SAMPLES_CLASSIFY if settings.classification else data.NUM_SAMPLES_REGRESS
    load = (
        f"x1, x2, label = {generator.__name__}({count}, NOISE, np.random.default_rng(SEED))\n"
        "    xy = np.stack([x1, x2], axis=1)"
    )
    return load, [generator]


def playground_script(run: PlaygroundRun) -> str:
    """The whole script that reproduces ``run`` (see the module's docstring)."""
    settings = run.settings
    load, generators = _loading(run)
    model_code = run.graph.to_code(CLASS_NAME).split("\n\n\n", 1)[1].strip()
    functions: list[Callable[..., Any]] = [
        *generators,
        data.split_indices,
        network.feature_columns,
        network.linear_layers,
        network.init_weights,
        engine.train_epoch,
        engine._grad,
        engine.sgd_update,
        engine.half_squared_error,
    ]
    parts = [
        _describe(settings) + "\n\n" + IMPORTS + "\n\n" + _constants(run),
        *([_points_literal(run)] if settings.data_name == "custom" else []),
        *(["GAUSSIANS = " + repr(data.GAUSSIANS)] if settings.data_name == "reg-gauss" else []),
        functions_source(functions),
        model_code,
        MAIN.format(load=load, class_name=CLASS_NAME, every=REPORT_EVERY).strip(),
    ]
    return "\n\n\n".join(parts) + "\n"
