"""What the Keras and Flax translations share: literals, PyTorch's sizes as tuples, padding and
pooling read the same way, and the sentence for a layer that has no counterpart.

Example:
    >>> literal((3, 3)), literal("same"), literal(0.1)
    ('(3, 3)', '"same"', '0.1')
"""

from __future__ import annotations

import json
from typing import Any

from dlstudio.graph.frameworks.program import Step, Value, not_expandable
from dlstudio.graph.tensors import as_tuple


class NoCounterpart(Exception):
    """A layer this framework cannot write as PyTorch computes it; the message says which
    layer, and what a person would write instead."""


class Code(str):
    """A piece of source written as it is (a keyword value that is not a literal)."""

    def __repr__(self) -> str:
        return str(self)


def literal(value: Any) -> str:
    """Python source for a parameter value (strings in double quotes, as ruff writes them;
    ``Code`` as it is)."""
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def call(function: str, *args: Any, **kwargs: Any) -> str:
    """``function(arg, ..., key=value)`` with every value written as a literal, None dropped.

    Example:
        >>> call("layers.Dense", 10, use_bias=False, name="fc")
        'layers.Dense(10, use_bias=False, name="fc")'
    """
    parts = [literal(a) for a in args]
    parts += [f"{key}={literal(v)}" for key, v in kwargs.items() if v is not None]
    return f"{function}({', '.join(parts)})"


def spatial(step: Step, value: Value) -> int:
    """How many spatial dimensions the layer's input has (1 for Conv1d on N, C, L)."""
    return len(value.torch_shape) - 2


def sizes(step: Step, name: str, dims: int, default: Any = None) -> tuple[int, ...]:
    value = step.params.get(name)
    if value is None:
        value = default
    return as_tuple(value, dims)


def explicit_padding(step: Step, dims: int) -> tuple[int, ...]:
    """PyTorch's padding on each spatial side as numbers (``"same"`` and ``"valid"`` read)."""
    padding = step.params.get("padding", 0)
    if padding == "valid":
        return (0,) * dims
    if padding == "same":
        kernel = sizes(step, "kernel_size", dims)
        dilation = sizes(step, "dilation", dims, 1)
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        if any(t % 2 for t in total):
            raise NoCounterpart(
                f"{describe(step)} pads 'same' unevenly (an even kernel): pad explicitly, e.g. "
                "with a ZeroPad layer, then use padding 0."
            )
        return tuple(t // 2 for t in total)
    return as_tuple(padding, dims)


def is_same_padding(step: Step, dims: int) -> bool:
    """Whether the padding keeps the size at stride 1 (the frameworks' ``"same"``)."""
    kernel = sizes(step, "kernel_size", dims)
    dilation = sizes(step, "dilation", dims, 1)
    stride = sizes(step, "stride", dims, 1)
    padding = explicit_padding(step, dims)
    return all(s == 1 for s in stride) and all(
        2 * p == d * (k - 1) for p, k, d in zip(padding, kernel, dilation, strict=True)
    )


def pool_sizes(step: Step, dims: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Window, stride and padding of a pooling layer the other frameworks can compute the same
    way: no dilation, no ceil mode."""
    if step.params.get("ceil_mode"):
        raise NoCounterpart(f"{describe(step)} rounds its output size up (ceil_mode): pad first.")
    if any(d != 1 for d in sizes(step, "dilation", dims, 1)):
        raise NoCounterpart(
            f"{describe(step)} dilates its window, which the other frameworks do not."
        )
    window = sizes(step, "kernel_size", dims)
    return window, sizes(step, "stride", dims, window), sizes(step, "padding", dims, 0)


def adaptive_window(step: Step, value: Value, dims: int) -> tuple[int, ...] | None:
    """The plain pooling window an adaptive pooling layer amounts to here: None for a global
    pool (output 1), raises when the input does not divide evenly."""
    out = sizes(step, "output_size", dims)
    inside = value.torch_shape[2:]
    if all(o == 1 for o in out):
        return None
    if any(i is None or o is None or i % o for i, o in zip(inside, out, strict=True)):
        raise NoCounterpart(
            f"{describe(step)} pools to {out} from {tuple(inside)}, which is not a whole window: "
            "choose an output size that divides the input, or a plain pooling layer."
        )
    return tuple(int(i) // int(o) for i, o in zip(inside, out, strict=True))  # type: ignore[arg-type]


def describe(step: Step) -> str:
    """The layer as a learner named it: ``layer 'conv1' (Conv2d)``."""
    return f"layer {step.node.label or step.node.id!r} ({step.node.op})"


def no_counterpart(step: Step, framework: str, instead: str) -> NoCounterpart:
    return NoCounterpart(f"{describe(step)} has no counterpart in {framework}: {instead}")


def refused(step: Step, framework: str, instead: dict[str, str]) -> NoCounterpart:
    """A layer the framework's table sends elsewhere (``instead[op]``); a timm network that is
    not written out says which of its layers stops it."""
    reason = not_expandable(step.params) if step.node.op == "Pretrained" else None
    return no_counterpart(step, framework, reason or instead[step.node.op])


def pad_pairs(step: Step, dims: int) -> tuple[tuple[int, int], ...]:
    """A pad layer's (before, after) sizes per spatial axis, first axis first (PyTorch lists
    them last axis first: left, right, top, bottom, ...).

    Example:
        >>> from dlstudio.graph import Graph
        >>> from dlstudio.graph.frameworks.program import Program
        >>> g = Graph(); x = g.add("Input", shape=[1, 4, 4])
        >>> g.add("Output", after=g.add("ZeroPad2d", after=x, padding=[1, 2, 3, 4])) and None
        >>> pad_pairs(Program.of(g).steps[1], 2)
        ((3, 4), (1, 2))
    """
    padding = step.params.get("padding", 0)
    flat = [padding] * (2 * dims) if isinstance(padding, int) else list(padding)
    pairs = [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
    return tuple(reversed(pairs))


def upsample_plan(step: Step, inp: Value, out: Value) -> tuple[str, tuple[int, ...]]:
    """An Upsample as Keras and Flax can compute it: ``("nearest", factors)``, each pixel
    repeated a whole number of times per axis, or ``("linear", sizes)``, interpolated to the
    output's spatial sizes at half-pixel centres (PyTorch's ``align_corners=False``)."""
    scale = step.params.get("scale_factor")
    if step.params.get("size") is None and float(scale or 0) != int(scale or 0):
        raise NoCounterpart(
            f"{describe(step)} scales by {scale}, not a whole number: resize with an explicit size instead."
        )
    outside = tuple(int(size or 1) for size in out.torch_shape[2:])
    mode = step.params.get("mode", "nearest")
    if mode == "nearest":
        factors = whole_factors(inp, outside)
        if factors is None:
            raise NoCounterpart(
                f"{describe(step)} picks nearest pixels for a size that is not a whole multiple of "
                "the input's, which PyTorch rounds its own way: choose a multiple, or bilinear."
            )
        return "nearest", factors
    if mode == "bicubic":
        raise NoCounterpart(
            f"{describe(step)} uses PyTorch's cubic kernel (a = -0.75), not Keras's and JAX's "
            "(a = -0.5): interpolate bilinearly instead."
        )
    if step.params.get("align_corners"):
        raise NoCounterpart(
            f"{describe(step)} aligns corners, which Keras's and JAX's resizing do not: set "
            "align_corners to False."
        )
    return "linear", outside


def whole_factors(inp: Value, sizes_: tuple[int, ...]) -> tuple[int, ...] | None:
    """How many times each spatial axis of ``inp`` grows to ``sizes_``, None where one does
    not grow a whole number of times."""
    inside = [int(size or 1) for size in inp.torch_shape[2:]]
    if any(o % i for i, o in zip(inside, sizes_, strict=True)):
        return None
    return tuple(o // i for i, o in zip(inside, sizes_, strict=True))


def dilated_kernel(step: Step, dims: int) -> tuple[int, ...]:
    """The span of each kernel axis, dilation included: ``d * (k - 1) + 1``."""
    kernel = sizes(step, "kernel_size", dims)
    dilation = sizes(step, "dilation", dims, 1)
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))


def transposed_padding(step: Step, dims: int) -> str | None:
    """A transposed convolution's padding where the frameworks have a name for it: "valid"
    (none: the full output) or "same" (the output is the input times the stride); None where
    it must be written out (with its output_padding)."""
    span = dilated_kernel(step, dims)
    stride = sizes(step, "stride", dims, 1)
    padding = sizes(step, "padding", dims, 0)
    if any(sizes(step, "output_padding", dims, 0)):
        return None
    if not any(padding) and all(k >= s for k, s in zip(span, stride, strict=True)):
        return "valid"
    if all(2 * p == k - s for p, k, s in zip(padding, span, stride, strict=True)):
        return "same"
    return None


def pixel_shuffle_plan(
    step: Step, inp: Value, out: Value
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """PixelShuffle and PixelUnshuffle on a channels-last image, in PyTorch's channel order:
    the shape to split it into, the axes to move, and the output shape (all without the batch).

    Example:
        >>> from dlstudio.graph import Graph
        >>> from dlstudio.graph.frameworks.program import Program
        >>> g = Graph(); x = g.add("Input", shape=[12, 5, 5])
        >>> g.add("Output", after=g.add("PixelShuffle", after=x, upscale_factor=2)) and None
        >>> p = Program.of(g)
        >>> pixel_shuffle_plan(p.steps[1], p.values[p.steps[0].node.id], p.values[p.steps[1].node.id])
        ((5, 5, 3, 2, 2), (1, 4, 2, 5, 3), (10, 10, 3))
    """
    channels, height, width = (int(size or 1) for size in inp.torch_shape[1:])
    result = tuple(int(size or 1) for size in out.shape[1:])
    if step.node.op == "PixelShuffle":
        r = int(step.params.get("upscale_factor", 2))
        return (height, width, channels // (r * r), r, r), (1, 4, 2, 5, 3), result
    r = int(step.params.get("downscale_factor", 2))
    return (height // r, r, width // r, r, channels), (1, 3, 5, 2, 4), result


def kept_batch(step: Step, perm: list[int]) -> list[int]:
    """A permutation that keeps the batch axis first, or NoCounterpart."""
    if perm[0] != 0:
        raise NoCounterpart(
            f"{describe(step)} moves the batch axis, which Keras and Flax layers keep first."
        )
    return perm


def index_expression(step: Step, inp: Value) -> str:
    """An Index node as indexing on ``{x}``, the same in Keras's functional API and in JAX:
    ``{x}[:, -1]``, ``{x}[:, 2:5]``."""
    dim = step.params.get("dim", 1) % len(inp.torch_shape)
    start, stop, stride = (step.params.get(k) for k in ("start", "stop", "step"))
    if start is None and stop is None:
        where = str(step.params.get("index", 0))
    else:
        where = f"{'' if start is None else start}:{'' if stop is None else stop}"
        if stride not in (None, 1):
            where += f":{stride}"
    return "{x}[" + ", ".join([":"] * dim + [where]) + "]"


def transformer_arguments(step: Step) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments of the code's own TransformerEncoderLayer and TransformerDecoderLayer
    classes (support.py), which the Keras and Flax versions share: (d_model, nhead,
    dim_feedforward) and the keywords."""
    p = step.params
    eps = p.get("layer_norm_eps", 1e-5)
    keywords = {
        "dropout": p.get("dropout", 0.1),
        "activation": p.get("activation", "relu"),
        "layer_norm_eps": eps if eps != 1e-5 else None,
        "norm_first": True if p.get("norm_first") else None,
    }
    return (p["d_model"], p["nhead"], p["dim_feedforward"]), keywords
