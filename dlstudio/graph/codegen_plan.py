"""Which nodes the generated code writes together, and what each attribute is called.

A *step* is one attribute and one line of ``forward``: a single node, a chain of layers written
as one ``nn.Sequential``, or a stack of identical transformer layers written as one
``nn.TransformerEncoder``, as a PyTorch user would write them by hand.
"""

from __future__ import annotations

import functools
from collections import Counter

from dlstudio.graph import layers
from dlstudio.graph.analysis import Analysis
from dlstudio.graph.document import Node
from dlstudio.graph.namespace import Namespace, to_identifier

MIN_SEQUENTIAL = 3
"""Chains at least this long become one nn.Sequential (stem / features / classifier / layers)."""

MIN_STACK = 2
"""Consecutive identical TransformerEncoderLayers at least this many become one encoder."""

STACKED_OP = "TransformerEncoderLayer"

# What torchvision and the PyTorch tutorials call a member of each kind (``self.bn1``).
_MEMBER_NAMES = {
    "Conv1d": "conv",
    "Conv2d": "conv",
    "ConvTranspose2d": "upconv",
    "BatchNorm1d": "bn",
    "BatchNorm2d": "bn",
    "LayerNorm": "norm",
    "GroupNorm": "norm",
    "Linear": "fc",
    "MaxPool1d": "pool",
    "MaxPool2d": "pool",
    "AvgPool2d": "pool",
    "AdaptiveAvgPool2d": "avgpool",
    "Dropout2d": "dropout",
    "LeakyReLU": "leaky_relu",
    "LogSoftmax": "log_softmax",
    "MultiheadAttention": "attn",
    "TransformerEncoderLayer": "encoder_layer",
    "Multiply": "mul",
    "Concat": "cat",
}


class Step:
    """Nodes written as one attribute (or one functional line) of the generated module.

    A plain class with slots: a 1,000-node graph makes a thousand after every edit.
    """

    __slots__ = ("kind", "nodes", "first", "last")

    def __init__(self, kind: str, nodes: tuple[str, ...]):
        self.kind = kind
        """``node``, ``sequential`` or ``stack``."""
        self.nodes = nodes
        self.first = nodes[0]
        """The node that reads the step's input."""
        self.last = nodes[-1]
        """The node whose output is the step's output."""

    def __repr__(self) -> str:
        return f"Step({self.kind!r}, {self.nodes!r})"


def _emit(op: str) -> str:
    spec = layers.get(op)
    return spec.emit if spec is not None else "block"


class Wiring:
    """The analysed graph seen from the code generator: who feeds whom, in execution order."""

    def __init__(self, nodes: list[Node], analysis: Analysis):
        self.nodes = {node.id: node for node in nodes}
        self.document_order = [node.id for node in nodes]
        self.analysis = analysis
        self.ops = {node.id: node.op for node in nodes}
        self.inputs = {
            node_id: [source for source in sources if source is not None]
            for node_id, sources in analysis.inputs.items()
        }
        """Each node's sources by port (a valid graph has every port filled)."""
        self.emits = {node_id: _emit(op) for node_id, op in self.ops.items()}
        """How forward() uses each node: ``module``, ``add``, ``block``..."""
        self.consumers: dict[str, list[str]] = {node_id: [] for node_id in analysis.order}
        for node_id in analysis.order:
            for source in self.inputs[node_id]:
                self.consumers[source].append(node_id)

    def follows_only(self, node_id: str, successor: str) -> bool:
        """``successor`` is the one consumer of ``node_id``, and reads nothing else."""
        return self.consumers[node_id] == [successor] and self.inputs[successor] == [node_id]

    def only_successor(self, node_id: str) -> str | None:
        following = self.consumers[node_id]
        if len(following) == 1 and self.follows_only(node_id, following[0]):
            return following[0]
        return None


def plan(wiring: Wiring, grouping: bool, chains: bool) -> list[Step]:
    """The steps of ``forward`` in execution order.

    ``grouping`` allows containers at all (stacks); ``chains`` also allows ``nn.Sequential``.

    Example:
        >>> from dlstudio.graph import examples
        >>> graph = examples.load("transformer_encoder")
        >>> wiring = Wiring(graph.nodes, graph.analyze())
        >>> [(step.kind, step.nodes) for step in plan(wiring, True, True)][:2]
        [('node', ('embedding',)), ('stack', ('encoder1', 'encoder2'))]
    """
    stacks = _stacks(wiring) if grouping else {}
    in_stack = {node for stack in stacks.values() for node in stack}
    sequences = _chains(wiring, in_stack) if grouping and chains else {}
    steps: list[Step] = []
    covered: set[str] = set()
    for node_id in wiring.analysis.order:
        if node_id in covered or wiring.ops[node_id] in ("Input", "Output"):
            continue
        if node_id in stacks:
            step = Step("stack", tuple(stacks[node_id]))
        elif node_id in sequences:
            step = Step("sequential", tuple(sequences[node_id]))
        else:
            step = Step("node", (node_id,))
        covered.update(step.nodes)
        steps.append(step)
    return steps


def _stacks(wiring: Wiring) -> dict[str, list[str]]:
    """Runs of identical TransformerEncoderLayers, each feeding only the next."""
    stacks: dict[str, list[str]] = {}
    claimed: set[str] = set()
    params = wiring.analysis.params
    for node_id in wiring.analysis.order:
        if node_id in claimed or wiring.ops[node_id] != STACKED_OP:
            continue
        run = [node_id]
        while (successor := wiring.only_successor(run[-1])) is not None:
            if wiring.ops[successor] != STACKED_OP or params[successor] != params[node_id]:
                break
            run.append(successor)
        claimed.update(run)
        if len(run) >= MIN_STACK:
            stacks[node_id] = run
    return stacks


def _chainable(wiring: Wiring, node_id: str, in_stack: set[str]) -> bool:
    # An Embedding turns ids into vectors and keeps an attribute of its own, as in torch's
    # examples; a stack is already one container.
    return (
        wiring.emits[node_id] == "module"
        and len(wiring.inputs[node_id]) == 1  # nn.Sequential passes one tensor along
        and node_id not in in_stack
        and wiring.ops[node_id] != "Embedding"
    )


def _chains(wiring: Wiring, in_stack: set[str]) -> dict[str, list[str]]:
    """Maximal runs of single-in/single-out modules worth an nn.Sequential, by first node."""
    chains: dict[str, list[str]] = {}
    claimed: set[str] = set()
    for node_id in wiring.analysis.order:
        if node_id in claimed or not _chainable(wiring, node_id, in_stack):
            continue
        chain = [node_id]
        while (successor := wiring.only_successor(chain[-1])) is not None:
            if not _chainable(wiring, successor, in_stack) or wiring.ops[successor] == "Flatten":
                break  # a Flatten starts the classifier part, as in torchvision's models
            chain.append(successor)
        claimed.update(chain)
        if len(chain) >= MIN_SEQUENTIAL and chain_name(wiring, chain):
            chains[node_id] = chain
    return chains


def chain_name(wiring: Wiring, chain: list[str] | tuple[str, ...]) -> str | None:
    """``stem``, ``features``, ``classifier`` or ``layers``: what the chain is for, if clear."""
    ops = [wiring.ops[node_id] for node_id in chain]
    sources = wiring.inputs[chain[0]]
    after_input = bool(sources) and wiring.ops[sources[0]] == "Input"
    following = wiring.consumers[chain[-1]]
    ends_at_output = any(wiring.ops[c] == "Output" for c in following)
    if any(op.startswith(("Conv", "MaxPool", "AvgPool")) for op in ops):
        if not after_input:
            return None
        # Before residual blocks the convolutions are the stem, as in torchvision's ResNet.
        return "stem" if any(wiring.emits[c] == "block" for c in following) else "features"
    if ops[0] == "Flatten" or (ends_at_output and "Linear" in ops and not after_input):
        return "classifier"
    return "layers" if after_input else None


@functools.lru_cache(maxsize=1024)
def member_kind(op: str) -> str:
    """The generic name of a member of this kind: ``conv``, ``bn``, ``relu``, ``fc``.

    Example:
        >>> member_kind("BatchNorm2d"), member_kind("ReLU"), member_kind("LSTM")
        ('bn', 'relu', 'lstm')
    """
    if op in _MEMBER_NAMES:
        return _MEMBER_NAMES[op]
    spec = layers.get(op)
    if spec is not None and spec.module_class is not None:
        return to_identifier(spec.module_class.__name__, "layer")  # MyScale -> my_scale
    return to_identifier(op.lower(), "layer")  # ReLU -> relu, not re_lu


def step_kind(wiring: Wiring, step: Step) -> str:
    """The generic name for a step: its members' kind, or its container's purpose."""
    if step.kind == "stack":
        return "encoder"
    if step.kind == "sequential":
        return chain_name(wiring, step.nodes) or "layers"
    return member_kind(wiring.ops[step.first])


def generic_names(wiring: Wiring, steps: list[Step], names: Namespace) -> dict[Step, str]:
    """Names inside a block class: a label if the user gave one, else ``conv1``, ``bn1``...

    Kinds that occur once keep the bare name (``relu``); repeated kinds are numbered in the
    order ``forward`` calls them (``conv1``, ``conv2``), as torchvision's BasicBlock does.

    Example:
        >>> from dlstudio.graph import examples
        >>> use = examples.load("resnet_small").analyze().blocks["block1"]
        >>> wiring = Wiring(use.nodes, use.analysis)
        >>> steps = plan(wiring, True, False)[:3]
        >>> list(generic_names(wiring, steps, Namespace("attribute")).values())
        ['conv', 'bn', 'relu']
    """
    chosen: dict[Step, str] = {}
    for step in steps:
        label = wiring.nodes[step.first].label
        if label and step.kind == "node":
            chosen[step] = names.create(label, member_kind(wiring.ops[step.first]))
    kinds = {step: step_kind(wiring, step) for step in steps if step not in chosen}
    totals = Counter(kinds.values())
    seen: Counter[str] = Counter()
    for step, kind in kinds.items():
        seen[kind] += 1
        chosen[step] = names.create(f"{kind}{seen[kind]}" if totals[kind] > 1 else kind, kind)
    return {step: chosen[step] for step in steps}


def instance_names(wiring: Wiring, steps: list[Step], names: Namespace) -> dict[Step, str]:
    """Names in the model class: each node's label or id, as the editor shows it."""
    chosen = {}
    for step in steps:
        node = wiring.nodes[step.first]
        if step.kind == "node":
            chosen[step] = names.create(node.label or node.id, member_kind(node.op))
        else:
            chosen[step] = names.create(step_kind(wiring, step))
    return chosen
