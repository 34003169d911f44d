"""Integrated Gradients: gradients averaged along the straight path from a baseline to the
input, times the difference; the attributions add up to f(input) − f(baseline)."""

from __future__ import annotations

from typing import Any

from captum.attr import IntegratedGradients, LayerIntegratedGradients
from torch import Tensor, nn

from dlstudio.explain.base import Method, internal_batch_size


class IntegratedGradientsMethod(Method):
    name = "integrated_gradients"
    title = "Integrated Gradients"
    has_delta = True
    uses_baselines = True
    batch_option = "internal_batch_size"
    token_inputs = True
    renamed = {"integration": "method"}  # Captum's "method" clashes with explain(method=...)

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        if layer is not None:  # token ids: the path runs through the embedding's output
            return LayerIntegratedGradients(model, layer)
        return IntegratedGradients(model)

    def defaults(self, inputs: Tensor) -> dict[str, Any]:
        steps = 50
        # Captum runs n_steps copies of every sample: one internal batch holds whole samples'
        # worth of steps where they fit.
        batch = max(steps, internal_batch_size(inputs) // steps * steps)
        return {"n_steps": steps, "internal_batch_size": min(batch, steps * len(inputs))}
