"""Every layer's shape rule and weight count, held against a real PyTorch forward pass.

For each layer in the catalog, many parameter combinations and input shapes go through two
paths: dlstudio's analysis (plain arithmetic) and torch itself (the module ``Graph.build()``
makes from the generated code, or, where dlstudio refuses, the module a user would write).
They must agree:

1. dlstudio accepts -> torch runs, with the inferred output shape (batch None <-> 2), the same
   dtype class, and exactly the parameter count dlstudio computed without allocating weights;
2. torch raises -> dlstudio reports a problem on that node; dlstudio refusing what torch runs
   is a bug too, except the deliberate strictness listed in ``_deliberate``.
"""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio import layers
from tests.graph.helpers import BATCH, LAYER, Outcome, compare, one_layer, random_inputs

PROPERTY = settings(
    # A deeper hunt: DLSTUDIO_RULE_EXAMPLES=2000 pytest tests/graph/test_rules.py
    max_examples=int(os.environ.get("DLSTUDIO_RULE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

UNBATCHED_FORM = {
    "MaxPool1d": 3,
    "MaxPool2d": 4,
    "AvgPool2d": 4,
    "AdaptiveAvgPool2d": 4,
    "RNN": 3,
    "LSTM": 3,
    "GRU": 3,
    "MultiheadAttention": 3,
    "TransformerEncoderLayer": 3,
}
"""Layers torch also runs without a batch axis, and the batched rank dlstudio uses."""


def _deliberate(op: str, params: dict, shapes: tuple, dtype: str, outcome: Outcome) -> bool:
    """dlstudio refuses some graphs torch would run, on purpose; each case says why.

    Only a refusal whose every problem matches one of these counts as deliberate.
    """
    messages = [problem.message for problem in outcome.problems]

    def all_say(*phrases: str) -> bool:
        return all(any(phrase in message for phrase in phrases) for message in messages)

    # Folding, splitting or joining along the batch dimension gives a model whose output
    # depends on the batch size: torch allows it, training code never wants it.
    if op == "Flatten" and all_say("would fold the batch dimension"):
        return True
    if op == "Unflatten" and all_say("cannot split the batch dimension"):
        return True
    if op == "Concat" and all_say("cannot join along the batch dimension"):
        return True
    # Integer token ids only flow into layers that treat them as ids (Embedding) or move
    # them around unchanged; torch happily computes ReLU or a sum of ids, a learner's mistake.
    if dtype == "long" and all_say("needs floating-point input"):
        return True
    # Dropout2d on a non-image tensor: torch only warns and guesses which axis is channels.
    if op == "Dropout2d" and all_say("expects images shaped"):
        return True
    # torch's unbatched form (one dimension fewer than usual) treats the batch axis as channels
    # or time steps; every dlstudio tensor has a batch axis first, so that form is refused.
    batched = UNBATCHED_FORM.get(op)
    rank = len(shapes[0]) + 1
    if batched is not None and rank + 1 == batched and all_say(" but receives ("):
        return True
    # A declared size that disagrees with its input is refused even where torch never reads
    # it: GroupNorm without affine weights ignores num_channels, but the graph would lie.
    if op == "GroupNorm" and not params.get("affine", True) and all_say("expects"):
        return True
    # normalized_shape reaching into the batch axis: torch normalises across samples then.
    if op == "LayerNorm" and all_say("besides the batch"):
        return True
    # An output with a size of 0: torch returns an empty tensor no later layer can use.
    if op == "ConvTranspose2d" and all_say("would produce an empty output"):
        return True
    # torch averages a tensor of any rank down to 1x1 through a shortcut, but refuses every
    # other output size there; dlstudio keeps AdaptiveAvgPool2d to images (N, C, H, W).
    if op == "AdaptiveAvgPool2d" and rank > 4 and all_say("expects images shaped"):
        return True
    # Merging tensors of different ranks: torch broadcasts from the right, which silently
    # pairs the batch axis with a feature axis.
    return op in ("Add", "Multiply", "Concat") and all_say("same number of dimensions")


def check(op: str, params: dict, *shapes, dtype: str = "float", high: int = 5) -> Outcome:
    """Compare dlstudio and torch for one layer and assert they agree (see the module doc)."""
    outcome = compare(op, params, *shapes, dtype=dtype, high=high)
    where = f"{op}({params}) on {[list(s) for s in shapes]} {dtype}"
    if outcome.accepted:
        spec = outcome.analysis.specs[LAYER]
        assert spec.shape[0] is None, where
        assert outcome.out is not None
        assert tuple(outcome.out.shape) == (BATCH, *spec.shape[1:]), (
            f"{where}: dlstudio infers {spec.shape}, torch gives {tuple(outcome.out.shape)}"
        )
        is_float = outcome.out.dtype.is_floating_point
        assert is_float == (spec.dtype == "float"), f"{where}: dtype {outcome.out.dtype}"
        assert outcome.weights == outcome.analysis.param_count, (
            f"{where}: dlstudio counts {outcome.analysis.param_count:,} weights, "
            f"torch has {outcome.weights:,}"
        )
        return outcome
    assert {problem.node_id for problem in outcome.problems} == {LAYER}, (
        f"{where}: problems not on the layer: {outcome.problems}"
    )
    if outcome.torch_error is None and not _deliberate(op, params, shapes, dtype, outcome):
        shape = None if outcome.out is None else tuple(outcome.out.shape)
        pytest.fail(f"{where}: dlstudio refuses ({outcome.problems}) but torch gives {shape}")
    return outcome


# ------------------------------------------------------------------------------- strategies

small = st.integers(1, 6)
maybe_wrong = st.one_of(st.none(), st.integers(1, 6))
"""An inferable size: usually left empty, sometimes given (right or wrong)."""


def ints(n: int, low: int, high: int) -> st.SearchStrategy:
    """A size torch accepts as one int or a tuple of n ints."""
    one = st.integers(low, high)
    return st.one_of(one, st.tuples(*[one] * n)) if n > 1 else one


def sample(rank_low: int, rank_high: int, low: int = 1, high: int = 6) -> st.SearchStrategy:
    """A sample shape (without batch) of rank_low..rank_high dimensions in total."""
    return st.lists(st.integers(low, high), min_size=rank_low - 1, max_size=rank_high - 1)


def given_or_default(**strategies: st.SearchStrategy) -> st.SearchStrategy:
    """Params where each entry is either set or left out (so the catalog default applies)."""
    return st.fixed_dictionaries({}, optional=strategies)


# ----------------------------------------------------------------------------- convolutions


@PROPERTY
@given(
    n=st.sampled_from([1, 2]),
    data=st.data(),
)
def test_conv(n: int, data: st.DataObject) -> None:
    params = data.draw(
        given_or_default(
            in_channels=maybe_wrong,
            kernel_size=ints(n, 1, 5),
            stride=ints(n, 1, 3),
            padding=st.one_of(ints(n, 0, 3), st.sampled_from(["same", "valid"])),
            padding_mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
            dilation=ints(n, 1, 3),
            groups=st.integers(1, 3),
            bias=st.booleans(),
        )
    )
    params["out_channels"] = data.draw(small)
    shape = [data.draw(small), *data.draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))]
    check(f"Conv{n}d", params, shape)


@PROPERTY
@given(data=st.data())
def test_conv_transpose(data: st.DataObject) -> None:
    params = data.draw(
        given_or_default(
            in_channels=maybe_wrong,
            kernel_size=ints(2, 1, 4),
            stride=ints(2, 1, 3),
            padding=ints(2, 0, 3),
            output_padding=ints(2, 0, 2),
            dilation=ints(2, 1, 3),
            groups=st.integers(1, 3),
            bias=st.booleans(),
        )
    )
    params["out_channels"] = data.draw(small)
    check("ConvTranspose2d", params, data.draw(sample(4, 4, 1, 6)))


# -------------------------------------------------------------------------------- pooling


@PROPERTY
@given(op=st.sampled_from(["MaxPool1d", "MaxPool2d", "AvgPool2d"]), data=st.data())
def test_pool(op: str, data: st.DataObject) -> None:
    n = 1 if op.endswith("1d") else 2
    options = {
        "kernel_size": ints(n, 1, 4),
        "stride": st.one_of(st.none(), ints(n, 1, 3)),
        "padding": ints(n, 0, 2),
        "ceil_mode": st.booleans(),
    }
    if op.startswith("Max"):
        options["dilation"] = ints(n, 1, 3)
    else:
        options["count_include_pad"] = st.booleans()
    params = data.draw(given_or_default(**options))
    # Mostly the right rank; sometimes not, to see both sides refuse it.
    shape = data.draw(st.one_of(sample(n + 2, n + 2, 1, 9), sample(2, 5, 1, 5)))
    check(op, params, shape)


@PROPERTY
@given(output_size=ints(2, 1, 5), shape=sample(3, 5, 1, 7))
def test_adaptive_avg_pool(output_size, shape: list[int]) -> None:
    check("AdaptiveAvgPool2d", {"output_size": output_size}, shape)


# -------------------------------------------------------------------------- normalisation


@PROPERTY
@given(
    op=st.sampled_from(["BatchNorm1d", "BatchNorm2d"]),
    params=given_or_default(
        num_features=maybe_wrong,
        eps=st.floats(1e-6, 1e-2),
        momentum=st.floats(0.0, 1.0),
        affine=st.booleans(),
    ),
    shape=sample(2, 5, 1, 5),
)
def test_batch_norm(op: str, params: dict, shape: list[int]) -> None:
    check(op, params, shape)


@PROPERTY
@given(
    normalized_shape=st.one_of(
        st.none(), small, st.lists(small, min_size=1, max_size=3).map(tuple)
    ),
    affine=st.booleans(),
    shape=sample(2, 4, 1, 6),
)
def test_layer_norm(normalized_shape, affine: bool, shape: list[int]) -> None:
    params = {"elementwise_affine": affine}
    if normalized_shape is not None:
        params["normalized_shape"] = (
            list(normalized_shape) if isinstance(normalized_shape, tuple) else normalized_shape
        )
    check("LayerNorm", params, shape)


@PROPERTY
@given(
    num_groups=small,
    params=given_or_default(num_channels=maybe_wrong, affine=st.booleans()),
    shape=sample(2, 4, 1, 8),
)
def test_group_norm(num_groups: int, params: dict, shape: list[int]) -> None:
    check("GroupNorm", {"num_groups": num_groups, **params}, shape)


# ------------------------------------------------------------------------------- reshaping


@PROPERTY
@given(
    params=given_or_default(start_dim=st.integers(-5, 4), end_dim=st.integers(-5, 4)),
    shape=sample(2, 5, 1, 4),
    dtype=st.sampled_from(["float", "long"]),
)
def test_flatten(params: dict, shape: list[int], dtype: str) -> None:
    check("Flatten", params, shape, dtype=dtype)


sizes_with_wildcard = st.lists(st.integers(1, 6), min_size=1, max_size=4).flatmap(
    lambda sizes: st.one_of(
        st.just(sizes),
        st.integers(0, len(sizes) - 1).map(lambda i: sizes[:i] + [-1] + sizes[i + 1 :]),
    )
)


@PROPERTY
@given(
    dim=st.integers(-4, 3),
    sizes=sizes_with_wildcard,
    shape=sample(2, 4, 1, 12),
    dtype=st.sampled_from(["float", "long"]),
)
def test_unflatten(dim: int, sizes: list[int], shape: list[int], dtype: str) -> None:
    check("Unflatten", {"dim": dim, "unflattened_size": sizes}, shape, dtype=dtype)


@PROPERTY
@given(
    sizes=sizes_with_wildcard, shape=sample(2, 4, 1, 6), dtype=st.sampled_from(["float", "long"])
)
def test_reshape(sizes: list[int], shape: list[int], dtype: str) -> None:
    check("Reshape", {"shape": sizes}, shape, dtype=dtype)


@PROPERTY
@given(
    mode=st.sampled_from(["nearest", "linear", "bilinear", "bicubic", "trilinear"]),
    size=st.one_of(
        st.none(), st.integers(1, 9), st.lists(st.integers(1, 9), min_size=1, max_size=3)
    ),
    scale=st.one_of(st.none(), st.floats(0.3, 3.0), st.integers(1, 3)),
    align_corners=st.one_of(st.none(), st.booleans()),
    shape=sample(2, 5, 1, 6),
)
def test_upsample(mode: str, size, scale, align_corners, shape: list[int]) -> None:
    params = {"mode": mode, "size": size, "scale_factor": scale, "align_corners": align_corners}
    check("Upsample", params, shape)


# ---------------------------------------------------------------------------------- merging


@st.composite
def merge_shapes(draw: st.DrawFn, broadcast: bool) -> list[list[int]]:
    """2-3 input shapes: equal, or differing in one axis, or (merges) broadcasting a 1."""
    base = draw(sample(2, 4, 1, 5))
    shapes = [list(base)]
    for _ in range(draw(st.integers(1, 2))):
        other = list(base)
        if other and draw(st.booleans()):
            axis = draw(st.integers(0, len(other) - 1))
            other[axis] = (
                draw(st.integers(1, 5)) if not broadcast else draw(st.sampled_from([1, 3]))
            )
        if draw(st.integers(0, 9)) == 0:
            other = other + [2]
        shapes.append(other)
    return shapes


@PROPERTY
@given(op=st.sampled_from(["Add", "Multiply"]), shapes=merge_shapes(broadcast=True))
def test_elementwise(op: str, shapes: list[list[int]]) -> None:
    check(op, {"inputs": len(shapes)}, *shapes)


@PROPERTY
@given(dim=st.integers(-4, 3), shapes=merge_shapes(broadcast=False))
def test_concat(dim: int, shapes: list[list[int]]) -> None:
    check("Concat", {"inputs": len(shapes), "dim": dim}, *shapes)


# ------------------------------------------------------------------- features and sequences


@PROPERTY
@given(
    params=given_or_default(in_features=maybe_wrong, bias=st.booleans()),
    out_features=small,
    shape=sample(2, 4, 1, 6),
)
def test_linear(params: dict, out_features: int, shape: list[int]) -> None:
    check("Linear", {"out_features": out_features, **params}, shape)


@PROPERTY
@given(
    num_embeddings=st.integers(1, 20),
    embedding_dim=small,
    padding_idx=st.one_of(st.none(), st.integers(-25, 25)),
    shape=sample(2, 4, 1, 5),
    dtype=st.sampled_from(["long", "long", "float"]),
)
def test_embedding(num_embeddings, embedding_dim, padding_idx, shape, dtype) -> None:
    params = {"num_embeddings": num_embeddings, "embedding_dim": embedding_dim}
    params["padding_idx"] = padding_idx
    check("Embedding", params, shape, dtype=dtype, high=num_embeddings)


@PROPERTY
@given(
    op=st.sampled_from(["RNN", "LSTM", "GRU"]),
    params=given_or_default(
        input_size=maybe_wrong,
        num_layers=st.integers(1, 3),
        bias=st.booleans(),
        bidirectional=st.booleans(),
        output=st.sampled_from(["sequence", "last"]),
    ),
    hidden_size=small,
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    shape=sample(2, 4, 1, 5),
)
def test_recurrent(op: str, params: dict, hidden_size: int, nonlinearity: str, shape) -> None:
    params = {"hidden_size": hidden_size, **params}
    if op == "RNN":
        params["nonlinearity"] = nonlinearity
    check(op, params, shape)


@PROPERTY
@given(
    params=given_or_default(embed_dim=st.none() | st.integers(1, 12), bias=st.booleans()),
    num_heads=st.integers(1, 5),
    shape=sample(2, 4, 1, 12),
)
def test_multihead_attention(params: dict, num_heads: int, shape: list[int]) -> None:
    check("MultiheadAttention", {"num_heads": num_heads, **params}, shape)


@PROPERTY
@given(
    params=given_or_default(
        d_model=st.none() | st.integers(1, 12),
        dim_feedforward=st.integers(1, 16),
        activation=st.sampled_from(["relu", "gelu"]),
        norm_first=st.booleans(),
        bias=st.booleans(),
    ),
    nhead=st.integers(1, 5),
    shape=sample(2, 4, 1, 12),
)
def test_transformer_encoder_layer(params: dict, nhead: int, shape: list[int]) -> None:
    check("TransformerEncoderLayer", {"nhead": nhead, **params}, shape)


@PROPERTY
@given(
    op=st.sampled_from(["Softmax", "LogSoftmax"]),
    dim=st.integers(-5, 4),
    shape=sample(2, 4, 1, 5),
)
def test_softmax(op: str, dim: int, shape: list[int]) -> None:
    check(op, {"dim": dim}, shape)


# ------------------------------------------------------------- hand-picked: shape-keeping ops

SHAPE_KEEPING = {
    "Identity": [{}],
    "Dropout": [{}, {"p": 0.0}, {"p": 1.0}],
    "Dropout2d": [{}, {"p": 0.3}],
    "ReLU": [{}, {"inplace": True}],
    "SiLU": [{}, {"inplace": True}],
    "Sigmoid": [{}],
    "Tanh": [{}],
    "LeakyReLU": [{}, {"negative_slope": 0.2, "inplace": True}],
    "GELU": [{}, {"approximate": "tanh"}],
    "ELU": [{"alpha": 0.5}],
}
SAMPLE_SHAPES = [[7], [3, 5], [3, 4, 4], [2, 3, 4, 5]]


@pytest.mark.parametrize("op", sorted(SHAPE_KEEPING))
def test_shape_keeping_layers(op: str) -> None:
    for params in SHAPE_KEEPING[op]:
        for shape in SAMPLE_SHAPES:
            for dtype in ("float", "long"):
                outcome = check(op, params, shape, dtype=dtype)
                if outcome.accepted:
                    assert outcome.analysis.shapes[LAYER] == (None, *shape)


@pytest.mark.parametrize("dtype", ["float", "long"])
@pytest.mark.parametrize("shape", SAMPLE_SHAPES)
def test_input_to_output(shape: list[int], dtype: str) -> None:
    graph = one_layer("Identity", {}, shape, dtype=dtype)
    graph.remove(LAYER)
    graph.connect("in0", "out")
    analysis = graph.analyze()
    assert not analysis.problems
    assert analysis.specs["out"] == analysis.specs["in0"]
    assert analysis.specs["out"].shape == (None, *shape)
    assert analysis.specs["out"].dtype == dtype
    assert analysis.param_count == 0
    (x,) = random_inputs((tuple(shape),), dtype)
    assert torch.equal(graph.build()(x), x)


# ------------------------------------------------------------------------------- coverage

PROPERTY_TESTED = {
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "Flatten",
    "Unflatten",
    "Reshape",
    "Upsample",
    "Add",
    "Multiply",
    "Concat",
    "Linear",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "Softmax",
    "LogSoftmax",
}


def test_every_layer_is_tested_against_torch() -> None:
    tested = PROPERTY_TESTED | set(SHAPE_KEEPING) | {"Input", "Output"}
    missing = sorted(set(layers.names()) - tested)
    assert not missing, f"layers without a test against torch: {missing}"


def test_one_layer_helper_builds_a_chain() -> None:
    graph = one_layer("Linear", {"out_features": 3}, [4])
    assert graph.infer_shapes() == {"in0": (None, 4), LAYER: (None, 3), "out": (None, 3)}
    assert torch.is_tensor(graph.build()(torch.randn(BATCH, 4)))
