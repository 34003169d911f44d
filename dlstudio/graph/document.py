"""The graph document: nodes, edges and named blocks as JSON (schema version 1).

Read strictly (every problem collected at once) and saved safely (atomically).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlstudio.graph import layers
from dlstudio.graph.errors import GraphError, Problem

SCHEMA_VERSION = 1
MAX_NODES = 20_000
MAX_ID_LENGTH = 200
MAX_BLOCKS = 100
# Edges past this many are not read (a document of MAX_NODES layers needs far fewer).
MAX_EDGES = MAX_NODES * 8
BLOCK_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,39}$")
_NODE_KEYS = {"id", "op", "params", "label", "position", "frozen"}
_EDGE_KEYS = {"source", "target", "target_port", "source_port"}


@dataclass
class Node:
    """One layer on the canvas. ``params`` hold only what the user set (JSON literals)."""

    id: str
    op: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    position: dict[str, float] | None = None
    frozen: bool = False
    """Left out of training: its weights stay as they are and it runs as in evaluation."""

    @property
    def title(self) -> str:
        """How messages name the node: ``Linear 'fc1'``."""
        return f"{self.op} {_quote(self.label or self.id)}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "op": self.op, "params": dict(self.params)}
        if self.label is not None:
            data["label"] = self.label
        if self.position is not None:
            data["position"] = dict(self.position)
        if self.frozen:
            data["frozen"] = True
        return data


@dataclass(frozen=True)
class Edge:
    """A tensor flowing from ``source``'s output into ``target``'s input ``target_port``."""

    source: str
    target: str
    target_port: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "target_port": self.target_port}


@dataclass
class BlockDefinition:
    """The layers inside a named block; Input nodes are its ports, in document order.

    A block is defined once in the document (``"blocks": {"ResBlock": {"nodes": [...],
    "edges": [...]}}``, one Input node per incoming tensor and one Output) and used by nodes
    whose ``op`` is its name; the generated code makes it its own ``nn.Module`` subclass.
    """

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


def block_problems(definition: BlockDefinition) -> list[str]:
    """What makes a block unusable as a layer, in words.

    Example:
        >>> block_problems(BlockDefinition("Empty"))[0]
        'Block Empty has no Input node for its incoming tensor.'
    """
    problems = []
    if not definition.port_ids:
        problems.append(f"Block {definition.name} has no Input node for its incoming tensor.")
    outputs = [node for node in definition.nodes if node.op == "Output"]
    if len(outputs) != 1:
        problems.append(f"Block {definition.name} needs exactly one Output node.")
    return problems


def usable_block_name(name: Any) -> bool:
    """A CamelCase name that no layer already has (a block is used like a layer).

    Example:
        >>> usable_block_name("ResBlock"), usable_block_name("Linear"), usable_block_name("res")
        (True, False, False)
    """
    return isinstance(name, str) and bool(BLOCK_NAME.match(name)) and layers.get(name) is None


def free_id(base: str, taken: Container[str], separator: str | None = None) -> str:
    """The first of ``base1``, ``base2``... not taken; ``base_1`` when base ends in a digit.

    The underscore keeps ``resblock2`` + 1 from reading as ``resblock21``.

    Example:
        >>> free_id("resblock", {"resblock1"}), free_id("resblock2", set())
        ('resblock2', 'resblock2_1')
    """
    if separator is None:
        separator = "_" if base[-1:].isdigit() else ""
    number = 1
    while f"{base}{separator}{number}" in taken:
        number += 1
    return f"{base}{separator}{number}"


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    shown = re.sub(r"[\x00-\x1f\x7f]", "?", shown)
    return f"'{shown}'"


def param_value_ok(value: Any, depth: int = 0) -> bool:
    """Only plain, finite, shallow JSON literals are accepted as parameter values.

    Example:
        >>> param_value_ok([3, 3]), param_value_ok({"a": 1}), param_value_ok("x" * 201)
        (True, False, False)
    """
    if depth > 3:
        return False
    if value is None or isinstance(value, bool | int | str):
        return not isinstance(value, str) or len(value) <= 200
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return len(value) <= 64 and all(param_value_ok(item, depth + 1) for item in value)
    return False


class DocumentReader:
    """Turns untrusted JSON into nodes and edges, collecting every problem instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, message: str, node_id: str | None = None, hint: str | None = None) -> None:
        self.problems.append(Problem(node_id, message, hint))

    def read(self, data: Any) -> tuple[list[Node], list[Edge], dict[str, str]]:
        if not isinstance(data, dict):
            self.problem("A graph document must be a JSON object with 'nodes' and 'edges'.")
            return [], [], {}
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION or isinstance(version, bool):
            self.problem(
                f"This graph uses format version {str(version)[:20]!r}; dlstudio reads version 1."
            )
        unknown = set(data) - {"version", "nodes", "edges", "metadata", "blocks"}
        if unknown:
            self.problem(f"Unknown top-level keys: {', '.join(sorted(map(str, unknown))[:5])}.")
        nodes = self._nodes(data.get("nodes", []))
        edges = self._edges(data.get("edges", []))
        return nodes, edges, self._metadata(data.get("metadata", {}))

    def _metadata(self, raw: Any) -> dict[str, str]:
        ok = isinstance(raw, dict) and len(raw) <= 20
        ok = ok and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
        ok = ok and all(len(k) <= 100 and len(v) <= 10_000 for k, v in raw.items())
        if not ok:
            self.problem("'metadata' must be an object of short text fields.")
            return {}
        return dict(raw)

    def _nodes(self, raw: Any) -> list[Node]:
        if not isinstance(raw, list):
            self.problem("'nodes' must be a list of node objects.")
            return []
        if len(raw) > MAX_NODES:
            self.problem(f"The graph has {len(raw):,} nodes; the limit is {MAX_NODES:,}.")
            return []
        return self._unique_nodes(raw)

    def _unique_nodes(self, items: list[Any]) -> list[Node]:
        """Read each item (a node already read is kept as it is), refusing repeated ids."""
        nodes: list[Node] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            node = item if isinstance(item, Node) else self._node(item, index)
            if node is None:
                continue
            if node.id in seen:
                self.problem(
                    f"Two nodes share the id {_quote(node.id)}.",
                    node.id,
                    "Give each node its own id.",
                )
                continue
            seen.add(node.id)
            nodes.append(node)
        return nodes

    def _node(self, item: Any, index: int) -> Node | None:
        where = f"Node #{index + 1}"
        if not isinstance(item, dict):
            self.problem(f"{where} must be an object with 'id' and 'op'.")
            return None
        node_id = item.get("id")
        if not isinstance(node_id, str) or not node_id or len(node_id) > MAX_ID_LENGTH:
            self.problem(f"{where} needs an 'id': a non-empty string of at most {MAX_ID_LENGTH}.")
            return None
        op = item.get("op")
        if not isinstance(op, str) or not op or len(op) > 100:
            self.problem(f"{where} ({_quote(node_id)}) needs an 'op' such as 'Linear'.", node_id)
            return None
        extra = set(item) - _NODE_KEYS
        if extra:
            self.problem(
                f"Node {_quote(node_id)} has unknown keys: {', '.join(sorted(map(str, extra))[:5])}.",
                node_id,
            )
        params = item.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            self.problem(f"Node {_quote(node_id)}: 'params' must be an object.", node_id)
            params = {}
        clean: dict[str, Any] = {}
        for name, value in params.items():
            if not param_value_ok(value):
                self.problem(
                    f"Node {_quote(node_id)}: parameter {_quote(str(name))} has an unusable value.",
                    node_id,
                    "Use a number, true/false, a short string or a list of numbers.",
                )
                continue
            clean[name] = value
        label = item.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > MAX_ID_LENGTH):
            self.problem(f"Node {_quote(node_id)}: 'label' must be a short string.", node_id)
            label = None
        frozen = item.get("frozen", False)
        if not isinstance(frozen, bool):
            self.problem(f"Node {_quote(node_id)}: 'frozen' must be true or false.", node_id)
            frozen = False
        position = self._position(item.get("position"), node_id)
        return Node(node_id, op, clean, label, position, frozen)

    def _position(self, raw: Any, node_id: str) -> dict[str, float] | None:
        if raw is None:
            return None
        ok = isinstance(raw, dict) and all(
            isinstance(raw.get(axis), int | float)
            and not isinstance(raw.get(axis), bool)
            and math.isfinite(raw[axis])
            for axis in ("x", "y")
        )
        if not ok:
            self.problem(
                f"Node {_quote(node_id)}: 'position' must be {{'x': number, 'y': number}}."
            )
            return None
        return {"x": float(raw["x"]), "y": float(raw["y"])}

    def _edges(self, raw: Any) -> list[Edge]:
        if not isinstance(raw, list):
            self.problem("'edges' must be a list of edge objects.")
            return []
        edges = []
        for index, item in enumerate(raw[:MAX_EDGES]):
            edge = self._edge(item, index)
            if edge is not None:
                edges.append(edge)
        return edges

    def _edge(self, item: Any, index: int) -> Edge | None:
        where = f"Edge #{index + 1}"
        if not isinstance(item, dict):
            self.problem(f"{where} must be an object with 'source' and 'target'.")
            return None
        source, target = item.get("source"), item.get("target")
        port = item.get("target_port", 0)
        if not isinstance(source, str) or not isinstance(target, str):
            self.problem(f"{where} needs 'source' and 'target' node ids.")
            return None
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 64:
            self.problem(f"{where} has an invalid target_port; use 0, 1, ...", target)
            return None
        if set(item) - _EDGE_KEYS:
            self.problem(f"{where} has unknown keys.", target)
        return Edge(source, target, port)

    def blocks(self, raw: Any) -> dict[str, BlockDefinition]:
        """The document's ``blocks`` object: at most MAX_BLOCKS named sub-graphs."""
        if raw is None:
            return {}
        if not isinstance(raw, dict) or len(raw) > MAX_BLOCKS:
            self.problem(f"'blocks' must be an object of at most {MAX_BLOCKS} named blocks.")
            return {}
        blocks = {}
        for name, body in raw.items():
            if not usable_block_name(name):
                self.problem(
                    f"Block name {str(name)[:40]!r} is not usable.",
                    hint="Use a CamelCase name like ResBlock that is not a layer's name.",
                )
                continue
            if not isinstance(body, dict):
                self.problem(f"Block {name!r} must be an object with 'nodes' and 'edges'.")
                continue
            nodes = self._nodes(body.get("nodes", []))
            edges = self._edges(body.get("edges", []))
            blocks[name] = BlockDefinition(name, nodes, edges)
        return blocks


_PATCH_KEYS = {"nodes", "edges", "metadata", "blocks"}
_NODE_CHANGE_KEYS = {"count", "remove", "set", "add"}
_EDGE_CHANGE_KEYS = {"count", "remove", "add"}


class PatchReader(DocumentReader):
    """Applies an untrusted edit, given as what changed, to a document read before.

    The result is what ``parse_document`` makes of the whole new document: each changed or
    added node and edge is read as it would be there (with its place in the new document in
    messages), and the result is held to the same limits (unique ids, MAX_NODES, MAX_EDGES).
    Unchanged nodes and edges are taken as they are.
    """

    def apply(
        self,
        nodes: list[Node],
        edges: list[Edge],
        metadata: dict[str, str],
        blocks: dict[str, BlockDefinition],
        raw: Any,
    ) -> tuple[list[Node], list[Edge], dict[str, str], dict[str, BlockDefinition]]:
        if not isinstance(raw, dict) or not {"nodes", "edges"} <= set(raw) <= _PATCH_KEYS:
            self.problem(
                "An edit must be an object with 'nodes' and 'edges' (and maybe 'metadata' "
                "and 'blocks')."
            )
            return nodes, edges, metadata, blocks
        new_nodes = self._patched_nodes(nodes, raw["nodes"])
        new_edges = self._patched_edges(edges, raw["edges"])
        if "metadata" in raw:
            metadata = self._metadata(raw["metadata"])
        if "blocks" in raw:
            blocks = self.blocks(raw["blocks"])
        return new_nodes, new_edges, metadata, blocks

    def _patched_nodes(self, nodes: list[Node], raw: Any) -> list[Node]:
        changes = self._changes(raw, "nodes", len(nodes), _NODE_CHANGE_KEYS, MAX_NODES)
        if changes is None:
            return nodes
        removed, replaced, added = changes
        if len(nodes) - len(removed) + len(added) > MAX_NODES:
            total = len(nodes) - len(removed) + len(added)
            self.problem(f"The graph has {total:,} nodes; the limit is {MAX_NODES:,}.")
            return nodes
        # Read in the new document's order, as parse_document reads the whole of it.
        items: list[Node | Any] = [
            replaced.get(index, node) for index, node in enumerate(nodes) if index not in removed
        ]
        items.extend(added)
        return self._unique_nodes(items)

    def _patched_edges(self, edges: list[Edge], raw: Any) -> list[Edge]:
        changes = self._changes(raw, "edges", len(edges), _EDGE_CHANGE_KEYS, MAX_EDGES)
        if changes is None:
            return edges
        removed, _, added = changes
        items: list[Edge | Any] = [edge for index, edge in enumerate(edges) if index not in removed]
        items.extend(added)
        out: list[Edge] = []
        for index, item in enumerate(items[:MAX_EDGES]):
            edge = item if isinstance(item, Edge) else self._edge(item, index)
            if edge is not None:
                out.append(edge)
        return out

    def _changes(
        self, raw: Any, what: str, count: int, keys: set[str], limit: int
    ) -> tuple[set[int], dict[int, Any], list[Any]] | None:
        """``remove`` (indices), ``set`` ([index, item] pairs) and ``add`` (items), checked."""
        if not isinstance(raw, dict) or set(raw) != keys:
            self.problem(f"The edit's {what!r} must be an object with {sorted(keys)}.")
            return None
        if not _index(raw["count"], count + 1) or raw["count"] != count:
            self.problem(
                f"This edit was made on a document with other {what} than the one held now."
            )
            return None
        remove, added = raw["remove"], raw["add"]
        pairs = raw.get("set", [])
        ok = isinstance(remove, list) and isinstance(pairs, list) and isinstance(added, list)
        ok = ok and len(remove) <= count and len(pairs) <= count and len(added) <= limit
        ok = ok and _increasing(remove, count)
        ok = ok and all(isinstance(pair, list) and len(pair) == 2 for pair in pairs)
        ok = ok and _increasing([pair[0] for pair in pairs], count)
        removed = set(remove) if ok else set()
        replaced = {pair[0]: pair[1] for pair in pairs} if ok else {}
        if not ok or removed & replaced.keys():
            self.problem(
                f"The edit's {what!r} changes must name each of the {count:,} {what} held "
                "at most once, by its place in the document."
            )
            return None
        return removed, replaced, added


def _index(value: Any, end: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < end


def _increasing(indices: list[Any], end: int) -> bool:
    """Whether ``indices`` are places in a list of ``end`` items, each named once, in order."""
    previous = -1
    for index in indices:
        if not _index(index, end) or index <= previous:
            return False
        previous = index
    return True


def apply_patch(
    nodes: list[Node],
    edges: list[Edge],
    metadata: dict[str, str],
    blocks: dict[str, BlockDefinition],
    patch: Any,
) -> tuple[list[Node], list[Edge], dict[str, str], dict[str, BlockDefinition]]:
    """The document read before (``nodes``... ``blocks``) with an untrusted edit applied.

    ``patch`` says what changed: ``{"nodes": {"count", "remove", "set", "add"}, "edges":
    {"count", "remove", "add"}}`` and, when they changed, ``"metadata"`` and ``"blocks"`` as in
    a document. ``count``: how many the edit was made on; ``remove``: their places, in order;
    ``set``: ``[place, node]`` pairs, in order; ``add``: new ones, appended. The result equals
    ``parse_document`` of the whole new document; raises GraphError the same way. The lists
    given are not changed; the nodes and edges taken over are the same objects.

    Example:
        >>> nodes = [Node("x", "Input"), Node("fc", "Linear")]
        >>> patch = {"nodes": {"count": 2, "remove": [0], "set": [[1, {"id": "fc", "op": "ReLU"}]],
        ...                    "add": []}, "edges": {"count": 0, "remove": [], "add": []}}
        >>> [node.op for node in apply_patch(nodes, [], {}, {}, patch)[0]]
        ['ReLU']
    """
    reader = PatchReader()
    result = reader.apply(nodes, edges, metadata, blocks, patch)
    if reader.problems:
        raise GraphError(reader.problems)
    return result


def parse_document(
    data: Any,
) -> tuple[list[Node], list[Edge], dict[str, str], dict[str, BlockDefinition]]:
    """Read a graph document; raises GraphError listing every malformed part.

    Returns nodes, edges, metadata and the named block definitions.
    """
    reader = DocumentReader()
    nodes, edges, metadata = reader.read(data)
    blocks = reader.blocks(data.get("blocks")) if isinstance(data, dict) else {}
    if reader.problems:
        raise GraphError(reader.problems)
    return nodes, edges, metadata, blocks


def parse_json(text: str | bytes) -> Any:
    """json.loads that turns every failure (and NaN/Infinity literals) into a GraphError."""

    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not allowed")

    try:
        return json.loads(text, parse_constant=reject_constant)
    except (ValueError, TypeError, RecursionError) as error:
        raise GraphError([Problem(None, f"This is not valid graph JSON: {error}")]) from None


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write text to path so that a crash leaves either the old file or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
