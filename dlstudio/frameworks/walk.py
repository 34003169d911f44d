"""The layers of a graph that hold weights, each with its PyTorch module and the names that lead
to it in the Keras or Flax model: through named blocks (their layers' paths in
``Graph.module_names``) and through an expanded Pretrained network (its own module paths).

Example:
    >>> from dlstudio.graph import examples
    >>> graph = examples.load("lenet5")
    >>> [names for _module, names, _step, _program in weighted_layers(graph, graph.build())][:2]
    [('conv1',), ('conv2',)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from torch import nn

from dlstudio.graph.frameworks.program import Program, Step
from dlstudio.graph.graph import Graph
from dlstudio.graph.pretrained import NORM_OF_NORM_ACT

Found = tuple[nn.Module, tuple[str, ...], Step, Program]

# The ops whose modules hold weights the transfer moves; the rest are skipped.
WEIGHTED = frozenset(
    {
        "Linear", "Conv1d", "Conv2d", "Conv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
        "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
        "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "Embedding", "PReLU", "LSTM", "GRU", "RNN", "TransformerEncoderLayer",
        "TransformerDecoderLayer", "MultiheadAttention",
    }
)  # fmt: skip


def weighted_layers(graph: Graph, module: nn.Module) -> Iterator[Found]:
    """Each layer with weights: its PyTorch module in ``module`` (built from ``graph``), the
    attribute names to its layer in the other framework (the model's layer, then inside
    blocks), its step and the program it belongs to."""
    places = graph.module_names()
    yield from _walk(Program.of(graph), lambda path: module.get_submodule(places[path]), "", ())


def _walk(
    program: Program, resolve: Callable[[str], nn.Module], prefix: str, outer: tuple[str, ...]
) -> Iterator[Found]:
    for step in program.steps:
        path = f"{prefix}{step.node.id}"
        names = (*outer, step.name if outer else step.label)
        if step.block is not None and step.node.op == "Pretrained":
            # The network's own modules: the expanded graph's node ids are their paths.
            yield from _walk(step.block, _inside(resolve(path)), "", names)
        elif step.block is not None:
            yield from _walk(step.block, resolve, f"{path}/", names)
        elif step.node.op in WEIGHTED:
            yield resolve(path), names, step, program


def _inside(root: nn.Module) -> Callable[[str], nn.Module]:
    """Finds a node of an expanded network by its path (``layer1.0/conv1``) in ``root``; the
    batch norm of a timm ``BatchNormAct2d``, traced on its own as ``<path>.bn``, is the module
    at ``<path>`` (pretrained.traceable_backbone)."""

    def resolve(path: str) -> nn.Module:
        dotted = path.replace("/", ".")
        owner, _, name = dotted.rpartition(".")
        if owner and name == NORM_OF_NORM_ACT and not hasattr(root.get_submodule(owner), name):
            return root.get_submodule(owner)
        return root.get_submodule(dotted)

    return resolve
