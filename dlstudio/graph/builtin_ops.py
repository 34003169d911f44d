"""Tensor operations that ``forward`` writes as a method or an operator, not as a layer.

``x.mean(dim=(2, 3))``, ``x.permute(0, 2, 1)``, ``x.transpose(1, 2)``, ``a @ b`` and ``x[:, 0]``
are what models imported with ``Graph.from_module`` call between their layers; a learned tensor
of the model's own (``nn.Parameter``, e.g. a ViT's class token) is a node too. Each entry has
its shape rule beside it; the code generator writes each as the expression above (see the
``emit`` kinds in ``codegen.py``). Only a Parameter has weights: its own tensor. A Parameter
without a leading 1 (a (C, 1, 1) scale) broadcasts from the right: use it in Add, Multiply or
MatMul.

Example:
    >>> OPS["Permute"].emit, OPS["MatMul"].inputs
    ('permute', 2)
"""

from __future__ import annotations

import math
from typing import Any

from dlstudio.graph.layer_spec import LayerSpec
from dlstudio.graph.params import Param
from dlstudio.graph.rules import RuleContext
from dlstudio.graph.tensors import TensorSpec, format_shape

OPS: dict[str, LayerSpec] = {}
"""Every tensor operation by name, in palette order."""

MAX_DIM = 8


def _op(name: str, category: str, doc: str, *params: Param, **options: Any) -> None:
    OPS[name] = LayerSpec(name, category, doc, tuple(params), emit=name.lower(), **options)


def _dim(name: str, default: int, doc: str, **kw: Any) -> Param:
    return Param(name, "int", default, min=-MAX_DIM, max=MAX_DIM, doc=doc, torch_arg=False, **kw)


def _not_batch(ctx: RuleContext, dim: int, rank: int, name: str, what: str) -> int:
    """``dim`` normalised; the batch dimension (0) is refused: samples stay independent."""
    axis = ctx.dim(dim, rank, name)
    if axis == 0:
        ctx.fail(
            f"would {what} the batch dimension ({name}={dim}), mixing the samples of a batch.",
            f"Choose a dimension from 1 to {rank - 1}.",
        )
    return axis


def _listed(ctx: RuleContext, name: str) -> tuple[int, ...]:
    """An ``ints`` parameter as a tuple: the user may give one number (``dim=2``) for a list.

    Written back, so that the code generator reads the tuple too.
    """
    value = ctx.p[name]
    listed = (value,) if isinstance(value, int) else tuple(value)
    ctx.p[name] = listed
    return listed


# ---------------------------------------------------------------------------------- rules


def mean(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    dims = _listed(ctx, "dim")
    axes = {_not_batch(ctx, d, x.rank, "dim", "average over") for d in dims}
    if len(axes) < len(dims):
        ctx.fail(f"names a dimension twice in dim={list(dims)}.", "List each dimension once.")
    if ctx.p["keepdim"]:
        return TensorSpec(tuple(1 if i in axes else size for i, size in enumerate(x.shape)))
    return TensorSpec(tuple(size for i, size in enumerate(x.shape) if i not in axes))


def permute(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    dims = _listed(ctx, "dims")
    if len(dims) != x.rank:
        ctx.fail(
            f"reorders {len(dims)} dimensions, but its input {format_shape(x.shape)} has {x.rank}.",
            f"List all {x.rank} dimensions once, starting with 0 (the batch).",
        )
    axes = [ctx.dim(d, x.rank, "dims") for d in dims]
    if sorted(axes) != list(range(x.rank)):
        ctx.fail(f"must list each dimension once, not {list(dims)}.", "Use each of 0..rank-1 once.")
    if axes[0] != 0:
        ctx.fail(
            f"moves the batch dimension (dims={list(dims)}), mixing the samples of a batch.",
            "Keep 0 first.",
        )
    return TensorSpec(tuple(x.shape[axis] for axis in axes), x.dtype)


def transpose(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    first = _not_batch(ctx, ctx.p["dim0"], x.rank, "dim0", "swap")
    second = _not_batch(ctx, ctx.p["dim1"], x.rank, "dim1", "swap")
    shape = list(x.shape)
    shape[first], shape[second] = shape[second], shape[first]
    return TensorSpec(tuple(shape), x.dtype)


def matmul(ctx: RuleContext) -> TensorSpec:
    a, b = ctx.inputs
    if a.rank < 3 or a.rank != b.rank:
        ctx.fail(
            f"multiplies matrices sample by sample, so both inputs need the same number of "
            f"dimensions (at least 3 with the batch), but receives {format_shape(a.shape)} and "
            f"{format_shape(b.shape)}.",
            "Reshape the inputs to (N, rows, columns) first.",
        )
    if a.size(-1) != b.size(-2):
        ctx.fail(
            f"multiplies {format_shape(a.shape)} by {format_shape(b.shape)}: the first's last "
            f"size ({a.size(-1)}) must equal the second's next-to-last ({b.size(-2)}).",
            "Transpose the second input (Transpose dim0=-2, dim1=-1) or fix the sizes.",
        )
    middle: list[int | None] = []
    for axis in range(1, a.rank - 2):
        sizes = {a.size(axis), b.size(axis)} - {1}
        if len(sizes) > 1:
            ctx.fail(
                f"cannot broadcast {format_shape(a.shape)} with {format_shape(b.shape)} "
                f"(dimension {axis} differs).",
                "Give both inputs the same sizes before the last two dimensions.",
            )
        middle.append(sizes.pop() if sizes else 1)
    return TensorSpec((None, *middle, a.size(-2), b.size(-1)))


def index(ctx: RuleContext) -> TensorSpec:
    x = ctx.x
    axis = _not_batch(ctx, ctx.p["dim"], x.rank, "dim", "index")
    size = x.size(axis)
    position = ctx.p["index"]
    if position is not None:
        if not -size <= position < size:
            ctx.fail(
                f"picks position {position} of dimension {axis}, but its input "
                f"{format_shape(x.shape)} has only {size} there.",
                f"Pick a position from {-size} to {size - 1}.",
            )
        return TensorSpec(tuple(s for i, s in enumerate(x.shape) if i != axis), x.dtype)
    kept = len(range(*slice(ctx.p["start"], ctx.p["stop"], ctx.p["step"]).indices(size)))
    if kept == 0:
        ctx.fail(
            f"keeps nothing of dimension {axis} (size {size}) with "
            f"{slice_text(ctx.p['start'], ctx.p['stop'], ctx.p['step'])}.",
            "Choose start and stop so that the range holds at least one position.",
        )
    shape = list(x.shape)
    shape[axis] = kept
    return TensorSpec(tuple(shape), x.dtype)


def parameter(ctx: RuleContext) -> TensorSpec:
    shape = _listed(ctx, "shape")
    # A leading 1 is the batch axis the tensor is broadcast (or expanded) over.
    return TensorSpec((None, *shape[1:]) if shape[0] == 1 else (None, *shape))


def expand(ctx: RuleContext) -> TensorSpec:
    tensor = ctx.inputs[0]
    return TensorSpec(tensor.shape, tensor.dtype)


def slice_text(start: int | None, stop: int | None, step: int) -> str:
    """``1:3``, ``::2``, ``:``: a slice as Python writes it."""
    text = f"{'' if start is None else start}:{'' if stop is None else stop}"
    return text if step == 1 else f"{text}:{step}"


# -------------------------------------------------------------------------------- catalog

_op(
    "Mean",
    "pooling",
    "Averages over the given dimensions, e.g. dim=[2, 3] averages each image channel.",
    Param(
        "dim",
        "ints",
        [-1],
        min=-MAX_DIM,
        max=MAX_DIM,
        key=True,
        torch_arg=False,
        doc="Dimensions to average over (1 is the first after the batch).",
    ),  # fmt: skip
    Param("keepdim", "bool", False, torch_arg=False, doc="Keep them with size 1."),
    rule=mean,
)
_op(
    "Permute",
    "reshape",
    "Reorders the dimensions, e.g. dims=[0, 2, 3, 1] turns (N, C, H, W) into (N, H, W, C).",
    Param(
        "dims",
        "ints",
        [0, 2, 1],
        min=-MAX_DIM,
        max=MAX_DIM,
        key=True,
        torch_arg=False,
        doc="Every dimension once, in the new order; 0 (the batch) stays first.",
    ),  # fmt: skip
    rule=permute,
    accepts_long=True,
)
_op(
    "Transpose",
    "reshape",
    "Swaps two dimensions, e.g. (N, L, features) to (N, features, L).",
    _dim("dim0", 1, "One dimension to swap.", key=True),
    _dim("dim1", 2, "The other.", key=True),
    rule=transpose,
    accepts_long=True,
)
_op(
    "Index",
    "reshape",
    "Picks one position (x[:, 0]) or a range (x[:, 1:3]) along one dimension.",
    _dim("dim", 1, "The dimension to index (1 is the first after the batch).", key=True),
    Param(
        "index",
        "int",
        0,
        nullable=True,
        min=-(10**7),
        key=True,
        torch_arg=False,
        doc="The position to pick; empty to take the range start:stop:step.",
    ),  # fmt: skip
    Param(
        "start",
        "int",
        None,
        nullable=True,
        min=-(10**7),
        torch_arg=False,
        doc="First position of the range (empty: from the beginning).",
    ),  # fmt: skip
    Param(
        "stop",
        "int",
        None,
        nullable=True,
        min=-(10**7),
        torch_arg=False,
        doc="Position after the range (empty: to the end).",
    ),  # fmt: skip
    Param("step", "int", 1, min=1, torch_arg=False, doc="Take every step-th position."),
    rule=index,
    accepts_long=True,
)
_op(
    "MatMul",
    "merge",
    "Matrix product of two inputs, sample by sample (a @ b), as attention computes scores.",
    rule=matmul,
    inputs=2,
)
_op(
    "Parameter",
    "core",
    "A tensor the model learns as it is (a class token, a position embedding, a scale).",
    Param(
        "shape",
        "ints",
        [1, 1, 64],
        min=1,
        max=10**7,
        key=True,
        torch_arg=False,
        doc="Its full shape; a leading 1 is broadcast over the batch.",
    ),  # fmt: skip
    rule=parameter,
    inputs=0,
    count=lambda p: math.prod(p["shape"]),
)
_op(
    "Expand",
    "reshape",
    "Repeats a batch-less tensor (e.g. a Parameter) for every sample of the second input's batch.",
    rule=expand,
    inputs=2,
    accepts_long=True,  # moves values unchanged; the second input (often token ids) gives N
)
