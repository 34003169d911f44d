"""Two frameworks' code for one graph side by side, with the parts that differ marked and one
line of explanation for each: where the parameters live, channels first or last, how a
training step is written, and what one of them cannot write.

Example:
    >>> from dlstudio.graph import examples
    >>> comparison = compare(examples.load("lenet5"), "pytorch", "keras")
    >>> [d.title for d in comparison.differences]
    ['Where the parameters live', 'Channels first or last', 'How a training step is written']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dlstudio.graph.frameworks.flax_code import write_flax
from dlstudio.graph.frameworks.keras_code import write_keras
from dlstudio.graph.frameworks.program import Program

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph

NAMES = {"pytorch": "PyTorch", "keras": "Keras", "flax": "Flax"}

STEP_HEADER = "# ---- How it trains "

TRAINING_STEP = {
    "pytorch": """\
# ---- How it trains (one step; the loop around it is yours) ----
logits = model(x)
loss = nn.functional.cross_entropy(logits, y)
optimizer.zero_grad()
loss.backward()  # autograd fills each parameter's .grad
optimizer.step()  # torch.optim.Adam(model.parameters(), lr=1e-3)
""",
    "keras": """\
# ---- How it trains (compile once; fit runs the loop, batches and epochs) ----
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=32, epochs=10, validation_data=(x_val, y_val))
""",
    "flax": """\
# ---- How it trains (one step: a function of model and batch, compiled by JAX) ----
optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)


@nnx.jit
def train_step(model, optimizer, x, y):
    def loss_fn(model):
        logits = model(x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    loss, grads = nnx.value_and_grad(loss_fn)(model)
    optimizer.update(model, grads)
    return loss
""",
}

# Where each framework's code makes a layer that holds weights.
_MAKES_LAYERS = {
    "pytorch": re.compile(r"=\s*nn\.(?!Module\b)\w+\(|^\s*nn\.\w+\("),
    "keras": re.compile(r"layers\.(?!Layer\b)\w+\("),
    "flax": re.compile(r"nnx\.(Linear|Conv|BatchNorm|LayerNorm|Embed|Dropout|RNN)\("),
}
_INPUT_LAYOUT = {
    "pytorch": re.compile(r"^\s*# \w+: \(N"),
    "keras": re.compile(r"keras\.Input\("),
    "flax": re.compile(r"^\s*# \w+: \(N"),
}

_PARAMETERS = {
    "pytorch": "PyTorch makes each layer in __init__ with its sizes (in_features=...); its weights are tensors inside the module, found by model.parameters().",
    "keras": "Keras makes layers without input sizes and creates their weights the first time a tensor reaches them (here at keras.Input); model.weights lists them.",
    "flax": "Flax NNX makes each module in __init__ with its sizes and an explicit rngs for the initial values; the weights are nnx.Param variables of the module.",
}
_TRAINING = {
    "pytorch": "PyTorch: you write the loop (forward, loss.backward(), optimizer.step()).",
    "keras": "Keras: model.compile() then model.fit() runs the loop for you.",
    "flax": "Flax: a pure train_step function, differentiated by nnx.value_and_grad and compiled by nnx.jit.",
}


@dataclass(frozen=True)
class Difference:
    """One marked difference: its number, title, one line of explanation, and the 0-based
    lines it points at in each side's code."""

    number: int
    title: str
    explanation: str
    left_lines: tuple[int, ...]
    right_lines: tuple[int, ...]


@dataclass
class Comparison:
    """Both codes (each ending with how it trains) and their marked differences."""

    left: str
    right: str
    left_code: str
    right_code: str
    differences: list[Difference] = field(default_factory=list)

    def marks(self, side: str) -> dict[str, str]:
        """``{line: number}`` of one side ("left" or "right"), for the code view."""
        out: dict[str, str] = {}
        for difference in self.differences:
            lines = difference.left_lines if side == "left" else difference.right_lines
            for line in lines:
                out.setdefault(str(line), str(difference.number))
        return out


def model_code(graph: Graph, framework: str, class_name: str = "Net") -> str:
    """The model's code in ``framework`` ("pytorch", "keras" or "flax")."""
    if framework == "keras":
        return write_keras(graph, class_name).source
    if framework == "flax":
        return write_flax(graph, class_name).source
    if framework == "pytorch":
        return graph.to_code(class_name)
    raise ValueError(f"Unknown framework {framework!r}: choose pytorch, keras or flax.")


def compare(graph: Graph, left: str, right: str, class_name: str = "Net") -> Comparison:
    """``graph`` in ``left`` and ``right`` with what differs marked and explained."""
    codes = {
        side: model_code(graph, side, class_name) + "\n\n" + TRAINING_STEP[side]
        for side in (left, right)
    }
    lines = {side: codes[side].splitlines() for side in (left, right)}
    found: list[tuple[str, str, tuple[int, ...], tuple[int, ...]]] = []

    def where(pattern: dict[str, re.Pattern[str]], side: str) -> tuple[int, ...]:
        """The model code's lines (not the training step's) that ``pattern`` finds."""
        model_lines = lines[side][: _step_start(lines[side])]
        return tuple(i for i, text in enumerate(model_lines) if pattern[side].search(text))

    found.append(
        (
            "Where the parameters live",
            f"{_PARAMETERS[left]} {_PARAMETERS[right]}",
            where(_MAKES_LAYERS, left),
            where(_MAKES_LAYERS, right),
        )
    )
    images = any(value.channels_first for value in Program.of(graph).values.values())
    if images and "pytorch" in (left, right):
        found.append(
            (
                "Channels first or last",
                "PyTorch reads images as (N, C, H, W), Keras and Flax as (N, H, W, C): the same "
                "pixels with the axes in another order, so inputs are transposed and the first "
                "Linear after a Flatten reads its inputs in another order.",
                where(_INPUT_LAYOUT, left),
                where(_INPUT_LAYOUT, right),
            )
        )
    if left != right:
        found.append(
            (
                "How a training step is written",
                f"{_TRAINING[left]} {_TRAINING[right]}",
                _step_lines(lines[left]),
                _step_lines(lines[right]),
            )
        )
    sentences = {side: set(_missing(graph, side, class_name)) for side in (left, right)}
    if sentences[left] or sentences[right]:
        found.append(
            (
                "Layers without a counterpart",
                f"{' and '.join(NAMES[s] for s in (left, right) if sentences[s])} cannot compute these "
                "layers as PyTorch does; the comment says what to write instead.",
                _comment_lines(lines[left], sentences[left]),
                _comment_lines(lines[right], sentences[right]),
            )
        )
    differences = [Difference(n, *item) for n, item in enumerate(found, start=1)]
    return Comparison(left, right, codes[left], codes[right], differences)


def _comment_lines(lines: list[str], sentences: set[str]) -> tuple[int, ...]:
    """The lines of the comments that say ``sentences``, each wrapped over one or more lines."""
    marked: list[int] = []
    for start, line in enumerate(lines):
        if not sentences or not line.strip().startswith("# "):
            continue
        words = []
        for end in range(start, len(lines)):
            if not lines[end].strip().startswith("# "):
                break
            words.append(lines[end].strip()[2:])
            if " ".join(words) in sentences:
                marked += range(start, end + 1)
                break
    return tuple(marked)


def _missing(graph: Graph, framework: str, class_name: str) -> list[str]:
    if framework == "keras":
        return write_keras(graph, class_name).missing
    if framework == "flax":
        return write_flax(graph, class_name).missing
    return []


def _step_start(lines: list[str]) -> int:
    return next((i for i, text in enumerate(lines) if text.startswith(STEP_HEADER)), len(lines))


def _step_lines(lines: list[str]) -> tuple[int, ...]:
    start = _step_start(lines)
    return tuple(i for i in range(start, len(lines)) if lines[i].strip())
