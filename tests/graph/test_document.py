"""The graph document: strict reading, every problem at once, partial shapes, atomic saving."""

from __future__ import annotations

import json
import os

import pytest

from dlstudio import Graph, GraphError, layers
from dlstudio.cli import main


def _doc(nodes, edges):
    return {"version": 1, "nodes": nodes, "edges": edges}


def _chain(*nodes):
    ids = [node["id"] for node in nodes]
    return _doc(
        list(nodes), [{"source": a, "target": b} for a, b in zip(ids, ids[1:], strict=False)]
    )


def test_validate_lists_every_problem_at_once():
    document = _doc(
        [
            {"id": "in", "op": "Input", "params": {"shape": [4]}},
            {"id": "a", "op": "Linar"},
            {"id": "b", "op": "Linear", "params": {"out_feature": 3}},
            {"id": "c", "op": "ReLU"},
            {"id": "d", "op": "ReLU"},
        ],
        [
            {"source": "in", "target": "b"},
            {"source": "c", "target": "d"},
            {"source": "d", "target": "c"},
            {"source": "b", "target": "ghost"},
        ],
    )
    with pytest.raises(GraphError) as caught:
        Graph.from_dict(document).validate()
    problems = caught.value.problems
    text = "\n".join(str(problem) for problem in problems)
    assert "Did you mean Linear?" in text
    assert "no parameter 'out_feature'" in text and "Did you mean out_features?" in text
    assert "part of a loop" in text
    assert "does not exist: 'ghost'" in text
    assert "no Output node" in text
    assert {problem.node_id for problem in problems} >= {"a", "b", "c", "d", None}
    assert isinstance(caught.value, ValueError)


def test_failing_node_keeps_the_shapes_before_it():
    document = _chain(
        {"id": "in", "op": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "conv", "op": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
        {"id": "big", "op": "Conv2d", "params": {"out_channels": 4, "kernel_size": 9}},
        {"id": "after", "op": "ReLU"},
        {"id": "out", "op": "Output"},
    )
    graph = Graph.from_dict(document)
    with pytest.raises(GraphError) as caught:
        graph.infer_shapes()
    assert caught.value.shapes == {"in": (None, 1, 8, 8), "conv": (None, 4, 6, 6)}
    [problem] = caught.value.problems
    assert problem.node_id == "big"
    assert "Conv2d 'big' does not fit its input (N, 4, 6, 6)" in problem.message
    assert "smaller kernel_size" in problem.hint


def test_linear_after_flatten_message_from_the_issue():
    document = _chain(
        {"id": "in", "op": "Input", "params": {"shape": [1, 28, 28]}},
        {
            "id": "conv",
            "op": "Conv2d",
            "params": {"out_channels": 16, "kernel_size": 3, "padding": 1},
        },
        {"id": "pool", "op": "MaxPool2d", "params": {"kernel_size": 4}},
        {"id": "flat", "op": "Flatten"},
        {"id": "fc1", "op": "Linear", "params": {"in_features": 400, "out_features": 10}},
        {"id": "out", "op": "Output"},
    )
    [problem] = Graph.from_dict(document).analyze().problems
    assert problem.message == (
        "Linear 'fc1' expects 400 input features but receives 784 (16x7x7 from Flatten 'flat')."
    )
    assert problem.hint == "Set in_features to 784 or leave it empty to infer it."
    assert problem.fix == {"node_id": "fc1", "params": {"in_features": None}}


def test_structural_mistakes_are_named():
    document = _doc(
        [
            {"id": "in", "op": "Input", "params": {"shape": [4]}},
            {"id": "in2", "op": "Input", "params": {"shape": [4]}},
            {"id": "add", "op": "Add"},
            {"id": "fc", "op": "Linear"},
            {"id": "out", "op": "Output"},
        ],
        [
            {"source": "in", "target": "add", "target_port": 0},
            {"source": "in2", "target": "add", "target_port": 0},
            {"source": "add", "target": "out"},
        ],
    )
    messages = [p.message for p in Graph.from_dict(document).analyze().problems]
    assert any("receives two connections into one input" in m for m in messages)
    assert any("Add 'add' has input 2 not connected" in m for m in messages)
    assert any("Linear 'fc' has no input" in m for m in messages)


def test_malformed_documents_are_rejected_with_every_reason():
    with pytest.raises(GraphError) as caught:
        Graph.from_dict(
            {
                "version": 7,
                "nodes": [{"id": "a", "op": "ReLU"}, {"id": "a", "op": "ReLU"}, 5],
                "edges": 3,
            }
        )
    text = str(caught.value)
    assert "version" in text and "share the id 'a'" in text
    assert "Node #3" in text and "'edges' must be a list" in text


def test_round_trip_preserves_everything(tmp_path):
    document = _chain(
        {"id": "in", "op": "Input", "params": {"shape": [4]}, "position": {"x": 1.5, "y": 2}},
        {"id": "fc", "op": "Linear", "params": {"out_features": 3}, "label": "Head"},
        {"id": "out", "op": "Output"},
    )
    graph = Graph.from_dict(document)
    again = Graph.from_json(graph.to_json())
    assert again.to_dict() == graph.to_dict()
    assert again.node("fc").label == "Head"
    assert again.node("in").position == {"x": 1.5, "y": 2.0}


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    first = Graph.from_dict(_chain({"id": "in", "op": "Input", "params": {"shape": [4]}}))
    first.save(path)
    before = path.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk vanished")

    second = Graph.from_dict(_chain({"id": "in", "op": "Input", "params": {"shape": [9]}}))
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        second.save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_catalog_covers_the_issue_and_is_json():
    required = [
        "Input",
        "Output",
        "Linear",
        "Conv1d",
        "Conv2d",
        "ConvTranspose2d",
        "MaxPool1d",
        "MaxPool2d",
        "AvgPool2d",
        "AdaptiveAvgPool2d",
        "BatchNorm1d",
        "BatchNorm2d",
        "LayerNorm",
        "GroupNorm",
        "Dropout",
        "Dropout2d",
        "ReLU",
        "LeakyReLU",
        "GELU",
        "SiLU",
        "ELU",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "LogSoftmax",
        "Flatten",
        "Unflatten",
        "Reshape",
        "Embedding",
        "RNN",
        "LSTM",
        "GRU",
        "MultiheadAttention",
        "TransformerEncoderLayer",
        "Identity",
        "Upsample",
        "Add",
        "Multiply",
        "Concat",
    ]
    catalog = layers.catalog()
    assert set(required) <= {entry["name"] for entry in catalog}
    json.dumps(catalog)
    for entry in catalog:
        assert entry["category"] in layers.CATEGORIES and entry["doc"]
        for param in entry["params"]:
            assert {"name", "type", "default", "min", "max", "choices", "doc"} <= set(param)


def test_cli_check_code_and_summary(tmp_path, capsys):
    good = tmp_path / "good.json"
    Graph.from_dict(
        _chain(
            {"id": "in", "op": "Input", "params": {"shape": [4]}},
            {"id": "fc", "op": "Linear", "params": {"out_features": 3}},
            {"id": "out", "op": "Output"},
        )
    ).save(good)
    assert main(["check", str(good)]) == 0
    assert "15 parameters" in capsys.readouterr().out
    assert main(["code", str(good), "--class-name", "Tiny"]) == 0
    assert "class Tiny(nn.Module):" in capsys.readouterr().out
    assert main(["summary", "lenet5"]) == 0
    assert "Total params: 61,706" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_chain({"id": "x", "op": "Linear"})))
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "[x] Linear 'x' has no input." in err and "no Input node" in err
