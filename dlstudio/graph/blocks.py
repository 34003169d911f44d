"""Named blocks: a group of layers used like one layer, generated as its own nn.Module subclass.

A block is defined once in the document (``"blocks": {"ResBlock": {"nodes": [...], "edges": [...]}}``,
with one Input node per incoming tensor and one Output) and used by nodes whose ``op`` is its name.
Four residual blocks then read as four lines in ``forward`` and one ``class ResBlock``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dlstudio.graph import layers
from dlstudio.graph.document import DocumentReader, Edge, Node
from dlstudio.graph.errors import GraphError, Problem

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph

BLOCK_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,39}$")
MAX_BLOCKS = 100


@dataclass
class BlockDefinition:
    """The layers inside a named block; Input nodes are its ports, in document order."""

    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    @property
    def port_ids(self) -> list[str]:
        return [node.id for node in self.nodes if node.op == "Input"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [node.to_dict() for node in self.nodes],
            "edges": [edge.to_dict() for edge in self.edges],
        }


def read_blocks(raw: Any, reader: DocumentReader) -> dict[str, BlockDefinition]:
    """Parse the document's ``blocks`` object, reporting problems through ``reader``."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_BLOCKS:
        reader.problem(f"'blocks' must be an object of at most {MAX_BLOCKS} named blocks.")
        return {}
    blocks = {}
    for name, body in raw.items():
        if not isinstance(name, str) or not BLOCK_NAME.match(name) or layers.get(name):
            reader.problem(
                f"Block name {str(name)[:40]!r} is not usable.",
                hint="Use a CamelCase name like ResBlock that is not a layer's name.",
            )
            continue
        if not isinstance(body, dict):
            reader.problem(f"Block {name!r} must be an object with 'nodes' and 'edges'.")
            continue
        nodes = reader._nodes(body.get("nodes", []))
        edges = reader._edges(body.get("edges", []))
        blocks[name] = BlockDefinition(name, nodes, edges)
    return blocks


def block_problems(definition: BlockDefinition) -> list[str]:
    """What makes a block unusable as a layer, in words."""
    problems = []
    if not definition.port_ids:
        problems.append(f"Block {definition.name} has no Input node for its incoming tensor.")
    outputs = [node for node in definition.nodes if node.op == "Output"]
    if len(outputs) != 1:
        problems.append(f"Block {definition.name} needs exactly one Output node.")
    return problems


def instance_nodes(definition: BlockDefinition, incoming: list[Any]) -> list[Node]:
    """The block's nodes with each Input set to the tensor that arrives at that port."""
    ports = dict(zip(definition.port_ids, incoming, strict=False))
    nodes = []
    for node in definition.nodes:
        params = dict(node.params)
        if node.id in ports:
            spec = ports[node.id]
            params = {"shape": list(spec.features), "dtype": spec.dtype}
        nodes.append(Node(node.id, node.op, params, node.label, node.position))
    return nodes


# ------------------------------------------------------------------ grouping in the editor


def group(graph: Graph, node_ids: list[str], name: str) -> str:
    """Replace the given nodes by one node using a new block ``name``; returns its id.

    Example:
        >>> from dlstudio.graph import examples
        >>> g = examples.load("resnet_small")
        >>> ids = ["block1_conv1", "block1_bn1", "block1_relu1", "block1_conv2", "block1_bn2",
        ...        "block1_add", "block1_relu2"]
        >>> group(g, ids, "ResBlock")
        'resblock1'
    """
    chosen = set(node_ids)
    _check_group(graph, chosen, name)
    inside = [node for node in graph.nodes if node.id in chosen]
    entering = [e for e in graph.edges if e.target in chosen and e.source not in chosen]
    leaving = [e for e in graph.edges if e.source in chosen and e.target not in chosen]
    sources = list(dict.fromkeys(edge.source for edge in entering))
    exits = {edge.source for edge in leaving}
    if len(exits) != 1:
        raise GraphError(
            [
                Problem(
                    None,
                    "A block must have exactly one layer whose output leaves the group.",
                    "Select the layers up to and including the one that feeds the rest.",
                )
            ]
        )
    exit_id = exits.pop()
    port_names = [f"in{index + 1}" for index in range(len(sources))]
    block_nodes = [Node(port, "Input", {}) for port in port_names]
    block_nodes += [Node(n.id, n.op, dict(n.params), n.label, n.position) for n in inside]
    block_nodes.append(Node("out", "Output"))
    block_edges = [e for e in graph.edges if e.source in chosen and e.target in chosen]
    block_edges += [
        Edge(port_names[sources.index(e.source)], e.target, e.target_port) for e in entering
    ]
    block_edges.append(Edge(exit_id, "out"))
    graph.blocks[name] = BlockDefinition(name, block_nodes, block_edges)

    instance = graph.add(name)
    graph.node(instance).position = _centre(inside)
    graph.nodes = [node for node in graph.nodes if node.id not in chosen]
    kept = [e for e in graph.edges if e.source not in chosen and e.target not in chosen]
    kept += [Edge(source, instance, port) for port, source in enumerate(sources)]
    kept += [Edge(instance, e.target, e.target_port) for e in leaving]
    graph.edges = kept
    return instance


def _check_group(graph: Graph, chosen: set[str], name: str) -> None:
    problems = []
    known = {node.id: node for node in graph.nodes}
    missing = chosen - set(known)
    if missing:
        problems.append(Problem(None, f"No node with id {sorted(missing)[0]!r} to group."))
    if any(known[n].op in ("Input", "Output") for n in chosen & set(known)):
        problems.append(Problem(None, "Inputs and Outputs of the model cannot go into a block."))
    if any(known[n].op in graph.blocks for n in chosen & set(known)):
        problems.append(Problem(None, "A block cannot contain another block."))
    if not BLOCK_NAME.match(name) or layers.get(name) or name in graph.blocks:
        problems.append(
            Problem(
                None,
                f"{name!r} cannot name a new block.",
                "Use a new CamelCase name like ResBlock that no layer or block uses.",
            )
        )
    if len(chosen) < 1:
        problems.append(Problem(None, "Select at least one layer to group."))
    if problems:
        raise GraphError(problems)


def _centre(nodes: list[Node]) -> dict[str, float] | None:
    placed = [node.position for node in nodes if node.position]
    if not placed:
        return None
    return {
        "x": sum(p["x"] for p in placed) / len(placed),
        "y": sum(p["y"] for p in placed) / len(placed),
    }


def ungroup(graph: Graph, node_id: str) -> list[str]:
    """Put a block node's layers back into the graph (ids prefixed by the node's); returns them."""
    node = graph.node(node_id)
    definition = graph.blocks.get(node.op)
    if definition is None:
        raise GraphError([Problem(node_id, f"{node.title} is not a block.")])
    ports = definition.port_ids
    output = next(n.id for n in definition.nodes if n.op == "Output")
    rename = {n.id: f"{node_id}_{n.id}" for n in definition.nodes}
    entering = {e.target_port: e.source for e in graph.edges if e.target == node_id}
    leaving = [e for e in graph.edges if e.source == node_id]
    exit_source = next(e.source for e in definition.edges if e.target == output)
    graph.edges = [e for e in graph.edges if node_id not in (e.source, e.target)]
    graph.nodes = [n for n in graph.nodes if n.id != node_id]
    added = []
    for inner in definition.nodes:
        if inner.op in ("Input", "Output"):
            continue
        graph.nodes.append(
            Node(rename[inner.id], inner.op, dict(inner.params), inner.label, inner.position)
        )
        added.append(rename[inner.id])
    for edge in definition.edges:
        if edge.target == output:
            continue
        if edge.source in ports:
            source = entering.get(ports.index(edge.source))
            if source is not None:
                graph.edges.append(Edge(source, rename[edge.target], edge.target_port))
            continue
        graph.edges.append(Edge(rename[edge.source], rename[edge.target], edge.target_port))
    graph.edges += [Edge(rename[exit_source], e.target, e.target_port) for e in leaving]
    if not any(n.op == node.op for n in graph.nodes):
        del graph.blocks[node.op]
    return added
