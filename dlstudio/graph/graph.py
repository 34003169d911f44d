"""``Graph``: the model as a document, and everything the core does with it."""

from __future__ import annotations

import hashlib
import json
import keyword
import linecache
import os
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from dlstudio.graph.analysis import DEFAULT_MAX_PARAMS, Analysis, analyze
from dlstudio.graph.codegen import Generated, generate
from dlstudio.graph.document import (
    SCHEMA_VERSION,
    BlockDefinition,
    Edge,
    Node,
    apply_patch,
    free_id,
    parse_document,
    parse_json,
    write_atomically,
)
from dlstudio.graph.editing import group as group_block
from dlstudio.graph.editing import ungroup as ungroup_block
from dlstudio.graph.errors import GraphError, Problem
from dlstudio.graph.namespace import to_identifier
from dlstudio.graph.summary import format_summary
from dlstudio.graph.weights import WeightsSource, load_weights

Shape = tuple[int | None, ...]


class Graph:
    """A model as layers (nodes) connected by tensors (edges).

    Example:
        >>> g = Graph.from_dict({"version": 1,
        ...     "nodes": [{"id": "in", "op": "Input", "params": {"shape": [4]}},
        ...               {"id": "fc", "op": "Linear", "params": {"out_features": 3}},
        ...               {"id": "out", "op": "Output"}],
        ...     "edges": [{"source": "in", "target": "fc"}, {"source": "fc", "target": "out"}]})
        >>> g.infer_shapes()["fc"], g.param_count()
        ((None, 3), 15)
    """

    def __init__(
        self,
        nodes: list[Node] | None = None,
        edges: list[Edge] | None = None,
        max_params: int = DEFAULT_MAX_PARAMS,
        metadata: dict[str, str] | None = None,
        blocks: dict[str, BlockDefinition] | None = None,
    ):
        self.nodes: list[Node] = list(nodes or [])
        self.edges: list[Edge] = list(edges or [])
        self.max_params = max_params
        self.metadata: dict[str, str] = dict(metadata or {})
        self.blocks: dict[str, BlockDefinition] = dict(blocks or {})
        """Named blocks used by nodes whose op is the block's name (see ``group``)."""
        self._cache: tuple[str, Analysis] | None = None
        self._held_key: str | None = None  # see ``_unchanging``
        """Free text about the graph (title, description), never interpreted."""

    # -- reading and writing ----------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, max_params: int = DEFAULT_MAX_PARAMS) -> Graph:
        """Read a graph document; GraphError lists every malformed part."""
        try:
            nodes, edges, metadata, blocks = parse_document(data)
        except GraphError:
            raise
        except (TypeError, ValueError, AttributeError, RecursionError) as error:
            raise GraphError(
                [Problem(None, f"This graph document is malformed: {error}")]
            ) from None
        return cls(nodes, edges, max_params, metadata, blocks)

    def patched(self, patch: Any) -> Graph:
        """A new graph: this one with an edit applied, given as what changed.

        ``patch`` comes from the page (see ``document.apply_patch``): it is checked as strictly
        as ``from_dict`` checks a whole document, and the result equals ``from_dict`` of the
        whole edited document. This graph is left as it is. GraphError lists what is wrong.

        Example:
            >>> g = Graph(); g.add("Input", id="x", shape=[4])
            'x'
            >>> h = g.patched({"nodes": {"count": 1, "remove": [], "set": [],
            ...     "add": [{"id": "fc", "op": "Linear", "params": {"out_features": 2}}]},
            ...     "edges": {"count": 0, "remove": [], "add": [{"source": "x", "target": "fc"}]}})
            >>> [n.id for n in g.nodes], [n.id for n in h.nodes], h.analyze().shapes["fc"]
            (['x'], ['x', 'fc'], (None, 2))
        """
        base = self.copy()
        try:
            nodes, edges, metadata, blocks = apply_patch(
                base.nodes, base.edges, base.metadata, base.blocks, patch
            )
        except GraphError:
            raise
        except (TypeError, ValueError, AttributeError, RecursionError) as error:
            raise GraphError([Problem(None, f"This edit is malformed: {error}")]) from None
        return Graph(nodes, edges, self.max_params, metadata, blocks)

    @classmethod
    def from_module(
        cls,
        module: nn.Module,
        example_input: torch.Tensor | tuple[torch.Tensor, ...],
        *,
        blocks: str = "auto",
    ) -> Graph:
        """The editable graph of an existing model, traced with ``torch.fx``.

        Layers the catalog has become its nodes (arguments read back from the modules),
        tensor functions and operators become nodes too, other submodules stay one opaque
        node each, and repeated submodules of one class become named blocks (``blocks="auto"``;
        ``"none"`` keeps every layer flat). Node ids are the original module paths, so
        ``build(weights=module)`` puts the original weights back (see ``importer.py``).

        Example:
            >>> import torch
            >>> from torch import nn
            >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))
            >>> g = Graph.from_module(net, torch.randn(1, 1, 8, 8))
            >>> [node.op for node in g.nodes][1:-1], g.node("0").params
            (['Conv2d', 'ReLU', 'Flatten', 'Linear'], {'out_channels': 4})
        """
        from dlstudio.graph.importer import import_module

        parts = import_module(module, example_input, blocks=blocks)
        return cls(parts.nodes, parts.edges, metadata=parts.metadata, blocks=parts.blocks)

    @classmethod
    def from_json(cls, text: str | bytes, max_params: int = DEFAULT_MAX_PARAMS) -> Graph:
        """Read a graph from JSON text."""
        return cls.from_dict(parse_json(text), max_params)

    @classmethod
    def load(cls, path: str | os.PathLike[str], max_params: int = DEFAULT_MAX_PARAMS) -> Graph:
        """Read a graph from a ``.json`` file."""
        try:
            with open(path, "rb") as handle:
                text = handle.read(50_000_000)
        except OSError as error:
            raise GraphError([Problem(None, f"Cannot read {os.fspath(path)!r}: {error}")]) from None
        return cls.from_json(text, max_params)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": SCHEMA_VERSION}
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        data["nodes"] = [node.to_dict() for node in self.nodes]
        data["edges"] = [edge.to_dict() for edge in self.edges]
        if self.blocks:
            data["blocks"] = {name: block.to_dict() for name, block in self.blocks.items()}
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph as JSON atomically: a crash never leaves a half-written file."""
        write_atomically(path, self.to_json() + "\n")

    def copy(self) -> Graph:
        """A deep copy, made without parsing the document again (fast at 500 nodes).

        Example:
            >>> g = Graph(); g.add("Input", id="x", shape=[4])
            'x'
            >>> h = g.copy(); h.node("x").params["shape"].append(2); g.node("x").params
            {'shape': [4]}
        """
        blocks = {
            name: BlockDefinition(name, _copy_nodes(block.nodes), list(block.edges))
            for name, block in self.blocks.items()
        }
        return Graph(
            _copy_nodes(self.nodes), list(self.edges), self.max_params, dict(self.metadata), blocks
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Graph) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges)"

    # -- editing ---------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def add(self, op: str, id: str | None = None, after: str | None = None, **params: Any) -> str:
        """Add a node (connected after ``after`` when given) and return its id.

        Example:
            >>> g = Graph(); first = g.add("Input", shape=[4]); g.add("Linear", after=first)
            'linear1'
        """
        taken = {node.id for node in self.nodes}
        if id is None:
            # No underscore (conv2d1, not conv2d_1): saved notebooks name nodes this way.
            id = free_id(re.sub(r"[^a-z0-9]", "", op.lower()) or "node", taken, separator="")
        elif id in taken:
            raise GraphError([Problem(id, f"A node with id {id!r} already exists.")])
        self.nodes.append(Node(id, op, dict(params)))
        if after is not None:
            self.connect(after, id)
        return id

    def connect(self, source: str, target: str, port: int = 0) -> None:
        self.edges.append(Edge(source, target, port))

    def group(self, node_ids: list[str], name: str) -> str:
        """Turn the given layers into a named block used by one new node; returns its id.

        The block becomes its own ``nn.Module`` subclass in the generated code; duplicate the
        node to reuse it.
        """
        return group_block(self, list(node_ids), name)

    def ungroup(self, node_id: str) -> list[str]:
        """Put a block node's layers back into the graph; returns the new node ids."""
        return ungroup_block(self, node_id)

    def remove(self, node_id: str) -> None:
        self.nodes = [node for node in self.nodes if node.id != node_id]
        self.edges = [e for e in self.edges if node_id not in (e.source, e.target)]

    # -- analysis ------------------------------------------------------------------------------

    def analyze(self) -> Analysis:
        """Everything the core knows (shapes, resolved params, problems); never raises.

        The result is cached until the graph's content changes (moving nodes does not count),
        because the editor asks for shapes, problems and code after every edit.
        """
        key = self._held_key or self.structure_key()
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, analyze(self.nodes, self.edges, self.max_params, self.blocks))
        return self._cache[1]

    @contextmanager
    def _unchanging(self, key: str | None = None) -> Iterator[str]:
        """Inside, the caller leaves the graph as it is: its structure key (``key`` when the
        caller already knows it) is computed once, not again by each ``analyze``."""
        outer = self._held_key
        self._held_key = key or outer or self.structure_key()
        try:
            yield self._held_key
        finally:
            self._held_key = outer

    def structure_key(self) -> str:
        """The document without positions, as a string: equal keys mean equal shapes and code.

        Example:
            >>> g = Graph(); g.add("Input", id="x", shape=[4])
            'x'
            >>> h = g.copy(); h.node("x").position = {"x": 9.0, "y": 0.0}
            >>> g.structure_key() == h.structure_key()
            True
        """
        content = [(n.id, n.op, n.label, n.params, n.frozen) for n in self.nodes]
        wiring = [(e.source, e.target, e.target_port) for e in self.edges]
        blocks = {name: block.to_dict() for name, block in self.blocks.items()}
        return json.dumps([content, wiring, blocks, self.max_params], sort_keys=True, default=str)

    def validate(self) -> Analysis:
        """Raise GraphError listing every problem at once; return the analysis when fine."""
        analysis = self.analyze()
        if analysis.problems:
            raise GraphError(analysis.problems, analysis.shapes)
        return analysis

    def infer_shapes(self) -> dict[str, Shape]:
        """Each node's output shape, batch first (``None`` = any batch size).

        Raises GraphError when anything is wrong; its ``shapes`` keep what could be inferred.
        """
        return self.validate().shapes

    def param_count(self) -> int:
        """Learned parameters (frozen ones included), counted from the shapes without allocating
        any weight."""
        return self.validate().param_count

    def summary(self) -> str:
        """A per-layer table (output shape, parameters), like torchinfo."""
        return format_summary(self.nodes, self.validate())

    # -- code ------------------------------------------------------------------------------

    def generate(self, class_name: str = "Net", sequential: bool = True) -> Generated:
        """Source plus the node → module-name map; see ``to_code``."""
        name = class_name if class_name.isidentifier() and class_name[:1].isupper() else ""
        if not name or keyword.iskeyword(name):
            words = to_identifier(class_name, "net").split("_")
            name = "".join(word[:1].upper() + word[1:] for word in words)
        return generate(self.nodes, self.validate(), name, sequential)

    def to_code(
        self, class_name: str = "Net", sequential: bool = True, framework: str = "pytorch"
    ) -> str:
        """Idiomatic source for this graph: one PyTorch nn.Module (no dlstudio import needed),
        or with ``framework="keras"`` / ``"flax"`` the same model in Keras 3 or Flax NNX.

        Example:
            >>> from dlstudio.graph import examples
            >>> "nnx.Conv(1, 6" in examples.load("lenet5").to_code(framework="flax")
            True
        """
        if framework == "pytorch":
            return self.generate(class_name, sequential).source
        from dlstudio.graph.frameworks import framework_code

        return framework_code(self, framework, class_name)

    def module_names(self, sequential: bool = True) -> dict[str, str]:
        """Where each layer node lives in the built model, e.g. ``{"conv1": "features.0"}``."""
        return self.generate(sequential=sequential).module_names

    def build(
        self,
        class_name: str = "Net",
        sequential: bool = True,
        *,
        weights: WeightsSource | None = None,
        strict: bool = True,
    ) -> nn.Module:
        """The nn.Module made by running exactly the source that ``to_code`` returns.

        ``weights`` (the imported module, its state dict, or a ``.safetensors``/``.pt`` file)
        go into the layers they came from (``module_names`` says where); with ``strict``
        every tensor must find its place, else layers without weights keep fresh ones.
        The source is generated by dlstudio from validated values only (identifiers from a
        namespace, numbers and fixed choices written with repr); running it is the point.
        """
        generated = self.generate(class_name, sequential)
        model = instantiate(generated.source, generated.class_name)
        if weights is not None:
            load_weights(model, generated.module_names, weights, strict=strict)
        return model


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _copy_nodes(nodes: list[Node]) -> list[Node]:
    return [
        Node(
            node.id,
            node.op,
            _copy_json(node.params),
            node.label,
            _copy_json(node.position),
            node.frozen,
        )
        for node in nodes
    ]


def instantiate(source: str, class_name: str) -> nn.Module:
    """Run generated source as a module of its own and construct the class.

    The module is registered with its source (in ``linecache``), so tracebacks and
    ``inspect.getsource`` show the generated lines: the code panel and the model agree.
    """
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    module_name = f"dlstudio_generated_{digest}"
    filename = f"<dlstudio-generated-{digest}>"
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__dlstudio_source__", None) != source:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        module = types.ModuleType(module_name)
        module.__file__ = filename
        module.__dlstudio_source__ = source  # type: ignore[attr-defined]
        exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - our own code
        sys.modules[module_name] = module
    model: nn.Module = getattr(module, class_name)()
    return model
