"""Fit a graph (usually a template) to a data set: its Input shape and its output size.

The Studio calls this when the learner picks a data set or a template, so that LeNet-5 becomes a
model for 8x8 digits with 10 outputs instead of an error. What cannot be fitted stays as a problem
the builder shows on the node.
"""

from __future__ import annotations

from dlstudio.graph.document import Edge, Node, free_id
from dlstudio.graph.graph import Graph

_SHAPE_KEEPING = {
    "ReLU", "LeakyReLU", "GELU", "SiLU", "ELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "Identity", "Output", "BatchNorm1d", "LayerNorm",
}  # fmt: skip
_MAX_REPAIRS = 32
_BACKBONE_CHANNELS = 3  # torchvision's pretrained networks take RGB images


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
        _map_channels_for_backbone(fitted, first.id, input_shape)
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


def _map_channels_for_backbone(graph: Graph, input_id: str, shape: tuple[int, ...]) -> None:
    """Put a 1x1 convolution between images of other than 3 channels (grey digits, say) and a
    pretrained backbone, which was trained on RGB: it learns how to colour them."""
    if len(shape) != 3 or shape[0] == _BACKBONE_CHANNELS:
        return
    for edge in list(graph.edges):
        if edge.source == input_id and graph.node(edge.target).op == "Pretrained":
            taken = {node.id for node in graph.nodes}
            to_rgb = graph.add(
                "Conv2d",
                id=free_id("to_rgb", taken),
                after=input_id,
                out_channels=_BACKBONE_CHANNELS,
                kernel_size=1,
            )
            graph.edges[graph.edges.index(edge)] = Edge(to_rgb, edge.target, edge.target_port)
            place = graph.node(input_id).position
            graph.node(to_rgb).position = dict(place) if place else None


def _set_output_size(graph: Graph, size: int) -> None:
    head = head_layer(graph)
    if head is not None:
        name = "out_features" if head.op == "Linear" else "out_channels"
        head.params = {**head.params, name: size}


def head_layer(graph: Graph) -> Node | None:
    """The layer that gives the scores: the last Linear (or Conv1d/Conv2d) before the Output,
    past layers that keep the shape (ReLU, Dropout, ...); None when there is no single one.

    Example:
        >>> from dlstudio.graph import examples
        >>> head_layer(examples.load("lenet5")).id
        'fc3'
    """
    outputs = [node for node in graph.nodes if node.op == "Output"]
    if not outputs:
        return None
    current = outputs[0].id
    for _ in range(len(graph.nodes)):
        sources = [e.source for e in graph.edges if e.target == current]
        if len(sources) != 1:
            return None
        node = graph.node(sources[0])
        if node.op in ("Linear", "Conv1d", "Conv2d"):
            return node
        if node.op not in _SHAPE_KEEPING:
            return None
        current = node.id
    return None


def freeze_all_but_head(graph: Graph) -> Graph:
    """A copy of ``graph`` that trains only its head: every other layer and block with weights
    is frozen.

    The classic transfer-learning set-up (Keras' ``base_model.trainable = False``).

    Example:
        >>> from dlstudio.graph import examples
        >>> g = freeze_all_but_head(examples.load("lenet5"))
        >>> sorted(node.id for node in g.nodes if node.frozen)
        ['conv1', 'conv2', 'fc1', 'fc2']
    """
    frozen = graph.copy()
    head, weights = head_layer(frozen), frozen.analyze().weights
    for node in frozen.nodes:
        node.frozen = node is not head and weights.get(node.id, 0) > 0
    return frozen


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
