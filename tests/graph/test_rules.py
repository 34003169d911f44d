"""Every layer's shape rule and weight count, held against a real PyTorch forward pass.

For each layer in the catalog, many parameter combinations and input shapes go through two
paths: dlstudio's analysis (plain arithmetic) and torch itself (the module ``Graph.build()``
makes from the generated code, or, where dlstudio refuses, the module a user would write).
They must agree:

1. dlstudio accepts -> torch runs, with the inferred output shape (batch None <-> 2), the same
   dtype class, and exactly the parameter count dlstudio computed without allocating weights;
2. torch raises -> dlstudio reports a problem on that node; dlstudio refusing what torch runs
   is a bug too, except the deliberate strictness listed in ``agreement.deliberate``.
"""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio import layers
from dlstudio.graph.tensors import product
from tests.graph.agreement import check
from tests.graph.helpers import (
    BATCH,
    LAYER,
    one_layer,
    random_inputs,
    torch_forward,
    with_inferred_sizes,
)

PROPERTY = settings(
    # A deeper hunt: DLSTUDIO_RULE_EXAMPLES=2000 pytest tests/graph/test_rules.py
    max_examples=int(os.environ.get("DLSTUDIO_RULE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------------------- strategies
# Each strategy mostly draws combinations a layer accepts (so shapes and counts get compared)
# and sometimes ones it must refuse (so refusals get compared too).

small = st.integers(1, 6)


def mostly(usual: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` four times in five, else ``other``."""
    return st.integers(0, 4).flatmap(lambda pick: other if pick == 0 else usual)


maybe_wrong = mostly(st.none(), st.integers(1, 6))
"""An inferable size: usually left empty, sometimes given (right or wrong)."""


def ints(n: int, low: int, high: int) -> st.SearchStrategy:
    """A size torch accepts as one int or a tuple of n ints."""
    one = st.integers(low, high)
    return st.one_of(one, st.tuples(*[one] * n)) if n > 1 else one


def sample(rank_low: int, rank_high: int, low: int = 1, high: int = 6) -> st.SearchStrategy:
    """A sample shape (without batch) of rank_low..rank_high dimensions in total."""
    return st.lists(st.integers(low, high), min_size=rank_low - 1, max_size=rank_high - 1)


def rank(exact: int, low: int = 1, high: int = 6) -> st.SearchStrategy:
    """Mostly a sample shape of the given total rank, sometimes any rank from 2 to 5."""
    return mostly(sample(exact, exact, low, high), sample(2, 5, low, high))


def given_or_default(**strategies: st.SearchStrategy) -> st.SearchStrategy:
    """Params where each entry is either set or left out (so the catalog default applies)."""
    return st.fixed_dictionaries({}, optional=strategies)


# ----------------------------------------------------------------------------- convolutions


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@PROPERTY
@given(n=st.sampled_from([1, 2]), data=st.data())
def test_conv(n: int, data: st.DataObject) -> None:
    params = data.draw(
        given_or_default(
            in_channels=maybe_wrong,
            kernel_size=mostly(ints(n, 1, 3), ints(n, 1, 5)),
            stride=mostly(st.just(1), ints(n, 1, 3)),
            padding=st.one_of(ints(n, 0, 3), st.sampled_from(["same", "valid"])),
            padding_mode=mostly(
                st.just("zeros"), st.sampled_from(["reflect", "replicate", "circular"])
            ),
            dilation=mostly(st.just(1), ints(n, 1, 3)),
            groups=mostly(st.just(1), st.integers(2, 3)),
            bias=st.booleans(),
        )
    )
    params["out_channels"] = data.draw(small)
    check(f"Conv{n}d", params, data.draw(rank(n + 2, 1, 12)))


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
            groups=mostly(st.just(1), st.integers(2, 3)),
            bias=st.booleans(),
        )
    )
    params["out_channels"] = data.draw(small)
    check("ConvTranspose2d", params, data.draw(rank(4)))


# -------------------------------------------------------------------------------- pooling


@PROPERTY
@given(op=st.sampled_from(["MaxPool1d", "MaxPool2d", "AvgPool2d"]), data=st.data())
def test_pool(op: str, data: st.DataObject) -> None:
    n = 1 if op.endswith("1d") else 2
    options = {
        "kernel_size": ints(n, 1, 4),
        "stride": st.one_of(st.none(), ints(n, 1, 3)),
        "padding": mostly(st.just(0), ints(n, 0, 2)),
        "ceil_mode": st.booleans(),
    }
    if op.startswith("Max"):
        options["dilation"] = mostly(st.just(1), ints(n, 1, 3))
    else:
        options["count_include_pad"] = st.booleans()
    params = data.draw(given_or_default(**options))
    check(op, params, data.draw(rank(n + 2, 1, 9)))


@PROPERTY
@given(output_size=ints(2, 1, 5), shape=rank(4, 1, 7))
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
    data=st.data(),
)
def test_batch_norm(op: str, params: dict, data: st.DataObject) -> None:
    usual = st.sampled_from([2, 3]) if op == "BatchNorm1d" else st.just(4)
    shape = data.draw(usual.flatmap(lambda n: rank(n, 1, 5)))
    check(op, params, shape)


@PROPERTY
@given(
    normalized_shape=mostly(st.none(), st.one_of(small, st.lists(small, min_size=1, max_size=3))),
    affine=st.booleans(),
    shape=sample(2, 4, 1, 6),
)
def test_layer_norm(normalized_shape, affine: bool, shape: list[int]) -> None:
    params = {"elementwise_affine": affine}
    if normalized_shape is not None:
        params["normalized_shape"] = normalized_shape
    check("LayerNorm", params, shape)


@PROPERTY
@given(
    num_groups=st.integers(1, 4),
    params=given_or_default(num_channels=maybe_wrong, affine=st.booleans()),
    data=st.data(),
)
def test_group_norm(num_groups: int, params: dict, data: st.DataObject) -> None:
    # Mostly a channel count that num_groups divides.
    channels = data.draw(mostly(st.integers(1, 3).map(lambda k: k * num_groups), small))
    check("GroupNorm", {"num_groups": num_groups, **params}, [channels, *data.draw(sample(1, 3))])


# ------------------------------------------------------------------------------- reshaping


@PROPERTY
@given(
    params=given_or_default(start_dim=st.integers(-5, 4), end_dim=st.integers(-5, 4)),
    shape=sample(2, 5, 1, 4),
    dtype=st.sampled_from(["float", "long"]),
)
def test_flatten(params: dict, shape: list[int], dtype: str) -> None:
    check("Flatten", params, shape, dtype=dtype)


def with_wildcard(sizes: list[int]) -> st.SearchStrategy:
    """The sizes, or the sizes with one of them replaced by -1."""
    return st.one_of(
        st.just(sizes),
        st.integers(0, len(sizes) - 1).map(lambda i: sizes[:i] + [-1] + sizes[i + 1 :]),
    )


sizes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@PROPERTY
@given(data=st.data(), dtype=st.sampled_from(["float", "long"]))
def test_unflatten(data: st.DataObject, dtype: str) -> None:
    split = data.draw(sizes)
    shape = data.draw(sample(2, 4, 1, 5))
    dim = data.draw(st.integers(-4, 3))
    if -len(shape) - 1 <= dim <= len(shape) and dim % (len(shape) + 1) and data.draw(st.booleans()):
        shape[dim % (len(shape) + 1) - 1] = product(split)  # sizes that fit, mostly
    params = {"dim": dim, "unflattened_size": data.draw(with_wildcard(split))}
    check("Unflatten", params, shape, dtype=dtype)


@PROPERTY
@given(
    shape=sample(2, 4, 1, 5),
    data=st.data(),
    dtype=st.sampled_from(["float", "long"]),
)
def test_reshape(shape: list[int], data: st.DataObject, dtype: str) -> None:
    # Mostly a regrouping of the same values, sometimes any sizes.
    regrouped = st.permutations(shape).flatmap(with_wildcard)
    check("Reshape", {"shape": data.draw(mostly(regrouped, sizes))}, shape, dtype=dtype)


UPSAMPLE_RANKS = {"nearest": [3, 4, 5], "linear": [3], "bilinear": [4], "bicubic": [4]}
UPSAMPLE_RANKS["trilinear"] = [5]


@PROPERTY
@given(mode=st.sampled_from(sorted(UPSAMPLE_RANKS)), data=st.data())
def test_upsample(mode: str, data: st.DataObject) -> None:
    usual_rank = data.draw(st.sampled_from(UPSAMPLE_RANKS[mode]))
    shape = data.draw(rank(usual_rank, 1, 5))
    spatial = max(len(shape) - 1, 1)
    size = st.one_of(
        st.integers(1, 7), st.lists(st.integers(1, 7), min_size=spatial, max_size=spatial)
    )
    scale = st.one_of(st.floats(0.3, 3.0), st.integers(1, 3))
    one_of_them = st.one_of(st.tuples(size, st.none()), st.tuples(st.none(), scale))
    any_pair = st.tuples(
        st.one_of(st.none(), size, st.lists(st.integers(1, 7), min_size=1, max_size=3)),
        st.one_of(st.none(), scale),
    )
    chosen_size, chosen_scale = data.draw(mostly(one_of_them, any_pair))
    corners = st.none() if mode == "nearest" else st.one_of(st.none(), st.booleans())
    params = {
        "mode": mode,
        "size": chosen_size,
        "scale_factor": chosen_scale,
        "align_corners": data.draw(mostly(corners, st.one_of(st.none(), st.booleans()))),
    }
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
@given(
    dim=mostly(st.integers(1, 3), st.integers(-4, 0)),
    base=sample(2, 4, 1, 5),
    data=st.data(),
)
def test_concat(dim: int, base: list[int], data: st.DataObject) -> None:
    # Mostly inputs that differ only along dim; merge_shapes adds the other mismatches.
    axis = dim - 1 if 1 <= dim <= len(base) else None
    if axis is not None and data.draw(mostly(st.just(True), st.just(False))):
        count = data.draw(st.integers(2, 3))
        along = data.draw(st.lists(st.integers(1, 5), min_size=count, max_size=count))
        shapes = [base[:axis] + [size] + base[axis + 1 :] for size in along]
    else:
        shapes = data.draw(merge_shapes(broadcast=False))
    check("Concat", {"inputs": len(shapes), "dim": dim}, *shapes)


def test_long_input_on_a_later_port_is_named() -> None:
    graph = one_layer("Add", {}, [3], [3])
    graph.node("in1").params["dtype"] = "long"
    (problem,) = graph.analyze().problems
    assert problem.node_id == LAYER
    assert problem.message == (
        "Add 'layer' needs floating-point input, but Input 'in1' gives integer ids."
    )


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
    padding_idx=mostly(st.none(), st.integers(-25, 25)),
    shape=sample(2, 4, 1, 5),
    dtype=mostly(st.just("long"), st.just("float")),
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
    shape=rank(3, 1, 5),
)
def test_recurrent(op: str, params: dict, hidden_size: int, nonlinearity: str, shape) -> None:
    params = {"hidden_size": hidden_size, **params}
    if op == "RNN":
        params["nonlinearity"] = nonlinearity
    check(op, params, shape)


def sequence_for_heads(heads: int) -> st.SearchStrategy:
    """(N, L, features): mostly a width the heads divide, sometimes any shape."""
    fits = st.tuples(st.integers(1, 5), st.integers(1, 4)).map(lambda lk: [lk[0], lk[1] * heads])
    return mostly(fits, sample(2, 4, 1, 12))


@PROPERTY
@given(
    params=given_or_default(embed_dim=mostly(st.none(), st.integers(1, 12)), bias=st.booleans()),
    num_heads=st.integers(1, 4),
    data=st.data(),
)
def test_multihead_attention(params: dict, num_heads: int, data: st.DataObject) -> None:
    shape = data.draw(sequence_for_heads(num_heads))
    check("MultiheadAttention", {"num_heads": num_heads, **params}, shape)


@PROPERTY
@given(
    params=given_or_default(
        d_model=mostly(st.none(), st.integers(1, 12)),
        dim_feedforward=st.integers(1, 16),
        activation=st.sampled_from(["relu", "gelu"]),
        norm_first=st.booleans(),
        bias=st.booleans(),
    ),
    nhead=st.integers(1, 4),
    data=st.data(),
)
def test_transformer_encoder_layer(params: dict, nhead: int, data: st.DataObject) -> None:
    shape = data.draw(sequence_for_heads(nhead))
    check("TransformerEncoderLayer", {"nhead": nhead, **params}, shape)


@PROPERTY
@given(
    op=st.sampled_from(["Softmax", "LogSoftmax"]),
    dim=mostly(st.integers(-2, 1), st.integers(-5, 4)),
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


@pytest.mark.filterwarnings("ignore:dropout2d. Received:UserWarning")  # torch only warns
@pytest.mark.parametrize("op", sorted(SHAPE_KEEPING))
def test_shape_keeping_layers(op: str) -> None:
    for params in SHAPE_KEEPING[op]:
        for shape in SAMPLE_SHAPES:
            for dtype in ("float", "long"):
                outcome = check(op, params, shape, dtype=dtype)
                takes_dtype = dtype == "float" or layers.get(op).accepts_long
                takes_rank = op != "Dropout2d" or len(shape) == 3
                assert outcome.accepted == (takes_dtype and takes_rank), outcome.problems
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


# ------------------------------------------------------------------------- parameter bounds

OUT_OF_BOUNDS = [
    # op, params, sample shape, does torch run it?  Refusals torch would run are deliberate:
    ("Dropout", {"p": 1.5}, [4], False),
    ("Conv2d", {"out_channels": 2, "kernel_size": 0}, [1, 5, 5], False),
    ("Conv2d", {"out_channels": 2, "stride": 0}, [1, 5, 5], False),
    ("MaxPool2d", {"kernel_size": 2, "padding": -1}, [1, 5, 5], False),
    ("GroupNorm", {"num_groups": 0}, [4, 3], False),
    ("Softmax", {"dim": 9}, [4], False),
    # A negative slope or alpha turns the activation upside down: legal in torch, a typo here.
    ("LeakyReLU", {"negative_slope": -0.1}, [4], True),
    ("ELU", {"alpha": -1.0}, [4], True),
    # A layer with no outputs: torch builds it and returns an empty tensor.
    ("Linear", {"out_features": 0}, [4], True),
    # momentum above 1 makes the running statistics diverge; torch does not check it.
    ("BatchNorm1d", {"momentum": 1.5}, [4], True),
]


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")
@pytest.mark.parametrize(("op", "params", "shape", "torch_runs"), OUT_OF_BOUNDS)
def test_out_of_bounds_parameter_is_refused_with_a_fix(
    op: str, params: dict, shape: list[int], torch_runs: bool
) -> None:
    analysis = one_layer(op, params, shape).analyze()
    (problem,) = analysis.problems
    (name,) = [key for key in params if key in problem.message]
    assert problem.node_id == LAYER and problem.message.startswith(f"{op} '{LAYER}': {name}")
    default = layers.get(op).param(name).default
    assert problem.fix == {"node_id": LAYER, "params": {name: default}}
    # The analysis resolved the bad value to its default; torch gets the value as written.
    raw = with_inferred_sizes(op, {**analysis.params[LAYER], **params}, (tuple(shape),))
    try:
        torch_forward(op, raw, random_inputs((tuple(shape),), "float"))
    except (RuntimeError, ValueError, IndexError, ZeroDivisionError) as error:
        assert not torch_runs, error
    else:
        assert torch_runs, f"torch runs {op}({params})"
