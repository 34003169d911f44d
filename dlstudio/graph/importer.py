"""Bring an existing ``nn.Module`` into the editor: ``Graph.from_module(module, example_input)``.

The module is traced with ``torch.fx`` (symbolic tracing keeps every catalog layer as one call
with its module, so its constructor arguments can be read back from it; ``torch.export`` lowers
layers to ATen operations, which would have to be raised back to layers). One run on the
example input gives every tensor's shape.

- A submodule whose class is in the catalog becomes that node, its arguments read back from it
  and checked by rebuilding it on the meta device and comparing (so nothing is silently lost).
- Tensor functions, methods and operators (``torch.flatten``, ``F.relu``, ``+``, ``torch.cat``,
  ``view``, ``permute``, ``mean``, ``@``, indexing, ...) become catalog nodes too.
- A submodule nothing in the catalog expresses becomes an opaque node: its class, imported by
  its path in the generated code, with the constructor arguments read back from it. Nothing is
  pickled and no source text runs.
- Repeated submodules of one class become named blocks (``blocks="auto"``).

Node ids are the modules' paths in the original model (``layer1.0.conv1``), so weights find their
way back (``Graph.build(weights=...)``, see ``weights.py``).

Example:
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> parts = import_module(net, torch.randn(1, 4))
    >>> [node.op for node in parts.nodes]
    ['Input', 'Linear', 'ReLU', 'Linear', 'Output']
"""

from __future__ import annotations

import inspect
import linecache
import math
import operator
import re
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own spelling
from torch import fx, nn
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.fx.passes.shape_prop import ShapeProp

from dlstudio.graph import layers
from dlstudio.graph.analysis import Analysis, analyze
from dlstudio.graph.document import BLOCK_NAME, BlockDefinition, Edge, Node
from dlstudio.graph.errors import GraphError, Problem
from dlstudio.graph.import_paths import param_for
from dlstudio.graph.layer_spec import LayerSpec
from dlstudio.graph.params import Param

BLOCKS = ("auto", "none")
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_NEVER_BLOCKS = (*_CONTAINERS, nn.TransformerEncoder)  # the last is read as its layers
_TRACE_HINT = (
    "Import the parts that can be traced (for example model.features), or register this module "
    "as a custom layer with dlstudio.layers.register so that it stays one node."
)


@dataclass
class Imported:
    """A traced model as graph parts; ``Graph.from_module`` makes the Graph of them."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    blocks: dict[str, BlockDefinition] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)

    def analyze(self) -> Analysis:
        return analyze(self.nodes, self.edges, blocks=self.blocks)

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)


def import_module(
    module: nn.Module,
    example_input: torch.Tensor | tuple[torch.Tensor, ...],
    *,
    blocks: str = "auto",
) -> Imported:
    """The graph parts of ``module``; ``example_input`` is one batch it accepts.

    Raises GraphError naming the module and source line when the model cannot be traced
    (control flow that depends on tensor values), or the operation no node can express.
    """
    if blocks not in BLOCKS:
        raise ValueError(f"blocks must be one of {BLOCKS}, not {blocks!r}.")
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    opaque: set[str] = set()
    while True:
        traced = _trace(module, opaque, inputs)
        converter = _Converter(module, traced, opaque)
        try:
            graph = converter.convert()
            break
        except _Unsupported as unsupported:
            owner = _opaque_owner(module, unsupported.node, opaque)
            if owner is None:
                raise GraphError([Problem(None, unsupported.sentence(), _TRACE_HINT)]) from None
            opaque.add(owner)
    _drop_implied_params(graph)
    if blocks == "auto":
        _group_blocks(graph, converter.origins, traced, module)
    graph.metadata["title"] = type(module).__name__
    return graph


# --------------------------------------------------------------------------------- tracing


def _catalog_classes() -> dict[type, str]:
    """Module class -> op, for every catalog layer (built-in or registered)."""
    classes: dict[type, str] = {}
    for name in layers.names():
        spec = layers.get(name)
        assert spec is not None
        if spec.module_class is not None:
            classes[spec.module_class] = name
        elif spec.torch and spec.torch.startswith("nn.") and hasattr(nn, spec.torch[3:]):
            classes[getattr(nn, spec.torch[3:])] = name
    return classes


class _Tracer(fx.Tracer):
    """Stops at catalog layers and chosen opaque modules; traces into everything else."""

    def __init__(self, leaves: dict[type, str], opaque: set[str]):
        super().__init__()
        self.leaves = leaves
        self.opaque = opaque

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if isinstance(m, _CONTAINERS):
            return False
        return (
            type(m) in self.leaves
            or module_qualified_name in self.opaque
            or isinstance(m, nn.TransformerEncoder)  # read as its stacked layers
        )


@dataclass
class _Traced:
    module: fx.GraphModule
    classes: dict[type, str]


def _trace(module: nn.Module, opaque: set[str], inputs: tuple[torch.Tensor, ...]) -> _Traced:
    classes = _catalog_classes()
    tracer = _Tracer(classes, opaque)
    try:
        graph = tracer.trace(module)
    except Exception as error:  # fx raises several types; each becomes one sentence
        raise GraphError([Problem(None, _trace_failure(module, error), _TRACE_HINT)]) from None
    traced = fx.GraphModule(tracer.root, graph, type(module).__name__)
    # Shapes as in evaluation (a batch of one must pass BatchNorm); the modes come back after.
    modes = [(m, m.training) for m in module.modules()]
    try:
        traced.eval()
        # Fake tensors: every shape of one run, without computing a single convolution.
        with torch.no_grad(), FakeTensorMode(allow_non_fake_inputs=True) as fake:
            ShapeProp(traced, fake_mode=fake).propagate(*[fake.from_tensor(x) for x in inputs])
    except Exception as error:
        cause = error.__cause__ or error  # ShapeProp wraps what the layer raised
        reason = str(cause).splitlines()[0] if str(cause) else ""
        raise GraphError(
            [
                Problem(
                    None,
                    f"The model fails on the example input: {type(cause).__name__}: {reason}",
                    "Pass one batch the model accepts, e.g. torch.randn(1, 3, 224, 224).",
                )
            ]
        ) from None
    finally:
        for submodule, training in modes:
            submodule.training = training
    return _Traced(traced, classes)


def _trace_failure(module: nn.Module, error: Exception) -> str:
    """Which module's forward, at which line, could not be traced, and why."""
    paths = {id(m): name for name, m in module.named_modules()}
    where = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        owner = frame.f_locals.get("self")
        if (
            isinstance(owner, nn.Module)
            and id(owner) in paths
            and "forward" in frame.f_code.co_name
        ):
            where = (owner, paths[id(owner)], frame.f_code.co_filename, line)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "'len' is not supported" in reason:
        reason = "it calls len() on a tensor, which tracing cannot follow (write x.size(0))"
    elif "control flow" in reason or "iterated" in reason:
        reason = (
            "its forward branches or loops on the values of a tensor, which tracing cannot "
            f"follow ({reason})"
        )
    if where is None:
        return f"{type(module).__name__} cannot be traced: {reason}."
    owner, path, filename, line = where
    code = linecache.getline(filename, line).strip()
    name = f"{type(owner).__name__} ({path or 'the model itself'})"
    return f"{name} cannot be traced: {reason}, at {filename}:{line}: {code}"


# ------------------------------------------------------------------------------ conversion


class _Unsupported(Exception):
    def __init__(self, node: fx.Node, reason: str):
        super().__init__(reason)
        self.node = node
        self.reason = reason

    def sentence(self) -> str:
        trace = self.node.meta.get("stack_trace") or ""
        last = [line.strip() for line in trace.strip().splitlines() if line.strip()]
        where = f" ({last[-2]}: {last[-1]})" if len(last) >= 2 else ""
        return f"No node can express {self.reason}{where}."


def _is_tensor(node: Any) -> bool:
    return isinstance(node, fx.Node) and "tensor_meta" in node.meta and _shape(node) is not None


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(shape) if shape is not None else None


def _tuple_output(node: fx.Node) -> bool:
    meta = node.meta.get("tensor_meta")  # TensorMetadata is a NamedTuple: has a shape
    return isinstance(meta, tuple | list) and not hasattr(meta, "shape")


_ACTIVATIONS: dict[Any, str] = {
    F.relu: "ReLU",
    torch.relu: "ReLU",
    F.relu6: "ReLU6",
    F.gelu: "GELU",
    F.silu: "SiLU",
    torch.sigmoid: "Sigmoid",
    F.sigmoid: "Sigmoid",
    torch.tanh: "Tanh",
    F.tanh: "Tanh",
    F.elu: "ELU",
    F.leaky_relu: "LeakyReLU",
    F.hardswish: "Hardswish",
    F.hardsigmoid: "Hardsigmoid",
    F.hardtanh: "Hardtanh",
    F.mish: "Mish",
    F.softplus: "Softplus",
    F.selu: "SELU",
    F.softmax: "Softmax",
    torch.softmax: "Softmax",
    F.log_softmax: "LogSoftmax",
    torch.log_softmax: "LogSoftmax",
    F.dropout: "Dropout",
    F.dropout2d: "Dropout2d",
    F.max_pool1d: "MaxPool1d",
    F.max_pool2d: "MaxPool2d",
    F.avg_pool2d: "AvgPool2d",
    F.adaptive_avg_pool2d: "AdaptiveAvgPool2d",
    F.adaptive_avg_pool1d: "AdaptiveAvgPool1d",
    F.adaptive_max_pool2d: "AdaptiveMaxPool2d",
    torch.flatten: "Flatten",
}
"""Functions that do what one catalog layer does; their keyword arguments are its params."""

_METHOD_ACTIVATIONS = {
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
    "flatten": "Flatten",
}
_IGNORED_ARGUMENTS = {"input", "self", "training", "_stacklevel", "dtype", "return_indices"}
_ADD = {operator.add, operator.iadd, torch.add}
_MUL = {operator.mul, operator.imul, torch.mul}
_MATMUL = {operator.matmul, torch.matmul, torch.bmm}
_CAT = {torch.cat, torch.concat, torch.concatenate}
_PARTS = {torch.chunk: "chunk", torch.split: "split", torch.tensor_split: "tensor_split"}
_RESHAPE_FUNCTIONS = {torch.reshape, torch.squeeze, torch.unsqueeze}
_RESHAPE_METHODS = {"view", "reshape", "squeeze", "unsqueeze"}
_ALIAS_METHODS = {"contiguous"}


@dataclass
class _Made:
    """What one fx node became: a graph node, an alias of another value, or a tuple."""

    node_id: str | None = None
    items: list[_Made] = field(default_factory=list)
    parts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """For ``x.chunk()``/``x.split()``: each part's input and Index parameters, made when used."""


class _Converter:
    def __init__(self, root: nn.Module, traced: _Traced, opaque: set[str]):
        self.root = root
        self.traced = traced
        self.opaque = opaque
        self.graph = Imported()
        self.made: dict[fx.Node, _Made] = {}
        self.uses: Counter[str] = Counter()
        self.origins: dict[str, fx.Node] = {}
        """The fx node each graph node came from (its place in the module tree)."""

    def convert(self) -> Imported:
        for node in self.traced.module.graph.nodes:
            made = self._convert(node)
            if made is not None:
                self.made[node] = made
        _fold_last_steps(self.graph)
        return self.graph

    # -- helpers ----------------------------------------------------------------------------

    def _new_id(self, base: str) -> str:
        self.uses[base] += 1
        count = self.uses[base]
        return base if count == 1 else f"{base}:{count}"

    def _value(self, node: fx.Node, arg: Any) -> str:
        made = self.made.get(arg) if isinstance(arg, fx.Node) else None
        if made is None or made.node_id is None:
            raise _Unsupported(node, f"{_describe(node)} with the argument {arg!r}")
        return made.node_id

    def _add(self, fx_node: fx.Node, op: str, params: dict[str, Any], sources: list[str]) -> _Made:
        spec = layers.get(op)
        if spec is None:
            raise _Unsupported(fx_node, f"{_describe(fx_node)} (the catalog has no {op})")
        base = str(fx_node.target) if fx_node.op in ("call_module", "get_attr") else fx_node.name
        node_id = self._new_id(base)
        checked = {}
        for name, value in params.items():
            param = spec.param(name)
            if param is None:
                raise _Unsupported(fx_node, f"{_describe(fx_node)} with {name}={value!r}")
            try:
                checked[name] = _json(param.check(_uniform(param, value)))
            except ValueError as error:
                raise _Unsupported(fx_node, f"{_describe(fx_node)}: {error}") from None
        self.graph.nodes.append(Node(node_id, op, checked, frozen=self._frozen(fx_node)))
        self.origins[node_id] = fx_node
        for port, source in enumerate(sources):
            self.graph.edges.append(Edge(source, node_id, port))
        return _Made(node_id)

    def _frozen(self, fx_node: fx.Node) -> bool:
        """A module or Parameter whose weights do not learn (``requires_grad_(False)``)."""
        if fx_node.op == "call_module":
            weights = list(self.traced.module.get_submodule(str(fx_node.target)).parameters())
        elif fx_node.op == "get_attr":
            weights = [self.traced.module.get_parameter(str(fx_node.target))]
        else:
            return False
        return bool(weights) and not any(w.requires_grad for w in weights)

    # -- one fx node ---------------------------------------------------------------------------

    def _convert(self, node: fx.Node) -> _Made | None:
        if node.op == "placeholder":
            return self._input(node)
        if node.op == "output":
            self._outputs(node)
            return None
        if not node.users:  # computed and never used, like the `_` of `x, _ = attention(...)`
            return None
        if node.op == "get_attr":
            return self._parameter(node)
        if not _is_tensor(node) and not _tuple_output(node):
            # A size (x.shape, x.size(0), ...), read by the node that uses it, or an assertion.
            return None
        if node.op == "call_module":
            return self._module(node)
        if node.op == "call_function":
            return self._function(node)
        return self._method(node)

    def _parameter(self, node: fx.Node) -> _Made:
        """A learned tensor of the model's own (``self.class_token``)."""
        path = str(node.target)
        owner, _, name = path.rpartition(".")
        tensor = getattr(self.root.get_submodule(owner), name, None) if owner else None
        tensor = tensor if owner else getattr(self.root, name, None)
        if not isinstance(tensor, nn.Parameter):
            raise _Unsupported(node, f"the tensor attribute {path!r}, which is not learned")
        made = self._add(node, "Parameter", {"shape": list(tensor.shape)}, [])
        assert made.node_id is not None
        self.graph.node(made.node_id).label = name
        return made

    def _expand(self, node: fx.Node) -> _Made:
        """``token.expand(n, -1, -1)`` with ``n`` the batch size of some tensor ``x``."""
        tensor, *sizes = node.args
        before, after = _shape(tensor), _shape(node)  # type: ignore[arg-type]
        assert before is not None and after is not None
        batch = _tensor_behind(sizes[0]) if sizes else None
        if batch is None or before[0] != 1 or after[1:] != before[1:]:
            raise _Unsupported(node, f"{_describe(node)} other than over the batch")
        sources = [self._value(node, tensor), self._value(node, batch)]
        return self._add(node, "Expand", {}, sources)

    def _input(self, node: fx.Node) -> _Made:
        shape = _shape(node)
        if shape is None:
            raise _Unsupported(node, f"the input {node.name!r}, which is not a tensor")
        dtype = node.meta["tensor_meta"].dtype
        params: dict[str, Any] = {"shape": list(shape[1:])}
        if not dtype.is_floating_point:
            params["dtype"] = "long"
        return self._add(node, "Input", params, [])

    def _outputs(self, node: fx.Node) -> None:
        results = node.args[0]
        values = list(results) if isinstance(results, tuple | list) else [results]
        for value in values:
            source = self._value(node, value)
            node_id = self._new_id("output")
            self.graph.nodes.append(Node(node_id, "Output", {}))
            self.graph.edges.append(Edge(source, node_id, 0))

    def _module(self, node: fx.Node) -> _Made:
        module = self.traced.module.get_submodule(str(node.target))
        tensors = [a for a in node.args if isinstance(a, fx.Node)]
        if isinstance(module, nn.TransformerEncoder) and str(node.target) not in self.opaque:
            return self._encoder_stack(node, module)
        if str(node.target) in self.opaque or type(module) not in self.traced.classes:
            return self._opaque(node, module)
        op = self.traced.classes[type(module)]
        spec = layers.get(op)
        assert spec is not None
        params = _read_params(node, spec, module)
        if spec.emit == "attention":
            self._check_self_attention(node)
            tensors = tensors[:1]
        elif node.kwargs or len(tensors) > spec.inputs and not spec.variadic:
            raise _Unsupported(node, f"{_describe(node)} called with more than its input")
        made = self._add(node, op, params, [self._value(node, t) for t in tensors])
        if _tuple_output(node):  # (output, hidden state) or (output, attention weights)
            return _Made(None, [made])
        return made

    def _check_self_attention(self, node: fx.Node) -> None:
        query, key, value = (list(node.args) + [None] * 3)[:3]
        extra = {k: v for k, v in node.kwargs.items() if k != "need_weights"}
        if not (query is key is value) or extra:
            raise _Unsupported(node, f"{_describe(node)} other than self-attention x, x, x")

    def _encoder_stack(self, node: fx.Node, stack: nn.TransformerEncoder) -> _Made:
        if len(node.args) > 1 or node.kwargs:
            raise _Unsupported(node, f"{_describe(node)} with a mask")
        spec = layers.get("TransformerEncoderLayer")
        assert spec is not None
        source = self._value(node, node.args[0])
        for index, layer in enumerate(stack.layers):
            params = _read_params(node, spec, layer)
            node_id = self._new_id(f"{node.target}.layers.{index}")
            self.graph.nodes.append(Node(node_id, "TransformerEncoderLayer", _json(params)))
            self.origins[node_id] = node
            self.graph.edges.append(Edge(source, node_id, 0))
            source = node_id
        if stack.norm is not None:
            norm_spec = layers.get("LayerNorm")
            assert norm_spec is not None
            params = _read_params(node, norm_spec, stack.norm)
            node_id = self._new_id(f"{node.target}.norm")
            self.graph.nodes.append(Node(node_id, "LayerNorm", _json(params)))
            self.origins[node_id] = node
            self.graph.edges.append(Edge(source, node_id, 0))
            source = node_id
        return _Made(source)

    def _opaque(self, node: fx.Node, module: nn.Module) -> _Made:
        spec = opaque_layer(module)
        assert spec is not None  # chosen as opaque only when it can be rebuilt
        args = _constructor_args(module) or {}
        tensors = [self._value(node, a) for a in node.args if isinstance(a, fx.Node)]
        if node.kwargs or len(tensors) != len(node.args):
            raise _Unsupported(node, f"{_describe(node)} called with other than tensors")
        return self._add(node, spec.name, args, tensors)

    def _function(self, node: fx.Node) -> _Made:
        target = node.target
        if target in _ACTIVATIONS:
            return self._layer_call(node, _ACTIVATIONS[target], _keywords(node))
        if target in _ADD or target in _MUL:
            return self._binary(node, "Add" if target in _ADD else "Multiply")
        if target in _MATMUL:
            return self._binary(node, "MatMul")
        if target in _CAT:
            return self._concat(node)
        if target is operator.getitem:
            return self._getitem(node)
        if target in _PARTS:
            return self._parts(node)
        if target in _RESHAPE_FUNCTIONS:
            return self._reshape(node)
        if target in (torch.permute, torch.transpose, torch.mean):
            return self._method_like(node, target.__name__, node.args[1:], node.kwargs)
        raise _Unsupported(node, _describe(node))

    def _method(self, node: fx.Node) -> _Made:
        name = str(node.target)
        rest, kwargs = node.args[1:], node.kwargs
        if name in _ALIAS_METHODS:
            return _Made(self._value(node, node.args[0]))
        if name in _METHOD_ACTIVATIONS:
            params = dict(kwargs)
            if rest:
                params[_FIRST_ARGUMENT.get(name, "dim")] = rest[0]
            return self._layer_call(node, _METHOD_ACTIVATIONS[name], params, positional=False)
        if name in ("add", "add_", "mul", "mul_"):
            return self._binary(node, "Add" if name.startswith("add") else "Multiply")
        if name in ("matmul", "bmm"):
            return self._binary(node, "MatMul")
        if name in _RESHAPE_METHODS:
            return self._reshape(node)
        if name in ("permute", "transpose", "mean"):
            return self._method_like(node, name, rest, kwargs)
        if name == "expand":
            return self._expand(node)
        if name in _PARTS.values():
            return self._parts(node)
        raise _Unsupported(node, _describe(node))

    def _layer_call(
        self, node: fx.Node, op: str, kwargs: dict[str, Any], positional: bool = True
    ) -> _Made:
        spec = layers.get(op)
        if spec is None:
            raise _Unsupported(node, f"{_describe(node)} (the catalog has no {op})")
        names = {param.name for param in spec.params}
        cls = getattr(nn, spec.torch[3:]) if spec.torch and spec.torch.startswith("nn.") else None
        params = {}
        for name, value in kwargs.items():
            if name in _IGNORED_ARGUMENTS or (name == "inplace" and name not in names):
                continue
            if name not in names and (value is None or _is_default(cls, name, value)):
                continue
            if name not in names:
                raise _Unsupported(node, f"{_describe(node)} with {name}={value!r}")
            params[name] = value
        if op == "Flatten":
            params.setdefault("start_dim", 0)
        return self._add(node, op, params, [self._value(node, node.args[0])])

    def _binary(self, node: fx.Node, op: str) -> _Made:
        operands = [a for a in (*node.args, *node.kwargs.values()) if a is not None]
        if node.kwargs.get("alpha", 1) != 1 or len(operands) != 2:
            raise _Unsupported(node, _describe(node))
        if not all(_is_tensor(a) for a in operands):
            raise _Unsupported(node, f"{_describe(node)} with a number (only tensors)")
        return self._add(node, op, {}, [self._value(node, a) for a in operands])

    def _concat(self, node: fx.Node) -> _Made:
        kwargs = _keywords(node)
        tensors = kwargs.get("tensors", node.args[0] if node.args else ())
        dim = kwargs.get("dim", 0)
        sources = [self._value(node, t) for t in tensors or ()]
        if len(sources) == 1:  # torch.cat([x]) is x
            return _Made(sources[0])
        return self._add(node, "Concat", {"inputs": len(sources), "dim": dim}, sources)

    def _getitem(self, node: fx.Node) -> _Made:
        source, item = node.args
        assert isinstance(source, fx.Node)
        made = self.made.get(source)
        if made is not None and made.parts and isinstance(item, int):
            whole, params = made.parts[item]
            return self._add(node, "Index", params, [whole])
        if made is not None and made.items:  # a layer's (output, state): only output is kept
            if item == 0:
                return made.items[0]
            raise _Unsupported(node, f"{_describe(source)}'s extra output [{item}]")
        return self._index(node, source, item)

    def _parts(self, node: fx.Node) -> _Made:
        """``x.chunk(2, dim=1)``, ``torch.split(x, 8, 1)``: each part used becomes an Index range
        of the input, so the graph keeps one output per node."""
        source = node.args[0]
        assert isinstance(source, fx.Node)
        rank = len(_shape(source) or ())
        dim = node.kwargs.get("dim", node.args[2] if len(node.args) > 2 else 0)
        dim = dim + rank if isinstance(dim, int) and dim < 0 else dim
        metas = node.meta.get("tensor_meta")
        if not isinstance(dim, int) or dim == 0 or not _tuple_output(node) or not metas:
            raise _Unsupported(node, f"{_describe(node)} along the batch dimension")
        whole, parts, start = self._value(node, source), [], 0
        for meta in metas:
            stop = start + int(meta.shape[dim])
            params = {"dim": dim, "index": None, "start": start, "stop": stop, "step": 1}
            parts.append((whole, params))
            start = stop
        return _Made(parts=parts)

    def _index(self, node: fx.Node, source: fx.Node, item: Any) -> _Made:
        """``x[:, 0]``, ``x[:, 1:3]``, ``x[..., :8]``: one Index node per indexed dimension."""
        items = list(item) if isinstance(item, tuple) else [item]
        if items.count(Ellipsis) > 1 or any(i is None or isinstance(i, fx.Node) for i in items):
            raise _Unsupported(node, f"the indexing [{item!r}]")
        split = items.index(Ellipsis) if Ellipsis in items else len(items)
        head, tail = items[:split], items[split + 1 :]
        if head and head[0] != slice(None) or not head and Ellipsis not in items:
            raise _Unsupported(node, f"indexing [{item!r}] that picks samples of the batch")
        made = _Made(self._value(node, source))
        removed = 0
        for position, entry in enumerate(head):
            made, gone = self._index_one(node, made, position - removed, entry, item)
            removed += gone
        kept = 0
        for entry in reversed(tail):  # from the last dimension, counted from the end
            made, gone = self._index_one(node, made, -1 - kept, entry, item)
            kept += 1 - gone
        return made

    def _index_one(
        self, node: fx.Node, made: _Made, dim: int, entry: Any, item: Any
    ) -> tuple[_Made, int]:
        """The Index node for one entry, and 1 when it removes its dimension."""
        if entry == slice(None):
            return made, 0
        assert made.node_id is not None
        if isinstance(entry, int) and not isinstance(entry, bool):
            return self._add(node, "Index", {"dim": dim, "index": entry}, [made.node_id]), 1
        bounds = (entry.start, entry.stop, entry.step) if isinstance(entry, slice) else (0.5,)
        if not all(isinstance(v, int | None) and not isinstance(v, bool) for v in bounds):
            raise _Unsupported(node, f"the indexing [{item!r}]")
        params = {"dim": dim, "index": None, "start": entry.start, "stop": entry.stop}
        params["step"] = entry.step or 1
        return self._add(node, "Index", params, [made.node_id]), 0

    def _reshape(self, node: fx.Node) -> _Made:
        source = node.args[0]
        assert isinstance(source, fx.Node)
        before, after = _shape(source), _shape(node)
        assert before is not None and after is not None
        if not after or after[0] != before[0]:
            raise _Unsupported(node, f"{_describe(node)} across the batch dimension")
        return self._add(node, "Reshape", {"shape": list(after[1:])}, [self._value(node, source)])

    def _method_like(
        self, node: fx.Node, name: str, rest: Iterable[Any], kwargs: dict[str, Any]
    ) -> _Made:
        args = list(rest)
        source = self._value(node, node.args[0])
        params: dict[str, Any]
        if name == "permute":
            dims = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args
            params = {"dims": list(kwargs.get("dims", dims))}
            return self._add(node, "Permute", params, [source])
        if name == "transpose":
            first, second = (args + [kwargs.get("dim0"), kwargs.get("dim1")])[:2]
            return self._add(node, "Transpose", {"dim0": first, "dim1": second}, [source])
        dim = kwargs.get("dim", args[0] if args else None)
        keepdim = kwargs.get("keepdim", args[1] if len(args) > 1 else False)
        if dim is None:
            raise _Unsupported(node, f"{_describe(node)} over every dimension (the batch too)")
        dims = list(dim) if isinstance(dim, list | tuple) else [dim]
        return self._add(node, "Mean", {"dim": dims, "keepdim": keepdim}, [source])


_FIRST_ARGUMENT = {"flatten": "start_dim"}


def _is_default(cls: type | None, name: str, value: Any) -> bool:
    """Whether ``value`` is what the layer's constructor uses anyway for ``name``."""
    if cls is None:
        return False
    parameter = inspect.signature(cls).parameters.get(name)
    return parameter is not None and parameter.default == value


def _tensor_behind(size: Any) -> fx.Node | None:
    """The tensor a size was read from (``x.shape[0]``, ``x.size(0)``), if it is one."""
    seen = [size]
    while seen:
        item = seen.pop()
        if not isinstance(item, fx.Node):
            continue
        if _is_tensor(item):
            return item
        seen.extend(a for a in item.args if isinstance(a, fx.Node))
    return None


def _keywords(node: fx.Node) -> dict[str, Any]:
    """A function call's arguments by name (``F.relu(x, True)`` -> ``{"inplace": True}``)."""
    from torch.fx.operator_schemas import normalize_function

    normalized = normalize_function(
        node.target,  # type: ignore[arg-type]
        tuple(node.args),
        dict(node.kwargs),
        normalize_to_only_use_kwargs=True,
    )
    if normalized is None:
        try:
            signature = inspect.signature(node.target)  # type: ignore[arg-type]
            bound = signature.bind(*node.args, **node.kwargs)
        except (TypeError, ValueError):
            raise _Unsupported(node, _describe(node)) from None
        return dict(bound.arguments)
    return dict(normalized.kwargs)


def _describe(node: fx.Node) -> str:
    if node.op == "call_method":
        return f"the tensor method .{node.target}()"
    if node.op == "call_module":
        return f"the module {node.target!r}"
    target = node.target
    name = getattr(target, "__name__", str(target))
    module = getattr(target, "__module__", None) or ""
    if module == "_operator":
        return f"the operator {name}"
    return f"{module}.{name}()" if module else f"{name}()"


def _uniform(param: Param, value: Any) -> Any:
    """``(5, 5)`` -> ``5`` where one number means the same, as people write ``Conv2d(3, 6, 5)``."""
    uniform = isinstance(value, tuple | list) and len(set(value)) == 1 and param.length
    return value[0] if uniform and param.type in ("ints", "int_or_choice") else value


def _json(value: Any) -> Any:
    """Checked values as JSON holds them (tuples become lists)."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_json(item) for item in value]
    return value


# ----------------------------------------------------------------- reading arguments back


# Modules are read as Any: these attributes are set in their __init__, unknown to the types.
_SPECIAL_READERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "MultiheadAttention": lambda m: {
        "embed_dim": m.embed_dim,
        "num_heads": m.num_heads,
        "dropout": m.dropout,
        "bias": m.in_proj_bias is not None,
    },
    "TransformerEncoderLayer": lambda m: _transformer_layer(m),
    "TransformerDecoderLayer": lambda m: {
        **_transformer_layer(m),
        "layer_norm_eps": m.norm1.eps,
    },
}


def _transformer_layer(m: Any) -> dict[str, Any]:
    """What torch's transformer layers keep of their arguments, read from their parts."""
    return {
        "d_model": m.self_attn.embed_dim,
        "nhead": m.self_attn.num_heads,
        "dim_feedforward": m.linear1.out_features,
        "dropout": m.dropout.p,
        "activation": _activation_name(m),
        "norm_first": m.norm_first,
        "bias": m.linear1.bias is not None,
    }


def _activation_name(layer: nn.Module) -> str:
    activation = layer.activation
    if activation is F.relu or isinstance(activation, nn.ReLU):
        return "relu"
    if activation is F.gelu or isinstance(activation, nn.GELU):
        return "gelu"
    return repr(activation)


def _read_params(node: fx.Node, spec: LayerSpec, module: nn.Module) -> dict[str, Any]:
    """The node's parameters read back from ``module``, checked by rebuilding it."""
    special = _SPECIAL_READERS.get(spec.name)
    if special is not None:
        params = special(module)
    else:
        params = {}
        for param in spec.params:
            if not param.torch_arg or not hasattr(module, param.name):
                continue
            params[param.name] = _plain_value(getattr(module, param.name), param)
    if spec.name in ("RNN", "LSTM", "GRU"):
        params["output"] = "sequence"
    stride = spec.param("stride")
    if (
        stride is not None
        and stride.default is None
        and params.get("stride") == params.get("kernel_size")
    ):
        del params["stride"]  # torch stores the default stride as the window size
    checked = {}
    for name, value in params.items():
        known = spec.param(name)
        assert known is not None
        try:
            checked[name] = known.check(value)
        except ValueError as error:
            raise _Unsupported(node, f"{_describe(node)}: {error}") from None
    difference = _rebuild_difference(spec, checked, module)
    if difference:
        raise _Unsupported(node, f"{type(module).__name__} {node.target!r} {difference}")
    return checked


def _plain_value(value: Any, param: Param) -> Any:
    if param.type == "bool" and (value is None or isinstance(value, torch.Tensor)):
        return value is not None  # e.g. bias: a Parameter or None
    if isinstance(value, torch.Size):
        return tuple(value)
    return value


def _rebuild_difference(spec: LayerSpec, params: dict[str, Any], module: nn.Module) -> str:
    """Why a module built from ``params`` would differ from ``module`` ('' when it would not)."""
    cls = type(module)
    keywords = {name: value for name, value in params.items() if _is_torch_arg(spec, name)}
    keywords.update(dict(spec.fixed))
    try:
        with torch.device("meta"):
            rebuilt = cls(**keywords)
    except (TypeError, ValueError, RuntimeError) as error:
        return f"cannot be rebuilt from {keywords} ({error})"
    return _module_difference(module, rebuilt)


def _is_torch_arg(spec: LayerSpec, name: str) -> bool:
    param = spec.param(name)
    return param is not None and param.torch_arg


def _module_difference(original: nn.Module, rebuilt: nn.Module) -> str:
    mine = {k: tuple(v.shape) for k, v in original.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()}
    if mine != theirs:
        return "has weights that a rebuilt layer would not have"
    if repr(original) != repr(rebuilt):
        return f"is {original!r}, but its node would build {rebuilt!r}"
    for name in _init_names(type(original)):
        a, b = getattr(original, name, None), getattr(rebuilt, name, None)
        if _simple(a) and _simple(b) and a != b:
            return f"uses {name}={a!r}, which its node does not offer"
    return ""


def _simple(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return all(_simple(item) for item in value)
    return value is None or isinstance(value, bool | int | float | str)


def _init_names(cls: type) -> list[str]:
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    skipped = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in parameters if p.name != "self" and p.kind not in skipped]


# ------------------------------------------------------------------------------ opaque nodes


def _constructor_args(module: nn.Module) -> dict[str, Any] | None:
    """The constructor arguments read back from ``module``'s attributes, or None when a
    required one cannot be read or the module built from them would differ."""
    cls = type(module)
    args: dict[str, Any] = {}
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return None
    for name, parameter in parameters.items():
        if name == "self" or parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        value = getattr(module, name, None) if hasattr(module, name) else None
        if isinstance(value, torch.Size):
            value = tuple(value)
        if _simple(value) and value is not None and _literal_ok(value):
            args[name] = value
        elif parameter.default is inspect.Parameter.empty:
            return None
    try:
        with torch.device("meta"):
            rebuilt = cls(**args)
    except Exception:  # a constructor may raise anything; then it cannot be rebuilt
        return None
    return None if _module_difference(module, rebuilt) else args


def _literal_ok(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, tuple | list):
        return all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return True


def _importable(cls: type) -> bool:
    if "<locals>" in cls.__qualname__ or "." in cls.__qualname__:
        return False
    module = sys.modules.get(cls.__module__)
    return module is not None and getattr(module, cls.__name__, None) is cls


def opaque_layer(module: nn.Module) -> LayerSpec | None:
    """The catalog entry that keeps ``module`` as one node, or None when it cannot be rebuilt
    from its attributes. Its class is registered as a custom layer named by its import path
    (``torchvision.ops.misc.Permute``); the generated code imports it from there."""
    cls = type(module)
    args = _constructor_args(module)
    if args is None or not _importable(cls):
        return None
    name = f"{cls.__module__}.{cls.__name__}"
    known = layers.get(name)
    if known is not None and known.module_class is not cls:
        return None
    params = []
    for key, value in args.items():
        param = param_for(key, value)
        earlier = known.param(key) if known is not None else None
        params.append(earlier if earlier is not None and earlier.type == param.type else param)
    if known is not None:
        params += [p for p in known.params if p.name not in args]
    return layers.register(cls, params=tuple(params), name=name, inputs=1)


def _opaque_owner(root: nn.Module, node: fx.Node, opaque: set[str]) -> str | None:
    """The innermost module around ``node`` that can stay one opaque node, if any."""
    stack = list(node.meta.get("nn_module_stack", {}).values())
    for path, _cls in reversed(stack):
        name = path if isinstance(path, str) else str(path)
        if not name or name in opaque:
            continue
        try:
            module = root.get_submodule(name)
        except AttributeError:
            continue
        if isinstance(module, _CONTAINERS):
            continue
        if opaque_layer(module) is not None:
            return name
    return None


# --------------------------------------------------------------------------------- tidying


def _fold_last_steps(graph: Imported) -> None:
    """``x, _ = lstm(x); x = x[:, -1]`` is the recurrent node's ``output="last"``."""
    by_id = {node.id: node for node in graph.nodes}
    for node in list(graph.nodes):
        if node.op != "Index" or node.params != {"dim": 1, "index": -1}:
            continue
        (edge,) = [e for e in graph.edges if e.target == node.id]
        source = by_id[edge.source]
        readers = [e for e in graph.edges if e.source == source.id]
        if source.op in ("RNN", "LSTM", "GRU") and len(readers) == 1:
            source.params["output"] = "last"
            graph.edges = [
                Edge(source.id, e.target, e.target_port) if e.source == node.id else e
                for e in graph.edges
                if e.target != node.id
            ]
            graph.nodes.remove(node)


def _drop_implied_params(graph: Imported) -> None:
    """Keep only what differs from the defaults or from what the shapes imply, as a person
    building the model in the editor would (``in_features`` is inferred, ``bias=True`` is
    implied), so the imported graph reads like one made by hand."""
    before = graph.analyze()
    if not before.ok:
        problems = "; ".join(p.message for p in before.problems[:3])
        raise GraphError(
            [Problem(None, f"The imported graph does not check: {problems}", _TRACE_HINT)]
        )
    for node in graph.nodes:
        spec = layers.get(node.op)
        if spec is None or spec.module_class is not None:
            continue
        for param in spec.params:
            if param.name in node.params and (
                param.inferred
                or param.default is None
                or _json(param.default) == node.params[param.name]
            ):
                del node.params[param.name]
    after = graph.analyze()
    for node in graph.nodes:
        wanted = before.params.get(node.id, {})
        got = after.params.get(node.id, {}) if after.ok else {}
        for name, value in wanted.items():
            if got.get(name) != value and _spec_params(node.op).get(name) is not None:
                node.params[name] = _json(value)


def _spec_params(op: str) -> dict[str, Param]:
    spec = layers.get(op)
    return {} if spec is None else {param.name: param for param in spec.params}


# ------------------------------------------------------------------------------------ blocks


def _group_blocks(
    graph: Imported, origins: dict[str, fx.Node], traced: _Traced, root: nn.Module
) -> None:
    """Each submodule whose class repeats (resnet's BasicBlock) becomes a named block."""
    owners = _block_owners(origins, traced, root)
    members: dict[str, list[str]] = {}
    classes: dict[str, type] = {}
    for node in graph.nodes:
        owner = owners.get(node.id)
        if owner is not None:
            members.setdefault(owner[0], []).append(node.id)
            classes[owner[0]] = owner[1]
    names: dict[str, str] = {}
    for path, ids in members.items():
        definition, entering, exit_id = _block_body(graph, path, ids)
        if definition is None:
            continue
        key = repr(definition.to_dict())
        name = names.get(key)
        if name is None:
            name = _block_name(classes[path].__name__, graph)
            names[key] = name
            definition.name = name
            graph.blocks[name] = definition
        _replace_by_block(graph, path, name, ids, entering, exit_id)


def _block_owners(
    origins: dict[str, fx.Node], traced: _Traced, root: nn.Module
) -> dict[str, tuple[str, type]]:
    """Node id -> (path, class) of the outermost repeated, non-catalog module around it."""
    counts: Counter[type] = Counter()
    for _name, module in root.named_modules():
        if not isinstance(module, _CONTAINERS) and type(module) not in traced.classes:
            counts[type(module)] += 1
    counts[type(root)] = 0
    owners: dict[str, tuple[str, type]] = {}
    for node_id, fx_node in origins.items():
        for path, cls in fx_node.meta.get("nn_module_stack", {}).values():
            generated = cls.__module__.startswith("dlstudio_generated_")
            if path and (counts[cls] >= 2 or generated) and not issubclass(cls, _NEVER_BLOCKS):
                if path != node_id:  # a node is not a block of its own
                    owners[node_id] = (path, cls)
                break
    return owners


def _block_body(
    graph: Imported, path: str, ids: list[str]
) -> tuple[BlockDefinition | None, list[str], str]:
    chosen = set(ids)
    if any(graph.node(i).op in ("Input", "Output") for i in chosen):
        return None, [], ""
    entering = [e for e in graph.edges if e.target in chosen and e.source not in chosen]
    leaving = [e for e in graph.edges if e.source in chosen and e.target not in chosen]
    exits = {e.source for e in leaving}
    if len(exits) != 1:
        return None, [], ""
    sources = list(dict.fromkeys(e.source for e in entering))
    local = _local_ids(path, ids)
    ports = [f"in{index + 1}" for index in range(len(sources))]
    local.update(zip(sources, ports, strict=True))
    nodes = [Node(port, "Input", {}) for port in ports]
    nodes += [
        Node(local[n.id], n.op, dict(n.params), n.label) for n in graph.nodes if n.id in chosen
    ]
    nodes.append(Node("out", "Output", {}))
    edges = [
        Edge(local[e.source], local[e.target], e.target_port)
        for e in graph.edges
        if e.target in chosen
    ]
    (exit_id,) = exits
    edges.append(Edge(local[exit_id], "out", 0))
    # In a canonical order: equal bodies must compare equal, whatever order tracing met them.
    edges.sort(key=lambda e: (e.target, e.target_port, e.source))
    return BlockDefinition("", nodes, edges), sources, exit_id


def _local_ids(path: str, ids: list[str]) -> dict[str, str]:
    """``layer1.0.conv1`` -> ``conv1`` inside the block at ``layer1.0``; functions keep their
    kind (``add``), numbered when repeated (``add:2``)."""
    taken = {"out"} | {f"in{i}" for i in range(1, len(ids) + 2)}
    local: dict[str, str] = {}
    for node_id in ids:
        if node_id.startswith(path + "."):
            name = node_id[len(path) + 1 :]
        else:
            name = re.sub(r"_\d+$", "", node_id.split(":")[0])
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name.split(':')[0]}:{number}"
        taken.add(candidate)
        local[node_id] = candidate
    return local


def _block_name(class_name: str, graph: Imported) -> str:
    """The source class's name (``BasicBlock``), numbered when its instances differ."""
    stem = re.sub(r"[^A-Za-z0-9]", "", class_name)[:36] or "Block"
    stem = stem[0].upper() + stem[1:] if stem[0].isalpha() else f"B{stem}"[:36]
    used = set(layers.names()) | set(graph.blocks)
    name, number = stem, 1
    while name in used:
        number += 1
        name = f"{stem}{number}" if not stem[-1].isdigit() else f"{stem}V{number}"
    assert BLOCK_NAME.match(name), name
    return name


def _replace_by_block(
    graph: Imported, path: str, name: str, ids: list[str], sources: list[str], exit_id: str
) -> None:
    chosen = set(ids)
    first = next(index for index, node in enumerate(graph.nodes) if node.id in chosen)
    kept = [node for node in graph.nodes if node.id not in chosen]
    kept.insert(first, Node(path, name, {}))
    graph.nodes = kept
    edges = [e for e in graph.edges if e.source not in chosen and e.target not in chosen]
    edges += [Edge(source, path, port) for port, source in enumerate(sources)]
    edges += [
        Edge(path, e.target, e.target_port)
        for e in graph.edges
        if e.source == exit_id and e.target not in chosen
    ]
    graph.edges = edges
