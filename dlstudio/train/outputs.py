"""Reading what a model or a layer returns: its main tensor, and class probabilities.

Shared by training (divergence checks), inspection (hooks on every layer), attribution and the
live results views, so that each reads outputs the same way.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def first_tensor(value: Any, requires_grad: bool = False) -> Tensor | None:
    """The first tensor in a module's output (LSTM and attention layers return tuples), or
    None; with ``requires_grad``, the first one autograd tracks.

    Example:
        >>> out = (torch.zeros(2), (torch.ones(3, requires_grad=True), None))
        >>> first_tensor(out).shape, first_tensor(out, requires_grad=True).shape
        (torch.Size([2]), torch.Size([3]))
    """
    if isinstance(value, Tensor):
        return value if value.requires_grad or not requires_grad else None
    if isinstance(value, list | tuple):
        for item in value:
            found = first_tensor(item, requires_grad)
            if found is not None:
                return found
    return None


def class_probabilities(logits: Tensor) -> Tensor:
    """(N, C) probabilities from a model's outputs: a softmax over classes, or for a single
    logit per sample the two classes' probabilities (a sigmoid, as the loss reads it).

    Example:
        >>> class_probabilities(torch.zeros(3, 1)).tolist()
        [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
        >>> class_probabilities(torch.zeros(1, 4)).sum().item()
        1.0
    """
    logits = logits.detach().float().reshape(len(logits), -1)
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(logits, dim=1)
