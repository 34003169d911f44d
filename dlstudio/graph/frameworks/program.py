"""A graph as the other frameworks see it: the steps in order, and each value's layout.

PyTorch puts channels first (``N, C, H, W``); Keras and Flax put them last (``N, H, W, C``).
A value is ``channels_first`` in PyTorch when a convolution-like layer reads or wrote it: the
same value has its axes moved in Keras and Flax. Every other value (features, sequences) has
the same axes in all three. A ``Flatten`` of a channels-first value gives the same numbers in
another order (``H, W, C`` flattened): ``flat_from`` remembers the PyTorch shape it came from,
so that weights read from it (the next Linear) can be reordered when they are transferred.

Example:
    >>> from dlstudio.graph import examples
    >>> program = Program.of(examples.load("lenet5"))
    >>> program.values["conv1"].shape, program.values["flatten"].flat_from
    ((None, 28, 28, 6), (16, 5, 5))
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dlstudio.graph.analysis import Analysis, analyze
from dlstudio.graph.document import BlockDefinition, Edge, Node
from dlstudio.graph.namespace import Namespace

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph

# Layers that read their input as (N, C, *spatial) in PyTorch.
CHANNEL_LAYERS = frozenset(
    {
        *(f"Conv{d}d" for d in (1, 2, 3)),
        *(f"ConvTranspose{d}d" for d in (1, 2, 3)),
        *(f"{kind}Pool{d}d" for kind in ("Max", "Avg") for d in (1, 2, 3)),
        *(f"Adaptive{kind}Pool{d}d" for kind in ("Max", "Avg") for d in (1, 2, 3)),
        "LPPool2d",
        *(f"InstanceNorm{d}d" for d in (1, 2, 3)),
        *(f"Dropout{d}d" for d in (1, 2, 3)),
        "BatchNorm2d",
        "BatchNorm3d",
        "GroupNorm",
        "LocalResponseNorm",
        "Upsample",
        "PixelShuffle",
        "PixelUnshuffle",
        "ChannelShuffle",
        *(
            f"{kind}Pad{d}d"
            for kind in ("Zero", "Constant", "Reflection", "Replication")
            for d in (1, 2, 3)
        ),
    }
)
# Layers that keep the layout of their (first) input: element-wise, or merging equal layouts.
LAYOUT_KEEPING = frozenset(
    {
        "Identity", "Dropout", "AlphaDropout", "ReLU", "Sigmoid", "Tanh", "SiLU", "ReLU6",
        "Hardswish", "Hardsigmoid", "Mish", "SELU", "Softsign", "Tanhshrink", "Hardtanh",
        "PReLU", "Softplus", "CELU", "LeakyReLU", "GELU", "ELU", "Softmax", "LogSoftmax", "GLU",
        "Add", "Multiply", "Concat", "Output", "BatchNorm1d",
    }
)  # fmt: skip


# Layers whose outputs are never negative, and layers that keep that true of their input.
NONNEGATIVE = frozenset({"ReLU", "ReLU6", "Sigmoid", "Softmax", "Softplus", "Hardsigmoid"})
ORDER_KEEPING = frozenset(
    {
        "Identity",
        "Dropout",
        "Flatten",
        *(f"{k}Pool{d}d" for k in ("Max", "AdaptiveMax") for d in (1, 2, 3)),
    }
)


@dataclass(frozen=True)
class Value:
    """One node's output: its shape in the framework's layout (batch first, None) and whether
    PyTorch holds it channels first."""

    shape: tuple[int | None, ...]
    torch_shape: tuple[int | None, ...]
    channels_first: bool = False
    flat_from: tuple[int, ...] | None = None
    nonnegative: bool = False
    """No value is below 0 (a ReLU's output): zero padding equals PyTorch's -inf for a max."""

    def axis(self, torch_dim: int) -> int:
        """The framework's axis for PyTorch's dimension ``torch_dim`` of this value.

        Example:
            >>> Value((None, 8, 8, 3), (None, 3, 8, 8), channels_first=True).axis(1)
            -1
        """
        rank = len(self.torch_shape)
        dim = torch_dim % rank
        if not self.channels_first or dim == 0:
            return dim - rank if dim else 0
        return -1 if dim == 1 else (dim - 1) - rank


@dataclass
class Step:
    """One node to write: its id, op, resolved parameters, inputs and name in the code."""

    node: Node
    params: dict[str, Any]
    inputs: list[str]
    name: str
    block: Program | None = None
    block_class: str = ""
    """The class a block node (or an expanded Pretrained network) is written as."""

    @property
    def label(self) -> str:
        """The name a framework's layer gets (its ``name=``): the attribute name, without the
        underscore that keeps a Python name clear of a builtin."""
        return self.name.rstrip("_") or self.name


@dataclass
class Program:
    """The steps of a graph (or of one use of a named block) and every value's layout."""

    steps: list[Step]
    values: dict[str, Value]
    inputs: list[str]
    outputs: list[str]
    blocks: dict[str, BlockDefinition] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: Graph) -> Program:
        """The program of ``graph``; raises GraphError (every problem) while it has problems."""
        analysis = graph.validate()
        return cls.from_analysis(graph.nodes, analysis, graph.blocks)

    @classmethod
    def from_analysis(
        cls, nodes: list[Node], analysis: Analysis, blocks: dict[str, BlockDefinition]
    ) -> Program:
        by_id = {node.id: node for node in nodes}
        names = Namespace("attribute")
        steps: list[Step] = []
        values: dict[str, Value] = {}
        first_inputs: list[str] = []
        outputs: list[str] = []
        for node_id in analysis.order:
            node = by_id[node_id]
            sources = [s for s in analysis.inputs.get(node_id, []) if s is not None]
            params = dict(analysis.params.get(node_id, {}))
            block, block_class = None, ""
            if node.op in blocks:
                use = analysis.blocks[node_id]
                block, block_class = cls.from_analysis(use.nodes, use.analysis, blocks), node.op
            elif node.op == "Pretrained" and sources and expandable(params):
                shape = tuple(int(s or 1) for s in analysis.specs[sources[0]].shape[1:])
                parts = expanded(str(params["arch"]), bool(params.get("features_only")), shape)
                inner = analyze(parts[0], parts[1], blocks=parts[2])
                block = cls.from_analysis(parts[0], inner, parts[2])
                block_class = to_class_name(str(params["arch"]))
            name = names.create(node.label or node.id)
            steps.append(Step(node, params, sources, name, block, block_class))
            if node.op == "Input":
                first_inputs.append(node_id)
            elif node.op == "Output":
                outputs.append(node_id)
        consumers: dict[str, list[Step]] = {}
        for step in steps:
            for source in step.inputs:
                consumers.setdefault(source, []).append(step)
        for step in steps:
            values[step.node.id] = _value(step, analysis, values, consumers, blocks)
        return cls(steps, values, first_inputs, outputs, blocks)

    def is_chain(self) -> bool:
        """One input, one output, and every layer reads the one before it (Keras's Sequential)."""
        previous = None
        for step in self.steps:
            if step.node.op == "Input":
                if previous is not None:
                    return False
            elif step.inputs != [previous] or step.block is not None:
                return False
            previous = step.node.id
        return len(self.inputs) == 1 and len(self.outputs) == 1


def _value(
    step: Step,
    analysis: Analysis,
    values: dict[str, Value],
    consumers: dict[str, list[Step]],
    blocks: dict[str, BlockDefinition],
) -> Value:
    node_id, op = step.node.id, step.node.op
    torch_shape = tuple(analysis.specs[node_id].shape) if node_id in analysis.specs else ()
    first = values.get(step.inputs[0]) if step.inputs else None
    if op == "Input":
        channels_first = len(torch_shape) >= 3 and _read_as_channels(
            node_id, consumers, blocks, len(torch_shape)
        )
    elif op in CHANNEL_LAYERS:
        channels_first = len(torch_shape) >= 3
    elif step.block is not None:
        channels_first = (
            step.block.values[step.block.outputs[0]].channels_first if step.block.outputs else False
        )
    elif (op in LAYOUT_KEEPING or _spatial_mean(step, len(torch_shape))) and first is not None:
        channels_first = first.channels_first and len(torch_shape) == len(first.torch_shape)
    else:
        channels_first = False
    flat_from = None
    if op == "Flatten" and first is not None and first.channels_first:
        flat_from = tuple(int(size) for size in first.torch_shape[1:])  # type: ignore[arg-type]
    elif op in LAYOUT_KEEPING and first is not None and op != "Concat":
        flat_from = first.flat_from
    shape = channels_last(torch_shape) if channels_first else torch_shape
    if op in NONNEGATIVE:
        nonnegative = True
    elif op in ORDER_KEEPING and first is not None:
        nonnegative = first.nonnegative
    else:
        nonnegative = False
    return Value(shape, torch_shape, channels_first, flat_from, nonnegative)


def _read_as_channels(
    node_id: str, consumers: dict[str, list[Step]], blocks: dict[str, BlockDefinition], rank: int
) -> bool:
    """Whether a convolution-like layer (or a block) reads this value as (N, C, ...), directly
    or through layers that keep the layout (a ReLU, a Dropout, an Add)."""
    for reader in consumers.get(node_id, []):
        op = reader.node.op
        if reader.block is not None:
            return any(reader.block.values[i].channels_first for i in reader.block.inputs)
        if op in CHANNEL_LAYERS:
            return True
        if (
            (op in LAYOUT_KEEPING and op != "Output") or _spatial_mean(reader, rank)
        ) and _read_as_channels(reader.node.id, consumers, blocks, rank):
            return True
    return False


def _spatial_mean(step: Step, rank: int) -> bool:
    """A ``Mean`` over spatial dimensions only that keeps them (``x.mean((2, 3), keepdim=True)``,
    a squeeze-and-excitation's pooling): it keeps its input's layout."""
    dims = step.params.get("dim", [-1])
    dims = dims if isinstance(dims, list | tuple) else [dims]
    return (
        step.node.op == "Mean"
        and bool(step.params.get("keepdim"))
        and rank >= 3
        and all(int(d) % rank >= 2 for d in dims)
    )


def expandable(params: dict[str, Any]) -> bool:
    """Whether a Pretrained node can be written out layer by layer: a torchvision or timm
    network that traces into layers with a counterpart (``not_expandable`` says why not)."""
    from dlstudio.graph.pretrained import TIMM_TRACEABLE, TRACEABLE

    return params.get("arch") in TRACEABLE or params.get("arch") in TIMM_TRACEABLE


def not_expandable(params: dict[str, Any]) -> str | None:
    """Why a timm Pretrained node is not written out layer by layer, in one sentence naming the
    layer that stops it (None for the networks that are, and for torchvision's).

    Example:
        >>> not_expandable({"arch": "timm/mobilevit_s"})[:40]
        'timm/mobilevit_s is not written out laye'
    """
    from dlstudio.graph.pretrained import TIMM_UNTRACEABLE

    arch = str(params.get("arch"))
    if arch not in TIMM_UNTRACEABLE:
        return None
    return f"{arch} is not written out layer by layer: {TIMM_UNTRACEABLE[arch]}"


@functools.lru_cache(maxsize=16)
def expanded(
    arch: str, features_only: bool, input_shape: tuple[int, ...]
) -> tuple[list[Node], list[Edge], dict[str, BlockDefinition]]:
    """The Pretrained node's network as graph parts, traced on ``input_shape`` (node ids are
    its module paths; the classifier an ``Identity`` with ``features_only``). Shared: read only."""
    import torch

    from dlstudio.graph.importer import import_module
    from dlstudio.graph.pretrained import traceable_backbone

    model = traceable_backbone(arch, features_only).eval()
    device = next(model.parameters()).device
    parts = import_module(model, torch.empty((1, *input_shape), device=device), blocks="auto")
    return parts.nodes, parts.edges, parts.blocks


def to_class_name(text: str) -> str:
    """``resnet18`` -> ``Resnet18``, ``mobilenet_v3_small`` -> ``MobilenetV3Small``,
    ``timm/resnet18`` -> ``TimmResnet18``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text))


def channels_last(shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """(N, C, *spatial) -> (N, *spatial, C).

    Example:
        >>> channels_last((None, 3, 32, 32))
        (None, 32, 32, 3)
    """
    return (shape[0], *shape[2:], shape[1])
