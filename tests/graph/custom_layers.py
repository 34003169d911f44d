"""Custom nn.Modules for tests/graph/test_custom_layers.py (importable, as generated code needs)."""

from __future__ import annotations

import torch
from torch import nn


class Scale(nn.Module):
    """Multiplies by a learned per-feature scale."""

    def __init__(self, features: int = 4, start: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.full((features,), start))

    def forward(self, x):
        return x * self.scale


class PairSum(nn.Module):
    """Adds two inputs and doubles the result."""

    def forward(self, a, b):
        return 2 * (a + b)
