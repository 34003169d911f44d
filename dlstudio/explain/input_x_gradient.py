"""Input × Gradient: each input value times the gradient of the target score."""

from __future__ import annotations

from typing import Any

from captum.attr import InputXGradient, LayerGradientXActivation
from torch import nn

from dlstudio.explain.base import Method


class InputXGradientMethod(Method):
    name = "input_x_gradient"
    title = "Input × Gradient"
    token_inputs = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        if layer is not None:  # token ids: embedding values times their gradient
            return LayerGradientXActivation(model, layer)
        return InputXGradient(model)
