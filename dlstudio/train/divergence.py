"""Find where a diverged step first produced NaN or Inf, by re-running its batch with hooks.

This costs nothing while training goes well: the loop only checks the loss value it already
reads for the history, and the hooked re-run happens once, after the loss went non-finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from dlstudio.train.outputs import first_tensor

_ADVICE = (
    "Try a lower learning rate (t.find_lr() suggests one), standardised inputs, or a "
    "normalisation layer before the one named."
)


@dataclass(frozen=True)
class Divergence:
    """Where non-finite values appeared first: ``where`` is input, weights, output, gradient or
    loss; ``layer`` the module's qualified name (None for input and loss)."""

    where: str
    layer: str | None
    description: str


def _finite(value: object) -> bool:
    if isinstance(value, Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    if isinstance(value, tuple | list):
        return all(_finite(v) for v in value)
    return True


def describe_module(name: str, module: nn.Module, node_ids: Mapping[str, str]) -> str:
    """``layer 'fc1' (Linear)``, with the graph node when the model came from a graph."""
    label = f"layer '{name}' ({type(module).__name__}"
    node = node_ids.get(name)
    if node is not None and node != name:
        label += f", graph node '{node}'"
    return label + ")"


def locate_divergence(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    node_ids: Mapping[str, str] | None = None,
    autocast: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Divergence:
    """Re-run one batch through ``model`` and report the first non-finite value.

    Example:
        >>> class Log(nn.Module):
        ...     def forward(self, x): return x.log()
        >>> model = nn.Sequential(nn.Linear(2, 2), Log(), nn.Linear(2, 1))
        >>> with torch.no_grad(): _ = model[0].bias.fill_(-100.0)
        >>> locate_divergence(model, torch.ones(4, 2), torch.ones(4, 1), nn.MSELoss()).layer
        '1'
    """
    node_ids = node_ids or {}
    if not _finite(x):
        return Divergence("input", None, "the input batch itself contains NaN or Inf values")
    modules = [(name, m) for name, m in model.named_modules() if name]
    for name, module in modules:
        if not all(_finite(p) for p in module.parameters(recurse=False)):
            label = describe_module(name, module, node_ids)
            return Divergence(
                "weights",
                name,
                f"the weights of {label} are no longer finite (an earlier update overflowed)",
            )

    bad_outputs: list[str] = []
    bad_grads: list[str] = []
    handles = []

    def watch(name: str) -> Callable[[nn.Module, object, object], None]:
        def forward_hook(_module: nn.Module, _inputs: object, output: object) -> None:
            if not bad_outputs and not _finite(output):
                bad_outputs.append(name)
            tensor = first_tensor(output, requires_grad=True)
            if tensor is not None:
                tensor.register_hook(lambda g: bad_grads.append(name) if not _finite(g) else None)

        return forward_hook

    for name, module in modules:
        handles.append(module.register_forward_hook(watch(name)))
    try:
        with torch.enable_grad():
            model.zero_grad(set_to_none=True)
            with autocast():
                loss = loss_fn(model(x), y)
            if bad_outputs:
                name = bad_outputs[0]
                label = describe_module(name, model.get_submodule(name), node_ids)
                return Divergence("output", name, f"the output of {label} went non-finite first")
            if not math.isfinite(loss.item()):
                return Divergence(
                    "loss",
                    None,
                    "every layer's output was finite but the loss was not (check the "
                    "targets and the choice of loss)",
                )
            loss.backward()
    finally:
        for handle in handles:
            handle.remove()
        model.zero_grad(set_to_none=True)
    if bad_grads:
        name = bad_grads[0]
        label = describe_module(name, model.get_submodule(name), node_ids)
        return Divergence(
            "gradient",
            name,
            f"the gradient of the output of {label} went non-finite first "
            "(made by the backward pass of the layer that uses that output)",
        )
    return Divergence(
        "loss",
        None,
        "the batch gave finite values when run again, so the divergence depends on "
        "randomness in the model (such as dropout)",
    )


def divergence_message(step: int, loss: float, found: Divergence) -> str:
    """The learner-facing sentence for a diverged step."""
    return (
        f"Training diverged at step {step}: the loss became {loss}; {found.description}. {_ADVICE}"
    )
