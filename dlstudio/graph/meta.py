"""Shapes for layers without a rule (custom modules): run the module on the ``meta`` device.

Meta tensors carry shapes but no data, so this allocates nothing; it still costs about 1 ms per
layer, which is why every built-in layer has an arithmetic rule instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from dlstudio.graph.tensors import TensorSpec, format_shape

if TYPE_CHECKING:
    from dlstudio.graph.layer_spec import LayerSpec
    from dlstudio.graph.rules import RuleContext

_PROBE_BATCH = 2


def meta_rule(spec: LayerSpec, ctx: RuleContext) -> TensorSpec:
    """Build the module on the meta device, run it once, and read the output's shape."""
    assert spec.module_class is not None
    kwargs = {p.name: ctx.p[p.name] for p in spec.params if p.torch_arg}
    inputs = [
        torch.empty(
            (_PROBE_BATCH, *item.features),
            dtype=torch.long if item.dtype == "long" else torch.float32,
            device="meta",
        )
        for item in ctx.inputs
    ]
    try:
        with torch.device("meta"):
            module = spec.module_class(**kwargs)
            out = module(*inputs)
    except Exception as error:  # a user's module may raise anything; say which node and why
        shapes = " and ".join(format_shape(item.shape) for item in ctx.inputs)
        ctx.fail(f"cannot run on its input {shapes}: {error}", "Check its parameters or input.")
    if isinstance(out, tuple | list):
        out = out[0]
    if not isinstance(out, torch.Tensor) or out.dim() == 0:
        ctx.fail("does not return a batched tensor.", "Make forward() return one tensor (N, ...).")
    ctx.weights = sum(p.numel() for p in module.parameters() if p.requires_grad)
    dtype = "float" if out.dtype.is_floating_point else "long"
    return TensorSpec((None, *(int(size) for size in out.shape[1:])), dtype)
