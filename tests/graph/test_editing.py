"""Whole-graph edits (dlstudio.graph.editing): readable ids when grouping, fixes, old imports."""

from __future__ import annotations

import importlib
import re

import pytest

from dlstudio import Graph
from dlstudio.graph import editing, examples
from tests.graph.helpers import flat_resnet

BLOCK1 = ["block1_conv1", "block1_bn1", "block1_relu1", "block1_conv2", "block1_bn2", "block1_add",
          "block1_relu2"]  # fmt: skip


def _block(number: int) -> list[str]:
    return [node_id.replace("block1", f"block{number}") for node_id in BLOCK1]


def test_group_ids_never_run_two_numbers_together():
    graph = flat_resnet()
    graph.add("Identity", id="resblock3_1")
    ids = [graph.group(_block(1), "ResBlock2"), graph.group(_block(2), "ResBlock3")]
    assert ids == ["resblock2_1", "resblock3_2"]
    assert not any(re.fullmatch(r"[a-z]+\d{2,}", node.id) for node in graph.nodes)


def test_group_takes_the_next_free_number():
    graph = flat_resnet()
    graph.add("Identity", id="resblock1")
    assert graph.group(BLOCK1, "ResBlock") == "resblock2"


def test_grouping_an_ungrouped_block_gives_the_same_block_back():
    original = examples.load("resnet_small").blocks["ResBlock"]
    graph = flat_resnet()
    graph.group(BLOCK1, "ResBlock")
    again = graph.blocks["ResBlock"]
    assert [(n.id, n.op, n.params) for n in again.nodes if n.op != "Input"] == [
        (n.id, n.op, n.params) for n in original.nodes if n.op != "Input"
    ]
    assert set(again.edges) == set(original.edges)


def test_ungroup_never_reuses_an_id_in_the_graph():
    graph = flat_resnet()
    block = graph.group(BLOCK1, "ResBlock")
    graph.add("Identity", id=f"{block}_conv1")
    added = graph.ungroup(block)
    assert f"{block}_conv1_1" in added and f"{block}_bn1" in added
    ids = [node.id for node in graph.nodes]
    assert len(ids) == len(set(ids))


def test_apply_fix_returns_a_fixed_copy():
    graph = Graph()
    graph.add("Linear", id="fc", in_features=5, out_features=3)
    fixed = editing.apply_fix(graph, {"node_id": "fc", "params": {"in_features": None}})
    assert fixed.node("fc").params == {"out_features": 3}
    assert graph.node("fc").params == {"in_features": 5, "out_features": 3}
    with pytest.raises(KeyError, match="no node 'gone'"):
        editing.apply_fix(graph, {"node_id": "gone", "params": {}})
    with pytest.raises(ValueError, match="node_id"):
        editing.apply_fix(graph, {"params": {}})


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("group", "dlstudio.graph.editing"),
        ("ungroup", "dlstudio.graph.editing"),
        ("BlockDefinition", "dlstudio.graph.document"),
        ("block_problems", "dlstudio.graph.document"),
        ("MAX_BLOCKS", "dlstudio.graph.document"),
        ("instance_nodes", "dlstudio.graph.analysis"),
    ],
)
def test_old_blocks_module_still_works_with_a_warning(name, home):
    blocks = importlib.import_module("dlstudio.graph.blocks")
    with pytest.warns(DeprecationWarning, match=home):
        value = getattr(blocks, name)
    assert value is getattr(importlib.import_module(home), name)
