"""Small reference models for the attribution tests."""

from __future__ import annotations

import torch
from torch import nn

from dlstudio import Graph


def cnn_graph() -> Graph:
    """Input(1, 12, 12) → conv1 → relu1 → conv2 → relu2 → pool → flatten → fc (4 classes)."""
    g = Graph()
    x = g.add("Input", shape=[1, 12, 12])
    x = g.add("Conv2d", after=x, out_channels=4, kernel_size=3, padding=1)
    x = g.add("ReLU", after=x)
    x = g.add("Conv2d", after=x, out_channels=6, kernel_size=3, padding=1)
    x = g.add("ReLU", after=x)
    x = g.add("MaxPool2d", after=x, kernel_size=2)
    x = g.add("Flatten", after=x)
    x = g.add("Linear", after=x, out_features=4)
    g.add("Output", after=x)
    return g


def cnn() -> tuple[Graph, nn.Module]:
    torch.manual_seed(0)
    graph = cnn_graph()
    return graph, graph.build().eval()


def tabular() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).eval()


def images(n: int = 3) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(n, 1, 12, 12)
