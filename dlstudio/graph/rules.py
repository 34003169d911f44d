"""Shape rules: plain arithmetic giving each layer's output from its inputs, as torch computes it.

A rule reads the node's parameters (``ctx.p``), fills in the sizes it can infer, and returns the
output TensorSpec, or fails with a sentence a learner understands. tests/graph/test_rules.py holds
every rule against a real forward pass, so the rules cannot drift from what training does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from dlstudio.graph.errors import ShapeFailure
from dlstudio.graph.tensors import TensorSpec, as_tuple, format_shape, product

if TYPE_CHECKING:
    from dlstudio.graph.analysis import BlockUse
    from dlstudio.graph.document import Node

Rule = Callable[["RuleContext"], TensorSpec]

_LAYOUTS = {
    2: "features shaped (N, features)",
    3: "a sequence shaped (N, C, L) or (N, L, features)",
    4: "images shaped (N, C, H, W)",
    5: "volumes shaped (N, C, D, H, W)",
}


class RuleContext:
    """What a rule sees of one node: its title, parameters and incoming tensors."""

    def __init__(
        self,
        node_id: str,
        node: Node,
        params: dict[str, Any],
        inputs: list[TensorSpec],
        source_nodes: list[Node],
    ):
        self.node_id = node_id
        self.p = params
        self.inputs = inputs
        self._node = node
        self._source_nodes = source_nodes
        self.weights: int | None = None
        """Set by a rule that counts the layer's weights itself (custom layers, blocks)."""
        self.block_use: BlockUse | None = None
        """Set by a named block's rule: the block's own analysis for this use."""

    @property
    def title(self) -> str:
        """``Linear 'fc1'``; built only when a message needs it (this runs on every edit)."""
        return self._node.title

    @property
    def given(self) -> dict[str, Any]:
        """The parameters the user set, before defaults were filled in."""
        return self._node.params

    @property
    def sources(self) -> list[str]:
        return [node.title for node in self._source_nodes]

    @property
    def x(self) -> TensorSpec:
        return self.inputs[0]

    def fail(
        self, message: str, hint: str | None = None, fix: dict[str, Any] | None = None
    ) -> NoReturn:
        fix_doc = {"node_id": self.node_id, "params": fix} if fix is not None else None
        raise ShapeFailure(f"{self.title} {message}", hint, fix_doc)

    def infer(self, name: str, actual: int | tuple[int, ...], what: str, index: int = 0) -> None:
        """Fill an inferred size, or fail when the size given disagrees with the input."""
        given = self.p.get(name)
        if given is None:
            self.p[name] = actual
            return
        if given == actual:
            return
        spec = self.inputs[index]
        origin = f"from {self.sources[index]}"
        if spec.note:
            origin = f"{spec.note} {origin}"
        self.fail(
            f"expects {_n(given)} {what} but receives {_n(actual)} ({origin}).",
            f"Set {name} to {_plain(actual)} or leave it empty to infer it.",
            {name: None},
        )

    def require_rank(self, *ranks: int) -> TensorSpec:
        spec = self.x
        if spec.rank in ranks:
            return spec
        wanted = " or ".join(_LAYOUTS.get(rank, f"{rank} dimensions") for rank in ranks)
        self.fail(
            f"expects {wanted} but receives {format_shape(spec.shape)} from {self.sources[0]}.",
            _rank_hint(spec.rank, ranks[0]),
        )

    def dim(self, dim: int, rank: int, name: str = "dim") -> int:
        """Normalise a possibly negative dimension index, failing when it is out of range."""
        if not -rank <= dim < rank:
            self.fail(
                f"has {name}={dim}, but its input {format_shape(self.x.shape)} has only "
                f"{rank} dimensions (0 to {rank - 1}).",
                f"Set {name} to a value from {-rank} to {rank - 1}.",
            )
        return dim % rank


def _n(value: int | tuple[int, ...]) -> str:
    if isinstance(value, tuple):
        return "x".join(str(item) for item in value)
    return f"{value:,}"


def _plain(value: int | tuple[int, ...]) -> str:
    return str(list(value)) if isinstance(value, tuple) else str(value)


def _rank_hint(have: int, want: int) -> str | None:
    if have > want == 2:
        return "Add a Flatten layer before it."
    if have < want:
        return "Add an Unflatten or Reshape layer before it to give the tensor more dimensions."
    if have > want:
        return "Add a Flatten, Reshape or pooling layer before it to remove dimensions."
    return None


# ----------------------------------------------------------------------------- simple rules


def same_shape(ctx: RuleContext) -> TensorSpec:
    return TensorSpec(ctx.x.shape, ctx.x.dtype)


def input_rule(ctx: RuleContext) -> TensorSpec:
    return TensorSpec((None, *ctx.p["shape"]), ctx.p["dtype"])


def linear(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 2:
        ctx.require_rank(2)
    ctx.infer("in_features", x.size(-1), "input features")
    return TensorSpec((*x.shape[:-1], ctx.p["out_features"]))


def softmax(ctx: RuleContext) -> TensorSpec:
    ctx.dim(ctx.p["dim"], ctx.x.rank)
    return same_shape(ctx)


def hardtanh(ctx: RuleContext) -> TensorSpec:
    low, high = ctx.p["min_val"], ctx.p["max_val"]
    if high <= low:
        ctx.fail(
            f"clips to [{low}, {high}], but max_val must be greater than min_val.",
            "Raise max_val above min_val (the defaults are -1.0 and 1.0).",
        )
    return same_shape(ctx)


def celu(ctx: RuleContext) -> TensorSpec:
    if ctx.p["alpha"] == 0:
        ctx.fail("has alpha 0, but CELU divides by alpha.", "Set alpha above 0.", {"alpha": 1.0})
    return same_shape(ctx)


def prelu(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 2:
        ctx.require_rank(2, 3, 4)
    count, channels = ctx.p["num_parameters"], x.size(1)
    if count not in (1, channels):
        ctx.fail(
            f"learns {count} slopes, but its input {format_shape(x.shape)} has {channels} "
            "channels: it needs one slope in all or one per channel.",
            f"Set num_parameters to 1 or {channels}.",
            {"num_parameters": 1},
        )
    return same_shape(ctx)


def glu(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    dim = ctx.dim(ctx.p["dim"], x.rank)
    if dim == 0:
        ctx.fail("would halve the batch dimension.", "Set dim to -1.", {"dim": -1})
    size = x.size(dim)
    if size % 2:
        ctx.fail(
            f"splits dimension {dim} of {format_shape(x.shape)} into two halves, but its size "
            f"({size}) is odd.",
            "Make that dimension even, or choose another dim.",
        )
    return TensorSpec((*x.shape[:dim], size // 2, *x.shape[dim + 1 :]))


def spatial_dropout(rank: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        ctx.require_rank(rank)
        return same_shape(ctx)

    return rule


# ------------------------------------------------------------------------------ convolutions


def _padding(ctx: RuleContext, n: int, strides: tuple[int, ...]) -> tuple[int, ...] | str:
    padding = ctx.p["padding"]
    if padding == "valid":
        return (0,) * n
    if padding == "same":
        if any(stride != 1 for stride in strides):
            ctx.fail(
                "uses padding='same' with a stride above 1, which PyTorch does not support.",
                "Set stride to 1, or give padding as a number.",
            )
        return "same"
    return as_tuple(padding, n)


def _check_groups(ctx: RuleContext, channels_in: int, channels_out: int) -> None:
    groups = ctx.p["groups"]
    for what, size in (("input channels", channels_in), ("output channels", channels_out)):
        if size % groups:
            ctx.fail(
                f"splits its {what} ({size}) into {groups} groups, which does not divide evenly.",
                "Choose groups that divides both the input and output channels.",
            )


def _too_small(ctx: RuleContext, sizes: tuple[int, ...]) -> NoReturn:
    ctx.fail(
        f"does not fit its input {format_shape(ctx.x.shape)}: the {_n(sizes)} window is larger "
        "than the (padded) input.",
        "Use a smaller kernel_size, add padding, or remove a pooling layer before it.",
    )


def _check_border(ctx: RuleContext, sides: tuple[int, int], size: int) -> None:
    """Reflect padding needs more values than it pads; circular padding may wrap once."""
    mode, widest = ctx.p["padding_mode"], max(sides)
    limit = {"reflect": size - 1, "circular": size}.get(mode)
    if limit is not None and widest > limit:
        ctx.fail(
            f"pads {widest} values on one side with padding_mode '{mode}', but its input "
            f"{format_shape(ctx.x.shape)} has only {size} along that axis.",
            f"Pad at most {limit} there (a smaller padding or kernel_size), "
            "or use padding_mode 'zeros' or 'replicate'.",
        )


class _Window(NamedTuple):
    x: TensorSpec
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]


def _conv_window(ctx: RuleContext, n: int) -> _Window:
    """What every convolution checks first: rank, in_channels, groups; then its window."""
    x = ctx.require_rank(n + 2)
    ctx.infer("in_channels", x.size(1), "input channels")
    _check_groups(ctx, ctx.p["in_channels"], ctx.p["out_channels"])
    return _Window(
        x,
        as_tuple(ctx.p["kernel_size"], n),
        as_tuple(ctx.p["stride"], n),
        as_tuple(ctx.p["dilation"], n),
    )


def conv(n: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        x, kernel, stride, dilation = _conv_window(ctx, n)
        padding = _padding(ctx, n, stride)
        spatial = []
        for i, size in enumerate(x.features[1:]):
            span = dilation[i] * (kernel[i] - 1) + 1
            if isinstance(padding, str):  # "same"
                # torch pads span - 1 in all, the odd value on the right.
                sides = ((span - 1) // 2, span - 1 - (span - 1) // 2)
            else:
                sides = (padding[i], padding[i])
            _check_border(ctx, sides, size)
            if size + sum(sides) < span:
                _too_small(ctx, kernel)
            out = (size + sum(sides) - span) // stride[i] + 1
            spatial.append(size if padding == "same" else out)
        return TensorSpec((None, ctx.p["out_channels"], *spatial))

    return rule


def conv_transpose(n: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        x, kernel, stride, dilation = _conv_window(ctx, n)
        padding = as_tuple(ctx.p["padding"], n)
        extra = as_tuple(ctx.p["output_padding"], n)
        spatial = []
        for i, size in enumerate(x.features[1:]):
            if extra[i] >= max(stride[i], dilation[i]):
                ctx.fail(
                    f"has output_padding {extra[i]}, but it must be smaller than the stride "
                    "or the dilation.",
                    "Lower output_padding.",
                )
            out = (size - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1)
            out += extra[i] + 1
            if out < 1:
                ctx.fail(
                    f"would produce an empty output from {format_shape(x.shape)}.",
                    "Lower the padding.",
                )
            spatial.append(out)
        return TensorSpec((None, ctx.p["out_channels"], *spatial))

    return rule


# ---------------------------------------------------------------------------------- pooling


def pool(n: int, has_dilation: bool, has_padding: bool = True, unpadded: bool = False) -> Rule:
    """``unpadded``: the window must fit the input before padding (torch's avg_pool3d)."""

    def rule(ctx: RuleContext) -> TensorSpec:
        x = ctx.require_rank(n + 2)
        kernel = as_tuple(ctx.p["kernel_size"], n)
        if unpadded and any(size < side for size, side in zip(x.features[1:], kernel, strict=True)):
            ctx.fail(
                f"does not fit its input {format_shape(x.shape)}: the {_n(kernel)} window is "
                "larger than the input, and here padding does not count.",
                "Use a smaller kernel_size, or remove a pooling layer before it.",
            )
        stride = as_tuple(ctx.p["stride"], n) if ctx.p["stride"] is not None else kernel
        padding = as_tuple(ctx.p["padding"], n) if has_padding else (0,) * n
        dilation = as_tuple(ctx.p["dilation"], n) if has_dilation else (1,) * n
        ceil_mode = ctx.p["ceil_mode"]
        spatial = []
        for i, size in enumerate(x.features[1:]):
            span = dilation[i] * (kernel[i] - 1) + 1
            # torch bounds padding by the kernel itself, not by its dilated span.
            limit = kernel[i] // 2
            if padding[i] > limit:
                ctx.fail(
                    f"has padding {padding[i]}, but padding may be at most half the window "
                    f"({limit}).",
                    f"Set padding to {limit} or less.",
                )
            numerator = size + 2 * padding[i] - span + (stride[i] - 1 if ceil_mode else 0)
            out = numerator // stride[i] + 1
            if ceil_mode and (out - 1) * stride[i] >= size + padding[i]:
                out -= 1
            if out < 1:
                _too_small(ctx, kernel)
            spatial.append(out)
        return TensorSpec((None, x.shape[1], *spatial))

    return rule


def adaptive_pool(n: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        x = ctx.require_rank(n + 2)
        return TensorSpec((None, x.shape[1], *as_tuple(ctx.p["output_size"], n)))

    return rule


# ---------------------------------------------------------------------------- normalisation


def batch_norm(*ranks: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        x = ctx.require_rank(*ranks)
        ctx.infer("num_features", x.size(1), "channels")
        return same_shape(ctx)

    return rule


def instance_norm(n: int) -> Rule:
    def rule(ctx: RuleContext) -> TensorSpec:
        x = ctx.require_rank(n + 2)
        ctx.infer("num_features", x.size(1), "channels")
        if product(x.features[1:]) == 1:
            ctx.fail(
                f"normalises each channel of each sample on its own, but its input "
                f"{format_shape(x.shape)} has only one value per channel.",
                "Use BatchNorm or GroupNorm here, or normalise before the size shrinks to 1.",
            )
        return same_shape(ctx)

    return rule


def local_response_norm(ctx: RuleContext) -> TensorSpec:
    if ctx.x.rank < 3:
        ctx.require_rank(3, 4, 5)
    return same_shape(ctx)


def layer_norm(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    given = ctx.p["normalized_shape"]
    trailing = len(given) if isinstance(given, tuple) else 1
    if trailing > x.rank - 1:
        ctx.fail(
            f"normalises over {trailing} dimensions, but its input {format_shape(x.shape)} has "
            f"only {x.rank - 1} besides the batch.",
            "Leave normalized_shape empty to normalise over the last dimension.",
            {"normalized_shape": None},
        )
    actual: int | tuple[int, ...] = x.features[-trailing:]
    if trailing == 1 and not isinstance(given, tuple):
        actual = x.features[-1]
    ctx.infer("normalized_shape", actual, "features in its last dimensions")
    return same_shape(ctx)


def group_norm(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 2:
        ctx.require_rank(2, 3, 4)
    ctx.infer("num_channels", x.size(1), "channels")
    groups = ctx.p["num_groups"]
    if ctx.p["num_channels"] % groups:
        channels = ctx.p["num_channels"]
        options = [d for d in range(1, channels + 1) if channels % d == 0][:8]
        ctx.fail(
            f"splits {channels} channels into {groups} groups, which does not divide evenly.",
            f"Choose num_groups that divides {channels}, e.g. {options}.",
        )
    return same_shape(ctx)


# ---------------------------------------------------------------------------------- reshape


def flatten(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    start = ctx.dim(ctx.p["start_dim"], x.rank, "start_dim")
    end = ctx.dim(ctx.p["end_dim"], x.rank, "end_dim")
    if start == 0:
        ctx.fail(
            "would fold the batch dimension into the features.",
            "Keep start_dim at 1.",
            {"start_dim": 1},
        )
    if start > end:
        ctx.fail(f"has start_dim {start} after end_dim {end}.", "Make start_dim <= end_dim.")
    merged = x.shape[start : end + 1]
    note = "x".join(str(size) for size in merged) if len(merged) > 1 else None
    return TensorSpec((*x.shape[:start], product(merged), *x.shape[end + 1 :]), x.dtype, note)


def _resolve_sizes(
    ctx: RuleContext, sizes: tuple[int, ...], total: int, name: str
) -> tuple[int, ...]:
    known = product(size for size in sizes if size != -1)
    if -1 in sizes:
        if total % known:
            ctx.fail(
                f"cannot split {total:,} values into {list(sizes)}.",
                f"Choose sizes whose product divides {total:,}.",
            )
        return tuple(total // known if size == -1 else size for size in sizes)
    if known != total:
        ctx.fail(
            f"reshapes {total:,} values into {list(sizes)}, which hold {known:,}.",
            f"Choose {name} whose sizes multiply to {total:,}.",
        )
    return sizes


def unflatten(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    dim = ctx.dim(ctx.p["dim"], x.rank)
    if dim == 0:
        ctx.fail("cannot split the batch dimension.", "Set dim to 1 or more.", {"dim": 1})
    sizes = _resolve_sizes(ctx, ctx.p["unflattened_size"], x.size(dim), "unflattened_size")
    return TensorSpec((*x.shape[:dim], *sizes, *x.shape[dim + 1 :]), x.dtype)


def reshape(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    sizes = _resolve_sizes(ctx, ctx.p["shape"], product(x.features), "a shape")
    return TensorSpec((None, *sizes), x.dtype)


def upsample(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    mode = ctx.p["mode"]
    ranks = {"linear": (3,), "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}
    x = ctx.require_rank(*ranks.get(mode, (3, 4, 5)))
    size, scale = ctx.p["size"], ctx.p["scale_factor"]
    if size is not None and "scale_factor" not in ctx.given:
        # Giving a size replaces the default scale (2.0): torch takes only one of the two.
        scale = ctx.p["scale_factor"] = None
    if (size is None) == (scale is None):
        ctx.fail(
            "needs exactly one of size or scale_factor.",
            "Keep size and clear scale_factor, or the other way round.",
            {"scale_factor": None},
        )
    if ctx.p["align_corners"] is not None and mode == "nearest":
        ctx.fail(
            "sets align_corners, which only applies to the linear modes.",
            "Leave align_corners empty.",
            {"align_corners": None},
        )
    n = x.rank - 2
    if isinstance(size, tuple) and len(size) != n:
        ctx.fail(
            f"gives size {list(size)}, but its input {format_shape(x.shape)} has {n} "
            f"dimension{'s' if n != 1 else ''} to resize.",
            f"Give size as one number or a list of {n}.",
        )
    if size is not None:
        spatial = as_tuple(size, n)
    else:
        spatial = tuple(int(side * scale) for side in x.features[1:])
    if min(spatial) < 1:
        ctx.fail(f"would produce an empty output {spatial}.", "Use a larger scale_factor.")
    return TensorSpec((None, x.shape[1], *spatial))


def pad(n: int, mode: str) -> Rule:
    """ZeroPad/ConstantPad/ReflectionPad/ReplicationPad{n}d: pads the last n dimensions.

    ``padding`` is torch's: one int for every side, or (left, right, top, bottom, front, back),
    starting from the last dimension.
    """
    ranks = (n + 1, n + 2)

    def rule(ctx: RuleContext) -> TensorSpec:
        x = ctx.x
        constant = mode == "constant"
        if x.rank < n + 1 or (not constant and x.rank > n + 2):
            layouts = " or ".join(_LAYOUTS.get(rank, f"{rank} dimensions") for rank in ranks)
            more = " (or more dimensions)" if constant else ""
            ctx.fail(
                f"expects {layouts}{more} but receives {format_shape(x.shape)} from "
                f"{ctx.sources[0]}.",
                _rank_hint(x.rank, n + 1 if x.rank < n + 1 else n + 2),
            )
        sides = as_tuple(ctx.p["padding"], 2 * n)
        shape = list(x.shape)
        for i in range(n):
            axis = x.rank - 1 - i
            before, after = sides[2 * i], sides[2 * i + 1]
            size = x.size(axis)
            if mode == "reflect" and max(before, after) >= size:
                ctx.fail(
                    f"reflects {max(before, after)} values on one side of dimension {axis}, but "
                    f"its input {format_shape(x.shape)} has only {size} there: reflection "
                    "padding must be smaller than the size it mirrors.",
                    f"Pad at most {size - 1} there, or use ReplicationPad or ZeroPad.",
                )
            shape[axis] = size + before + after
        return TensorSpec(tuple(shape))

    return rule


def pixel_shuffle(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 4:
        ctx.require_rank(4)
    factor = ctx.p["upscale_factor"]
    channels, height, width = x.features[-3:]
    if channels % (factor * factor):
        ctx.fail(
            f"turns groups of {factor * factor} channels ({factor}x{factor}) into pixels, but "
            f"its input {format_shape(x.shape)} has {channels} channels.",
            f"Give it a channel count divisible by {factor * factor}, or lower upscale_factor.",
        )
    spatial = (channels // (factor * factor), height * factor, width * factor)
    return TensorSpec((*x.shape[:-3], *spatial))


def pixel_unshuffle(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 4:
        ctx.require_rank(4)
    factor = ctx.p["downscale_factor"]
    channels, height, width = x.features[-3:]
    if height % factor or width % factor:
        ctx.fail(
            f"folds {factor}x{factor} pixels into channels, but its input "
            f"{format_shape(x.shape)} is {height}x{width}, not divisible by {factor}.",
            "Choose a downscale_factor that divides the height and the width.",
        )
    spatial = (channels * factor * factor, height // factor, width // factor)
    return TensorSpec((*x.shape[:-3], *spatial))


def channel_shuffle(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.rank < 3:
        ctx.require_rank(3, 4, 5)
    groups, channels = ctx.p["groups"], x.size(1)
    if channels % groups:
        ctx.fail(
            f"shuffles {channels} channels between {groups} groups, which does not divide evenly.",
            f"Choose groups that divides {channels}.",
        )
    return same_shape(ctx)


def embedding(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    if x.dtype != "long":
        ctx.fail(
            f"needs integer token ids, but receives floating-point values from {ctx.sources[0]}.",
            "Set the Input's dtype to long, or use Linear for continuous features.",
        )
    padding_idx = ctx.p["padding_idx"]
    count = ctx.p["num_embeddings"]
    if padding_idx is not None and not -count <= padding_idx < count:
        ctx.fail(
            f"has padding_idx {padding_idx} outside its {count:,} embeddings.",
            "Leave padding_idx empty or pick an id below num_embeddings.",
            {"padding_idx": None},
        )
    return TensorSpec((*x.shape, ctx.p["embedding_dim"]))


# ----------------------------------------------------------------------- sequences, attention


def recurrent(ctx: RuleContext) -> TensorSpec:
    x = ctx.require_rank(3)
    ctx.infer("input_size", x.size(2), "features per step")
    size = ctx.p["hidden_size"] * (2 if ctx.p["bidirectional"] else 1)
    if ctx.p["output"] == "last":
        return TensorSpec((None, size))
    return TensorSpec((None, x.shape[1], size))


def _heads(ctx: RuleContext, width_name: str, heads_name: str) -> None:
    width, heads = ctx.p[width_name], ctx.p[heads_name]
    if width % heads:
        options = [d for d in range(1, min(width, 16) + 1) if width % d == 0]
        ctx.fail(
            f"splits {width} features into {heads} heads, which does not divide evenly.",
            f"Choose {heads_name} that divides {width}, e.g. one of {options}.",
        )


def attention(ctx: RuleContext) -> TensorSpec:
    x = ctx.require_rank(3)
    ctx.infer("embed_dim", x.size(2), "features per position")
    _heads(ctx, "embed_dim", "num_heads")
    return same_shape(ctx)


def transformer_encoder(ctx: RuleContext) -> TensorSpec:
    x = ctx.require_rank(3)
    ctx.infer("d_model", x.size(2), "features per position")
    _heads(ctx, "d_model", "nhead")
    return same_shape(ctx)


def transformer_decoder(ctx: RuleContext) -> TensorSpec:
    """Port 0 is the target sequence (N, T, d_model), port 1 the memory (N, S, d_model)."""
    x = ctx.require_rank(3)
    ctx.infer("d_model", x.size(2), "features per position")
    _heads(ctx, "d_model", "nhead")
    memory = ctx.inputs[1]
    width = ctx.p["d_model"]
    if memory.rank != 3 or memory.size(2) != width:
        ctx.fail(
            f"attends to a memory of {width} features per position (N, S, {width}), but "
            f"receives {format_shape(memory.shape)} from {ctx.sources[1]} on its second input.",
            "Connect the encoder's output (the same width as the target sequence) to the "
            "second input.",
        )
    return same_shape(ctx)


# --------------------------------------------------------------------------------- merging


def _same_rank(ctx: RuleContext) -> int:
    ranks = {spec.rank for spec in ctx.inputs}
    if len(ranks) > 1:
        shapes = " and ".join(format_shape(spec.shape) for spec in ctx.inputs)
        ctx.fail(
            f"needs inputs with the same number of dimensions, but receives {shapes}.",
            "Reshape or Flatten one branch so both match.",
        )
    return ranks.pop()


def elementwise(ctx: RuleContext) -> TensorSpec:
    rank = _same_rank(ctx)
    out: list[int | None] = [None]
    for axis in range(1, rank):
        sizes = {spec.shape[axis] for spec in ctx.inputs} - {1}
        if len(sizes) > 1:
            shapes = " and ".join(format_shape(spec.shape) for spec in ctx.inputs)
            ctx.fail(
                f"needs inputs of the same shape, but receives {shapes} (dimension {axis} "
                "differs).",
                "Change the layers before it so both branches give the same shape "
                "(e.g. a 1x1 Conv2d or a Linear on the shortcut).",
            )
        out.append(sizes.pop() if sizes else 1)
    dtype = "long" if all(spec.dtype == "long" for spec in ctx.inputs) else "float"
    return TensorSpec(tuple(out), dtype)


def concat(ctx: RuleContext) -> TensorSpec:
    rank = _same_rank(ctx)
    dim = ctx.dim(ctx.p["dim"], rank)
    if dim == 0:
        ctx.fail("cannot join along the batch dimension.", "Set dim to 1.", {"dim": 1})
    for axis in range(1, rank):
        sizes = {spec.shape[axis] for spec in ctx.inputs}
        if axis != dim and len(sizes) > 1:
            shapes = " and ".join(format_shape(spec.shape) for spec in ctx.inputs)
            ctx.fail(
                f"joins along dimension {dim}, so every other dimension must match, but it "
                f"receives {shapes}.",
                "Change dim, or reshape one branch.",
            )
    joined = sum(spec.size(dim) for spec in ctx.inputs)
    shape = list(ctx.inputs[0].shape)
    shape[dim] = joined
    dtype = "long" if all(spec.dtype == "long" for spec in ctx.inputs) else "float"
    return TensorSpec(tuple(shape), dtype)
