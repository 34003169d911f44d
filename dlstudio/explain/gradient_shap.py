"""GradientShap: Integrated Gradients in expectation over random baselines and noisy inputs
(an approximation of SHAP values)."""

from __future__ import annotations

from typing import Any

import torch
from captum.attr import GradientShap
from torch import Tensor, nn

from dlstudio.explain.base import Method


class GradientShapMethod(Method):
    name = "gradient_shap"
    title = "GradientShap"
    has_delta = True
    uses_baselines = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        return GradientShap(model)

    def defaults(self, inputs: Tensor) -> dict[str, Any]:
        # Two baselines, both without randomness (so a seed before the call fixes the result):
        # all zeros (the standardised data's mean) and the batch's own mean.
        zeros = torch.zeros_like(inputs[:1])
        baselines = torch.cat([zeros, inputs.mean(dim=0, keepdim=True)])
        return {"baselines": baselines, "n_samples": 20, "stdevs": 0.1}
