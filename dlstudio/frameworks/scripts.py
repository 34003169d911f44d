"""Training scripts in Keras 3 and Flax NNX that match the exported PyTorch script.

``keras_script`` and ``flax_script`` write a complete, runnable file: the model code of
``Graph.to_code(framework=...)``, scikit-learn's digits loaded, split and standardised exactly
as the PyTorch script (``dlstudio.export.script``) does it (dlstudio's own split copied in, the
same seed, the same per-channel statistics of the training images), and training with the
same ``TrainingSettings``: epochs, batch size, learning rate, optimizer (with PyTorch's options),
scheduler (none, step or cosine) and seed, cross-entropy on the logits. Keras trains with
``model.compile(...)`` and ``model.fit(...)``; Flax with an optax optimizer in an
``nnx.Optimizer`` and an ``@nnx.jit`` step. Each prints ``final val_accuracy: 0.9721`` last,
as the PyTorch script does. The frameworks' own default initialisers differ from PyTorch's,
so the accuracies agree within run-to-run noise, not digit for digit.

The scripts need their framework, NumPy and scikit-learn; writing them needs neither Keras
nor JAX.

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.adapt import fit_to_data
    >>> graph = fit_to_data(examples.load("lenet5"), (1, 8, 8), 10)
    >>> source = keras_script(graph, TrainingSettings(epochs=3))
    >>> "model.fit(" in source, "import dlstudio" in source
    (True, False)
    >>> "@nnx.jit" in flax_script(graph)
    True
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from textwrap import dedent, wrap
from typing import Any

from dlstudio.datasets import memory
from dlstudio.export.copy_source import functions_source
from dlstudio.export.script import import_block, join_blocks
from dlstudio.graph.frameworks import write_flax, write_keras
from dlstudio.graph.frameworks.common import literal
from dlstudio.graph.frameworks.program import Program, Value
from dlstudio.session.data import DataSpec
from dlstudio.train.losses import canonical_loss_name
from dlstudio.train.settings import TrainingSettings

__all__ = ["FLAX_OPTIMIZERS", "KERAS_OPTIMIZERS", "flax_script", "keras_script"]

# Each optimizer with PyTorch's defaults and dlstudio's options (dlstudio.train.optim): Keras's
# epsilon is 1e-7 and its RMSprop's rho 0.9 unless told; optax's rmsprop puts eps inside the
# square root unless told. A test checks that every optimizer choice has its line here.
KERAS_OPTIMIZERS = {
    "sgd": "keras.optimizers.SGD(learning_rate={lr}, momentum=0.9)",
    "adam": "keras.optimizers.Adam(learning_rate={lr}, epsilon=1e-8)",
    "adamw": "keras.optimizers.AdamW(learning_rate={lr}, weight_decay=0.01, epsilon=1e-8)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate={lr}, rho=0.99, epsilon=1e-8)",
}
FLAX_OPTIMIZERS = {
    "sgd": "optax.sgd({lr}, momentum=0.9)",
    "adam": "optax.adam({lr})",
    "adamw": "optax.adamw({lr}, weight_decay=0.01)",
    "rmsprop": "optax.rmsprop({lr}, decay=0.99, eps=1e-8, eps_in_sqrt=False)",
}
# PyTorch's StepLR (step_size EPOCHS // 3, gamma 0.1, stepped per epoch) and CosineAnnealingLR
# (over all steps), as dlstudio.train.optim makes them, counted in optimizer steps.
KERAS_SCHEDULES = {
    "step": (
        "keras.optimizers.schedules.ExponentialDecay(\n"
        "    LR, decay_steps=max(1, EPOCHS // 3) * steps_per_epoch, decay_rate=0.1, staircase=True\n"
        ")"
    ),
    "cosine": "keras.optimizers.schedules.CosineDecay(LR, decay_steps=EPOCHS * steps_per_epoch)",
}
FLAX_SCHEDULES = {
    "step": (
        "optax.exponential_decay(\n"
        "    LR, transition_steps=max(1, EPOCHS // 3) * steps_per_epoch, decay_rate=0.1, "
        "staircase=True\n"
        ")"
    ),
    "cosine": "optax.cosine_decay_schedule(LR, decay_steps=EPOCHS * steps_per_epoch)",
}
DIGITS = DataSpec("builtin", "digits")
_SPLIT = functions_source(
    [memory.split_indices, memory._strata, memory._allocate], drop=["check_val_fraction"]
)
_MODEL_NOTE = (
    "# The model as dlstudio writes it from the graph: channels last, each comment the shape "
    "of a\n# layer's output in that layout."
)
_STANDARDISE = '''
def standardise(images, train_idx):
    """Images (N, C, H, W) standardised per channel with the training images' mean and std,
    as dlstudio computes them (float64 sums; a blank channel keeps std 1)."""
    train = images[train_idx].astype(np.float64)
    count = train.size // train.shape[1]
    mean = train.sum(axis=(0, 2, 3)) / count
    std = np.sqrt(np.maximum((train * train).sum(axis=(0, 2, 3)) / count - mean * mean, 0))
    std = np.where(std > 1e-6, std, 1.0)
    mean, std = mean.astype(np.float32)[:, None, None], std.astype(np.float32)[:, None, None]
    return (images - mean) / std
'''


def _settings(settings: TrainingSettings | Mapping[str, Any] | None) -> TrainingSettings:
    if settings is None:
        return TrainingSettings()
    if isinstance(settings, TrainingSettings):
        return settings
    return TrainingSettings.from_dict(settings)


def _data(data: DataSpec | Mapping[str, Any] | None) -> DataSpec:
    spec = (
        DIGITS if data is None else data if isinstance(data, DataSpec) else DataSpec.from_dict(data)
    )
    if spec.source != "builtin" or spec.name != "digits" or spec.augment:
        raise ValueError(
            "The Keras and Flax scripts train on scikit-learn's digits without augmentation; "
            "export the PyTorch script (dlstudio.export.script) for other data."
        )
    return spec


def _input(program: Program) -> Value:
    """The graph's one input, checked to take a digit image (64 numbers)."""
    if len(program.inputs) != 1:
        raise ValueError(f"The digits give one image per sample; this graph has "
                         f"{len(program.inputs)} inputs.")  # fmt: skip
    value = program.values[program.inputs[0]]
    size = 1
    for dim in value.shape[1:]:
        size *= int(dim or 0)
    if size != 64:
        raise ValueError(
            f"The graph's Input takes {value.torch_shape[1:]} but a digit is (1, 8, 8): fit the "
            "graph to the data first (dlstudio.graph.adapt.fit_to_data)."
        )
    return value


def _check_outputs(program: Program) -> None:
    if len(program.outputs) != 1:
        raise ValueError("The scripts train a model with one output, the 10 digits' logits.")
    shape = program.values[program.outputs[0]].shape
    size = 1
    for dim in shape[1:]:
        size *= int(dim or 0)
    if size != 10:
        raise ValueError(
            f"The digits have 10 classes but the graph gives {size} outputs: fit the graph to "
            "the data first (dlstudio.graph.adapt.fit_to_data)."
        )


def _check_training(settings: TrainingSettings, table: Mapping[str, str]) -> None:
    loss = canonical_loss_name(settings.loss, "classification", 10, 10)
    if loss != "cross_entropy":
        raise ValueError(
            f"The Keras and Flax scripts train with cross-entropy on the logits, not {loss!r}: "
            "use loss 'auto' or 'cross_entropy'."
        )
    if settings.scheduler not in ("none", *table):
        raise ValueError(
            f"The {settings.scheduler!r} learning-rate schedule is not written for Keras and "
            f"Flax: choose none, {' or '.join(table)} (or export the PyTorch script)."
        )


def _model_parts(source: str) -> tuple[list[str], str]:
    """The written model's import lines that its code uses, and the code without the module
    docstring."""
    lines = source.splitlines()
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    skip = 0
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        skip = first.end_lineno or 0
    imports = [line for line in lines[skip:] if line.startswith(("import ", "from "))]
    body = "\n".join(line for line in lines[skip:] if line not in imports).strip("\n")
    return [line for line in imports if _used(line, body)], body


def _used(line: str, body: str) -> bool:
    """Whether ``body`` uses a name the import ``line`` binds (``import jax.numpy as jnp``:
    ``jnp``; ``from keras import layers``: ``layers``)."""
    names = line.split(" import ")[1] if line.startswith("from ") else line[len("import ") :]
    bound = [name.split(" as ")[-1].strip().split(".")[0] for name in names.split(",")]
    return any(re.search(rf"(?<![\w.]){re.escape(name)}\b", body) for name in bound)


def _layout(value: Value) -> tuple[str, str]:
    """How the images reach the model's Input: the line that puts them in its layout, and
    the sentence the docstring says about it."""
    shape = ", ".join(str(d) for d in value.shape[1:])
    if value.channels_first:
        torch_shape = tuple(int(d or 0) for d in value.torch_shape[1:])
        if torch_shape == (1, 8, 8):
            move = "np.moveaxis(images, 1, -1)  # (N, 1, 8, 8) -> (N, 8, 8, 1): channels last"
        else:
            inside = ", ".join(str(d) for d in torch_shape)
            move = f"np.moveaxis(images.reshape(len(images), {inside}), 1, -1)  # channels last"
        return f"images = {move}", f"the images reach the model as (N, {shape}), channels last"
    return (
        "images = images.reshape((len(images), *INPUT_SHAPE))",
        f"the images reach the model as (N, {shape}), as its Input reads them",
    )


def _load_data(value: Value) -> str:
    move, _ = _layout(value)
    return dedent(
        f'''
        def load_data():
            """scikit-learn's 1,797 handwritten digits as 8x8 images, 10 classes: split and
            standardised exactly as the PyTorch script does, then put in the model's layout.
            Returns (x_train, y_train), (x_val, y_val) as NumPy arrays."""
            raw = load_digits()
            images = raw.images.astype(np.float32)[:, None] / 16  # (N, 1, 8, 8), pixels 0..16
            labels = raw.target.astype(np.int32)
            train_idx, val_idx = split_indices(len(images), VAL_FRACTION, DATA_SEED, labels)
            images = standardise(images, train_idx)
            {move}
            return (images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx])
        '''
    ).strip("\n")


def _header(
    title: str,
    paragraphs: list[str],
    imports: list[str],
    settings: TrainingSettings,
    data: DataSpec,
    value: Value,
) -> str:
    text: list[str] = [*wrap(f'"""{title}', width=100)]
    for paragraph in paragraphs:
        text += ["", *wrap(paragraph, width=100)]
    return "\n".join(
        [
            *text,
            '"""',
            "",
            *import_block(imports),
            "",
            f"DATA_SEED = {data.seed}",
            f"VAL_FRACTION = {data.val_fraction!r}",
            f"SEED = {settings.seed}",
            f"EPOCHS = {settings.epochs}",
            f"BATCH_SIZE = {settings.batch_size}",
            f"LR = {float(settings.lr)!r}",
            f"INPUT_SHAPE = {literal(value.shape[1:])}  # one image as the model's Input takes it",
        ]
    )


def _same_data(framework: str, value: Value, initialisers: str) -> list[str]:
    _, layout = _layout(value)
    return [
        "The data are the PyTorch script's to the sample: the same seeded split (dlstudio's, "
        "copied below) and the same standardisation with the training images' per-channel mean "
        f"and std; {layout}. The settings are the same too (epochs, batch size, learning rate, "
        "optimizer with PyTorch's options, schedule, seed).",
        f"{framework} starts the weights from its own default initialisers ({initialisers}), "
        "not PyTorch's, and shuffles with its own generator: the validation accuracy matches the "
        "PyTorch script's within run-to-run noise, not bit for bit.",
    ]


def keras_script(
    graph: Any,
    settings: TrainingSettings | Mapping[str, Any] | None = None,
    class_name: str = "Net",
    *,
    data: DataSpec | Mapping[str, Any] | None = None,
) -> str:
    """The source of a Keras 3 script that trains ``graph`` on digits with ``settings``
    (``TrainingSettings`` or its JSON; the defaults when None) via ``model.compile`` and
    ``model.fit``. ``data`` may change the split's seed and validation fraction of digits.

    Raises ValueError naming each layer Keras has no counterpart for, a graph that does not
    take a digit or give 10 logits, or a setting the script cannot follow (a loss other than
    cross-entropy, the onecycle and plateau schedules).
    """
    settings, spec = _settings(settings), _data(data)
    code = write_keras(graph, class_name)
    if code.missing:
        raise ValueError(" ".join(code.missing))
    program = Program.of(graph)
    value = _input(program)
    _check_outputs(program)
    _check_training(settings, KERAS_SCHEDULES)
    imports, model = _model_parts(code.source)
    header = _header(
        f"Train {class_name} on scikit-learn's digits with Keras 3, exported from dlstudio.",
        [
            "Run it with `KERAS_BACKEND=torch python train_keras.py` (or KERAS_BACKEND=jax): it "
            "needs Keras, its backend, NumPy and scikit-learn, not dlstudio. It prints each "
            "epoch's loss and accuracy, then `final val_accuracy: ...` as the PyTorch script "
            "(train.py) does.",
            *_same_data("Keras", value, "Glorot uniform kernels, zero biases"),
        ],
        [*imports, "import numpy as np", "from sklearn.datasets import load_digits"],
        settings,
        spec,
        value,
    )
    return join_blocks(
        [
            header,
            f"{_MODEL_NOTE}\n{model}",
            _SPLIT,
            _STANDARDISE,
            _load_data(value),
            _keras_main(settings, code.function),
            'if __name__ == "__main__":\n    main()',
        ]
    )


def _optimizer_lines(
    settings: TrainingSettings, optimizers: Mapping[str, str], schedules: Mapping[str, str]
) -> list[str]:
    schedule = schedules.get(settings.scheduler)
    if schedule is None:
        return [f"optimizer = {optimizers[settings.optimizer].format(lr='LR')}"]
    return [
        f"schedule = {schedule}",
        f"optimizer = {optimizers[settings.optimizer].format(lr='schedule')}",
    ]


def _keras_main(settings: TrainingSettings, function: str) -> str:
    optimizer = _optimizer_lines(settings, KERAS_OPTIMIZERS, KERAS_SCHEDULES)
    if settings.scheduler != "none":
        optimizer.insert(0, "steps_per_epoch = -(-len(x_train) // BATCH_SIZE)")
    body = [
        "(x_train, y_train), (x_val, y_val) = load_data()",
        'print(f"{len(x_train)} training, {len(x_val)} validation samples of shape '
        '{x_train.shape[1:]}")',
        "keras.utils.set_random_seed(SEED)  # Python, NumPy and the backend: weights, shuffling",
        f"model = {function}()",
        *optimizer,
        "model.compile(",
        "    optimizer=optimizer,",
        "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),",
        '    metrics=["accuracy"],',
        ")",
        "history = model.fit(",
        "    x_train,",
        "    y_train,",
        "    batch_size=BATCH_SIZE,",
        "    epochs=EPOCHS,",
        "    validation_data=(x_val, y_val),",
        "    shuffle=True,",
        "    verbose=2,  # one line per epoch",
        ")",
        "print(f\"final val_accuracy: {history.history['val_accuracy'][-1]:.4f}\")",
    ]
    return "def main():\n" + "\n".join(f"    {line}" if line else "" for line in _lines(body))


def _lines(body: list[str]) -> list[str]:
    return [part for line in body for part in line.split("\n")]


_FLAX_STEPS = '''
def count_batches(n, batch_size, shuffle):
    steps = -(-n // batch_size)
    if shuffle and steps > 1 and n % batch_size == 1:
        steps -= 1  # a last batch of one sample would break BatchNorm, as in the PyTorch script
    return steps


def batches(x, y, order, batch_size, shuffle=False):
    """(x, y) batches in ``order``, NumPy arrays (jit turns them into JAX arrays)."""
    for i in range(count_batches(len(order), batch_size, shuffle)):
        chosen = order[i * batch_size : (i + 1) * batch_size]
        yield x[chosen], y[chosen]


def loss_fn(model, x, y):
    """Mean cross-entropy of the model's logits against the labels."""
    logits = model(x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


@nnx.jit
def train_step(model, optimizer, x, y):
    """One optimizer step on a batch (compiled once per batch shape); the batch's mean loss."""
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


@nnx.jit
def eval_step(model, x, y):
    """The batch's summed loss and number of right answers."""
    logits = model(x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).sum()
    return loss, (logits.argmax(axis=-1) == y).sum()


def evaluate(model, x_val, y_val):
    """Validation loss and accuracy (the model in eval mode: no dropout)."""
    model.eval()
    total, right = 0.0, 0
    for x, y in batches(x_val, y_val, np.arange(len(y_val)), BATCH_SIZE):
        loss, correct = eval_step(model, x, y)
        total += float(loss)
        right += int(correct)
    model.train()
    return total / len(y_val), right / len(y_val)
'''


def flax_script(
    graph: Any,
    settings: TrainingSettings | Mapping[str, Any] | None = None,
    class_name: str = "Net",
    *,
    data: DataSpec | Mapping[str, Any] | None = None,
) -> str:
    """The source of a Flax NNX script that trains ``graph`` on digits with ``settings``
    (``TrainingSettings`` or its JSON; the defaults when None): an optax optimizer in an
    ``nnx.Optimizer``, a jitted train step and eval step. ``data`` may change the split's seed
    and validation fraction of digits.

    Raises ValueError as ``keras_script`` does.
    """
    settings, spec = _settings(settings), _data(data)
    code = write_flax(graph, class_name)
    if code.missing:
        raise ValueError(" ".join(code.missing))
    program = Program.of(graph)
    value = _input(program)
    _check_outputs(program)
    _check_training(settings, FLAX_SCHEDULES)
    imports, model = _model_parts(code.source)
    header = _header(
        f"Train {class_name} on scikit-learn's digits with Flax NNX and optax, exported from "
        "dlstudio.",
        [
            "Run it with `python train_flax.py`: it needs JAX, Flax, optax, NumPy and "
            "scikit-learn, not dlstudio. It prints each epoch's loss and validation accuracy, "
            "then `final val_accuracy: ...` as the PyTorch script (train.py) does. The first "
            "steps are slower: jit compiles the train step for each batch shape.",
            *_same_data("Flax", value, "LeCun normal kernels, zero biases"),
        ],
        [
            *imports,
            "import numpy as np",
            "import optax",
            "from flax import nnx",
            "from sklearn.datasets import load_digits",
        ],
        settings,
        spec,
        value,
    )
    return join_blocks(
        [
            header,
            f"{_MODEL_NOTE}\n{model}",
            _SPLIT,
            _STANDARDISE,
            _load_data(value),
            _FLAX_STEPS,
            _flax_main(settings, class_name),
            'if __name__ == "__main__":\n    main()',
        ]
    )


def _flax_main(settings: TrainingSettings, class_name: str) -> str:
    optimizer = _optimizer_lines(settings, FLAX_OPTIMIZERS, FLAX_SCHEDULES)
    optimizer[-1] = optimizer[-1].replace("optimizer = ", "tx = ", 1)
    if settings.scheduler != "none":
        optimizer.insert(0, "steps_per_epoch = count_batches(len(x_train), BATCH_SIZE, True)")
    body = [
        "(x_train, y_train), (x_val, y_val) = load_data()",
        'print(f"{len(x_train)} training, {len(x_val)} validation samples of shape '
        '{x_train.shape[1:]}")',
        f"model = {class_name}(nnx.Rngs(SEED))  # weights (and dropout) from SEED",
        *optimizer,
        "optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)",
        "model.train()",
        "for epoch in range(EPOCHS):",
        "    total, count = 0.0, 0",
        "    # A new order each epoch, fixed by (SEED, epoch) as in the PyTorch script.",
        "    order = np.random.default_rng(SEED * 1_000_003 + epoch).permutation(len(x_train))",
        "    for x, y in batches(x_train, y_train, order, BATCH_SIZE, shuffle=True):",
        "        loss = train_step(model, optimizer, x, y)",
        "        total += float(loss) * len(y)",
        "        count += len(y)",
        "    val_loss, val_accuracy = evaluate(model, x_val, y_val)",
        "    print(",
        '        f"epoch {epoch + 1}/{EPOCHS}: loss {total / count:.4f}, "',
        '        f"val_loss {val_loss:.4f}, val_accuracy {val_accuracy:.4f}"',
        "    )",
        'print(f"final val_accuracy: {val_accuracy:.4f}")',
    ]
    return "def main():\n" + "\n".join(f"    {line}" if line else "" for line in _lines(body))
