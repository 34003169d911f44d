"""DeepLift: how much each input moved the target score away from its value at a baseline,
propagated backwards layer by layer with the rescale rule."""

from __future__ import annotations

from typing import Any

from captum.attr import DeepLift
from torch import nn

from dlstudio.explain.base import Method


class DeepLiftMethod(Method):
    name = "deeplift"
    title = "DeepLift"
    has_delta = True
    uses_baselines = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        return DeepLift(model)
