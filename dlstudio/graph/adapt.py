"""Fit a graph (usually a template) to a data set: its Input shape and its output size.

The Studio calls this when the learner picks a data set or a template, so that LeNet-5 becomes a
model for 8x8 digits with 10 outputs instead of an error. What cannot be fitted stays as a problem
the builder shows on the node.
"""

from __future__ import annotations

from dlstudio.graph.document import Edge
from dlstudio.graph.graph import Graph

_SHAPE_KEEPING = {
    "ReLU", "LeakyReLU", "GELU", "SiLU", "ELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "Identity", "Output", "BatchNorm1d", "LayerNorm",
}  # fmt: skip
_MAX_REPAIRS = 32


def fit_to_data(
    graph: Graph, input_shape: tuple[int, ...], output_size: int, input_dtype: str = "float"
) -> Graph:
    """A copy of ``graph`` whose first Input and last layer fit the data.

    Sets the Input's shape and dtype, the size of the layer that feeds the Output, drops an
    Embedding when the data are not token ids, and pads convolutions or rounds pooling up where
    the new input is too small for them.

    Example:
        >>> from dlstudio.graph import examples
        >>> g = fit_to_data(examples.load("lenet5"), (1, 8, 8), 10)
        >>> g.infer_shapes()["output"]
        (None, 10)
    """
    fitted = graph.copy()
    inputs = [node for node in fitted.nodes if node.op == "Input"]
    if not inputs:
        return fitted
    first = inputs[0]
    first.params = {**first.params, "shape": list(input_shape), "dtype": input_dtype}
    if input_dtype == "float":
        _drop_embedding_after(fitted, first.id)
    _set_output_size(fitted, output_size)
    _repair_small_inputs(fitted)
    return fitted


def _drop_embedding_after(graph: Graph, input_id: str) -> None:
    for edge in list(graph.edges):
        if edge.source != input_id:
            continue
        node = graph.node(edge.target)
        if node.op != "Embedding":
            continue
        followers = [e for e in graph.edges if e.source == node.id]
        graph.remove(node.id)
        graph.edges += [Edge(input_id, e.target, e.target_port) for e in followers]


def _set_output_size(graph: Graph, size: int) -> None:
    outputs = [node for node in graph.nodes if node.op == "Output"]
    if not outputs:
        return
    current = outputs[0].id
    for _ in range(len(graph.nodes)):
        sources = [e.source for e in graph.edges if e.target == current]
        if len(sources) != 1:
            return
        node = graph.node(sources[0])
        if node.op == "Linear":
            node.params = {**node.params, "out_features": size}
            return
        if node.op in ("Conv1d", "Conv2d"):
            node.params = {**node.params, "out_channels": size}
            return
        if node.op not in _SHAPE_KEEPING:
            return
        current = node.id


def _repair_small_inputs(graph: Graph) -> None:
    """Pad convolutions / round pooling up, one failing node at a time."""
    for _ in range(_MAX_REPAIRS):
        problems = [p for p in graph.analyze().problems if "does not fit" in p.message]
        if not problems or problems[0].node_id is None:
            return
        node = graph.node(problems[0].node_id)
        if node.op.startswith("Conv") and node.params.get("stride", 1) == 1:
            if node.params.get("padding") == "same":
                return
            node.params = {**node.params, "padding": "same"}
        elif "Pool" in node.op and not node.params.get("ceil_mode"):
            node.params = {**node.params, "ceil_mode": True, "padding": 0}
        else:
            return
