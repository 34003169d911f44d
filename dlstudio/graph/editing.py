"""Edits of a whole graph: grouping layers into a named block and back, applying a fix.

``group`` and ``ungroup`` change the graph they are given (``Graph.group`` calls them);
``apply_fix`` returns a new graph.

Example:
    >>> from dlstudio.graph import Graph
    >>> from dlstudio.graph.editing import apply_fix
    >>> g = Graph(); g.add("Linear", id="fc", in_features=5)
    'fc'
    >>> apply_fix(g, {"node_id": "fc", "params": {"in_features": None}}).node("fc").params
    {}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dlstudio.graph.document import (
    BlockDefinition,
    Edge,
    Node,
    free_id,
    param_value_ok,
    usable_block_name,
)
from dlstudio.graph.errors import GraphError, Problem

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph


def apply_fix(graph: Graph, fix: Mapping[str, Any]) -> Graph:
    """A copy of ``graph`` with a Problem's ``fix`` applied (``None`` removes a parameter).

    Raises ValueError for a malformed fix and KeyError when its node is gone.
    """
    node_id, params = fix.get("node_id"), fix.get("params")
    if not isinstance(node_id, str) or not isinstance(params, dict):
        raise ValueError("A fix names a node_id and the params to change.")
    for name, value in params.items():
        # The same rule as a document's parameters: what is stored must save and load again.
        if not isinstance(name, str) or len(name) > 100 or not param_value_ok(value):
            raise ValueError(
                f"A fix may set a parameter only to a number, true/false, a short string or a "
                f"short list, not what it gives for {str(name)[:40]!r}."
            )
    fixed = graph.copy()
    try:
        node = fixed.node(node_id)
    except KeyError:
        raise KeyError(f"There is no node {node_id!r} to fix any more; it was removed.") from None
    for name, value in params.items():
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
    return fixed


def group(graph: Graph, node_ids: list[str], name: str) -> str:
    """Replace the given nodes by one node using a new block ``name``; returns its id.

    Inside the block the layers are named for their role: a shared prefix such as ``block1_``
    is dropped (``ungroup`` puts the node's id back in front).

    Example:
        >>> from dlstudio import Graph
        >>> g = Graph(); x = g.add("Input", shape=[8])
        >>> fc = g.add("Linear", id="dense_fc", after=x); act = g.add("ReLU", id="dense_act")
        >>> g.connect(fc, act); g.connect(act, g.add("Output"))
        >>> group(g, [fc, act], "Dense"), [node.id for node in g.blocks["Dense"].nodes]
        ('dense1', ['in1', 'fc', 'act', 'out'])
        >>> group(g, ["dense1"], "Dense2")
        Traceback (most recent call last):
        dlstudio.graph.errors.GraphError: A block cannot contain another block.
    """
    chosen = set(node_ids)
    _check_group(graph, chosen, name)
    inside = [node for node in graph.nodes if node.id in chosen]
    entering = [e for e in graph.edges if e.target in chosen and e.source not in chosen]
    leaving = [e for e in graph.edges if e.source in chosen and e.target not in chosen]
    sources = list(dict.fromkeys(edge.source for edge in entering))
    ports = [f"in{index + 1}" for index in range(len(sources))]
    local = _local_ids([node.id for node in inside], reserved={*ports, "out"})
    local.update(zip(sources, ports, strict=True))
    nodes = [Node(port, "Input", {}) for port in ports]
    nodes += [
        Node(local[n.id], n.op, dict(n.params), n.label, n.position, n.frozen) for n in inside
    ]
    nodes.append(Node("out", "Output"))
    edges = [Edge(local[e.source], local[e.target], e.target_port) for e in graph.edges
             if e.target in chosen]  # fmt: skip
    edges.append(Edge(local[_single_exit(leaving)], "out"))
    graph.blocks[name] = BlockDefinition(name, nodes, edges)

    instance = graph.add(name, id=free_id(name.lower(), {node.id for node in graph.nodes}))
    graph.node(instance).position = _centre(inside)
    graph.nodes = [node for node in graph.nodes if node.id not in chosen]
    kept = [e for e in graph.edges if e.source not in chosen and e.target not in chosen]
    kept += [Edge(source, instance, port) for port, source in enumerate(sources)]
    kept += [Edge(instance, e.target, e.target_port) for e in leaving]
    graph.edges = kept
    return instance


def _local_ids(ids: list[str], reserved: set[str]) -> dict[str, str]:
    """``block1_conv1`` -> ``conv1`` when every id shares ``block1_`` and nothing clashes."""
    prefix = os.path.commonprefix(ids)
    prefix = prefix[: prefix.rfind("_") + 1]
    local = {node_id: node_id[len(prefix) :] for node_id in ids}
    names = set(local.values())
    if "" in names or len(names) < len(ids) or names & reserved:
        return {node_id: node_id for node_id in ids}
    return local


def _single_exit(leaving: list[Edge]) -> str:
    exits = {edge.source for edge in leaving}
    if len(exits) != 1:
        problem = Problem(
            None,
            "A block must have exactly one layer whose output leaves the group.",
            "Select the layers up to and including the one that feeds the rest.",
        )
        raise GraphError([problem])
    return exits.pop()


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
    if not usable_block_name(name) or name in graph.blocks:
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
    """Put a block node's layers back into the graph (ids prefixed by the node's); returns them.

    Example:
        >>> from dlstudio import Graph
        >>> g = Graph(); x = g.add("Input", shape=[8]); fc = g.add("Linear", after=x)
        >>> g.connect(fc, g.add("Output")); block = group(g, [fc], "Dense")
        >>> ungroup(g, block), g.blocks
        (['dense1_linear1'], {})
    """
    node = graph.node(node_id)
    definition = graph.blocks.get(node.op)
    if definition is None:
        raise GraphError([Problem(node_id, f"{node.title} is not a block.")])
    ports = definition.port_ids
    output = next(n.id for n in definition.nodes if n.op == "Output")
    rename = _inner_ids(graph, node_id, definition)
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
            Node(
                rename[inner.id],
                inner.op,
                dict(inner.params),
                inner.label,
                inner.position,
                inner.frozen,
            )
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


def _inner_ids(graph: Graph, node_id: str, definition: BlockDefinition) -> dict[str, str]:
    """Block-local id -> a new graph id, ``{node_id}_{inner id}`` unless that is taken."""
    taken = {node.id for node in graph.nodes}
    rename = {}
    for inner in definition.nodes:
        wanted = f"{node_id}_{inner.id}"
        rename[inner.id] = wanted if wanted not in taken else free_id(wanted, taken)
        taken.add(rename[inner.id])
    return rename
