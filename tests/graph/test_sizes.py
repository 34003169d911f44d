"""Sizes dlstudio infers, the weights it counts, and the words it uses when a size is wrong.

Every case also goes through ``agreement.check``, so each count and shape is held against the
module torch builds.
"""

from __future__ import annotations

import pytest

from dlstudio import Graph, GraphError, layers
from tests.graph.agreement import check, check_with_parameter
from tests.graph.helpers import LAYER, PARAMETER, one_layer, with_parameter

# ----------------------------------------------------------------------------- weight counts

WEIGHTED = [
    # Every counting path by hand, whatever hypothesis happens to draw: op, params, shape.
    ("Linear", {"out_features": 7, "bias": False}, [5]),
    ("Linear", {"out_features": 7}, [3, 5]),
    ("Embedding", {"num_embeddings": 11, "embedding_dim": 4, "padding_idx": 0}, [6]),
    ("Conv1d", {"out_channels": 6, "kernel_size": 3, "groups": 3, "bias": False}, [3, 9]),
    ("Conv2d", {"out_channels": 4, "kernel_size": [3, 2], "groups": 2}, [6, 7, 7]),
    ("Conv3d", {"out_channels": 4, "kernel_size": [1, 3, 2], "groups": 2}, [6, 3, 4, 4]),
    ("ConvTranspose1d", {"out_channels": 6, "kernel_size": 3, "groups": 3}, [3, 5]),
    ("ConvTranspose2d", {"out_channels": 6, "kernel_size": 3, "groups": 2}, [4, 3, 3]),
    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": [2, 3], "bias": False}, [5, 3, 3]),
    ("ConvTranspose3d", {"out_channels": 2, "kernel_size": [2, 1, 3]}, [5, 2, 3, 3]),
    ("BatchNorm1d", {"affine": False}, [4, 6]),
    ("BatchNorm2d", {}, [5, 3, 3]),
    ("BatchNorm3d", {}, [5, 2, 3, 3]),
    ("InstanceNorm1d", {}, [4, 6]),
    ("InstanceNorm2d", {"affine": True}, [5, 3, 3]),
    ("InstanceNorm3d", {"affine": True, "track_running_stats": True}, [5, 2, 3, 3]),
    ("PReLU", {}, [4, 6]),
    ("PReLU", {"num_parameters": 4}, [4, 6]),
    ("LayerNorm", {"elementwise_affine": False}, [3, 6]),
    ("LayerNorm", {"normalized_shape": [3, 6]}, [3, 6]),
    ("GroupNorm", {"num_groups": 3, "affine": False}, [6, 2]),
    ("GroupNorm", {"num_groups": 3}, [6, 2, 2]),
    ("RNN", {"hidden_size": 5, "nonlinearity": "relu", "num_layers": 2}, [4, 3]),
    ("LSTM", {"hidden_size": 5, "num_layers": 3, "bidirectional": True, "bias": False}, [4, 3]),
    ("LSTM", {"hidden_size": 5, "bidirectional": True, "output": "last"}, [4, 3]),
    ("GRU", {"hidden_size": 6, "num_layers": 2, "dropout": 0.2}, [4, 3]),
    ("MultiheadAttention", {"num_heads": 3, "bias": False}, [5, 6]),
    ("MultiheadAttention", {"num_heads": 2}, [5, 6]),
    ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 16, "bias": False}, [5, 6]),
    (
        "TransformerEncoderLayer",
        {"nhead": 3, "dim_feedforward": 10, "activation": "gelu", "norm_first": True},
        [5, 6],
    ),
    ("TransformerDecoderLayer", {"nhead": 2, "dim_feedforward": 16, "bias": False}, [5, 6]),
    ("TransformerDecoderLayer", {"nhead": 3, "dim_feedforward": 10, "norm_first": True}, [5, 6]),
]


def _inputs(op: str, shape: list[int]) -> list[list[int]]:
    """The layer's input shapes: a decoder also reads a memory (here 4 positions long)."""
    return [shape, [4, *shape[1:]]] if op == "TransformerDecoderLayer" else [shape]


@pytest.mark.parametrize(("op", "params", "shape"), WEIGHTED)
def test_weight_count(op: str, params: dict, shape: list[int]) -> None:
    dtype = "long" if op == "Embedding" else "float"
    shapes = _inputs(op, shape)
    outcome = check(op, params, *shapes, dtype=dtype, high=params.get("num_embeddings", 5))
    assert outcome.accepted, outcome.problems
    # check() already compared the catalog's count with torch; the count is really exercised:
    assert outcome.weights == outcome.analysis.weights[LAYER]
    assert one_layer(op, params, *shapes, dtype=dtype).param_count() == outcome.weights


WEIGHTED_PARAMETERS = [
    # A Parameter has no input, so it is counted where it meets an Input in a layer
    # (helpers.with_parameter): that layer, the Parameter's shape, the Input's sample shape.
    ("Add", [1, 3, 4], [3, 4]),
    ("Add", 4, [4]),
    ("Multiply", [3, 1, 1], [3, 2, 2]),
    ("MatMul", [1, 4, 5], [3, 4]),
    ("MatMul", [4, 5], [3, 4]),
    ("Expand", [1, 2, 6], [3]),
]


@pytest.mark.parametrize(("op", "shape", "sample"), WEIGHTED_PARAMETERS)
def test_parameter_weight_count(op: str, shape: int | list[int], sample: list[int]) -> None:
    outcome = check_with_parameter(op, shape, sample)
    assert outcome.accepted, outcome.problems
    # check_with_parameter compared prod(shape) with torch; no other node has weights:
    assert outcome.weights == outcome.analysis.weights[PARAMETER] == outcome.analysis.param_count
    assert with_parameter(op, shape, sample).param_count() == outcome.weights


def test_weighted_layers_all_have_a_hand_picked_count() -> None:
    weighted = {name for name in layers.names() if layers.get(name).count is not None}
    assert weighted == {op for op, _, _ in WEIGHTED} | {"Parameter"}


# ---------------------------------------------------------------------------- inferred sizes

INFERRED = [
    # op, other params, sample shape, inferred parameter, its value for that input
    ("Linear", {"out_features": 3}, [4, 5], "in_features", 5),
    ("Conv1d", {"out_channels": 2}, [3, 8], "in_channels", 3),
    ("Conv2d", {"out_channels": 2}, [3, 8, 8], "in_channels", 3),
    ("Conv3d", {"out_channels": 2}, [3, 4, 4, 4], "in_channels", 3),
    ("ConvTranspose1d", {"out_channels": 2}, [3, 4], "in_channels", 3),
    ("ConvTranspose2d", {"out_channels": 2}, [3, 4, 4], "in_channels", 3),
    ("ConvTranspose3d", {"out_channels": 2}, [3, 2, 4, 4], "in_channels", 3),
    ("BatchNorm1d", {}, [4], "num_features", 4),
    ("BatchNorm1d", {}, [4, 7], "num_features", 4),
    ("BatchNorm2d", {}, [5, 3, 3], "num_features", 5),
    ("BatchNorm3d", {}, [5, 2, 3, 3], "num_features", 5),
    ("InstanceNorm1d", {"affine": True}, [4, 7], "num_features", 4),
    ("InstanceNorm2d", {"affine": True}, [5, 3, 3], "num_features", 5),
    ("InstanceNorm3d", {"affine": True}, [5, 2, 3, 3], "num_features", 5),
    ("LayerNorm", {}, [3, 6], "normalized_shape", 6),
    ("GroupNorm", {"num_groups": 2}, [6, 4, 4], "num_channels", 6),
    ("RNN", {"hidden_size": 4}, [7, 5], "input_size", 5),
    ("LSTM", {"hidden_size": 4}, [7, 5], "input_size", 5),
    ("GRU", {"hidden_size": 4}, [7, 5], "input_size", 5),
    ("MultiheadAttention", {"num_heads": 2}, [7, 8], "embed_dim", 8),
    ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 8}, [7, 8], "d_model", 8),
    ("TransformerDecoderLayer", {"nhead": 2, "dim_feedforward": 8}, [7, 8], "d_model", 8),
]


def test_inferred_sizes_cover_every_inferable_parameter() -> None:
    inferable = {
        (spec["name"], param["name"])
        for spec in layers.catalog()
        for param in spec["params"]
        if param["inferred"]
    }
    assert inferable == {(op, name) for op, _, _, name, _ in INFERRED}


@pytest.mark.parametrize(("op", "params", "shape", "name", "size"), INFERRED)
def test_inferred_size_fills_in(op: str, params: dict, shape: list[int], name: str, size: int):
    outcome = check(op, params, *_inputs(op, shape))
    assert outcome.accepted, outcome.problems
    assert outcome.analysis.params[LAYER][name] == size
    # Giving the right size is the same model.
    same = check(op, {**params, name: size}, *_inputs(op, shape))
    assert same.accepted and same.weights == outcome.weights


def _apply(fix: dict, graph_params: dict) -> dict:
    """Apply a Problem's fix to a node's params: None removes the parameter."""
    fixed = dict(graph_params)
    for name, value in fix["params"].items():
        if value is None:
            fixed.pop(name, None)
        else:
            fixed[name] = value
    return fixed


@pytest.mark.parametrize(("op", "params", "shape", "name", "size"), INFERRED)
def test_wrong_inferred_size_is_a_problem_with_a_fix(
    op: str, params: dict, shape: list[int], name: str, size: int
) -> None:
    wrong = size + 3
    outcome = check(op, {**params, name: wrong}, *_inputs(op, shape))
    (problem,) = outcome.problems
    assert problem.node_id == LAYER
    assert f"expects {wrong:,} " in problem.message
    assert f"but receives {size:,} " in problem.message
    assert problem.hint == f"Set {name} to {size} or leave it empty to infer it."
    assert problem.fix == {"node_id": LAYER, "params": {name: None}}
    fixed = _apply(problem.fix, {**params, name: wrong})
    assert check(op, fixed, *_inputs(op, shape)).accepted


def test_layer_norm_over_several_dimensions() -> None:
    outcome = check("LayerNorm", {"normalized_shape": [4, 6]}, [3, 4, 6])
    assert outcome.accepted and outcome.weights == 2 * 4 * 6
    (problem,) = check("LayerNorm", {"normalized_shape": [4, 5]}, [3, 4, 6]).problems
    assert "expects 4x5 features" in problem.message and "receives 4x6" in problem.message
    assert problem.hint == "Set normalized_shape to [4, 6] or leave it empty to infer it."
    assert problem.fix == {"node_id": LAYER, "params": {"normalized_shape": None}}


def _lenet_head(channels: int, in_features: int) -> dict:
    nodes = [
        {"id": "in", "op": "Input", "params": {"shape": [1, 28, 28]}},
        {"id": "conv", "op": "Conv2d", "params": {"out_channels": channels, "padding": 1}},
        {"id": "pool", "op": "MaxPool2d", "params": {"kernel_size": 4}},
        {"id": "flat", "op": "Flatten"},
        {"id": "fc1", "op": "Linear", "params": {"in_features": in_features, "out_features": 10}},
        {"id": "out", "op": "Output"},
    ]
    chain = [node["id"] for node in nodes]
    edges = [{"source": a, "target": b} for a, b in zip(chain, chain[1:], strict=False)]
    return {"version": 1, "nodes": nodes, "edges": edges}


def test_learner_message_for_a_wrong_in_features() -> None:
    # The example says "1,568 (16x7x7 ...)"; 16x7x7 is 784, so the channel count that
    # gives 1,568 (32) is used for the sentence word for word, and 16 channels give 784.
    graph = Graph.from_dict(_lenet_head(channels=32, in_features=400))
    with pytest.raises(GraphError) as caught:
        graph.validate()
    (problem,) = caught.value.problems
    assert str(problem) == (
        "Linear 'fc1' expects 400 input features but receives 1,568 (32x7x7 from Flatten "
        "'flat'). Set in_features to 1568 or leave it empty to infer it."
    )
    assert problem.node_id == "fc1"
    assert problem.fix == {"node_id": "fc1", "params": {"in_features": None}}
    (small_problem,) = Graph.from_dict(_lenet_head(16, 400)).analyze().problems
    assert small_problem.message == (
        "Linear 'fc1' expects 400 input features but receives 784 (16x7x7 from Flatten 'flat')."
    )
