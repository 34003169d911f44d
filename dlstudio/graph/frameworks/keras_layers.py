"""Each catalog layer as Keras 3 writes it: its own layer names and argument names, channels
last. A layer Keras cannot compute as PyTorch does raises ``NoCounterpart`` with the sentence
shown in its place.

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.frameworks.program import Program
    >>> program = Program.of(examples.load("lenet5"))
    >>> step = program.steps[1]
    >>> keras_piece(step, program.values["input"], program.values["conv1"]).layers
    ['layers.Conv2D(6, 5, padding="same", name="conv1")']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dlstudio.graph.frameworks.common import (
    Code,
    NoCounterpart,
    adaptive_window,
    call,
    describe,
    explicit_padding,
    index_expression,
    is_same_padding,
    kept_batch,
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
    whole_factors,
)
from dlstudio.graph.frameworks.program import Step, Value

KERAS = "Keras"


@dataclass
class Piece:
    """What one node becomes: layers applied in turn, or an expression on ``{x}`` (functional
    API only); ``merge``: the layer reads the list of its inputs."""

    layers: list[str] = field(default_factory=list)
    expression: str | None = None
    merge: bool = False
    arguments: str | None = None
    """What the layer is called on when not just its input: ``"{x}, {x}"`` (self-attention,
    functional API only)."""
    support: str | None = None
    """A class the code must carry (dlstudio.graph.frameworks.support)."""


Translate = Callable[[Step, Value, Value], Piece]


def _one(number: int | tuple[int, ...]) -> int | tuple[int, ...]:
    """``(3, 3)`` as ``3``, as Keras users write a square window."""
    if isinstance(number, tuple) and len(set(number)) == 1:
        return number[0]
    return number


def _conv(step: Step, inp: Value, _out: Value) -> Piece:
    dims = spatial(step, inp)
    if step.params.get("padding_mode", "zeros") != "zeros":
        raise no_counterpart(step, KERAS, "pad with layers.ZeroPadding or keras.ops.pad first.")
    padding = explicit_padding(step, dims)
    same = any(padding) and is_same_padding(step, dims)
    pieces = []
    if any(padding) and not same:
        pieces.append(call(f"layers.ZeroPadding{dims}D", _one(padding), name=f"{step.label}_pad"))
    groups = step.params.get("groups", 1)
    dilation = _one(sizes(step, "dilation", dims, 1))
    stride = _one(sizes(step, "stride", dims, 1))
    pieces.append(
        call(
            f"layers.Conv{dims}D",
            step.params["out_channels"],
            _one(sizes(step, "kernel_size", dims)),
            strides=stride if stride != 1 else None,
            padding="same" if same else None,
            dilation_rate=dilation if dilation != 1 else None,
            groups=groups if groups != 1 else None,
            use_bias=False if not step.params.get("bias", True) else None,
            name=step.label,
        )
    )
    return Piece(pieces)


def _conv_transpose(step: Step, inp: Value, _out: Value) -> Piece:
    dims = spatial(step, inp)
    stride = sizes(step, "stride", dims, 1)
    dilation = sizes(step, "dilation", dims, 1)
    extra = sizes(step, "output_padding", dims, 0)
    _transposable(step, dims, stride, dilation, extra)
    named = transposed_padding(step, dims)
    padding = sizes(step, "padding", dims, 0)
    made = call(
        f"layers.Conv{dims}DTranspose",
        step.params["out_channels"],
        _one(sizes(step, "kernel_size", dims)),
        strides=_one(stride) if any(s != 1 for s in stride) else None,
        padding="same" if named == "same" else None,
        output_padding=None if named else _one(extra),
        dilation_rate=_one(dilation) if any(d != 1 for d in dilation) else None,
        use_bias=False if not step.params.get("bias", True) else None,
        name=step.label,
    )
    if named or not any(padding):
        return Piece([made])
    # PyTorch's padding takes rows off each side of the full output.
    crop = call(f"layers.Cropping{dims}D", _one(padding), name=f"{step.label}_crop")
    return Piece([made, crop])


def _transposable(
    step: Step,
    dims: int,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    extra: tuple[int, ...],
) -> None:
    """Raises where Keras's transposed convolution cannot compute PyTorch's."""
    layer = f"layers.Conv{dims}DTranspose"
    if step.params.get("groups", 1) != 1:
        raise no_counterpart(
            step, KERAS, f"{layer} has no groups: one per group, then Concatenate."
        )
    if any(s > 1 for s in stride) and any(d > 1 for d in dilation):
        raise no_counterpart(
            step, KERAS, f"{layer} dilates only with stride 1: use one of the two."
        )
    if any(e >= s for e, s in zip(extra, stride, strict=True)):
        raise no_counterpart(
            step,
            KERAS,
            "Keras adds an output_padding below the stride only: pad the output instead.",
        )


def _pool(kind: str) -> Translate:
    def translate(step: Step, inp: Value, _out: Value) -> Piece:
        dims = spatial(step, inp)
        window, stride, padding = pool_sizes(step, dims)
        pieces = []
        if any(padding):
            # Keras pads pooling windows its own way; explicit zeros are PyTorch's padding for
            # an average that counts them, and for a maximum over values that are never negative.
            counts_zeros = kind == "Average" and step.params.get("count_include_pad", True)
            if not (counts_zeros or (kind == "Max" and inp.nonnegative)):
                raise no_counterpart(
                    step,
                    KERAS,
                    "pad explicitly (layers.ZeroPadding) where zeros are right, then pool with padding 0.",
                )
            pieces.append(
                call(f"layers.ZeroPadding{dims}D", _one(padding), name=f"{step.label}_pad")
            )
        strides = _one(stride) if stride != window else None
        pieces.append(
            call(f"layers.{kind}Pooling{dims}D", _one(window), strides=strides, name=step.label)
        )
        return Piece(pieces)

    return translate


def _adaptive(kind: str) -> Translate:
    def translate(step: Step, inp: Value, _out: Value) -> Piece:
        dims = spatial(step, inp)
        window = adaptive_window(step, inp, dims)
        if window is None:
            return Piece(
                [call(f"layers.Global{kind}Pooling{dims}D", keepdims=True, name=step.label)]
            )
        return Piece([call(f"layers.{kind}Pooling{dims}D", _one(window), name=step.label)])

    return translate


def _batch_norm(step: Step, inp: Value, _out: Value) -> Piece:
    if len(inp.torch_shape) > 2 and not inp.channels_first:
        raise no_counterpart(step, KERAS, "normalise the last axis with layers.LayerNormalization.")
    if not step.params.get("affine", True):
        raise no_counterpart(
            step, KERAS, "use layers.BatchNormalization(center=False, scale=False)."
        )
    momentum = round(1 - step.params.get("momentum", 0.1), 6)
    return Piece(
        [
            call(
                "layers.BatchNormalization",
                momentum=momentum,
                epsilon=step.params.get("eps", 1e-5),
                name=step.label,
            )
        ]
    )


def _layer_norm(step: Step, inp: Value, _out: Value) -> Piece:
    shape = step.params.get("normalized_shape")
    if inp.channels_first or (isinstance(shape, list | tuple) and len(shape) != 1):
        raise no_counterpart(
            step, KERAS, "normalise over several axes with layers.LayerNormalization(axis=[...])."
        )
    affine = step.params.get("elementwise_affine", True)
    extra = {} if affine else {"center": False, "scale": False}
    return Piece(
        [
            call(
                "layers.LayerNormalization",
                epsilon=step.params.get("eps", 1e-5),
                **extra,
                name=step.label,
            )
        ]
    )


def _dropout(step: Step, inp: Value, _out: Value) -> Piece:
    if step.node.op.startswith("Dropout") and step.node.op != "Dropout" and inp.channels_first:
        return Piece(
            [
                call(
                    f"layers.SpatialDropout{spatial(step, inp)}D",
                    step.params.get("p", 0.5),
                    name=step.label,
                )
            ]
        )
    return Piece([call("layers.Dropout", step.params.get("p", 0.5), name=step.label)])


def _alpha_dropout(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece([call("layers.AlphaDropout", step.params.get("p", 0.5), name=step.label)])


def _activation(name: str) -> Translate:
    return lambda step, _inp, _out: Piece([call("layers.Activation", name, name=step.label)])


def _softmax(function: str | None) -> Translate:
    def translate(step: Step, inp: Value, _out: Value) -> Piece:
        axis = inp.axis(step.params.get("dim", 1))
        if function is None:
            return Piece(
                [call("layers.Softmax", axis=axis if axis != -1 else None, name=step.label)]
            )
        if axis != -1:
            raise no_counterpart(step, KERAS, f"keras.ops.{function}(x, axis={axis}) computes it.")
        return Piece([call("layers.Activation", function, name=step.label)])

    return translate


def _elu(step: Step, _inp: Value, _out: Value) -> Piece:
    alpha = step.params.get("alpha", 1.0)
    return Piece([call("layers.ELU", alpha=alpha if alpha != 1.0 else None, name=step.label)])


def _leaky(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece(
        [
            call(
                "layers.LeakyReLU",
                negative_slope=step.params.get("negative_slope", 0.01),
                name=step.label,
            )
        ]
    )


def _gelu(step: Step, _inp: Value, _out: Value) -> Piece:
    if step.params.get("approximate", "none") != "none":
        raise no_counterpart(
            step, KERAS, "keras.activations.gelu(x, approximate=True) computes it."
        )
    return Piece([call("layers.Activation", "gelu", name=step.label)])


def _softplus(step: Step, _inp: Value, _out: Value) -> Piece:
    beta = step.params.get("beta", 1.0)
    if beta == 1.0:
        return Piece([call("layers.Activation", "softplus", name=step.label)])
    return Piece(expression=f"keras.ops.softplus({beta!r} * {{x}}) / {beta!r}")


def _merge(kind: str) -> Translate:
    return lambda step, _inp, _out: Piece([call(f"layers.{kind}", name=step.label)], merge=True)


def _concat(step: Step, inp: Value, _out: Value) -> Piece:
    axis = inp.axis(step.params.get("dim", 1))
    return Piece(
        [call("layers.Concatenate", axis=axis if axis != -1 else None, name=step.label)], merge=True
    )


def _flatten(step: Step, inp: Value, _out: Value) -> Piece:
    if step.params.get("start_dim", 1) != 1 or step.params.get("end_dim", -1) not in (
        -1,
        len(inp.torch_shape) - 1,
    ):
        raise no_counterpart(step, KERAS, "layers.Reshape(target_shape) gives any other shape.")
    return Piece([call("layers.Flatten", name=step.label)])


def _embedding(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece(
        [
            call(
                "layers.Embedding",
                step.params["num_embeddings"],
                step.params["embedding_dim"],
                name=step.label,
            )
        ]
    )


def _recurrent(kind: str) -> Translate:
    def translate(step: Step, inp: Value, _out: Value) -> Piece:
        if step.params.get("num_layers", 1) != 1 or step.params.get("bidirectional"):
            raise no_counterpart(
                step,
                KERAS,
                f"stack one layers.{kind} per layer (return_sequences=True), wrapped in layers.Bidirectional for both directions.",
            )
        if not step.params.get("bias", True):
            raise no_counterpart(
                step, KERAS, f"layers.{kind}(use_bias=False) has no bias at all, as here."
            )
        if step.node.op == "RNN" and step.params.get("nonlinearity", "tanh") != "tanh":
            raise no_counterpart(step, KERAS, 'layers.SimpleRNN(activation="relu") computes it.')
        sequences = step.params.get("output", "sequence") == "sequence"
        return Piece(
            [
                call(
                    f"layers.{kind}",
                    step.params["hidden_size"],
                    return_sequences=True if sequences else None,
                    name=step.label,
                )
            ]
        )

    return translate


def _index(step: Step, inp: Value, _out: Value) -> Piece:
    if inp.channels_first:
        raise no_counterpart(
            step, KERAS, "index the channels-last tensor, with the channel axis last."
        )
    return Piece(expression=index_expression(step, inp))


def _identity(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece([call("layers.Identity", name=step.label)])


def _relu6(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece([call("layers.ReLU", max_value=6.0, name=step.label)])


def _relu(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece([call("layers.ReLU", name=step.label)])


def _transformer(step: Step, inp: Value, _out: Value) -> Piece:
    if not step.params.get("bias", True):
        raise no_counterpart(
            step,
            KERAS,
            "layers.MultiHeadAttention(use_bias=False) and Dense(use_bias=False) build it.",
        )
    args, keywords = transformer_arguments(step)
    kind = step.node.op  # the code's own class of that name; a decoder reads [x, memory]
    made = call(kind, *args, **keywords, name=step.label)
    return Piece([made], merge=kind == "TransformerDecoderLayer", support=kind)


def _attention(step: Step, _inp: Value, _out: Value) -> Piece:
    heads = step.params["num_heads"]
    made = call(
        "layers.MultiHeadAttention",
        num_heads=heads,
        key_dim=step.params["embed_dim"] // heads,
        dropout=step.params.get("dropout") or None,
        use_bias=False if not step.params.get("bias", True) else None,
        name=step.label,
    )
    return Piece([made], arguments="{x}, {x}")


def _zero_pad(step: Step, inp: Value, _out: Value) -> Piece:
    dims = spatial(step, inp)
    pairs = pad_pairs(step, dims)
    return Piece(
        [call(f"layers.ZeroPadding{dims}D", pairs[0] if dims == 1 else pairs, name=step.label)]
    )


def _pad_elsewise(step: Step, _inp: Value, _out: Value) -> Piece:
    raise no_counterpart(
        step, KERAS, "keras.ops.pad(x, ..., mode=...) in a layer of your own pads this way."
    )


def _upsample(step: Step, inp: Value, out: Value) -> Piece:
    dims = spatial(step, inp)
    kind, numbers = upsample_plan(step, inp, out)
    if kind == "nearest":
        return Piece([call(f"layers.UpSampling{dims}D", _one(numbers), name=step.label)])
    if dims != 2:
        raise no_counterpart(
            step,
            KERAS,
            f"layers.UpSampling{dims}D only repeats; interpolate in a layer of your own.",
        )
    factors = whole_factors(inp, numbers)
    if factors is None:
        made = call("layers.Resizing", *numbers, interpolation="bilinear", name=step.label)
    else:
        made = call("layers.UpSampling2D", _one(factors), interpolation="bilinear", name=step.label)
    return Piece([made])


def _pixel_shuffle(step: Step, inp: Value, out: Value) -> Piece:
    split, moved, joined = pixel_shuffle_plan(step, inp, out)
    return Piece(
        [
            call("layers.Reshape", split, name=f"{step.label}_split"),
            call("layers.Permute", moved, name=f"{step.label}_move"),
            call("layers.Reshape", joined, name=step.label),
        ]
    )


def _expand(step: Step, inp: Value, _out: Value) -> Piece:
    if inp.channels_first:
        raise no_counterpart(
            step, KERAS, "keras.ops.broadcast_to on the channels-last tensor repeats it."
        )
    return Piece([call("Expand", name=step.label)], merge=True, support="Expand")


def _reshape(step: Step, inp: Value, _out: Value) -> Piece:
    if inp.channels_first:
        raise no_counterpart(
            step,
            KERAS,
            "reshape the channels-last tensor (layers.Reshape), minding the axis order.",
        )
    return Piece([call("layers.Reshape", tuple(step.params["shape"]), name=step.label)])


def _permute(step: Step, inp: Value, _out: Value) -> Piece:
    if inp.channels_first:
        raise no_counterpart(
            step,
            KERAS,
            "permute the channels-last tensor (layers.Permute), minding the axis order.",
        )
    if step.node.op == "Transpose":
        rank = len(inp.torch_shape)
        perm = list(range(rank))
        a, b = (int(step.params.get(k, 0)) % rank for k in ("dim0", "dim1"))
        perm[a], perm[b] = perm[b], perm[a]
    else:
        perm = [d % len(inp.torch_shape) for d in step.params["dims"]]
    return Piece([call("layers.Permute", tuple(kept_batch(step, perm)[1:]), name=step.label)])


def _mean(step: Step, inp: Value, _out: Value) -> Piece:
    axes = tuple(inp.axis(d) for d in step.params.get("dim", [-1]))
    keep = True if step.params.get("keepdim") else None
    return Piece(
        expression=call(
            "keras.ops.mean", Code("{x}"), axis=axes[0] if len(axes) == 1 else axes, keepdims=keep
        )
    )


def _matmul(step: Step, _inp: Value, _out: Value) -> Piece:
    return Piece(expression="keras.ops.matmul({x}, {y})")


def _group_norm(step: Step, inp: Value, _out: Value) -> Piece:
    extra = {} if step.params.get("affine", True) else {"center": False, "scale": False}
    made = call(
        "layers.GroupNormalization",
        step.params["num_groups"],
        epsilon=step.params.get("eps", 1e-5),
        **extra,
        name=step.label,
    )
    return Piece([made])


def _instance_norm(step: Step, inp: Value, _out: Value) -> Piece:
    if step.params.get("track_running_stats"):
        raise no_counterpart(
            step,
            KERAS,
            "layers.GroupNormalization(groups=-1) normalises each sample, without running statistics.",
        )
    extra = {} if step.params.get("affine") else {"center": False, "scale": False}
    made = call(
        "layers.GroupNormalization",
        -1,
        epsilon=step.params.get("eps", 1e-5),
        **extra,
        name=step.label,
    )
    return Piece([made])


def _prelu(step: Step, inp: Value, _out: Value) -> Piece:
    rank = len(inp.torch_shape)
    if step.params.get("num_parameters", 1) == 1:
        shared: tuple[int, ...] | None = tuple(range(1, rank))
    elif inp.channels_first:  # channels last: one slope per channel, shared over space
        shared = tuple(range(1, rank - 1)) or None
    else:  # PyTorch's order kept: channels on axis 1, shared over the axes after it
        shared = tuple(range(2, rank)) or None
    return Piece([call("layers.PReLU", shared_axes=shared, name=step.label)])


def _unflatten(step: Step, inp: Value, out: Value) -> Piece:
    if inp.channels_first or out.channels_first:
        raise no_counterpart(
            step,
            KERAS,
            "layers.Reshape(target_shape) on the channels-last tensor, minding the axis order.",
        )
    return Piece(
        [
            call(
                "layers.Reshape",
                tuple(int(size or 0) for size in out.torch_shape[1:]),
                name=step.label,
            )
        ]
    )


def _glu(step: Step, inp: Value, _out: Value) -> Piece:
    if inp.axis(step.params.get("dim", -1)) != -1:
        raise no_counterpart(step, KERAS, "keras.ops.glu(x, axis=...) splits another axis.")
    return Piece([call("layers.Activation", "glu", name=step.label)])


def _hardtanh(step: Step, _inp: Value, _out: Value) -> Piece:
    low, high = step.params.get("min_val", -1.0), step.params.get("max_val", 1.0)
    if (low, high) == (-1.0, 1.0):
        return Piece([call("layers.Activation", "hard_tanh", name=step.label)])
    return Piece(expression=call("keras.ops.clip", Code("{x}"), low, high))


def _bounded(name: str, param: str, default: float) -> Translate:
    """An activation Keras writes by name only with PyTorch's default parameter."""

    def translate(step: Step, _inp: Value, _out: Value) -> Piece:
        if step.params.get(param, default) != default:
            raise no_counterpart(
                step,
                KERAS,
                f"keras.activations.{name}(x, ...) with {param}={step.params.get(param)} computes it.",
            )
        return Piece([call("layers.Activation", name, name=step.label)])

    return translate


_INSTEAD = {
    "Pretrained": "keras.applications holds pretrained networks of its own (e.g. keras.applications.ResNet50); use one of those.",
    "Parameter": "a layer of your own that calls self.add_weight() holds a free tensor.",
}

KERAS_LAYERS: dict[str, Translate] = {
    "Linear": lambda step, _inp, _out: Piece(
        [
            call(
                "layers.Dense",
                step.params["out_features"],
                use_bias=False if not step.params.get("bias", True) else None,
                name=step.label,
            )
        ]
    ),
    **{f"Conv{d}d": _conv for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _conv_transpose for d in (1, 2, 3)},
    **{f"MaxPool{d}d": _pool("Max") for d in (1, 2, 3)},
    **{f"AvgPool{d}d": _pool("Average") for d in (1, 2, 3)},
    **{f"AdaptiveAvgPool{d}d": _adaptive("Average") for d in (1, 2, 3)},
    **{f"AdaptiveMaxPool{d}d": _adaptive("Max") for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _batch_norm for d in (1, 2, 3)},
    "LayerNorm": _layer_norm,
    **{name: _dropout for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d")},
    "AlphaDropout": _alpha_dropout,
    "Identity": _identity,
    "ReLU": _relu,
    "ReLU6": _relu6,
    "Sigmoid": _activation("sigmoid"),
    "Tanh": _activation("tanh"),
    "SiLU": _activation("silu"),
    "SELU": _activation("selu"),
    "Mish": _activation("mish"),
    "Softsign": _activation("softsign"),
    "Tanhshrink": _activation("tanh_shrink"),
    "Hardswish": _activation("hard_swish"),
    "Hardsigmoid": _activation("hard_sigmoid"),
    "GELU": _gelu,
    "ELU": _elu,
    "LeakyReLU": _leaky,
    "Softplus": _softplus,
    "Softmax": _softmax(None),
    "LogSoftmax": _softmax("log_softmax"),
    "Add": _merge("Add"),
    "Multiply": _merge("Multiply"),
    "Concat": _concat,
    "Flatten": _flatten,
    "Embedding": _embedding,
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "RNN": _recurrent("SimpleRNN"),
    "Index": _index,
    "TransformerEncoderLayer": _transformer,
    "TransformerDecoderLayer": _transformer,
    "MultiheadAttention": _attention,
    **{f"ZeroPad{d}d": _zero_pad for d in (1, 2, 3)},
    **{
        f"{kind}Pad{d}d": _pad_elsewise
        for kind in ("Constant", "Reflection", "Replication")
        for d in (1, 2, 3)
    },
    "Upsample": _upsample,
    "PixelShuffle": _pixel_shuffle,
    "PixelUnshuffle": _pixel_shuffle,
    "Expand": _expand,
    "Reshape": _reshape,
    "Permute": _permute,
    "Transpose": _permute,
    "Mean": _mean,
    "MatMul": _matmul,
    "GroupNorm": _group_norm,
    **{f"InstanceNorm{d}d": _instance_norm for d in (1, 2, 3)},
    "GLU": _glu,
    "PReLU": _prelu,
    "Unflatten": _unflatten,
    "CELU": _bounded("celu", "alpha", 1.0),
    "Hardtanh": _hardtanh,
}


def keras_piece(step: Step, inp: Value, out: Value) -> Piece:
    """The Keras layers for ``step`` (reading ``inp``, giving ``out``), or NoCounterpart."""
    translate = KERAS_LAYERS.get(step.node.op)
    if translate is not None:
        return translate(step, inp, out)
    instead = _INSTEAD.get(
        step.node.op,
        "write it as a layer of your own (a subclass of keras.layers.Layer using keras.ops).",
    )
    if step.node.op in _INSTEAD:
        raise refused(step, KERAS, _INSTEAD)
    raise NoCounterpart(f"dlstudio does not write {describe(step)} in Keras yet: {instead}")
