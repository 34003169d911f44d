"""Classic architectures rebuilt as graphs reproduce their published parameter counts."""

from __future__ import annotations

import torch
import torchvision

from dlstudio import Graph
from dlstudio.graph import examples


def _chain(graph: Graph, after: str, *layers: tuple[str, dict]) -> str:
    for op, params in layers:
        after = graph.add(op, after=after, **params)
    return after


def alexnet() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    x = _chain(
        g,
        x,
        ("Conv2d", {"out_channels": 64, "kernel_size": 11, "stride": 4, "padding": 2}),
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2}),
        ("Conv2d", {"out_channels": 192, "kernel_size": 5, "padding": 2}),
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2}),
        ("Conv2d", {"out_channels": 384, "kernel_size": 3, "padding": 1}),
        ("ReLU", {}),
        ("Conv2d", {"out_channels": 256, "kernel_size": 3, "padding": 1}),
        ("ReLU", {}),
        ("Conv2d", {"out_channels": 256, "kernel_size": 3, "padding": 1}),
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2}),
        ("AdaptiveAvgPool2d", {"output_size": 6}),
        ("Flatten", {}),
        ("Dropout", {}),
        ("Linear", {"out_features": 4096}),
        ("ReLU", {}),
        ("Dropout", {}),
        ("Linear", {"out_features": 4096}),
        ("ReLU", {}),
        ("Linear", {"out_features": 1000}),
    )
    g.add("Output", after=x)
    return g


def _basic_block(g: Graph, x: str, channels: int, stride: int) -> str:
    conv = {"kernel_size": 3, "padding": 1, "bias": False, "out_channels": channels}
    branch = _chain(
        g,
        x,
        ("Conv2d", {**conv, "stride": stride}),
        ("BatchNorm2d", {}),
        ("ReLU", {}),
        ("Conv2d", conv),
        ("BatchNorm2d", {}),
    )
    shortcut = x
    if stride != 1:
        shortcut = _chain(
            g,
            x,
            (
                "Conv2d",
                {"out_channels": channels, "kernel_size": 1, "stride": stride, "bias": False},
            ),
            ("BatchNorm2d", {}),
        )
    add = g.add("Add")
    g.connect(branch, add, 0)
    g.connect(shortcut, add, 1)
    return g.add("ReLU", after=add)


def resnet18() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[3, 224, 224])
    x = _chain(
        g,
        x,
        (
            "Conv2d",
            {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False},
        ),
        ("BatchNorm2d", {}),
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
    )
    for channels, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        x = _basic_block(g, x, channels, stride)
        x = _basic_block(g, x, channels, 1)
    x = _chain(
        g,
        x,
        ("AdaptiveAvgPool2d", {"output_size": 1}),
        ("Flatten", {}),
        ("Linear", {"out_features": 1000}),
    )
    g.add("Output", after=x)
    return g


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_lenet5_has_its_published_61706_parameters():
    graph = examples.load("lenet5")
    assert graph.param_count() == 61_706
    model = graph.build()
    assert _count(model) == 61_706
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_alexnet_matches_torchvision():
    graph = alexnet()
    reference = torchvision.models.alexnet()
    assert graph.param_count() == _count(reference) == 61_100_840
    assert graph.infer_shapes()[graph.nodes[-2].id] == (None, 1000)


def test_resnet18_matches_torchvision_count_and_output():
    graph = resnet18()
    reference = torchvision.models.resnet18()
    assert graph.param_count() == _count(reference) == 11_689_512
    model = graph.build().eval()
    assert _count(model) == 11_689_512
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)
    # Same tensors layer by layer, not just the same total.
    ours = sorted(tuple(p.shape) for p in model.parameters())
    theirs = sorted(tuple(p.shape) for p in reference.parameters())
    assert ours == theirs
