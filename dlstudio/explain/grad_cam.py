"""Grad-CAM: a convolution layer's feature maps weighted by their average gradient, upsampled
to the input's size: where in the picture the layer found evidence for the target."""

from __future__ import annotations

from typing import Any

from captum.attr import LayerAttribution, LayerGradCam
from torch import Tensor, nn

from dlstudio.explain.base import Method


class GradCamMethod(Method):
    name = "grad_cam"
    title = "Grad-CAM"
    needs_layer = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        return LayerGradCam(model, layer)

    def defaults(self, inputs: Tensor) -> dict[str, Any]:
        return {"relu_attributions": True}  # as in the paper: only evidence for the class

    def finish(self, attributions: Tensor, inputs: Tensor) -> Tensor:
        spatial = tuple(inputs.shape[2:])
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}.get(len(spatial), "nearest")
        up = LayerAttribution.interpolate(attributions, spatial, mode)
        return up.expand(-1, inputs.shape[1], *spatial)  # (N, C, H, W), same map per channel
