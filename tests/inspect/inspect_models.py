"""Small reference models shared by the inspection tests (Captum style: one testing module)."""

from __future__ import annotations

import torch
from torch import nn


def small_cnn() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 4 * 4, 10),
    )  # fmt: skip


def deep_sigmoid(depth: int = 10, width: int = 64) -> nn.Sequential:
    """The broken design: a deep stack of sigmoids (trained with a huge learning rate)."""
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Flatten()]
    features = 64
    for _ in range(depth):
        layers += [nn.Linear(features, width), nn.Sigmoid()]
        features = width
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


class Overflow(nn.Module):
    """Multiplies by a huge number: its output overflows to infinity."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 1e38 * 1e38
