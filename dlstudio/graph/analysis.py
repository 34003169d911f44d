"""Checking a graph: parameters, wiring, loops and shapes, all problems collected in one pass.

This runs on every edit in the editor, so it is plain Python arithmetic: no torch calls.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph import layers
from dlstudio.graph.document import BlockDefinition, Edge, Node, block_problems
from dlstudio.graph.errors import Problem, ShapeFailure
from dlstudio.graph.meta import meta_rule
from dlstudio.graph.rules import RuleContext
from dlstudio.graph.tensors import TensorSpec

DEFAULT_MAX_PARAMS = 1_000_000_000


@dataclass
class Analysis:
    """What the core knows about a graph; never raises, so the editor can draw partial results."""

    order: list[str] = field(default_factory=list)
    """Node ids in a valid execution order (only nodes outside loops)."""
    specs: dict[str, TensorSpec] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each node's parameters with defaults and inferred sizes filled in."""
    weights: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    inputs: dict[str, list[str | None]] = field(default_factory=dict)
    """For each node, the source node id feeding each input port."""
    blocks: dict[str, BlockUse] = field(default_factory=dict)
    """For each node using a named block, the block's own analysis for that use."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def shapes(self) -> dict[str, tuple[int | None, ...]]:
        return {node_id: spec.shape for node_id, spec in self.specs.items()}

    @property
    def param_count(self) -> int:
        return sum(self.weights.values())


@dataclass
class BlockUse:
    """One use of a named block: its layers with this use's input shapes, analysed."""

    block: str
    nodes: list[Node]
    edges: list[Edge]
    analysis: Analysis


def instance_nodes(definition: BlockDefinition, incoming: list[TensorSpec]) -> list[Node]:
    """The block's nodes with each Input set to the tensor that arrives at that port.

    Example:
        >>> block = BlockDefinition("B", [Node("in1", "Input"), Node("out", "Output")])
        >>> instance_nodes(block, [TensorSpec((None, 4))])[0].params
        {'shape': [4], 'dtype': 'float'}
    """
    ports = dict(zip(definition.port_ids, incoming, strict=False))
    nodes = []
    for node in definition.nodes:
        params = dict(node.params)
        if node.id in ports:
            spec = ports[node.id]
            params = {"shape": list(spec.features), "dtype": spec.dtype}
        nodes.append(Node(node.id, node.op, params, node.label, node.position, node.frozen))
    return nodes


def port_count(spec: layers.LayerSpec, params: dict[str, Any]) -> int:
    if spec.variadic:
        value = params.get("inputs", spec.inputs)
        return value if isinstance(value, int) and not isinstance(value, bool) else spec.inputs
    return spec.inputs


class Analyzer:
    """One pass over a graph; see ``analyze``."""

    def __init__(
        self,
        nodes: list[Node],
        edges: list[Edge],
        max_params: int,
        blocks: dict[str, BlockDefinition] | None = None,
    ):
        self.blocks = blocks or {}
        self._block_specs: dict[str, layers.LayerSpec] = {}
        self.nodes = {node.id: node for node in nodes}
        self.edges = edges
        self.max_params = max_params
        self.result = Analysis()
        self.failed: set[str] = set()

    def add(
        self,
        node_id: str | None,
        message: str,
        hint: str | None = None,
        fix: dict[str, Any] | None = None,
    ) -> None:
        self.result.problems.append(Problem(node_id, message, hint, fix))
        if node_id is not None:
            self.failed.add(node_id)

    def run(self) -> Analysis:
        specs = self._check_nodes()
        consumers = self._wire(specs)
        self.result.order = self._order(consumers)
        self._reachability(consumers)
        self._infer(specs)
        self._check_size()
        return self.result

    # -- per node -----------------------------------------------------------------------

    def _check_nodes(self) -> dict[str, layers.LayerSpec]:
        specs = {}
        for node in self.nodes.values():
            spec = layers.get(node.op) or self._block_spec(node.op)
            if spec is None:
                close = difflib.get_close_matches(node.op, [*layers.names(), *self.blocks], n=1)
                hint = f"Did you mean {close[0]}?" if close else "Pick a layer from the palette."
                self.add(node.id, f"{node.title} uses an unknown layer type.", hint)
                continue
            specs[node.id] = spec
            self.result.params[node.id] = self._resolve_params(node, spec)
        return specs

    def _block_spec(self, name: str) -> layers.LayerSpec | None:
        if name not in self._block_specs:
            definition = self.blocks.get(name)
            if definition is None:
                return None
            self._block_specs[name] = self._make_block_spec(name, definition)
        return self._block_specs[name]

    def _make_block_spec(self, name: str, definition: BlockDefinition) -> layers.LayerSpec:
        max_params = self.max_params
        problems = block_problems(definition)
        # Each use with the same inputs computes the same: analysed once, so a block used a
        # thousand times costs its own size, not a thousand times that.
        analysed: dict[tuple[TensorSpec, ...], tuple[list[Node], Analysis]] = {}

        def rule(ctx: RuleContext) -> TensorSpec:
            for message in problems:
                ctx.fail(f"cannot run: {message}", "Open the block and fix its Input/Output.")
            key = tuple(ctx.inputs)
            if key not in analysed:
                nodes = instance_nodes(definition, ctx.inputs)
                analysed[key] = (nodes, analyze(nodes, definition.edges, max_params))
            nodes, inner = analysed[key]
            if inner.problems:
                first = inner.problems[0]
                ctx.fail(f"contains a problem: {first.message}", first.hint)
            output = next(node.id for node in nodes if node.op == "Output")
            ctx.weights = inner.param_count
            ctx.block_use = BlockUse(name, nodes, list(definition.edges), inner)
            return inner.specs[output]

        count = len(definition.nodes)
        return layers.LayerSpec(
            name,
            "block",
            f"Block of {count} nodes.",
            (),
            rule,
            emit="block",
            inputs=max(1, len(definition.port_ids)),
            accepts_long=True,
        )

    def _resolve_params(self, node: Node, spec: layers.LayerSpec) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for name, value in node.params.items():
            param = spec.param(name)
            if param is None:
                names = [p.name for p in spec.params]
                close = difflib.get_close_matches(str(name), names, n=1)
                hint = f"Did you mean {close[0]}?" if close else None
                if not names:
                    hint = f"{spec.name} takes no parameters."
                self.add(node.id, f"{node.title} has no parameter {str(name)[:40]!r}.", hint)
                continue
            try:
                resolved[name] = param.check(value)
            except ValueError as error:
                fix = {"node_id": node.id, "params": {name: param.default}}
                self.add(
                    node.id, f"{node.title}: {error}.", f"The default is {param.default!r}.", fix
                )
        for param in spec.params:
            if param.name not in resolved:
                default = param.default
                resolved[param.name] = tuple(default) if isinstance(default, list) else default
        return resolved

    # -- wiring ---------------------------------------------------------------------------

    def _wire(self, specs: dict[str, layers.LayerSpec]) -> dict[str, list[str]]:
        consumers: dict[str, list[str]] = defaultdict(list)
        inputs: dict[str, list[str | None]] = {}
        for node_id, spec in specs.items():
            inputs[node_id] = [None] * port_count(spec, self.result.params[node_id])
        seen_pairs: set[tuple[str, str, int]] = set()
        for edge in self.edges:
            if not self._edge_ok(edge, specs, inputs, seen_pairs):
                continue
            inputs[edge.target][edge.target_port] = edge.source
            consumers[edge.source].append(edge.target)
        for node_id, ports in inputs.items():
            node = self.nodes[node_id]
            for port, source in enumerate(ports):
                if source is None:
                    which = f"input {port + 1}" if len(ports) > 1 else "no input"
                    if len(ports) > 1:
                        self.add(
                            node_id,
                            f"{node.title} has {which} not connected.",
                            "Connect a layer to it, or lower its number of inputs.",
                        )
                    else:
                        self.add(
                            node_id,
                            f"{node.title} has {which}.",
                            "Connect the layer before it to this one.",
                        )
                    break
        self.result.inputs = inputs
        return consumers

    def _edge_ok(
        self,
        edge: Edge,
        specs: dict[str, layers.LayerSpec],
        inputs: dict[str, list[str | None]],
        seen_pairs: set[tuple[str, str, int]],
    ) -> bool:
        for end in (edge.source, edge.target):
            if end not in self.nodes:
                self.add(
                    edge.target if end == edge.source and edge.target in self.nodes else None,
                    f"A connection refers to a node that does not exist: {end[:40]!r}.",
                    "Delete that connection.",
                )
                return False
        if edge.source not in specs or edge.target not in specs:
            return False
        source, target = self.nodes[edge.source], self.nodes[edge.target]
        if edge.source == edge.target:
            self.add(
                target.id, f"{target.title} is connected to itself.", "Remove that connection."
            )
            return False
        if specs[edge.source].outputs == 0:
            self.add(
                source.id,
                f"{source.title} is an Output; nothing can follow it.",
                "Connect the layer before the Output instead.",
            )
            return False
        ports = inputs[edge.target]
        if not ports:
            self.add(
                target.id, f"{target.title} takes no inputs.", "Remove the connection into it."
            )
            return False
        if edge.target_port >= len(ports):
            self.add(
                target.id,
                f"{target.title} has {len(ports)} input(s), but a connection uses input "
                f"{edge.target_port + 1}.",
                "Raise its number of inputs, or reconnect.",
            )
            return False
        key = (edge.source, edge.target, edge.target_port)
        if key in seen_pairs:
            return False
        seen_pairs.add(key)
        occupant = ports[edge.target_port]
        if occupant is not None:
            other = self.nodes[occupant]
            self.add(
                target.id,
                f"{target.title} receives two connections into one input (from {other.title} and "
                f"{source.title}).",
                "Use an Add or Concat layer to merge them, or delete one connection.",
            )
            return False
        return True

    def _order(self, consumers: dict[str, list[str]]) -> list[str]:
        """Kahn's algorithm, depth first so that a chain of layers stays together (the generated
        forward then reads branch by branch); nodes left over sit on a loop."""
        waiting = {
            nid: sum(s is not None for s in ports) for nid, ports in self.result.inputs.items()
        }
        ready = [nid for nid, count in waiting.items() if count == 0][::-1]
        order = []
        while ready:
            node_id = ready.pop()
            order.append(node_id)
            for target in reversed(consumers.get(node_id, ())):
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
        looped = [nid for nid, count in waiting.items() if count > 0]
        if looped:
            titles = ", ".join(self.nodes[nid].title for nid in looped[:6])
            for node_id in looped:
                self.add(
                    node_id,
                    f"{self.nodes[node_id].title} is part of a loop ({titles}). Data must flow one "
                    "way from Input to Output.",
                    "Remove one of the connections that closes the loop.",
                )
        return order

    def _reachability(self, consumers: dict[str, list[str]]) -> None:
        ops = {nid: self.nodes[nid].op for nid in self.result.inputs}
        if "Input" not in ops.values():
            self.add(None, "The graph has no Input node.", "Add an Input node and set its shape.")
        if "Output" not in ops.values():
            self.add(
                None, "The graph has no Output node.", "Add an Output node after the last layer."
            )
            return
        reaches = {nid for nid, op in ops.items() if op == "Output"}
        for node_id in reversed(self.result.order):
            if any(target in reaches for target in consumers.get(node_id, ())):
                reaches.add(node_id)
        for node_id in self.result.order:
            if node_id not in reaches and node_id not in self.failed:
                # Not marked as failed: a layer that leads nowhere still gets its shape drawn.
                self.result.problems.append(
                    Problem(
                        node_id,
                        f"{self.nodes[node_id].title} does not lead to an Output, so it would never run.",
                        "Connect it to the layers after it, or delete it.",
                    )
                )

    # -- shapes -------------------------------------------------------------------------

    def _infer(self, specs: dict[str, layers.LayerSpec]) -> None:
        for node_id in self.result.order:
            sources = self.result.inputs[node_id]
            if node_id in self.failed:
                continue
            if any(source is None or source not in self.result.specs for source in sources):
                continue
            spec = specs[node_id]
            node = self.nodes[node_id]
            incoming = [self.result.specs[source] for source in sources]  # type: ignore[index]
            params = dict(self.result.params[node_id])
            ctx = RuleContext(
                node_id,
                node,
                params,
                incoming,
                [self.nodes[s] for s in sources],  # type: ignore[index]
            )
            try:
                longs = [i for i, item in enumerate(incoming) if item.dtype == "long"]
                if not spec.accepts_long and longs:
                    ctx.fail(
                        f"needs floating-point input, but {ctx.sources[longs[0]]} gives integer ids.",
                        "Add an Embedding layer first, or set the Input's dtype to float.",
                    )
                out = spec.rule(ctx) if spec.rule else meta_rule(spec, ctx)
                weights = ctx.weights
                if weights is None:
                    weights = spec.weights(params)
            except ShapeFailure as failure:
                self.add(node_id, failure.message, failure.hint, failure.fix)
                continue
            self.result.params[node_id] = params
            self.result.specs[node_id] = out
            self.result.weights[node_id] = weights
            if ctx.block_use is not None:  # set by a named block's rule only
                self.result.blocks[node_id] = ctx.block_use

    def _check_size(self) -> None:
        total = self.result.param_count
        if total <= self.max_params:
            return
        biggest = max(self.result.weights, key=self.result.weights.__getitem__)
        node = self.nodes[biggest]
        self.add(
            biggest,
            f"The model would have {total:,} parameters, over the limit of {self.max_params:,}. "
            f"The biggest layer is {node.title} with {self.result.weights[biggest]:,}.",
            "Make that layer smaller (fewer features or channels, or pool before it).",
        )


def analyze(
    nodes: list[Node],
    edges: list[Edge],
    max_params: int = DEFAULT_MAX_PARAMS,
    blocks: dict[str, BlockDefinition] | None = None,
) -> Analysis:
    """Check everything about a graph and infer every shape it can.

    Example:
        >>> from dlstudio.graph.document import Node
        >>> analyze([Node("in", "Input", {"shape": [3]})], []).problems[0].message
        'The graph has no Output node.'
    """
    return Analyzer(nodes, edges, max_params, blocks).run()
