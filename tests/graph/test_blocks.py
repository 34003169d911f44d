"""Named blocks: grouped layers become one node and their own nn.Module subclass."""

from __future__ import annotations

import pytest
import torch

from dlstudio import Graph, GraphError
from dlstudio.graph import examples
from tests.graph.helpers import flat_resnet

BLOCK1 = ["block1_conv1", "block1_bn1", "block1_relu1", "block1_conv2", "block1_bn2", "block1_add",
          "block1_relu2"]  # fmt: skip


def _two_uses() -> tuple[Graph, str, str]:
    graph = flat_resnet()
    first = graph.group(BLOCK1, "ResBlock")
    second = graph.group([name.replace("block1", "block2") for name in BLOCK1], "Tmp")
    graph.node(second).op = "ResBlock"
    del graph.blocks["Tmp"]
    return graph, first, second


def test_grouping_keeps_the_model_and_generates_one_class_per_block():
    before = examples.load("resnet_small")
    graph, first, second = _two_uses()
    assert graph.param_count() == before.param_count()
    code = graph.to_code()
    assert code.count("class ResBlock(nn.Module):") == 1
    assert f"self.{first} = ResBlock()" in code and f"self.{second} = ResBlock()" in code
    torch.manual_seed(0)
    model = graph.build().eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == before.param_count()
    assert graph.module_names()[f"{first}/conv1"] == f"{first}.conv1"


def test_blocks_survive_json_round_trip():
    graph, _, _ = _two_uses()
    again = Graph.from_json(graph.to_json())
    assert again == graph and again.to_code() == graph.to_code()


def test_same_block_at_different_widths_gets_two_classes():
    graph = Graph()
    x = graph.add("Input", shape=[8])
    a = graph.add("Linear", after=x, out_features=4)
    b = graph.add("ReLU", after=a)
    graph.add("Output", after=b)
    block = graph.group([a, b], "Dense")
    widen = graph.add("Linear", out_features=6)
    graph.edges = [e for e in graph.edges if e.target != block]
    graph.connect(x, widen)
    graph.connect(widen, block)
    again = graph.add("Dense")
    out = next(n.id for n in graph.nodes if n.op == "Output")
    graph.edges = [e for e in graph.edges if e.target != out]
    graph.connect(block, again)
    graph.connect(again, out)
    code = graph.to_code()
    assert "class Dense(nn.Module):" in code and "class Dense2(nn.Module):" in code
    assert graph.build()(torch.zeros(3, 8)).shape == (3, 4)


def test_problem_inside_a_block_is_reported_on_the_block_node():
    graph, first, _ = _two_uses()
    graph.blocks["ResBlock"].nodes[4].params["out_channels"] = 8  # breaks the residual Add
    problems = [p for p in graph.analyze().problems if p.node_id == first]
    assert problems and "contains a problem" in problems[0].message
    assert "Add" in problems[0].message


def test_ungroup_restores_the_layers():
    graph, first, _ = _two_uses()
    added = graph.ungroup(first)
    assert len(added) == len(BLOCK1)
    assert graph.analyze().ok and graph.param_count() == examples.load("resnet_small").param_count()


@pytest.mark.parametrize(
    ("ids", "name", "needle"),
    [
        (["input"], "Blk", "cannot go into a block"),
        (BLOCK1, "Linear", "cannot name a new block"),
        (BLOCK1, "bad name", "cannot name a new block"),
        (["block1_conv1", "stem_relu"], "Two", "exactly one layer whose output leaves"),
    ],
)
def test_bad_groups_are_refused_with_reasons(ids, name, needle):
    graph = flat_resnet()
    with pytest.raises(GraphError, match=needle):
        graph.group(ids, name)


def test_a_block_used_many_times_is_analysed_once_per_input(monkeypatch) -> None:
    """Analysis follows the document's size: 300 uses of one block cost one analysis of it."""
    from dlstudio.graph import analysis

    expanded = []
    instance_nodes = analysis.instance_nodes
    monkeypatch.setattr(
        analysis,
        "instance_nodes",
        lambda block, inputs: expanded.append(inputs) or instance_nodes(block, inputs),
    )
    graph = Graph()
    previous = graph.add("Input", shape=[8])
    fc = graph.add("Linear", after=previous, out_features=8)
    graph.add("Output", after=graph.add("ReLU", after=fc))
    unit = graph.group([fc, "relu1"], "Unit")
    (output,) = [node.id for node in graph.nodes if node.op == "Output"]
    graph.edges = [e for e in graph.edges if e.target != output]
    previous = unit
    for _ in range(300):
        previous = graph.add("Unit", after=previous)
    graph.connect(previous, output)
    shapes = graph.infer_shapes()
    assert shapes[previous] == (None, 8) and graph.param_count() == 301 * 72
    assert len(expanded) == 1
