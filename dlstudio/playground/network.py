"""The Playground's network as a dlstudio Graph: what the code panel shows is what trains.

The features chosen are the inputs; each hidden layer is a Linear layer and the activation; the
output is one neuron, tanh for classification (labels -1 and +1) and linear for regression, as in
TensorFlow Playground. ``init_weights`` starts it the original's way: every weight uniform in
[-0.5, 0.5] and every bias 0.1 (or all zero with ``initZero``).

Example:
    >>> g = playground_graph(PlaygroundSettings(networkShape=[3], sinX=True))
    >>> [node.op for node in g.nodes]
    ['Input', 'Linear', 'Tanh', 'Linear', 'Tanh', 'Output']
    >>> g.param_count()
    16
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from dlstudio.graph import Graph
from dlstudio.playground.settings import PlaygroundError, PlaygroundSettings

CLASS_NAME = "PlaygroundNet"
ACTIVATION_OPS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": None}
WEIGHT_RANGE = 0.5
BIAS_START = 0.1


def feature_columns(xy: np.ndarray, names: list[str]) -> np.ndarray:
    """The input features ``names`` of points ``xy`` (n, 2), one column each.

    Example:
        >>> feature_columns(np.array([[2.0, 3.0]]), ["x", "xTimesY", "ySquared"]).tolist()
        [[2.0, 6.0, 9.0]]
    """
    x, y = xy[:, 0], xy[:, 1]
    formulas: dict[str, Callable[[], np.ndarray]] = {
        "x": lambda: x,
        "y": lambda: y,
        "xSquared": lambda: x * x,
        "ySquared": lambda: y * y,
        "xTimesY": lambda: x * y,
        "sinX": lambda: np.sin(x),
        "sinY": lambda: np.sin(y),
    }
    return np.stack([formulas[name]() for name in names], axis=1)


def playground_graph(settings: PlaygroundSettings) -> Graph:
    """The network of ``settings`` as a Graph (build it, or open it in the builder)."""
    features = settings.feature_names()
    if not features:
        raise PlaygroundError("Switch on at least one input feature: the network needs an input.")
    graph = Graph()
    node = graph.add("Input", shape=[len(features)])
    activation = ACTIVATION_OPS[settings.activation]
    for width in settings.networkShape:
        node = graph.add("Linear", after=node, out_features=width)
        if activation:
            node = graph.add(activation, after=node)
    node = graph.add("Linear", after=node, out_features=1)
    if settings.classification:
        node = graph.add("Tanh", after=node)
    graph.add("Output", after=node)
    return graph


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in order (hidden layers, then the output)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def init_weights(model: nn.Module, seed: int, zero: bool = False) -> None:
    """The original's start: weights uniform in [-0.5, 0.5] from ``seed``, biases 0.1
    (everything 0 with ``zero``)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in linear_layers(model):
            if zero:
                layer.weight.zero_()
                layer.bias.zero_()
                continue
            nn.init.uniform_(layer.weight, -WEIGHT_RANGE, WEIGHT_RANGE, generator=generator)
            nn.init.constant_(layer.bias, BIAS_START)
