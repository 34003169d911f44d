"""Random valid graphs for property tests: chains of catalog layers with branches and blocks.

The strategy tracks the running tensor's kind (image, vector, sequence, token ids) and only
draws layers that accept it, so nearly every drawn graph is valid; merges (Add, Multiply,
Concat), extra Outputs, stacks of identical encoder layers, decoder layers reading a second
Input, labels and named blocks are mixed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from dlstudio import Graph

ACTIVATIONS = ("ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "Identity")
MORE_ACTIVATIONS = (
    *("ReLU6", "Hardswish", "Hardsigmoid", "Mish", "SELU", "Softsign", "Tanhshrink", "Softplus"),
    *("Hardtanh", "CELU", "PReLU"),
)
# Labels a user might type, including ones that clash with Python or with each other.
LABELS = st.one_of(
    st.sampled_from(["x", "out", "self", "class", "forward", "fc", "conv1", "torch", "identity"]),
    st.text(min_size=1, max_size=80),
    st.just("a_very_long_label_that_someone_typed_in_the_editor_for_this_layer"),
)


@dataclass(frozen=True)
class Tensor:
    """The running value: the node that made it and the shape it has (without the batch)."""

    node: str
    kind: str
    """``image`` (C, H, W), ``vector`` (F,), ``sequence`` (L, F) or ``tokens`` (L,)."""
    shape: tuple[int, ...]


def _widths() -> st.SearchStrategy[int]:
    return st.sampled_from([4, 8, 12])


def _same_shape(draw: st.DrawFn, t: Tensor) -> tuple[str, dict[str, Any]]:
    """A layer that keeps the tensor's shape, for residual branches."""
    options: list[tuple[str, dict[str, Any]]] = [(op, {}) for op in ACTIVATIONS]
    if draw(st.integers(0, 3)) == 0:  # now and then, one of the rarer ones
        options = [(op, {}) for op in MORE_ACTIVATIONS]
        options += [("Hardtanh", {"min_val": -2.0, "max_val": 0.5, "inplace": True})]
        options += [("PReLU", {"num_parameters": t.shape[0], "init": 0.1})]
        options += [("Softplus", {"beta": 2.0, "threshold": 10.0}), ("CELU", {"alpha": 0.5})]
    if t.kind == "image":
        channels = t.shape[0]
        groups = next(g for g in (3, 2, 1) if channels % g == 0)
        options += [
            ("BatchNorm2d", {"eps": 1e-3, "momentum": 0.2, "affine": False}),
            ("Conv2d", {"out_channels": t.shape[0], "kernel_size": 3, "padding": 1}),
            ("Conv2d", _LONG_CONV | {"out_channels": t.shape[0]}),
            ("Dropout2d", {"p": 0.25}),
            ("LocalResponseNorm", {"size": 3, "alpha": 2e-4, "beta": 0.5, "k": 2.0}),
            ("ChannelShuffle", {"groups": groups}),
        ]
        if t.shape[1] > 1:  # one value per channel cannot be normalised per sample
            options += [("InstanceNorm2d", {"affine": True, "track_running_stats": True})]
    elif t.kind == "vector":
        options += [("Linear", {"out_features": t.shape[0]}), ("BatchNorm1d", {}), ("Dropout", {})]
        options += [("AlphaDropout", {"p": 0.1})]
    else:
        options += [("LayerNorm", {"eps": 1e-6}), ("Linear", {"out_features": t.shape[-1]})]
        options += [("MultiheadAttention", {"num_heads": 2}), ("TransformerEncoderLayer", _LONG)]
    return draw(st.sampled_from(options))


# Many arguments away from their defaults: constructors that must wrap to fit 100 columns.
_LONG_CONV = {
    "kernel_size": [3, 3],
    "padding": "same",
    "padding_mode": "replicate",
    "dilation": [1, 1],
    "bias": False,
}
_LONG = {
    "nhead": 2,
    "dim_feedforward": 16,
    "dropout": 0.25,
    "activation": "gelu",
    "norm_first": True,
    "bias": False,
}


def _layer(draw: st.DrawFn, t: Tensor) -> tuple[str, dict[str, Any], str, tuple[int, ...]]:
    """A layer for the tensor, with the kind and shape it produces."""
    if t.kind == "tokens":
        width = draw(_widths())
        params = {"num_embeddings": 50, "embedding_dim": width}
        return "Embedding", params, "sequence", (*t.shape, width)
    choice = draw(st.sampled_from(["same", "same", "resize", "reshape"]))
    if choice == "same":
        op, params = _same_shape(draw, t)
        return op, params, t.kind, t.shape
    if t.kind == "image":
        channels, size = draw(_widths()), t.shape[1]
        if choice == "resize":
            params = {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False}
            return "Conv2d", params, "image", (channels, size, size)
        if draw(st.booleans()):
            return _image_resize(draw, t)
        return "Flatten", {}, "vector", (t.shape[0] * size * size,)
    if t.kind == "vector":
        width = draw(_widths())
        return "Linear", {"out_features": width, "bias": draw(st.booleans())}, "vector", (width,)
    length, width = t.shape
    if choice == "resize":
        op = draw(st.sampled_from(["LSTM", "GRU", "RNN"]))
        hidden = draw(_widths())
        output = draw(st.sampled_from(["sequence", "last"]))
        shape = (length, hidden) if output == "sequence" else (hidden,)
        kind = "sequence" if output == "sequence" else "vector"
        return op, {"hidden_size": hidden, "output": output}, kind, shape
    return "Flatten", {}, "vector", (length * width,)


def _image_resize(draw: st.DrawFn, t: Tensor) -> tuple[str, dict[str, Any], str, tuple[int, ...]]:
    """Pooling, padding or a pixel shuffle: an image of another size."""
    channels, size = t.shape[0], t.shape[1]
    half, more = (channels, size // 2, size // 2), (channels, size + 2, size + 2)
    options: list[tuple[str, dict[str, Any], str, tuple[int, ...]]] = [
        ("ZeroPad2d", {"padding": 1}, "image", more),
        ("ConstantPad2d", {"padding": [1, 1, 1, 1], "value": 0.5}, "image", more),
        ("ReplicationPad2d", {"padding": 1}, "image", more),
        ("AdaptiveAvgPool2d", {"output_size": 2}, "image", (channels, 2, 2)),
        ("AdaptiveMaxPool2d", {"output_size": [2, 1]}, "image", (channels, 2, 1)),
    ]
    if size >= 2:
        options += [
            ("MaxPool2d", {"kernel_size": 2}, "image", half),
            ("AvgPool2d", {"kernel_size": 2, "count_include_pad": False}, "image", half),
            ("LPPool2d", {"norm_type": 2.0, "kernel_size": 2}, "image", half),
            ("ReflectionPad2d", {"padding": 1}, "image", more),
        ]
    if size % 2 == 0:
        options += [("PixelUnshuffle", {"downscale_factor": 2}, "image", (channels * 4, *half[1:]))]
    if channels % 4 == 0:
        doubled = (channels // 4, size * 2, size * 2)
        options += [("PixelShuffle", {"upscale_factor": 2}, "image", doubled)]
    return draw(st.sampled_from(options))


def _decoder(draw: st.DrawFn, graph: Graph, t: Tensor) -> Tensor:
    """A TransformerDecoderLayer: the running sequence attends to another Input (the memory)."""
    memory = graph.add("Input", shape=[draw(st.integers(1, 4)), t.shape[-1]])
    graph.node(memory).label = draw(LABELS)
    params = {"nhead": 2, "dim_feedforward": 16, "norm_first": draw(st.booleans())}
    if draw(st.booleans()):
        params |= {"dropout": 0.25, "activation": "gelu", "layer_norm_eps": 1e-6, "bias": False}
    decoder = graph.add("TransformerDecoderLayer", **params)
    graph.connect(t.node, decoder, 0)
    graph.connect(memory, decoder, 1)
    return replace(t, node=decoder)


def _encoder_stack(graph: Graph, t: Tensor, count: int, norm_first: bool) -> Tensor:
    params = {"nhead": 2, "dim_feedforward": 16, "norm_first": norm_first}
    node = t.node
    for _ in range(count):
        node = graph.add("TransformerEncoderLayer", after=node, **params)
    return replace(t, node=node)


def _branch(draw: st.DrawFn, graph: Graph, t: Tensor) -> list[str]:
    nodes = [t.node]
    for _ in range(draw(st.integers(1, 3))):
        op, params = _same_shape(draw, t)
        nodes.append(graph.add(op, after=nodes[-1], **params))
    return nodes[1:]


def _merge(draw: st.DrawFn, graph: Graph, t: Tensor, residuals: list[list[str]]) -> Tensor:
    """A residual Add, a gating Multiply or a Concat of the tensor and a branch from it."""
    op = draw(st.sampled_from(["Add", "Add", "Multiply", "Concat"]))
    branch = _branch(draw, graph, t)
    merged = graph.add(op)
    graph.connect(branch[-1], merged, 0)
    graph.connect(t.node, merged, 1)
    if op == "Add":
        residuals.append([*branch, merged])
    if op != "Concat":
        return replace(t, node=merged)
    graph.node(merged).params["dim"] = 1
    shape = (t.shape[0] * 2, *t.shape[1:])
    return Tensor(merged, t.kind, shape)


def _second_input(draw: st.DrawFn, graph: Graph, t: Tensor) -> Tensor:
    """Another Input of the same shape, added to the running tensor."""
    other = graph.add("Input", shape=list(t.shape))
    graph.node(other).label = draw(LABELS)
    merged = graph.add("Add")
    graph.connect(t.node, merged, 0)
    graph.connect(other, merged, 1)
    return replace(t, node=merged)


def _start(draw: st.DrawFn, graph: Graph) -> Tensor:
    kind = draw(st.sampled_from(["image", "vector", "sequence", "tokens"]))
    shape = {"image": (3, 4, 4), "vector": (6,), "sequence": (5, 8), "tokens": (5,)}[kind]
    dtype = "long" if kind == "tokens" else "float"
    node = graph.add("Input", shape=list(shape), dtype=dtype)
    return Tensor(node, kind, shape)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """A valid graph of up to about 30 nodes, sometimes with a named block used twice."""
    graph = Graph()
    residuals: list[list[str]] = []
    t = _start(draw, graph)
    for _ in range(draw(st.integers(1, 8))):
        action = draw(
            st.sampled_from(["layer", "layer", "layer", "merge", "output", "stack", "input"])
        )
        if action == "merge" and t.kind != "tokens":
            t = _merge(draw, graph, t, residuals)
        elif action == "input" and t.kind != "tokens":
            t = _second_input(draw, graph, t)
        elif action == "output" and t.kind != "tokens":
            graph.add("Output", after=t.node)
        elif action == "stack" and t.kind == "sequence":
            if draw(st.booleans()):
                t = _decoder(draw, graph, t)
            else:
                t = _encoder_stack(graph, t, draw(st.integers(2, 3)), draw(st.booleans()))
        else:
            op, params, kind, shape = _layer(draw, t)
            t = Tensor(graph.add(op, after=t.node, **params), kind, shape)
    if t.kind == "tokens":
        t = Tensor(graph.add("Embedding", after=t.node, num_embeddings=50), "sequence", (5, 64))
    graph.add("Output", after=t.node)
    for node in graph.nodes:
        if draw(st.integers(0, 2)) == 0:
            node.label = draw(LABELS)
    if residuals and draw(st.booleans()):
        graph.group(residuals[0], "Residual")
    return graph
