"""Each catalog layer as Flax NNX writes it: a module made in ``__init__`` with explicit
``rngs`` and called in ``__call__``, or a function of jax.numpy/jax.nn; channels last (NHWC).
A layer Flax cannot compute as PyTorch does raises ``NoCounterpart``.

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.frameworks.program import Program
    >>> program = Program.of(examples.load("lenet5"))
    >>> flax_piece(program.steps[1], program.values["input"], program.values["conv1"]).module
    'nnx.Conv(1, 6, kernel_size=(5, 5), padding="SAME", rngs=rngs)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dlstudio.graph.frameworks.common import (
    Code,
    NoCounterpart,
    adaptive_window,
    call,
    describe,
    dilated_kernel,
    explicit_padding,
    index_expression,
    is_same_padding,
    no_counterpart,
    pad_pairs,
    pixel_shuffle_plan,
    pool_sizes,
    refused,
    sizes,
    spatial,
    transformer_arguments,
    transposed_padding,
    upsample_plan,
)
from dlstudio.graph.frameworks.program import Step, Value

FLAX = "Flax"
RNGS = Code("rngs")


@dataclass
class FlaxPiece:
    """A module made in ``__init__`` (``module``, called as ``self.name(x)``) and/or the
    expression ``__call__`` computes, on ``{x}`` (the first input), ``{inputs}`` (all of them,
    comma-separated) or ``{layer}`` (the module)."""

    module: str | None = None
    expression: str = "{layer}({x})"
    support: str | None = None
    """A class the code must carry (dlstudio.graph.frameworks.support)."""


FlaxTranslate = Callable[[Step, Value, Value], FlaxPiece]


def _features(value: Value) -> int:
    size = value.torch_shape[1] if value.channels_first else value.torch_shape[-1]
    assert size is not None
    return int(size)


def _linear(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    bias = None if step.params.get("bias", True) else False
    return FlaxPiece(
        call("nnx.Linear", _features(inp), step.params["out_features"], use_bias=bias, rngs=RNGS)
    )


def _conv(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    dims = spatial(step, inp)
    if step.params.get("padding_mode", "zeros") != "zeros":
        raise no_counterpart(step, FLAX, "pad with jnp.pad(x, ..., mode=...) first.")
    padding = explicit_padding(step, dims)
    if not any(padding):
        written: object = "VALID"
    elif is_same_padding(step, dims):
        written = "SAME"
    else:
        written = tuple((p, p) for p in padding)
    stride = sizes(step, "stride", dims, 1)
    dilation = sizes(step, "dilation", dims, 1)
    groups = step.params.get("groups", 1)
    module = call(
        "nnx.Conv",
        step.params["in_channels"],
        step.params["out_channels"],
        kernel_size=sizes(step, "kernel_size", dims),
        strides=stride if any(s != 1 for s in stride) else None,
        padding=written,
        kernel_dilation=dilation if any(d != 1 for d in dilation) else None,
        feature_group_count=groups if groups != 1 else None,
        use_bias=False if not step.params.get("bias", True) else None,
        rngs=RNGS,
    )
    return FlaxPiece(module)


def _conv_transpose(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    dims = spatial(step, inp)
    if step.params.get("groups", 1) != 1:
        raise no_counterpart(
            step, FLAX, "nnx.ConvTranspose has no feature groups: one per group, then concatenate."
        )
    named = transposed_padding(step, dims)
    stride = sizes(step, "stride", dims, 1)
    dilation = sizes(step, "dilation", dims, 1)
    module = call(
        "nnx.ConvTranspose",
        step.params["in_channels"],
        step.params["out_channels"],
        kernel_size=sizes(step, "kernel_size", dims),
        strides=stride if any(s != 1 for s in stride) else None,
        padding=named.upper() if named else _transposed_pads(step, dims),
        kernel_dilation=dilation if any(d != 1 for d in dilation) else None,
        use_bias=False if not step.params.get("bias", True) else None,
        transpose_kernel=True,  # PyTorch's kernel: flipped, in and out swapped
        rngs=RNGS,
    )
    return FlaxPiece(module)


def _transposed_pads(step: Step, dims: int) -> tuple[tuple[int, int], ...]:
    """PyTorch's padding and output_padding as lax.conv_transpose pads the dilated input."""
    pads = zip(
        dilated_kernel(step, dims),
        sizes(step, "padding", dims, 0),
        sizes(step, "output_padding", dims, 0),
        strict=True,
    )
    written = tuple((k - 1 - p, k - 1 - p + e) for k, p, e in pads)
    if any(before < 0 for before, _after in written):
        raise no_counterpart(
            step, FLAX, "its padding exceeds the kernel: crop the output of padding 0 instead."
        )
    return written


def _pool(function: str) -> FlaxTranslate:
    def translate(step: Step, inp: Value, _out: Value) -> FlaxPiece:
        window, stride, padding = pool_sizes(step, spatial(step, inp))
        if (
            any(padding)
            and function == "avg_pool"
            and not step.params.get("count_include_pad", True)
        ):
            raise no_counterpart(
                step, FLAX, "nnx.avg_pool(..., count_include_pad=False) computes it."
            )
        pads = tuple((p, p) for p in padding) if any(padding) else None
        return FlaxPiece(
            expression=call(
                f"nnx.{function}", Code("{x}"), window_shape=window, strides=stride, padding=pads
            )
        )

    return translate


def _adaptive(reduce: str, function: str) -> FlaxTranslate:
    def translate(step: Step, inp: Value, _out: Value) -> FlaxPiece:
        dims = spatial(step, inp)
        window = adaptive_window(step, inp, dims)
        if window is None:
            axes = tuple(range(1, dims + 1))
            return FlaxPiece(expression=f"{{x}}.{reduce}(axis={axes}, keepdims=True)")
        return FlaxPiece(
            expression=call(f"nnx.{function}", Code("{x}"), window_shape=window, strides=window)
        )

    return translate


def _batch_norm(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if len(inp.torch_shape) > 2 and not inp.channels_first:
        raise no_counterpart(step, FLAX, "normalise the last axis with nnx.LayerNorm.")
    momentum = round(1 - step.params.get("momentum", 0.1), 6)
    affine = step.params.get("affine", True)
    extra = {} if affine else {"use_bias": False, "use_scale": False}
    return FlaxPiece(
        call(
            "nnx.BatchNorm",
            _features(inp),
            momentum=momentum,
            epsilon=step.params.get("eps", 1e-5),
            **extra,
            rngs=RNGS,
        )
    )


def _layer_norm(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    shape = step.params.get("normalized_shape")
    if inp.channels_first or (isinstance(shape, list | tuple) and len(shape) != 1):
        raise no_counterpart(
            step, FLAX, "nnx.LayerNorm(reduction_axes=...) normalises several axes."
        )
    affine = step.params.get("elementwise_affine", True)
    extra = {} if affine else {"use_bias": False, "use_scale": False}
    return FlaxPiece(
        call(
            "nnx.LayerNorm",
            _features(inp),
            epsilon=step.params.get("eps", 1e-5),
            **extra,
            rngs=RNGS,
        )
    )


def _dropout(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    rate = step.params.get("p", 0.5)
    if step.node.op != "Dropout" and inp.channels_first:
        # Whole channels dropped: the mask is shared over the spatial axes.
        axes = tuple(range(1, len(inp.torch_shape) - 1))
        return FlaxPiece(call("nnx.Dropout", rate, broadcast_dims=axes, rngs=RNGS))
    return FlaxPiece(call("nnx.Dropout", rate, rngs=RNGS))


def _alpha_dropout(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    return FlaxPiece(call("AlphaDropout", step.params.get("p", 0.5), rngs=RNGS))


def _function(name: str, **kwargs: object) -> FlaxTranslate:
    return lambda _step, _inp, _out: FlaxPiece(expression=call(name, Code("{x}"), **kwargs))


def _with(name: str, *params: tuple[str, str, object]) -> FlaxTranslate:
    """``jax.nn.name(x, keyword=param)`` for each (PyTorch name, JAX keyword, default)."""

    def translate(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
        kwargs = {key: step.params.get(torch, default) for torch, key, default in params}
        return FlaxPiece(expression=call(name, Code("{x}"), **kwargs))

    return translate


def _softmax(name: str) -> FlaxTranslate:
    def translate(step: Step, inp: Value, _out: Value) -> FlaxPiece:
        return FlaxPiece(
            expression=call(name, Code("{x}"), axis=inp.axis(step.params.get("dim", 1)))
        )

    return translate


def _gelu(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    approximate = step.params.get("approximate", "none") != "none"
    return FlaxPiece(expression=call("jax.nn.gelu", Code("{x}"), approximate=approximate))


def _softplus(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    beta = step.params.get("beta", 1.0)
    if beta == 1.0:
        return FlaxPiece(expression="jax.nn.softplus({x})")
    return FlaxPiece(expression=f"jax.nn.softplus({beta!r} * {{x}}) / {beta!r}")


def _concat(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    return FlaxPiece(
        expression=f"jnp.concatenate([{{inputs}}], axis={inp.axis(step.params.get('dim', 1))})"
    )


def _flatten(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if step.params.get("start_dim", 1) != 1 or step.params.get("end_dim", -1) not in (
        -1,
        len(inp.torch_shape) - 1,
    ):
        raise no_counterpart(step, FLAX, "x.reshape(...) gives any other shape.")
    return FlaxPiece(expression="{x}.reshape({x}.shape[0], -1)")


def _embedding(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    return FlaxPiece(
        call("nnx.Embed", step.params["num_embeddings"], step.params["embedding_dim"], rngs=RNGS)
    )


def _recurrent(cell: str) -> FlaxTranslate:
    """A recurrent layer as nnx.RNN over ``cell`` (GRUCell: the code's own, support.py)."""

    def translate(step: Step, inp: Value, _out: Value) -> FlaxPiece:
        if step.params.get("num_layers", 1) != 1 or step.params.get("bidirectional"):
            raise no_counterpart(
                step,
                FLAX,
                f"stack one nnx.RNN({cell}(...)) per layer; nnx.Bidirectional reads both ways.",
            )
        if not step.params.get("bias", True):
            raise no_counterpart(
                step, FLAX, f"{cell} always has a bias; write the cell yourself without one."
            )
        if step.node.op == "RNN" and step.params.get("nonlinearity", "tanh") != "tanh":
            raise no_counterpart(
                step, FLAX, "nnx.SimpleCell(activation_fn=jax.nn.relu) computes it."
            )
        inner = call(cell, int(inp.torch_shape[-1] or 0), step.params["hidden_size"], rngs=RNGS)
        last = step.params.get("output", "sequence") != "sequence"
        return FlaxPiece(f"nnx.RNN({inner})", "{layer}({x})[:, -1]" if last else "{layer}({x})")

    return translate


def _index(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if inp.channels_first:
        raise no_counterpart(
            step, FLAX, "index the channels-last array, with the channel axis last."
        )
    return FlaxPiece(expression=index_expression(step, inp))


def _transformer(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if not step.params.get("bias", True):
        raise no_counterpart(
            step,
            FLAX,
            "nnx.MultiHeadAttention(use_bias=False) and nnx.Linear(use_bias=False) build it.",
        )
    args, keywords = transformer_arguments(step)
    kind = step.node.op  # the code's own class of that name; a decoder reads the memory too
    made = call(kind, *args, **keywords, rngs=RNGS)
    called = "{layer}({x}, {y})" if kind == "TransformerDecoderLayer" else "{layer}({x})"
    return FlaxPiece(made, called, support=kind)


def _attention(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    made = call(
        "nnx.MultiHeadAttention",
        step.params["num_heads"],
        step.params["embed_dim"],
        dropout_rate=step.params.get("dropout") or None,
        use_bias=False if not step.params.get("bias", True) else None,
        decode=False,
        rngs=RNGS,
    )
    return FlaxPiece(made)


_PAD_MODES = {
    "Zero": "constant",
    "Constant": "constant",
    "Reflection": "reflect",
    "Replication": "edge",
}


def _pad(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    dims = spatial(step, inp)
    kind = step.node.op[: -len("Pad1d")]
    widths = ((0, 0), *pad_pairs(step, dims), (0, 0))
    value = step.params.get("value", 0.0) if kind == "Constant" else None
    mode = _PAD_MODES[kind]
    return FlaxPiece(
        expression=call(
            "jnp.pad",
            Code("{x}"),
            widths,
            mode=mode if mode != "constant" else None,
            constant_values=value or None,
        )
    )


def _upsample(step: Step, inp: Value, out: Value) -> FlaxPiece:
    kind, numbers = upsample_plan(step, inp, out)
    if kind == "linear":
        shape = ", ".join(str(size) for size in ("{x}.shape[0]", *numbers, _features(out)))
        smaller = any(o < int(i or 1) for i, o in zip(inp.torch_shape[2:], numbers, strict=True))
        method = step.params.get("mode")
        return FlaxPiece(
            expression=call(
                "jax.image.resize",
                Code("{x}"),
                Code(f"({shape})"),
                method,
                antialias=False if smaller else None,  # PyTorch averages no wider window
            )
        )
    expression = "{x}"
    for axis, factor in enumerate(numbers, start=1):
        if factor != 1:
            expression = f"{expression}.repeat({factor}, axis={axis})"
    return FlaxPiece(expression=expression)


def _pixel_shuffle(step: Step, inp: Value, out: Value) -> FlaxPiece:
    split, moved, joined = pixel_shuffle_plan(step, inp, out)
    sizes_ = (", ".join(str(size) for size in shape) for shape in (split, joined))
    return FlaxPiece(
        expression=(
            f"{{x}}.reshape({{x}}.shape[0], {next(sizes_)})"
            f".transpose(0, {', '.join(map(str, moved))})"
            f".reshape({{x}}.shape[0], {next(sizes_)})"
        )
    )


def _expand(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if inp.channels_first:
        raise no_counterpart(step, FLAX, "jnp.broadcast_to on the channels-last array repeats it.")
    return FlaxPiece(expression="jnp.broadcast_to({x}, ({y}.shape[0], *{x}.shape[1:]))")


def _reshape(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if inp.channels_first:
        raise no_counterpart(step, FLAX, "reshape the channels-last array, minding the axis order.")
    sizes_ = ", ".join(str(size) for size in step.params["shape"])
    return FlaxPiece(expression=f"{{x}}.reshape({{x}}.shape[0], {sizes_})")


def _permute(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if inp.channels_first:
        raise no_counterpart(
            step, FLAX, "transpose the channels-last array, minding the axis order."
        )
    if step.node.op == "Transpose":
        a, b = (step.params.get(k) for k in ("dim0", "dim1"))
        return FlaxPiece(expression=f"jnp.swapaxes({{x}}, {a}, {b})")
    perm = [d % len(inp.torch_shape) for d in step.params["dims"]]
    return FlaxPiece(expression=call("jnp.transpose", Code("{x}"), tuple(perm)))


def _mean(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    axes = tuple(inp.axis(d) for d in step.params.get("dim", [-1]))
    keep = True if step.params.get("keepdim") else None
    return FlaxPiece(
        expression=call("{x}.mean", axis=axes[0] if len(axes) == 1 else axes, keepdims=keep)
    )


def _group_norm(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    extra = {} if step.params.get("affine", True) else {"use_bias": False, "use_scale": False}
    made = call(
        "nnx.GroupNorm",
        _features(inp),
        num_groups=step.params["num_groups"],
        epsilon=step.params.get("eps", 1e-5),
        **extra,
        rngs=RNGS,
    )
    return FlaxPiece(made)


def _instance_norm(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    if step.params.get("track_running_stats"):
        raise no_counterpart(
            step,
            FLAX,
            "nnx.GroupNorm(num_groups=channels) normalises each sample, without running statistics.",
        )
    channels = _features(inp)
    extra = {} if step.params.get("affine") else {"use_bias": False, "use_scale": False}
    made = call(
        "nnx.GroupNorm",
        channels,
        num_groups=channels,
        epsilon=step.params.get("eps", 1e-5),
        **extra,
        rngs=RNGS,
    )
    return FlaxPiece(made)


def _prelu(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    init = step.params.get("init", 0.25)
    count = step.params.get("num_parameters", 1)
    if count == 1:
        return FlaxPiece(call("nnx.PReLU", negative_slope_init=init))
    # One slope per channel, broadcast over the axes after it (none: channels last).
    shape = prelu_shape(inp, count)
    return FlaxPiece(call("nnx.PReLU", negative_slope_init=Code(f"jnp.full({shape}, {init})")))


def prelu_shape(inp: Value, count: int) -> tuple[int, ...]:
    """The shape of Flax's PReLU slopes for PyTorch's one per channel."""
    rank = len(inp.torch_shape)
    trailing = 0 if inp.channels_first else max(rank - 2, 0)
    return (count, *(1,) * trailing)


def _unflatten(step: Step, inp: Value, out: Value) -> FlaxPiece:
    if inp.channels_first or out.channels_first:
        raise no_counterpart(step, FLAX, "reshape the channels-last array, minding the axis order.")
    sizes_ = ", ".join(str(int(size or 0)) for size in out.torch_shape[1:])
    return FlaxPiece(expression=f"{{x}}.reshape({{x}}.shape[0], {sizes_})")


def _glu(step: Step, inp: Value, _out: Value) -> FlaxPiece:
    return FlaxPiece(
        expression=call("jax.nn.glu", Code("{x}"), axis=inp.axis(step.params.get("dim", -1)))
    )


def _hardtanh(step: Step, _inp: Value, _out: Value) -> FlaxPiece:
    low, high = step.params.get("min_val", -1.0), step.params.get("max_val", 1.0)
    return FlaxPiece(expression=call("jnp.clip", Code("{x}"), low, high))


_INSTEAD = {
    "Pretrained": "load a pretrained network written for JAX (e.g. from the Hugging Face hub's Flax models) instead.",
    "Parameter": "an nnx.Param attribute of your module holds a free array.",
}

FLAX_LAYERS: dict[str, FlaxTranslate] = {
    "Linear": _linear,
    **{f"Conv{d}d": _conv for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _conv_transpose for d in (1, 2, 3)},
    **{f"MaxPool{d}d": _pool("max_pool") for d in (1, 2, 3)},
    **{f"AvgPool{d}d": _pool("avg_pool") for d in (1, 2, 3)},
    **{f"AdaptiveAvgPool{d}d": _adaptive("mean", "avg_pool") for d in (1, 2, 3)},
    **{f"AdaptiveMaxPool{d}d": _adaptive("max", "max_pool") for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _batch_norm for d in (1, 2, 3)},
    "LayerNorm": _layer_norm,
    **{name: _dropout for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d")},
    "AlphaDropout": _alpha_dropout,
    "Identity": lambda _step, _inp, _out: FlaxPiece(expression="{x}"),
    "ReLU": _function("jax.nn.relu"),
    "ReLU6": _function("jax.nn.relu6"),
    "Sigmoid": _function("jax.nn.sigmoid"),
    "Tanh": _function("jnp.tanh"),
    "SiLU": _function("jax.nn.silu"),
    "SELU": _function("jax.nn.selu"),
    "Mish": _function("jax.nn.mish"),
    "Softsign": _function("jax.nn.soft_sign"),
    "Tanhshrink": lambda _step, _inp, _out: FlaxPiece(expression="{x} - jnp.tanh({x})"),
    "Hardswish": _function("jax.nn.hard_swish"),
    "Hardsigmoid": _function("jax.nn.hard_sigmoid"),
    "GELU": _gelu,
    "ELU": _with("jax.nn.elu", ("alpha", "alpha", 1.0)),
    "CELU": _with("jax.nn.celu", ("alpha", "alpha", 1.0)),
    "LeakyReLU": _with("jax.nn.leaky_relu", ("negative_slope", "negative_slope", 0.01)),
    "Softplus": _softplus,
    "Softmax": _softmax("jax.nn.softmax"),
    "LogSoftmax": _softmax("jax.nn.log_softmax"),
    "Add": lambda _step, _inp, _out: FlaxPiece(expression="{sum}"),
    "Multiply": lambda _step, _inp, _out: FlaxPiece(expression="{product}"),
    "Concat": _concat,
    "Flatten": _flatten,
    "Embedding": _embedding,
    "LSTM": _recurrent("nnx.LSTMCell"),
    "GRU": _recurrent("GRUCell"),
    "RNN": _recurrent("nnx.SimpleCell"),
    "Index": _index,
    "TransformerEncoderLayer": _transformer,
    "TransformerDecoderLayer": _transformer,
    "MultiheadAttention": _attention,
    **{f"{kind}Pad{d}d": _pad for kind in _PAD_MODES for d in (1, 2, 3)},
    "Upsample": _upsample,
    "PixelShuffle": _pixel_shuffle,
    "PixelUnshuffle": _pixel_shuffle,
    "Expand": _expand,
    "Reshape": _reshape,
    "Permute": _permute,
    "Transpose": _permute,
    "Mean": _mean,
    "MatMul": lambda _step, _inp, _out: FlaxPiece(expression="{x} @ {y}"),
    "GroupNorm": _group_norm,
    **{f"InstanceNorm{d}d": _instance_norm for d in (1, 2, 3)},
    "GLU": _glu,
    "PReLU": _prelu,
    "Unflatten": _unflatten,
    "Hardtanh": _hardtanh,
}


def flax_piece(step: Step, inp: Value, out: Value) -> FlaxPiece:
    """The Flax module and call for ``step`` (reading ``inp``, giving ``out``), or
    NoCounterpart."""
    translate = FLAX_LAYERS.get(step.node.op)
    if translate is not None:
        return translate(step, inp, out)
    if step.node.op in _INSTEAD:
        raise refused(step, FLAX, _INSTEAD)
    raise NoCounterpart(
        f"dlstudio does not write {describe(step)} in Flax yet: write it as an nnx.Module of "
        "your own with jax.numpy."
    )
