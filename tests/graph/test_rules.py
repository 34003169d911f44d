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
from tests.graph.agreement import check, check_with_parameter
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
@pytest.mark.parametrize("n", [1, 2, 3])
@PROPERTY
@given(data=st.data())
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
    check(f"Conv{n}d", params, data.draw(rank(n + 2, 1, 12 if n < 3 else 7)))


@pytest.mark.parametrize("n", [1, 2, 3])
@PROPERTY
@given(data=st.data())
def test_conv_transpose(n: int, data: st.DataObject) -> None:
    params = data.draw(
        given_or_default(
            in_channels=maybe_wrong,
            kernel_size=ints(n, 1, 4),
            stride=ints(n, 1, 3),
            padding=ints(n, 0, 3),
            output_padding=ints(n, 0, 2),
            dilation=ints(n, 1, 3),
            groups=mostly(st.just(1), st.integers(2, 3)),
            bias=st.booleans(),
        )
    )
    params["out_channels"] = data.draw(small)
    check(f"ConvTranspose{n}d", params, data.draw(rank(n + 2)))


# -------------------------------------------------------------------------------- pooling


POOLS = [f"{kind}Pool{n}d" for kind in ("Max", "Avg") for n in (1, 2, 3)] + ["LPPool2d"]


@pytest.mark.parametrize("op", POOLS)
@PROPERTY
@given(data=st.data())
def test_pool(op: str, data: st.DataObject) -> None:
    n = int(op[-2])
    options = {
        "kernel_size": ints(n, 1, 4),
        "stride": st.one_of(st.none(), ints(n, 1, 3)),
        "ceil_mode": st.booleans(),
    }
    if op.startswith("LP"):
        options["norm_type"] = st.sampled_from([1.0, 2.0, 3.5])
    else:
        options["padding"] = mostly(st.just(0), ints(n, 0, 2))
    if op.startswith("Max"):
        options["dilation"] = mostly(st.just(1), ints(n, 1, 3))
    elif op.startswith("Avg"):
        options["count_include_pad"] = st.booleans()
    params = data.draw(given_or_default(**options))
    check(op, params, data.draw(rank(n + 2, 1, 9 if n < 3 else 6)))


ADAPTIVE_POOLS = [f"Adaptive{kind}Pool{n}d" for kind in ("Avg", "Max") for n in (1, 2, 3)]


@pytest.mark.parametrize("op", ADAPTIVE_POOLS)
@PROPERTY
@given(data=st.data())
def test_adaptive_pool(op: str, data: st.DataObject) -> None:
    n = int(op[-2])
    output_size = data.draw(ints(n, 1, 5))
    check(op, {"output_size": output_size}, data.draw(rank(n + 2, 1, 7)))


# -------------------------------------------------------------------------- normalisation


@PROPERTY
@given(
    op=st.sampled_from(["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]),
    params=given_or_default(
        num_features=maybe_wrong,
        eps=st.floats(1e-6, 1e-2),
        momentum=st.floats(0.0, 1.0),
        affine=st.booleans(),
    ),
    data=st.data(),
)
def test_batch_norm(op: str, params: dict, data: st.DataObject) -> None:
    usual = {"BatchNorm1d": st.sampled_from([2, 3]), "BatchNorm2d": st.just(4)}
    ranks = usual.get(op, st.just(5))
    shape = data.draw(ranks.flatmap(lambda n: rank(n, 1, 5)))
    check(op, params, shape)


@pytest.mark.filterwarnings("ignore:input's size at dim=:UserWarning")  # affine=False: a warning
@pytest.mark.parametrize("n", [1, 2, 3])
@PROPERTY
@given(
    params=given_or_default(
        num_features=maybe_wrong,
        eps=st.floats(1e-6, 1e-2),
        momentum=st.floats(0.0, 1.0),
        affine=st.booleans(),
        track_running_stats=st.booleans(),
    ),
    data=st.data(),
)
def test_instance_norm(n: int, params: dict, data: st.DataObject) -> None:
    # Sizes from 1: a single value per channel is refused (torch cannot normalise it).
    check(f"InstanceNorm{n}d", params, data.draw(rank(n + 2, 1, 4)))


@PROPERTY
@given(
    size=st.integers(1, 6),
    params=given_or_default(
        alpha=st.floats(0.0, 1.0), beta=st.floats(0.0, 2.0), k=st.floats(0.0, 2.0)
    ),
    shape=sample(2, 5, 1, 5),
)
def test_local_response_norm(size: int, params: dict, shape: list[int]) -> None:
    check("LocalResponseNorm", {"size": size, **params}, shape)


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


PADS = [
    f"{kind}Pad{n}d"
    for kind in ("Zero", "Constant", "Reflection", "Replication")
    for n in (1, 2, 3)
]


@pytest.mark.parametrize("op", PADS)
@PROPERTY
@given(data=st.data())
def test_padding(op: str, data: st.DataObject) -> None:
    n = int(op[-2])
    params = {"padding": data.draw(mostly(ints(2 * n, 0, 2), ints(2 * n, 0, 5)))}
    if op.startswith("Constant"):
        params["value"] = data.draw(st.floats(-2.0, 2.0))
    # Mostly the ranks torch pads (with or without a channel axis), sometimes any rank.
    usual = st.sampled_from([n + 1, n + 2]).flatmap(lambda r: sample(r, r, 1, 5))
    check(op, params, data.draw(mostly(usual, sample(2, 6, 1, 4))))


def test_reflection_padding_too_wide_is_explained() -> None:
    (problem,) = check("ReflectionPad2d", {"padding": [1, 1, 3, 0]}, [2, 3, 6]).problems
    assert problem.message == (
        "ReflectionPad2d 'layer' reflects 3 values on one side of dimension 2, but its input "
        "(N, 2, 3, 6) has only 3 there: reflection padding must be smaller than the size it "
        "mirrors."
    )
    assert problem.hint == "Pad at most 2 there, or use ReplicationPad or ZeroPad."


@PROPERTY
@given(
    op=st.sampled_from(["PixelShuffle", "PixelUnshuffle"]),
    factor=st.integers(1, 3),
    data=st.data(),
)
def test_pixel_shuffle(op: str, factor: int, data: st.DataObject) -> None:
    # Mostly sizes the factor divides: channels for PixelShuffle, height and width for Unshuffle.
    multiple = st.integers(1, 3).map(lambda k: k * factor)
    if op == "PixelShuffle":
        fits = st.tuples(st.integers(1, 2).map(lambda k: k * factor * factor), small, small)
    else:
        fits = st.tuples(st.integers(1, 3), multiple, multiple)
    shape = data.draw(mostly(fits.map(list), sample(2, 5, 1, 6)))
    name = "upscale_factor" if op == "PixelShuffle" else "downscale_factor"
    check(op, {name: factor}, shape)


@PROPERTY
@given(groups=st.integers(1, 4), data=st.data())
def test_channel_shuffle(groups: int, data: st.DataObject) -> None:
    channels = data.draw(mostly(st.integers(1, 3).map(lambda k: k * groups), small))
    rest = data.draw(mostly(sample(2, 4, 1, 4), st.just([])))
    check("ChannelShuffle", {"groups": groups}, [channels, *rest])


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
    params=given_or_default(
        d_model=mostly(st.none(), st.integers(1, 12)),
        dim_feedforward=st.integers(1, 16),
        activation=st.sampled_from(["relu", "gelu"]),
        layer_norm_eps=st.floats(1e-6, 1e-3),
        norm_first=st.booleans(),
        bias=st.booleans(),
    ),
    nhead=st.integers(1, 4),
    data=st.data(),
)
def test_transformer_decoder_layer(params: dict, nhead: int, data: st.DataObject) -> None:
    target = data.draw(sequence_for_heads(nhead))
    # The memory: mostly another length with the target's width, sometimes any shape.
    same_width = st.integers(1, 5).map(lambda length: [length, *target[1:]])
    memory = data.draw(mostly(same_width, sample(2, 4, 1, 12)))
    check("TransformerDecoderLayer", {"nhead": nhead, **params}, target, memory)


@PROPERTY
@given(
    op=st.sampled_from(["Softmax", "LogSoftmax"]),
    dim=mostly(st.integers(-2, 1), st.integers(-5, 4)),
    shape=sample(2, 4, 1, 5),
)
def test_softmax(op: str, dim: int, shape: list[int]) -> None:
    check(op, {"dim": dim}, shape)


@PROPERTY
@given(
    params=given_or_default(
        min_val=st.floats(-3.0, 3.0), max_val=st.floats(-3.0, 3.0), inplace=st.booleans()
    ),
    shape=sample(2, 4, 1, 5),
)
def test_hardtanh(params: dict, shape: list[int]) -> None:
    check("Hardtanh", params, shape)


@PROPERTY
@given(
    shape=sample(2, 4, 1, 5),
    init=st.floats(0.0, 1.0),
    data=st.data(),
)
def test_prelu(shape: list[int], init: float, data: st.DataObject) -> None:
    # Mostly one slope or one per channel, sometimes any count.
    right = st.sampled_from([1, shape[0]]) if shape else st.just(1)
    count = data.draw(mostly(right, st.integers(1, 6)))
    check("PReLU", {"num_parameters": count, "init": init}, shape)


@PROPERTY
@given(
    op=st.sampled_from(["Softplus", "CELU"]),
    value=mostly(st.floats(0.1, 3.0), st.just(0.0)),
    threshold=st.floats(0.0, 30.0),
    shape=sample(2, 4, 1, 5),
)
def test_smooth_activations(op: str, value: float, threshold: float, shape: list[int]) -> None:
    params = {"beta": value, "threshold": threshold} if op == "Softplus" else {"alpha": value}
    check(op, params, shape)


@PROPERTY
@given(dim=mostly(st.integers(-2, 1), st.integers(-5, 4)), data=st.data())
def test_glu(dim: int, data: st.DataObject) -> None:
    # Mostly even sizes, so that the halving mostly works.
    shape = data.draw(mostly(st.lists(st.sampled_from([2, 4, 6]), min_size=1, max_size=3), sizes))
    check("GLU", {"dim": dim}, shape)


# ------------------------------------------------------------------------ tensor operations


def dims_of(shape: list[int]) -> st.SearchStrategy:
    """A dimension of (N, *shape): mostly one after the batch (from either end), else any."""
    r = len(shape) + 1
    after_batch = st.one_of(st.integers(1, r - 1), st.integers(1 - r, -1))
    return mostly(after_batch, st.integers(-r - 1, r))


def from_the_end(dims: list[int], r: int) -> st.SearchStrategy:
    """The dims, some of them counted from the end instead (-1 for the last of r)."""
    flips = st.lists(st.booleans(), min_size=len(dims), max_size=len(dims))
    return flips.map(
        lambda flip: [d - r if f and 0 <= d < r else d for d, f in zip(dims, flip, strict=True)]
    )


long_sometimes = mostly(st.just("float"), st.just("long"))


@PROPERTY
@given(shape=sample(2, 5, 1, 5), keepdim=st.booleans(), dtype=long_sometimes, data=st.data())
def test_mean(shape: list[int], keepdim: bool, dtype: str, data: st.DataObject) -> None:
    # A few dimensions (sometimes one twice, or the batch), as a list or one number.
    dims = data.draw(st.lists(dims_of(shape), min_size=1, max_size=3))
    dim = data.draw(st.sampled_from([dims, dims[0]]))
    check("Mean", {"dim": dim, "keepdim": keepdim}, shape, dtype=dtype)


@PROPERTY
@given(shape=sample(2, 5, 1, 5), dtype=long_sometimes, data=st.data())
def test_permute(shape: list[int], dtype: str, data: st.DataObject) -> None:
    r = len(shape) + 1
    # Mostly every dimension once with the batch first, else any order or any list.
    keeps_batch = st.permutations(range(1, r)).map(lambda rest: [0, *rest])
    other = st.one_of(
        st.permutations(range(r)).map(list), st.lists(st.integers(-r, r), min_size=1, max_size=6)
    )
    dims = data.draw(mostly(keeps_batch, other).flatmap(lambda dims: from_the_end(dims, r)))
    if len(dims) == 1 and data.draw(st.booleans()):
        dims = dims[0]  # one number for a list of one
    check("Permute", {"dims": dims}, shape, dtype=dtype)


@PROPERTY
@given(shape=sample(2, 5, 1, 5), dtype=long_sometimes, data=st.data())
def test_transpose(shape: list[int], dtype: str, data: st.DataObject) -> None:
    params = {"dim0": data.draw(dims_of(shape)), "dim1": data.draw(dims_of(shape))}
    check("Transpose", params, shape, dtype=dtype)


@PROPERTY
@given(shape=sample(2, 5, 1, 5), dtype=long_sometimes, data=st.data())
def test_index(shape: list[int], dtype: str, data: st.DataObject) -> None:
    dim = data.draw(dims_of(shape))
    r = len(shape) + 1
    size = shape[dim % r - 1] if -r <= dim < r and dim % r else 3
    # A position, mostly inside the dimension, or a range start:stop:step (sometimes empty).
    position = mostly(st.integers(-size, size - 1), st.integers(-size - 2, size + 1))
    bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
    pick = st.one_of(
        st.fixed_dictionaries({"index": position}),
        st.fixed_dictionaries(
            {"index": st.none()},
            optional={"start": bound, "stop": bound, "step": st.integers(1, 3)},
        ),
    )
    check("Index", {"dim": dim, **data.draw(pick)}, shape, dtype=dtype)


@st.composite
def matrices(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """(a, b) shaped (..., n, k) and (..., k, m) with leading sizes that mostly broadcast."""
    leading = st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=2)
    n, k, m = draw(small), draw(small), draw(small)
    a, b = draw(leading), draw(leading)
    a, b = a[: len(b)], b[: len(a)]  # the same number of dimensions, mostly
    fits = ([*a, n, k], [*b, draw(mostly(st.just(k), small)), m])
    return draw(mostly(st.just(fits), st.tuples(sample(2, 4, 1, 4), sample(2, 4, 1, 4))))


@PROPERTY
@given(shapes=matrices(), dtype=long_sometimes)
def test_matmul(shapes: tuple[list[int], list[int]], dtype: str) -> None:
    check("MatMul", {}, *shapes, dtype=dtype)


@PROPERTY
@given(shapes=st.tuples(sample(2, 4, 1, 5), sample(2, 4, 1, 5)), dtype=long_sometimes)
def test_expand(shapes: tuple[list[int], list[int]], dtype: str) -> None:
    # Input 0 already has the batch here; test_parameter expands a Parameter's leading 1.
    check("Expand", {}, *shapes, dtype=dtype)


@PROPERTY
@given(
    op=st.sampled_from(["Add", "Multiply", "MatMul", "Expand"]),
    shape=sample(2, 4, 1, 4),
    dtype=long_sometimes,
    data=st.data(),
)
def test_parameter(op: str, shape: list[int], dtype: str, data: st.DataObject) -> None:
    # A Parameter takes no input: it meets an Input of the given sample shape (and dtype: token
    # ids give Expand its batch size) in op. Its shape mostly fits, with or without the leading
    # 1 that stands for the batch (torch broadcasts from the right), sometimes not.
    if op == "Expand":
        # Expand repeats the leading 1 over the batch (what the importer reads from
        # token.expand(n, -1, -1)); a shape without it fails in torch, see the report.
        learned = [1, *data.draw(sample(1, 4, 1, 4))]
    else:
        fits = [*shape[:-2], shape[-1], data.draw(small)] if op == "MatMul" else shape
        learned = data.draw(mostly(st.sampled_from([[1, *fits], fits]), sample(2, 5, 1, 4)))
    if len(learned) == 1 and data.draw(st.booleans()):
        learned = learned[0]  # one number for a list of one
    check_with_parameter(op, learned, shape, dtype)


TORCH_RUNS_BUT_REFUSED = [
    # The deliberate strictness of the tensor operations, whatever hypothesis happens to draw:
    # op, params, sample shapes. torch runs each; agreement.deliberate says why dlstudio won't.
    ("Mean", {"dim": 0}, [[3, 4]]),
    ("Mean", {"dim": [1, -3], "keepdim": True}, [[3, 4]]),
    ("Permute", {"dims": [1, 0, 2]}, [[3, 4]]),
    ("Permute", {"dims": [-1, 1, 0]}, [[3, 4]]),
    ("Transpose", {"dim0": 0, "dim1": 2}, [[3, 4]]),
    ("Transpose", {"dim0": 1, "dim1": -3}, [[3, 4]]),
    ("Index", {"dim": 0}, [[3]]),
    ("Index", {"dim": -2, "index": None, "start": 1}, [[3]]),
    ("Index", {"index": None, "start": 3}, [[3]]),  # an empty range
    ("Index", {"dim": -1, "index": None, "start": 2, "stop": 1}, [[3, 4]]),
    ("MatMul", {}, [[2], [2]]),  # (N, 2) @ (N, 2): a product across the batch
    ("MatMul", {}, [[3, 2], [2]]),  # (N, 3, 2) @ (N, 2): the second's batch taken as rows
]


@pytest.mark.parametrize(("op", "params", "shapes"), TORCH_RUNS_BUT_REFUSED)
def test_tensor_ops_refuse_mixing_samples(op: str, params: dict, shapes: list) -> None:
    outcome = check(op, params, *shapes)
    assert not outcome.accepted and outcome.torch_error is None


def test_parameter_expanded_over_token_ids() -> None:
    # A class token repeated for every sequence of ids: the ids give only the batch size.
    outcome = check_with_parameter("Expand", [1, 1, 8], [5], dtype="long")
    assert outcome.accepted, outcome.problems
    assert outcome.analysis.specs[LAYER].shape == (None, 1, 8)
    assert outcome.analysis.param_count == 8


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
    "ReLU6": [{}, {"inplace": True}],
    "Hardswish": [{}, {"inplace": True}],
    "Hardsigmoid": [{}],
    "Mish": [{}],
    "SELU": [{}, {"inplace": True}],
    "Softsign": [{}],
    "Tanhshrink": [{}],
    "AlphaDropout": [{}, {"p": 0.2}],
    "Dropout1d": [{}],
    "Dropout3d": [{"p": 0.3}],
}
SAMPLE_SHAPES = [[7], [3, 5], [3, 4, 4], [2, 3, 4, 5]]


CHANNEL_DROPOUT = {"Dropout1d": 2, "Dropout2d": 3, "Dropout3d": 4}
"""Channel dropouts and the sample rank (without the batch) each takes."""


@pytest.mark.filterwarnings("ignore:dropout[23]d. Received:UserWarning")  # torch only warns
@pytest.mark.parametrize("op", sorted(SHAPE_KEEPING))
def test_shape_keeping_layers(op: str) -> None:
    for params in SHAPE_KEEPING[op]:
        for shape in SAMPLE_SHAPES:
            for dtype in ("float", "long"):
                outcome = check(op, params, shape, dtype=dtype)
                takes_dtype = dtype == "float" or layers.get(op).accepts_long
                takes_rank = len(shape) == CHANNEL_DROPOUT.get(op, len(shape))
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
    *(f"{op}{n}d" for op in ("Conv", "ConvTranspose") for n in (1, 2, 3)),
    *POOLS,
    *ADAPTIVE_POOLS,
    *PADS,
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "PixelShuffle",
    "PixelUnshuffle",
    "ChannelShuffle",
    "TransformerDecoderLayer",
    "Hardtanh",
    "PReLU",
    "Softplus",
    "CELU",
    "GLU",
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
    "Mean",
    "Permute",
    "Transpose",
    "Index",
    "MatMul",
    "Expand",
    "Parameter",
}


def test_every_layer_is_tested_against_torch() -> None:
    # Pretrained runs torchvision's own network on the meta device: tests/graph/test_pretrained.py
    tested = PROPERTY_TESTED | set(SHAPE_KEEPING) | {"Input", "Output", "Pretrained"}
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
    ("Softplus", {"beta": -1.0}, [4], True),
    ("CELU", {"alpha": -1.0}, [4], True),
    # A p-norm needs p >= 1; torch computes the power mean for any p.
    ("LPPool2d", {"norm_type": 0.5}, [1, 4, 4], True),
    # Negative padding crops in torch; here it is a typo (crop with a smaller Input instead).
    ("ZeroPad2d", {"padding": -1}, [1, 5, 5], True),
    ("ReflectionPad1d", {"padding": [1, -1]}, [2, 5], True),
    ("PixelShuffle", {"upscale_factor": 0}, [4, 2, 2], False),
    ("Index", {"index": None, "step": 0}, [4], False),
    # An empty dim list: torch averages over every dimension, the batch included.
    ("Mean", {"dim": []}, [3, 4], True),
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
