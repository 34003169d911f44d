"""The built-in layers: one small declarative entry per layer the editor offers.

Adding a layer means adding one ``_layer(...)`` call below: its parameters, its shape rule (see
``rules.py``), how many weights it has, and how ``forward`` calls it (see ``codegen.py``). The
registry in ``layers.py`` starts from ``BUILTIN``.

Example:
    >>> BUILTIN["Conv2d"].torch, BUILTIN["Conv2d"].category
    ('nn.Conv2d', 'convolution')
"""

from __future__ import annotations

from typing import Any

from dlstudio.graph import pretrained, rules
from dlstudio.graph.layer_spec import CATEGORIES, Counter, LayerSpec
from dlstudio.graph.params import Param
from dlstudio.graph.tensors import as_tuple, product

BUILTIN: dict[str, LayerSpec] = {}
"""Every built-in layer by name, in palette order."""


def _layer(name: str, category: str, doc: str, *params: Param, **options: Any) -> None:
    assert category in CATEGORIES, category
    BUILTIN[name] = LayerSpec(name, category, doc, tuple(params), **options)


# ------------------------------------------------------------------ parameter shorthands


def _size(name: str, doc: str, default: int | None = None, **kw: Any) -> Param:
    return Param(name, "int", default, min=1, doc=doc, **kw)


def _inferred(name: str, doc: str) -> Param:
    return Param(name, "int", None, min=1, inferred=True, doc=f"{doc} Leave empty to infer it.")


def _ints(name: str, default: Any, n: int, doc: str, low: int = 1, **kw: Any) -> Param:
    return Param(name, "ints", default, min=low, max=1000, length=n, doc=doc, **kw)


def _flag(name: str, default: bool | None, doc: str, **kw: Any) -> Param:
    return Param(name, "bool", default, doc=doc, **kw)


def _real(
    name: str, default: float | None, doc: str, low: float = 0.0, high: float | None = None
) -> Param:
    return Param(name, "float", default, min=low, max=high, doc=doc)


_BIAS = _flag("bias", True, "Learn an additive bias.")
_PROB = _real("p", 0.5, "Probability of zeroing each element during training.", 0.0, 1.0)
_INPLACE = _flag("inplace", False, "Overwrite the input to save memory.")


# ----------------------------------------------------------------------- weight counters


def _linear_count(p: dict[str, Any]) -> int:
    in_features: int = p["in_features"]
    out_features: int = p["out_features"]
    return in_features * out_features + (out_features if p["bias"] else 0)


def _conv_count(n: int, transposed: bool = False) -> Counter:
    def count(p: dict[str, Any]) -> int:
        kernel = product(as_tuple(p["kernel_size"], n))
        channels_in: int = p["in_channels"]
        channels_out: int = p["out_channels"]
        groups: int = p["groups"]
        per_group = (channels_out if transposed else channels_in) // groups
        other = channels_in if transposed else channels_out
        return other * per_group * kernel + (channels_out if p["bias"] else 0)

    return count


def _affine(size_key: str, flag: str) -> Counter:
    def count(p: dict[str, Any]) -> int:
        size = p[size_key]
        size = product(size) if isinstance(size, tuple) else size
        return 2 * size if p[flag] else 0

    return count


def _recurrent_count(gates: int) -> Counter:
    def count(p: dict[str, Any]) -> int:
        hidden, directions = p["hidden_size"], 2 if p["bidirectional"] else 1
        total = 0
        for layer in range(p["num_layers"]):
            width = p["input_size"] if layer == 0 else hidden * directions
            per_direction = gates * hidden * (width + hidden) + (
                2 * gates * hidden if p["bias"] else 0
            )
            total += per_direction * directions
        return total

    return count


def _attention_count(width: int, bias: bool) -> int:
    return 4 * width * width + (4 * width if bias else 0)


def _transformer_count(attentions: int) -> Counter:
    """A transformer block: its attentions, the feed-forward network, one norm per sublayer."""

    def count(p: dict[str, Any]) -> int:
        width: int = p["d_model"]
        hidden: int = p["dim_feedforward"]
        bias: bool = p["bias"]
        feedforward = 2 * width * hidden + ((hidden + width) if bias else 0)
        norms = (attentions + 1) * (2 * width if bias else width)
        return attentions * _attention_count(width, bias) + feedforward + norms

    return count


# ----------------------------------------------------------------------------------- core

_layer(
    "Input",
    "core",
    "Where data enters the model. shape is one sample's shape, without the batch.",
    Param("shape", "shape", [1, 28, 28], key=True, doc="One sample's shape, e.g. [1, 28, 28]."),
    Param("dtype", "choice", "float", choices=("float", "long"), doc="long for token ids."),
    rule=rules.input_rule,
    emit="input",
    inputs=0,
)
_layer(
    "Output",
    "core",
    "What the model returns. Several Outputs return a tuple.",
    rule=rules.same_shape,
    emit="output",
    outputs=0,
    accepts_long=True,
)
_layer(
    "Linear",
    "core",
    "Fully connected layer: every output is a weighted sum of all input features.",
    _inferred("in_features", "Size of each input sample."),
    _size("out_features", "Size of each output sample.", 10, key=True),
    _BIAS,
    rule=rules.linear,
    torch="nn.Linear",
    positional=("in_features", "out_features"),
    count=_linear_count,
)
_layer(
    "Pretrained",
    "core",
    "A torchvision network (e.g. resnet18) or a timm one as one layer, with weights from a "
    "file: transfer learning.",
    Param("arch", "choice", "resnet18", key=True,
          choices=pretrained.ARCHITECTURES + pretrained.TIMM_ARCHITECTURES,
          doc="The architecture: torchvision's, or timm's (timm/...) when timm is installed."),
    Param("weights", "text", None, nullable=True, key=True,
          doc="A .safetensors or .pth file, or a torchvision weights name already downloaded "
              "(e.g. IMAGENET1K_V1); empty for random weights."),
    Param("trainable", "bool", False, doc="Train its weights too (off: they stay frozen)."),
    Param("features_only", "bool", False,
          doc="Drop its last Linear layer and pass on the features, for a head of your own."),
    rule=pretrained.rule,
    torch="models",
    emit="pretrained",
)  # fmt: skip
_layer(
    "Identity",
    "core",
    "Passes its input through unchanged (a placeholder or a named tap).",
    rule=rules.same_shape,
    torch="nn.Identity",
    accepts_long=True,
)
_layer(
    "Dropout",
    "core",
    "Randomly zeroes elements while training, to fight overfitting.",
    _PROB,
    _INPLACE,
    rule=rules.same_shape,
    torch="nn.Dropout",
)
_layer(
    "Embedding",
    "core",
    "Looks up a learned vector for each integer token id.",
    _size("num_embeddings", "Vocabulary size: how many different ids.", 1000, key=True),
    _size("embedding_dim", "Length of each vector.", 64, key=True),
    Param(
        "padding_idx", "int", None, nullable=True, min=-(10**7), doc="An id whose vector stays 0."
    ),
    rule=rules.embedding,
    torch="nn.Embedding",
    positional=("num_embeddings", "embedding_dim"),
    accepts_long=True,
    count=lambda p: p["num_embeddings"] * p["embedding_dim"],
)

# ---------------------------------------------------------------------------- convolution


def _conv_params(n: int, transposed: bool = False) -> tuple[Param, ...]:
    padding = (
        _ints("padding", 0, n, "Zeros added on each side.", low=0)
        if transposed
        else Param(
            "padding",
            "int_or_choice",
            0,
            min=0,
            max=1000,
            length=n,
            choices=("same", "valid"),
            doc="Zeros added on each side, or 'same' to keep the size.",
        )
    )
    extra = (
        (_ints("output_padding", 0, n, "Extra size added to one side of the output.", low=0),)
        if transposed
        else (
            Param(
                "padding_mode",
                "choice",
                "zeros",
                choices=("zeros", "reflect", "replicate", "circular"),
                doc="How the border is padded.",
            ),
        )
    )
    return (
        _inferred("in_channels", "Channels of the input."),
        _size("out_channels", "Number of filters (output channels).", 16, key=True),
        _ints("kernel_size", 3, n, "Size of the sliding window.", key=True),
        _ints("stride", 1, n, "Step of the window."),
        padding,
        *extra,
        _ints("dilation", 1, n, "Spacing between kernel elements."),
        _size("groups", "Split channels into independent groups.", 1),
        _BIAS,
    )


_OVER = {1: "sequence (N, C, L)", 2: "image (N, C, H, W)", 3: "volume (N, C, D, H, W)"}
for _n in (1, 2, 3):
    _layer(
        f"Conv{_n}d",
        "convolution",
        f"{_n}-D convolution: learned filters slide over the {_OVER[_n]}.",
        *_conv_params(_n),
        rule=rules.conv(_n),
        torch=f"nn.Conv{_n}d",
        positional=("in_channels", "out_channels", "kernel_size"),
        count=_conv_count(_n),
    )
for _n in (1, 2, 3):
    _layer(
        f"ConvTranspose{_n}d",
        "convolution",
        f"Transposed {_n}-D convolution: learned upsampling of the {_OVER[_n]}, the mirror "
        f"of Conv{_n}d.",
        *_conv_params(_n, transposed=True),
        rule=rules.conv_transpose(_n),
        torch=f"nn.ConvTranspose{_n}d",
        positional=("in_channels", "out_channels", "kernel_size"),
        count=_conv_count(_n, transposed=True),
    )

# -------------------------------------------------------------------------------- pooling


def _pool_stride(n: int) -> Param:
    return Param(
        "stride",
        "ints",
        None,
        min=1,
        max=1000,
        length=n,
        nullable=True,
        doc="Step; empty = window.",
    )


def _pool_params(n: int, dilation: bool, average: bool = False) -> tuple[Param, ...]:
    params = [
        _ints("kernel_size", 2, n, "Size of the pooling window.", key=True),
        _pool_stride(n),
        _ints("padding", 0, n, "Implicit padding on each side.", low=0),
    ]
    if dilation:
        params.append(_ints("dilation", 1, n, "Spacing between window elements."))
    params.append(_flag("ceil_mode", False, "Round the output size up instead of down."))
    if average:
        params.append(_flag("count_include_pad", True, "Count padding zeros in the average."))
    return tuple(params)


_POOLED = {1: "sequence", 2: "image", 3: "volume"}
for _n in (1, 2, 3):
    _layer(
        f"MaxPool{_n}d",
        "pooling",
        f"Keeps the largest value in each {_n}-D window, shrinking the {_POOLED[_n]}.",
        *_pool_params(_n, dilation=True),
        rule=rules.pool(_n, has_dilation=True),
        torch=f"nn.MaxPool{_n}d",
        positional=("kernel_size",),
    )
for _n in (1, 2, 3):
    _layer(
        f"AvgPool{_n}d",
        "pooling",
        f"Averages each {_n}-D window, shrinking the {_POOLED[_n]}.",
        *_pool_params(_n, dilation=False, average=True),
        rule=rules.pool(_n, has_dilation=False, unpadded=_n == 3),
        torch=f"nn.AvgPool{_n}d",
        positional=("kernel_size",),
    )
_OUTPUT_SIZES = {1: "Output length.", 2: "Output height and width.", 3: "Output D, H and W."}
for _kind, _verb in (("Avg", "Averages"), ("Max", "Max-pools")):
    for _n in (1, 2, 3):
        _layer(
            f"Adaptive{_kind}Pool{_n}d",
            "pooling",
            f"{_verb} the {_POOLED[_n]} down to a fixed output size, whatever the input size "
            "(e.g. 1 = global pooling).",
            _ints("output_size", 1, _n, _OUTPUT_SIZES[_n], key=True),
            rule=rules.adaptive_pool(_n),
            torch=f"nn.Adaptive{_kind}Pool{_n}d",
            positional=("output_size",),
        )
_layer(
    "LPPool2d",
    "pooling",
    "Power-average pooling: the p-norm of each 2-D window (p=1 sums, large p nears max).",
    Param("norm_type", "float", 2.0, min=1.0, max=1000, key=True, doc="The power p of the norm."),
    _ints("kernel_size", 2, 2, "Size of the pooling window.", key=True),
    _pool_stride(2),
    _flag("ceil_mode", False, "Round the output size up instead of down."),
    rule=rules.pool(2, has_dilation=False, has_padding=False),
    torch="nn.LPPool2d",
    positional=("norm_type", "kernel_size"),
)

# -------------------------------------------------------------------------- normalisation

_EPS = _real("eps", 1e-5, "Added to the variance for numerical stability.")
_MOMENTUM = _real("momentum", 0.1, "Weight of each batch in the running statistics.", 0.0, 1.0)
_AFFINE = _flag("affine", True, "Learn a scale and shift.")

for _name, _ranks, _where in (
    ("BatchNorm1d", (2, 3), "features (N, C) or sequences (N, C, L)"),
    ("BatchNorm2d", (4,), "images (N, C, H, W)"),
    ("BatchNorm3d", (5,), "volumes (N, C, D, H, W)"),
):
    _layer(
        _name,
        "normalisation",
        f"Normalises each channel over the batch, for {_where}.",
        _inferred("num_features", "Channels of the input."),
        _EPS,
        _MOMENTUM,
        _AFFINE,
        rule=rules.batch_norm(*_ranks),
        torch=f"nn.{_name}",
        positional=("num_features",),
        count=_affine("num_features", "affine"),
    )
for _n in (1, 2, 3):
    _layer(
        f"InstanceNorm{_n}d",
        "normalisation",
        f"Normalises each channel of each {_POOLED[_n]} on its own (style transfer, GANs).",
        _inferred("num_features", "Channels of the input."),
        _EPS,
        _MOMENTUM,
        _flag("affine", False, "Learn a scale and shift."),
        _flag("track_running_stats", False, "Keep running statistics for evaluation."),
        rule=rules.instance_norm(_n),
        torch=f"nn.InstanceNorm{_n}d",
        positional=("num_features",),
        count=_affine("num_features", "affine"),
    )
_layer(
    "LocalResponseNorm",
    "normalisation",
    "Divides each value by the activity of nearby channels (AlexNet, GoogLeNet).",
    _size("size", "Number of neighbouring channels to normalise over.", 5, key=True),
    _real("alpha", 1e-4, "Scale of the neighbours' activity."),
    _real("beta", 0.75, "Exponent of the divisor."),
    _real("k", 1.0, "Constant added to the divisor."),
    rule=rules.local_response_norm,
    torch="nn.LocalResponseNorm",
    positional=("size",),
)
_layer(
    "LayerNorm",
    "normalisation",
    "Normalises each sample over its last dimension(s); the transformer's normaliser.",
    Param(
        "normalized_shape",
        "ints",
        None,
        min=1,
        inferred=True,
        doc="Size(s) of the last dimension(s) to normalise. Leave empty to infer it.",
    ),
    _EPS,
    _flag("elementwise_affine", True, "Learn a scale and shift."),
    rule=rules.layer_norm,
    torch="nn.LayerNorm",
    positional=("normalized_shape",),
    count=_affine("normalized_shape", "elementwise_affine"),
)
_layer(
    "GroupNorm",
    "normalisation",
    "Normalises groups of channels per sample; works with any batch size.",
    _size("num_groups", "Number of channel groups.", 2, key=True),
    _inferred("num_channels", "Channels of the input."),
    _EPS,
    _AFFINE,
    rule=rules.group_norm,
    torch="nn.GroupNorm",
    positional=("num_groups", "num_channels"),
    count=_affine("num_channels", "affine"),
)
for _n in (1, 2, 3):
    _layer(
        f"Dropout{_n}d",
        "normalisation",
        f"Zeroes whole channels of {'an' if _n == 2 else 'a'} {_POOLED[_n]} while training.",
        _PROB,
        rule=rules.spatial_dropout(_n + 2),
        torch=f"nn.Dropout{_n}d",
    )
_layer(
    "AlphaDropout",
    "normalisation",
    "Dropout that keeps the mean and variance of its input; pair it with SELU.",
    _PROB,
    rule=rules.same_shape,
    torch="nn.AlphaDropout",
)

# ----------------------------------------------------------------------------- activation

for _name, _doc, _in_place in (
    ("ReLU", "max(0, x): the default activation.", True),
    ("Sigmoid", "Squashes to (0, 1); saturates for large inputs.", False),
    ("Tanh", "Squashes to (-1, 1).", False),
    ("SiLU", "x * sigmoid(x), also called swish.", True),
    ("ReLU6", "ReLU capped at 6: min(max(0, x), 6), as in MobileNet.", True),
    ("Hardswish", "A cheap, piecewise-linear swish (MobileNetV3).", True),
    ("Hardsigmoid", "A cheap, piecewise-linear sigmoid: 0 below -3, 1 above 3.", True),
    ("Mish", "x * tanh(softplus(x)): a smooth ReLU.", True),
    ("SELU", "Scaled ELU that keeps activations normalised in deep plain networks.", True),
    ("Softsign", "x / (1 + |x|): squashes to (-1, 1), more gently than Tanh.", False),
    ("Tanhshrink", "x - tanh(x): near 0 for small inputs.", False),
):
    _extra = (_INPLACE,) if _in_place else ()
    _layer(_name, "activation", _doc, *_extra, rule=rules.same_shape, torch=f"nn.{_name}")
_layer(
    "Hardtanh",
    "activation",
    "Clips values to [min_val, max_val]; linear in between.",
    _real("min_val", -1.0, "Lower limit.", low=-1e6, high=1e6),
    _real("max_val", 1.0, "Upper limit; must be above min_val.", low=-1e6, high=1e6),
    _INPLACE,
    rule=rules.hardtanh,
    torch="nn.Hardtanh",
)
_layer(
    "PReLU",
    "activation",
    "Like LeakyReLU, but learns the slope for negative inputs (one, or one per channel).",
    _size("num_parameters", "Slopes to learn: 1, or the number of channels.", 1, key=True),
    _real("init", 0.25, "Starting slope."),
    rule=rules.prelu,
    torch="nn.PReLU",
    count=lambda p: p["num_parameters"],
)
_layer(
    "Softplus",
    "activation",
    "log(1 + exp(x)): a smooth ReLU that is never exactly 0.",
    _real("beta", 1.0, "Sharpness: larger is closer to ReLU."),
    _real("threshold", 20.0, "Above this (times beta) it is just x, for stability."),
    rule=rules.same_shape,
    torch="nn.Softplus",
)
_layer(
    "CELU",
    "activation",
    "Continuously differentiable ELU.",
    _real("alpha", 1.0, "Value reached for very negative inputs; must be above 0."),
    _INPLACE,
    rule=rules.celu,
    torch="nn.CELU",
)
_layer(
    "GLU",
    "activation",
    "Gated linear unit: splits dim in two halves a, b and returns a * sigmoid(b).",
    Param("dim", "int", -1, min=-8, max=8, key=True, doc="Dimension to split (its size halves)."),
    rule=rules.glu,
    torch="nn.GLU",
)
_layer(
    "LeakyReLU",
    "activation",
    "Like ReLU, but lets a small slope through for negative inputs.",
    _real("negative_slope", 0.01, "Slope for negative inputs."),
    _INPLACE,
    rule=rules.same_shape,
    torch="nn.LeakyReLU",
)
_layer(
    "GELU",
    "activation",
    "Smooth ReLU used in transformers.",
    Param("approximate", "choice", "none", choices=("none", "tanh"), doc="Exact or tanh formula."),
    rule=rules.same_shape,
    torch="nn.GELU",
)
_layer(
    "ELU",
    "activation",
    "Exponential linear unit: smooth for negative inputs.",
    _real("alpha", 1.0, "Value reached for very negative inputs."),
    _INPLACE,
    rule=rules.same_shape,
    torch="nn.ELU",
)
for _name, _doc in (
    ("Softmax", "Turns scores into probabilities that sum to 1 along dim."),
    ("LogSoftmax", "Log of Softmax; pair it with NLLLoss (CrossEntropy already includes it)."),
):
    _layer(
        _name,
        "activation",
        _doc,
        Param("dim", "int", 1, min=-8, max=8, key=True, doc="Dimension that sums to 1."),
        rule=rules.softmax,
        torch=f"nn.{_name}",
    )

# ------------------------------------------------------------------------------ recurrent

_OUTPUT_CHOICE = Param(
    "output",
    "choice",
    "sequence",
    choices=("sequence", "last"),
    key=True,
    torch_arg=False,
    doc="Pass on every step's output (sequence) or only the last step's (last).",
)


def _recurrent_params(extra: tuple[Param, ...] = ()) -> tuple[Param, ...]:
    return (
        _inferred("input_size", "Features per time step."),
        _size("hidden_size", "Size of the hidden state.", 64, key=True),
        _size("num_layers", "Recurrent layers stacked on each other.", 1, max=64),
        *extra,
        _BIAS,
        _real("dropout", 0.0, "Dropout between stacked layers.", 0.0, 1.0),
        _flag("bidirectional", False, "Also read the sequence backwards."),
        _OUTPUT_CHOICE,
    )


for _name, _gates, _doc, _has_nonlinearity in (
    ("RNN", 1, "Simple recurrent layer over a sequence (N, L, features).", True),
    ("LSTM", 4, "Long short-term memory over a sequence (N, L, features).", False),
    ("GRU", 3, "Gated recurrent unit over a sequence (N, L, features).", False),
):
    _nonlinearity = (
        (Param("nonlinearity", "choice", "tanh", choices=("tanh", "relu"), doc="Activation."),)
        if _has_nonlinearity
        else ()
    )
    _layer(
        _name,
        "recurrent",
        _doc,
        *_recurrent_params(_nonlinearity),
        rule=rules.recurrent,
        torch=f"nn.{_name}",
        positional=("input_size", "hidden_size"),
        fixed=(("batch_first", True),),
        emit="recurrent",
        count=_recurrent_count(_gates),
    )

# ------------------------------------------------------------------------------ attention

_layer(
    "MultiheadAttention",
    "attention",
    "Self-attention over a sequence (N, L, features): each position looks at all others.",
    _inferred("embed_dim", "Features per position."),
    _size("num_heads", "Parallel attention heads; must divide embed_dim.", 4, key=True),
    _real("dropout", 0.0, "Dropout on the attention weights.", 0.0, 1.0),
    _BIAS,
    rule=rules.attention,
    torch="nn.MultiheadAttention",
    positional=("embed_dim", "num_heads"),
    fixed=(("batch_first", True),),
    emit="attention",
    count=lambda p: _attention_count(p["embed_dim"], p["bias"]),
)
_layer(
    "TransformerEncoderLayer",
    "attention",
    "One transformer encoder block: self-attention then a feed-forward network.",
    _inferred("d_model", "Features per position."),
    _size("nhead", "Attention heads; must divide d_model.", 4, key=True),
    _size("dim_feedforward", "Width of the feed-forward network.", 256),
    _real("dropout", 0.1, "Dropout rate.", 0.0, 1.0),
    Param("activation", "choice", "relu", choices=("relu", "gelu"), doc="Feed-forward activation."),
    _flag("norm_first", False, "Normalise before (pre-norm) instead of after."),
    _BIAS,
    rule=rules.transformer_encoder,
    torch="nn.TransformerEncoderLayer",
    positional=("d_model", "nhead"),
    fixed=(("batch_first", True),),
    count=_transformer_count(1),
)

_layer(
    "TransformerDecoderLayer",
    "attention",
    "One transformer decoder block: self-attention, attention to the memory (second input, "
    "e.g. an encoder's output), then a feed-forward network.",
    _inferred("d_model", "Features per position."),
    _size("nhead", "Attention heads; must divide d_model.", 4, key=True),
    _size("dim_feedforward", "Width of the feed-forward network.", 256),
    _real("dropout", 0.1, "Dropout rate.", 0.0, 1.0),
    Param("activation", "choice", "relu", choices=("relu", "gelu"), doc="Feed-forward activation."),
    _real("layer_norm_eps", 1e-5, "Added to the variance in the layer norms."),
    _flag("norm_first", False, "Normalise before (pre-norm) instead of after."),
    _BIAS,
    rule=rules.transformer_decoder,
    torch="nn.TransformerDecoderLayer",
    positional=("d_model", "nhead"),
    fixed=(("batch_first", True),),
    inputs=2,
    count=_transformer_count(2),
)

# ---------------------------------------------------------------------------------- merge

_PORTS = Param("inputs", "int", 2, min=2, max=64, torch_arg=False, doc="Number of inputs.")
for _name, _emit, _doc in (
    ("Add", "add", "Adds its inputs element by element (residual connections)."),
    ("Multiply", "multiply", "Multiplies its inputs element by element (gating)."),
):
    _layer(
        _name, "merge", _doc, _PORTS, rule=rules.elementwise, emit=_emit, variadic=True, inputs=2
    )
_layer(
    "Concat",
    "merge",
    "Joins its inputs along dim (channels by default).",
    _PORTS,
    Param(
        "dim", "int", 1, min=-8, max=8, key=True, torch_arg=False, doc="Dimension to join along."
    ),
    rule=rules.concat,
    emit="concat",
    variadic=True,
    inputs=2,
)

# -------------------------------------------------------------------------------- reshape

_layer(
    "Flatten",
    "reshape",
    "Flattens each sample into one vector, e.g. (N, 16, 5, 5) to (N, 400).",
    Param("start_dim", "int", 1, min=-8, max=8, doc="First dimension to flatten."),
    Param("end_dim", "int", -1, min=-8, max=8, doc="Last dimension to flatten."),
    rule=rules.flatten,
    torch="nn.Flatten",
    accepts_long=True,
)
_layer(
    "Unflatten",
    "reshape",
    "Splits one dimension into several, e.g. (N, 400) to (N, 16, 5, 5).",
    Param("dim", "int", 1, min=-8, max=8, doc="Dimension to split."),
    Param("unflattened_size", "shape", [1, 1], min=-1, key=True, doc="New sizes, e.g. [16, 5, 5]."),
    rule=rules.unflatten,
    torch="nn.Unflatten",
    positional=("dim", "unflattened_size"),
    accepts_long=True,
)
_layer(
    "Reshape",
    "reshape",
    "Gives each sample a new shape with the same number of values (one size may be -1).",
    Param(
        "shape",
        "shape",
        [-1],
        min=-1,
        key=True,
        doc="New shape without the batch, e.g. [16, 5, 5].",
    ),
    rule=rules.reshape,
    emit="reshape",
    accepts_long=True,
)
_layer(
    "Upsample",
    "reshape",
    "Enlarges a sequence or image by repeating or interpolating values.",
    Param(
        "size", "ints", None, min=1, max=100000, nullable=True, doc="Output size (or use scale)."
    ),
    Param("scale_factor", "float", 2.0, min=0.01, max=1000, nullable=True, key=True, doc="Scale."),
    Param(
        "mode",
        "choice",
        "nearest",
        choices=("nearest", "linear", "bilinear", "bicubic", "trilinear"),
        key=True,
        doc="Interpolation method.",
    ),
    Param("align_corners", "bool", None, nullable=True, doc="Only for linear modes."),
    rule=rules.upsample,
    torch="nn.Upsample",
)

# Padding layers: `padding` is one int for every side, or torch's (left, right, top, bottom,
# front, back), starting from the last dimension.
_SIDES = {1: "(left, right)", 2: "(left, right, top, bottom)"}
_SIDES[3] = "(left, right, top, bottom, front, back)"


def _padding(n: int) -> Param:
    return _ints(
        "padding", 1, 2 * n, f"Values added on every side, or {_SIDES[n]}.", low=0, key=True
    )


_VALUE = Param("value", "float", 0.0, min=-1e6, max=1e6, doc="The value added.")
_PADS = (
    ("ZeroPad", "constant", "Adds zeros around the last {dims}.", ()),
    ("ConstantPad", "constant", "Adds a constant value around the last {dims}.", (_VALUE,)),
    (
        "ReflectionPad",
        "reflect",
        "Pads by mirroring the values next to the border (the border itself is not repeated).",
        (),
    ),
    ("ReplicationPad", "replicate", "Pads by repeating the border values.", ()),
)
for _n in (1, 2, 3):
    for _kind, _mode, _doc, _extra in _PADS:
        _layer(
            f"{_kind}{_n}d",
            "reshape",
            _doc.format(dims=f"{_n} dimension{'s' if _n > 1 else ''}"),
            _padding(_n),
            *_extra,
            rule=rules.pad(_n, _mode),
            torch=f"nn.{_kind}{_n}d",
            positional=("padding", *(p.name for p in _extra)),
        )
_layer(
    "PixelShuffle",
    "reshape",
    "Upsamples an image by moving channels into pixels: (N, C*r*r, H, W) to (N, C, H*r, W*r).",
    _size("upscale_factor", "The factor r.", 2, key=True),
    rule=rules.pixel_shuffle,
    torch="nn.PixelShuffle",
    positional=("upscale_factor",),
)
_layer(
    "PixelUnshuffle",
    "reshape",
    "The reverse of PixelShuffle: (N, C, H*r, W*r) to (N, C*r*r, H, W).",
    _size("downscale_factor", "The factor r.", 2, key=True),
    rule=rules.pixel_unshuffle,
    torch="nn.PixelUnshuffle",
    positional=("downscale_factor",),
)
_layer(
    "ChannelShuffle",
    "reshape",
    "Interleaves the channels of its groups, so grouped convolutions mix (ShuffleNet).",
    _size("groups", "Number of channel groups; must divide the channels.", 2, key=True),
    rule=rules.channel_shuffle,
    torch="nn.ChannelShuffle",
    positional=("groups",),
)
