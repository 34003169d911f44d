"""Small graphs and a torch oracle shared by the graph tests.

``one_layer`` wraps a single op between Input and Output nodes; ``compare`` runs dlstudio's
analysis and a real torch forward pass over the same layer and reports both sides, so a test
can assert that they agree. A Parameter takes no input, so ``with_parameter`` and
``compare_with_parameter`` feed one into a layer beside an Input instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dlstudio import Graph, layers
from dlstudio.graph import codegen
from dlstudio.graph.analysis import Analysis
from dlstudio.graph.errors import Problem

BATCH = 2
LAYER = "layer"
PARAMETER = "param"

# Where each inferable size comes from in the input: the channel axis or the last axis.
_INFERRED_FROM = {
    "in_features": -1,
    "in_channels": 1,
    "num_features": 1,
    "num_channels": 1,
    "input_size": -1,
    "embed_dim": -1,
    "d_model": -1,
    "normalized_shape": -1,
}


def one_layer(
    op: str,
    params: dict[str, Any] | None = None,
    *shapes: list[int] | tuple[int, ...],
    dtype: str = "float",
    label: str | None = None,
) -> Graph:
    """Input(s) -> op(params) -> Output, one Input per shape (shapes without the batch).

    Example:
        >>> one_layer("Linear", {"out_features": 3}, [4]).infer_shapes()["layer"]
        (None, 3)
    """
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for port, shape in enumerate(shapes):
        nodes.append({"id": f"in{port}", "op": "Input", "params": {"shape": list(shape)}})
        if dtype != "float":
            nodes[-1]["params"]["dtype"] = dtype
        edges.append({"source": f"in{port}", "target": LAYER, "target_port": port})
    # A document holds JSON: tuples (as hypothesis draws them) become lists.
    json_params = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in (params or {}).items()
    }
    layer: dict[str, Any] = {"id": LAYER, "op": op, "params": json_params}
    if label is not None:
        layer["label"] = label
    nodes += [layer, {"id": "out", "op": "Output"}]
    edges.append({"source": LAYER, "target": "out"})
    return Graph.from_dict({"version": 1, "nodes": nodes, "edges": edges})


def random_inputs(
    shapes: tuple[tuple[int, ...], ...], dtype: str, high: int = 5
) -> list[torch.Tensor]:
    """Batch-2 tensors for the given sample shapes; long ids lie in [0, high)."""
    if dtype == "long":
        return [torch.randint(0, high, (BATCH, *shape)) for shape in shapes]
    return [torch.randn(BATCH, *shape) for shape in shapes]


def with_inferred_sizes(
    op: str, resolved: dict[str, Any], shapes: tuple[tuple[int, ...], ...]
) -> dict:
    """Resolved params with empty inferable sizes taken from the input, as a user would."""
    params = dict(resolved)
    for name, axis in _INFERRED_FROM.items():
        if name in params and params[name] is None:
            params[name] = (BATCH, *shapes[0])[axis]
    return params


def torch_module(op: str, params: dict[str, Any]) -> nn.Module:
    """The torch module dlstudio's code generator would write for these params.

    Test-only: the constructor string is dlstudio's own output over checked literals.
    """
    return eval(codegen.constructor(op, params), {"nn": nn})  # noqa: S307


def _index(params: dict[str, Any], xs: list[torch.Tensor]) -> torch.Tensor:
    x, dim = xs[0], params["dim"]
    if params["index"] is not None:
        return x.select(dim, params["index"])
    subscript = [slice(None)] * x.dim()
    subscript[dim] = slice(params["start"], params["stop"], params["step"])  # IndexError: dim
    return x[tuple(subscript)]


_TENSOR_OPS = {
    # The tensor operations of builtin_ops, as a user would write them in forward.
    # dim and dims as given: a number or a list (torch takes either).
    "mean": lambda p, xs: xs[0].mean(dim=p["dim"], keepdim=p["keepdim"]),
    "permute": lambda p, xs: xs[0].permute(p["dims"]),
    "transpose": lambda p, xs: xs[0].transpose(p["dim0"], p["dim1"]),
    "index": _index,
    "matmul": lambda p, xs: torch.matmul(xs[0], xs[1]),
    "expand": lambda p, xs: xs[0].expand(xs[1].shape[0], *xs[0].shape[1:]),
}


def torch_forward(op: str, params: dict[str, Any], xs: list[torch.Tensor]) -> torch.Tensor:
    """What torch does for one node: the oracle, written independently of the code generator."""
    spec = layers.get(op)
    assert spec is not None
    if spec.emit == "output":
        return xs[0]
    if spec.emit == "add":
        return sum(xs[1:], xs[0])
    if spec.emit == "multiply":
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
    if spec.emit == "concat":
        return torch.cat(xs, dim=params["dim"])
    if spec.emit == "reshape":
        return xs[0].reshape(xs[0].size(0), *params["shape"])
    if spec.emit in _TENSOR_OPS:
        return _TENSOR_OPS[spec.emit](params, xs)
    module = torch_module(op, params).train()
    if spec.emit == "recurrent":
        out, _ = module(xs[0])
        return out[:, -1] if params["output"] == "last" else out
    if spec.emit == "attention":
        return module(xs[0], xs[0], xs[0], need_weights=False)[0]
    return module(*xs)


@dataclass
class Outcome:
    """Both sides of one comparison."""

    analysis: Analysis
    problems: list[Problem]
    """Problems dlstudio reports (all of them; a one-layer graph has no others)."""
    torch_error: Exception | None
    out: torch.Tensor | None
    weights: int | None = None
    """Parameters of the module ``Graph.build()`` made (None when dlstudio refused)."""

    @property
    def accepted(self) -> bool:
        return not self.problems


def compare(
    op: str,
    params: dict[str, Any],
    *shapes: list[int] | tuple[int, ...],
    dtype: str = "float",
    high: int = 5,
) -> Outcome:
    """Analyse the one-layer graph, then run torch over the same layer and inputs.

    When dlstudio accepts the graph, torch runs the module ``Graph.build()`` makes from the
    generated source; otherwise it runs the oracle with the sizes a user would have inferred.
    """
    graph = one_layer(op, params, *shapes, dtype=dtype)
    sample_shapes = tuple(tuple(shape) for shape in shapes)
    xs = random_inputs(sample_shapes, dtype, high)

    def oracle(analysis: Analysis) -> torch.Tensor:
        resolved = with_inferred_sizes(op, analysis.params[LAYER], sample_shapes)
        return torch_forward(op, resolved, xs)

    return _run_both(graph, xs, oracle)


def with_parameter(
    op: str, shape: int | list[int], sample: list[int], dtype: str = "float"
) -> Graph:
    """Input ``in0`` and Parameter ``param`` -> op -> Output: a Parameter has no input port.

    The Parameter is op's second input (Add, Multiply, MatMul), or Expand's first (repeated over
    the Input's batch).

    Example:
        >>> with_parameter("Add", [1, 3], [3]).infer_shapes()["layer"]
        (None, 3)
    """
    ports = {"in0": 1, PARAMETER: 0} if op == "Expand" else {"in0": 0, PARAMETER: 1}
    nodes = [
        {"id": "in0", "op": "Input", "params": {"shape": list(sample), "dtype": dtype}},
        {"id": PARAMETER, "op": "Parameter", "params": {"shape": shape}},
        {"id": LAYER, "op": op},
        {"id": "out", "op": "Output"},
    ]
    edges = [{"source": s, "target": LAYER, "target_port": port} for s, port in ports.items()]
    edges.append({"source": LAYER, "target": "out"})
    return Graph.from_dict({"version": 1, "nodes": nodes, "edges": edges})


def compare_with_parameter(
    op: str, shape: int | list[int], sample: list[int], dtype: str = "float"
) -> Outcome:
    """``compare`` for ``with_parameter``'s graph; torch adds ``nn.Parameter(shape)`` itself."""
    graph = with_parameter(op, shape, sample, dtype)
    (x,) = random_inputs((tuple(sample),), dtype)
    learned = torch.randn(shape)
    operands = [learned, x] if op == "Expand" else [x, learned]
    return _run_both(graph, [x], lambda analysis: torch_forward(op, {}, operands))


def _run_both(
    graph: Graph, xs: list[torch.Tensor], oracle: Callable[[Analysis], torch.Tensor]
) -> Outcome:
    """Build and run the graph dlstudio accepts, or the oracle where dlstudio refuses."""
    analysis = graph.analyze()
    error: Exception | None = None
    out = None
    weights = None
    try:
        with torch.no_grad():
            if not analysis.problems:
                model = graph.build()
                weights = sum(p.numel() for p in model.parameters())
                out = model.train()(*xs)
                # Training and inference mode must agree on shape (BatchNorm, fast paths).
                assert model.eval()(*xs).shape == out.shape
            else:
                out = oracle(analysis)
    except (RuntimeError, ValueError, TypeError, IndexError, AssertionError) as caught:
        if not analysis.problems:
            raise
        error = caught
    return Outcome(analysis, list(analysis.problems), error, out, weights)


def flat_resnet() -> Graph:
    """The resnet_small example with its two ResBlocks ungrouped into plain layers.

    Example:
        >>> "block1_conv1" in {node.id for node in flat_resnet().nodes}
        True
    """
    from dlstudio.graph import examples

    graph = examples.load("resnet_small")
    for block in ("block1", "block2"):
        graph.ungroup(block)
    return graph


def module_weights(graph: Graph) -> int:
    """Trainable parameters of the built model, counted the way torch sees them."""
    return sum(p.numel() for p in graph.build().parameters())
