"""Named blocks in the ModelBuilder, Python side: grouping and ungrouping through requests."""

from __future__ import annotations

import pytest
import torch

from dlstudio.ui import ModelBuilder, protocol

from .builder_page import BLOCK1, flat_resnet
from .recording_builder import RecordingBuilder


def test_group_request_makes_a_block_node_and_its_class() -> None:
    b = RecordingBuilder(flat_resnet())
    params_before = b.param_count
    reply = b.request(type="group_block", id=1, ids=BLOCK1, name="ResBlock")
    assert reply["ok"], reply["error"]
    node_id = reply["result"]["node_id"]
    graph = b.graph
    assert set(graph.blocks) == {"ResBlock"}
    assert graph.node(node_id).op == "ResBlock"
    assert not any(n.id in BLOCK1 for n in graph.nodes)
    assert "class ResBlock(nn.Module)" in b.code
    assert b.param_count == params_before
    assert b.block_params == {node_id: 4672}
    assert b.shapes[node_id] == [None, 16, 32, 32]
    assert b.selection == [node_id]
    model = b.build()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_ungroup_request_restores_the_layers_and_drops_the_block() -> None:
    b = RecordingBuilder(flat_resnet())
    node_id = b.request(type="group_block", id=1, ids=BLOCK1, name="ResBlock")["result"]["node_id"]
    reply = b.request(type="ungroup_block", id=2, node_id=node_id)
    assert reply["ok"], reply["error"]
    assert len(reply["result"]["ids"]) == len(BLOCK1)
    assert b.graph.blocks == {}
    assert b.block_params == {}
    assert "class ResBlock" not in b.code
    assert b.param_count == ModelBuilder("resnet_small").param_count


def test_a_second_use_of_a_block_from_the_page_is_analysed() -> None:
    b = RecordingBuilder(flat_resnet())
    node_id = b.request(type="group_block", id=1, ids=BLOCK1, name="ResBlock")["result"]["node_id"]
    # The page drops the block again from its palette: a new node with op ResBlock, wired in.
    doc = b.graph.to_dict()
    out_edge = next(e for e in doc["edges"] if e["source"] == node_id)
    doc["nodes"].append({"id": "resblock2", "op": "ResBlock", "params": {}})
    doc["edges"].remove(out_edge)
    doc["edges"] += [
        {"source": node_id, "target": "resblock2", "target_port": 0},
        {"source": "resblock2", "target": out_edge["target"], "target_port": 0},
    ]
    b.edit(doc)
    assert b.error == ""
    assert b.problems == []
    assert b.block_params == {node_id: 4672, "resblock2": 4672}
    assert b.code.count("class ResBlock(nn.Module)") == 1
    assert "self.resblock2 = ResBlock()" in b.code


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"ids": BLOCK1, "name": "resblock"}, "cannot name a new block"),
        ({"ids": BLOCK1, "name": "Conv2d"}, "cannot name a new block"),
        ({"ids": ["input"], "name": "Stem"}, "Inputs and Outputs"),
        ({"ids": ["nope"], "name": "Stem"}, "No node with id 'nope'"),
    ],
)
def test_group_refusals_are_sentences_and_leave_the_graph(message: dict, words: str) -> None:
    b = RecordingBuilder(flat_resnet())
    before = b.graph
    reply = b.request(type="group_block", id=7, **message)
    assert not reply["ok"] and reply["id"] == 7
    assert words in reply["error"]
    assert b.graph == before


def test_ungroup_of_a_plain_layer_or_a_missing_node_is_refused() -> None:
    b = RecordingBuilder(flat_resnet())
    plain = b.request(type="ungroup_block", id=1, node_id="block1_conv1")
    assert not plain["ok"] and "is not a block" in plain["error"]
    missing = b.request(type="ungroup_block", id=2, node_id="gone")
    assert not missing["ok"] and "no node 'gone'" in missing["error"]


def test_group_request_fields_are_checked() -> None:
    sent = {"type": "group_block", "view": "v", "id": 1, "base": 0}
    with pytest.raises(protocol.ProtocolError, match="must list strings"):
        protocol.parse_request({**sent, "ids": [1, 2], "name": "A"})
    with pytest.raises(protocol.ProtocolError, match="lacks its 'name'"):
        protocol.parse_request({**sent, "ids": ["a"]})


def test_blocks_survive_reading_the_graph_back() -> None:
    b = RecordingBuilder(flat_resnet())
    b.request(type="group_block", id=1, ids=BLOCK1, name="ResBlock")
    again = ModelBuilder(b.graph)
    assert set(again.graph.blocks) == {"ResBlock"}
    assert again.code == b.code
