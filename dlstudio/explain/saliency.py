"""Saliency: the absolute gradient of the target score with respect to each input value."""

from __future__ import annotations

from typing import Any

from captum.attr import LayerGradientXActivation, Saliency
from torch import Tensor, nn

from dlstudio.explain.base import Method


class SaliencyMethod(Method):
    name = "saliency"
    title = "Saliency (|gradient|)"
    token_inputs = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        if layer is not None:  # token ids: the gradient at the embedding's output
            return LayerGradientXActivation(model, layer, multiply_by_inputs=False)
        return Saliency(model)

    def finish(self, attributions: Tensor, inputs: Tensor) -> Tensor:
        if attributions.shape != inputs.shape:  # per token: the size of the gradient
            return attributions.abs().sum(dim=-1)
        return attributions
