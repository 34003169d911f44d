"""Graphs shared by the benchmarks, so that each measures the same model."""

from __future__ import annotations

from dlstudio import Graph


def small_cnn() -> Graph:
    """Conv(16) → ReLU → MaxPool → Flatten → Linear(10) on 1x8x8 digits."""
    g = Graph()
    x = g.add("Input", shape=[1, 8, 8])
    x = g.add("Conv2d", after=x, out_channels=16, kernel_size=3, padding=1)
    x = g.add("ReLU", after=x)
    x = g.add("MaxPool2d", after=x, kernel_size=2)
    x = g.add("Flatten", after=x)
    x = g.add("Linear", after=x, out_features=10)
    g.add("Output", after=x)
    return g
