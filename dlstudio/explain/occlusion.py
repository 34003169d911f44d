"""Occlusion: slide a patch of baseline values over the input and record how much the target
score drops; no gradients, so it also works on token ids."""

from __future__ import annotations

from typing import Any

from captum.attr import Occlusion
from torch import Tensor, nn

from dlstudio.explain.base import Method, internal_batch_size


class OcclusionMethod(Method):
    name = "occlusion"
    title = "Occlusion"
    uses_baselines = True
    batch_option = "perturbations_per_eval"
    token_inputs = True

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        return Occlusion(model)

    def defaults(self, inputs: Tensor) -> dict[str, Any]:
        sample = tuple(inputs.shape[1:])
        if len(sample) >= 3:  # images (C, H, W): all channels, 1/7 of each side
            window = (sample[0], *(max(1, s // 7) for s in sample[1:]))
            strides = (sample[0], *(max(1, w // 2) for w in window[1:]))
        else:  # one feature or one token at a time
            window = strides = (1,) * len(sample)
        per_pass = max(1, internal_batch_size(inputs) // max(1, len(inputs)))
        return {
            "sliding_window_shapes": window,
            "strides": strides,
            "perturbations_per_eval": min(per_pass, 64),
        }
