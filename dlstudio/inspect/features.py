"""Feature maps of convolution layers and attention weights of attention layers, for one input."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from dlstudio.train.outputs import first_tensor

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def _module(model: nn.Module, layer: str | nn.Module) -> nn.Module:
    if isinstance(layer, nn.Module):
        return layer
    names = dict(model.named_modules())
    if layer not in names:
        raise KeyError(
            f"The model has no layer named {layer!r}; its layers are: "
            f"{', '.join(n for n in names if n) or 'none'}."
        )
    return names[layer]


def conv_layers(model: nn.Module) -> list[str]:
    """Qualified names of the model's convolution layers, in definition order."""
    return [name for name, m in model.named_modules() if isinstance(m, CONVS)]


def attention_layers(model: nn.Module) -> list[str]:
    """Qualified names of the model's ``nn.MultiheadAttention`` layers."""
    return [name for name, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]


@torch.no_grad()
def feature_maps(model: nn.Module, inputs: Tensor, layer: str | nn.Module) -> Tensor:
    """The output of ``layer`` for the first sample of ``inputs``: (channels, ...) on the CPU.

    Example:
        >>> maps = feature_maps(model, x[:1], "features.0")  # doctest: +SKIP
        >>> maps.shape  # doctest: +SKIP
        torch.Size([6, 28, 28])
    """
    module = _module(model, layer)
    seen: list[Tensor | None] = []
    handle = module.register_forward_hook(lambda m, a, out: seen.append(first_tensor(out)))
    was_training = model.training
    model.eval()
    try:
        model(inputs[:1])
    finally:
        handle.remove()
        model.train(was_training)
    if not seen or seen[0] is None:
        raise ValueError(f"Layer {layer!r} did not run for this input, so it has no feature maps.")
    return seen[0][0].detach().float().cpu()


def attention_weights(model: nn.Module, inputs: Tensor) -> dict[str, Tensor]:
    """Attention weights of every ``nn.MultiheadAttention`` for the first sample of ``inputs``:
    ``{layer: (heads, target_len, source_len)}`` on the CPU, each row summing to 1.

    The layers are asked for their weights (``need_weights=True`` per head) even where the
    model's code passes ``need_weights=False`` (as ``nn.TransformerEncoderLayer`` does).

    Example:
        >>> w = attention_weights(model, tokens[:1])  # doctest: +SKIP
        >>> w["layers.1.self_attn"].shape  # doctest: +SKIP
        torch.Size([4, 16, 16])
    """
    found: dict[str, Tensor] = {}
    handles: list[Any] = []

    def ask(module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, {**kwargs, "need_weights": True, "average_attn_weights": False}

    def keep(name: str):
        def hook(module: nn.Module, args: Any, kwargs: Any, output: Any) -> None:
            if name not in found and isinstance(output, tuple) and output[1] is not None:
                found[name] = output[1][0].detach().float().cpu()

        return hook

    for name in attention_layers(model):
        module = _module(model, name)
        handles.append(module.register_forward_pre_hook(ask, with_kwargs=True))
        handles.append(module.register_forward_hook(keep(name), with_kwargs=True))
    was_training = model.training
    model.eval()
    try:
        # Grad mode on: without it nn.TransformerEncoderLayer takes a fused fast path that
        # never calls its attention module, so no weights could be seen.
        with torch.enable_grad():
            model(inputs[:1])
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return found
