"""Small graphs and data bundles shared by the training tests."""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from dlstudio import Graph
from dlstudio.datasets import DataBundle


def chain(*nodes: dict) -> Graph:
    """A graph whose nodes are connected one after the other."""
    ids = [n["id"] for n in nodes]
    edges = [{"source": a, "target": b} for a, b in zip(ids, ids[1:], strict=False)]
    return Graph.from_dict({"version": 1, "nodes": list(nodes), "edges": edges})


def cnn_graph(channels: int = 16, classes: int = 10, shape: tuple = (1, 8, 8)) -> Graph:
    """Input -> Conv2d -> ReLU -> MaxPool2d -> Flatten -> Linear -> Output."""
    return chain(
        {"id": "in", "op": "Input", "params": {"shape": list(shape)}},
        {
            "id": "conv",
            "op": "Conv2d",
            "params": {"out_channels": channels, "kernel_size": 3, "padding": 1},
        },
        {"id": "relu", "op": "ReLU"},
        {"id": "pool", "op": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "flat", "op": "Flatten"},
        {"id": "fc", "op": "Linear", "params": {"out_features": classes}},
        {"id": "out", "op": "Output"},
    )


def mlp_graph(inputs: int = 2, hidden: int = 64, outputs: int = 2) -> Graph:
    return chain(
        {"id": "in", "op": "Input", "params": {"shape": [inputs]}},
        {"id": "fc1", "op": "Linear", "params": {"out_features": hidden}},
        {"id": "act1", "op": "ReLU"},
        {"id": "fc2", "op": "Linear", "params": {"out_features": hidden}},
        {"id": "act2", "op": "ReLU"},
        {"id": "fc3", "op": "Linear", "params": {"out_features": outputs}},
        {"id": "out", "op": "Output"},
    )


def blob_bundle(n: int = 240, features: int = 4, classes: int = 3, seed: int = 0) -> DataBundle:
    """Separable Gaussian blobs as a classification bundle of TensorDatasets."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, features, generator=g) * 3
    y = torch.randint(0, classes, (n,), generator=g)
    x = centers[y] + torch.randn(n, features, generator=g)
    cut = int(n * 0.75)
    return DataBundle(
        name="blobs",
        train=TensorDataset(x[:cut], y[:cut]),
        val=TensorDataset(x[cut:], y[cut:]),
        input_shape=(features,),
        task="classification",
        num_classes=classes,
        classes=[str(i) for i in range(classes)],
        output_size=classes,
    )


def regression_bundle(n: int = 200, features: int = 3, seed: int = 0) -> DataBundle:
    """y = x @ w + noise, one target per row."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    y = (x @ torch.tensor([1.5, -2.0, 0.5])[:features]).unsqueeze(1)
    y = y + 0.05 * torch.randn(n, 1, generator=g)
    cut = int(n * 0.75)
    return DataBundle(
        name="linear",
        train=TensorDataset(x[:cut], y[:cut]),
        val=TensorDataset(x[cut:], y[cut:]),
        input_shape=(features,),
        task="regression",
        output_size=1,
    )
