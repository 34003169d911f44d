"""ModelBuilder's Python side without a browser: what the page sends in, what Python answers.

The page's side of each exchange is played by calling the entry points ipywidgets calls: the
message handler for its requests and edits, ``set_state`` for the selection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from dlstudio import Graph, GraphError
from dlstudio.graph import examples
from dlstudio.graph.editing import apply_fix
from dlstudio.ui import ModelBuilder
from dlstudio.ui._bundle import LOADER_ESM, read_bundle
from dlstudio.ui.builder import NO_CODE

from .recording_builder import RecordingBuilder


def mlp_doc(in_features: int | None = None) -> dict[str, Any]:
    linear: dict[str, Any] = {"out_features": 3}
    if in_features is not None:
        linear["in_features"] = in_features
    return {
        "version": 1,
        "nodes": [
            {"id": "x", "op": "Input", "params": {"shape": [4]}, "position": {"x": 0, "y": 0}},
            {"id": "fc", "op": "Linear", "params": linear, "position": {"x": 0, "y": 100}},
            {"id": "out", "op": "Output", "params": {}, "position": {"x": 0, "y": 200}},
        ],
        "edges": [
            {"source": "x", "target": "fc", "target_port": 0},
            {"source": "fc", "target": "out", "target_port": 0},
        ],
    }


def test_empty_builder_has_one_input_node() -> None:
    b = ModelBuilder()
    assert [(n.id, n.op) for n in b.graph.nodes] == [("input", "Input")]
    assert b.shapes == {"input": [None, 1, 28, 28]}
    assert any("no Output" in p["message"] for p in b.problems)
    assert b.code == NO_CODE
    with pytest.raises(GraphError, match="no Output"):
        b.build()


def test_template_builder_code_is_what_build_runs() -> None:
    b = ModelBuilder("lenet5")
    reference = examples.load("lenet5")
    assert b.code == reference.to_code()
    assert b.param_count == 61_706
    model = b.build()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert b.catalog[0]["name"] == "Input" and "lenet5" in b.templates


def test_builder_from_graph_keeps_its_own_copy() -> None:
    g = Graph.from_dict(mlp_doc())
    b = ModelBuilder(g)
    g.remove("fc")
    assert [n.id for n in b.graph.nodes] == ["x", "fc", "out"]
    # Reading gives a copy too: editing it changes nothing until it is assigned back.
    held = b.graph
    held.remove("out")
    assert len(b.graph.nodes) == 3
    b.graph = held
    assert [n.id for n in b.graph.nodes] == ["x", "fc"]


def test_unknown_template_and_wrong_type_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="lenet5"):
        ModelBuilder("lenet6")
    with pytest.raises(TypeError, match="Graph, a template name or a graph dict"):
        ModelBuilder(42)  # type: ignore[arg-type]


def test_assigning_a_graph_redraws_and_notifies() -> None:
    b = ModelBuilder()
    seen: list[Graph] = []
    stop = b.on_change(seen.append)
    b.graph = Graph.from_dict(mlp_doc())
    assert b.shapes == {"x": [None, 4], "fc": [None, 3], "out": [None, 3]}
    assert b.problems == [] and b.param_count == 15
    assert b.code == b.graph.to_code() and "nn.Linear(4, 3)" in b.code
    assert [len(g.nodes) for g in seen] == [3]
    stop()
    b.graph = Graph.from_dict(mlp_doc(in_features=5))
    assert len(seen) == 1


def test_an_edit_from_the_page_is_analysed() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    seen: list[Graph] = []
    b.on_change(seen.append)
    b.edit(mlp_doc(in_features=5))
    problem = next(p for p in b.problems if p["node_id"] == "fc")
    assert "5" in problem["message"] and "4" in problem["message"]
    assert problem["fix"] == {"node_id": "fc", "params": {"in_features": None}}
    assert b.code == NO_CODE
    assert len(seen) == 1 and seen[0].node("fc").params["in_features"] == 5


def test_moving_nodes_does_not_rerun_the_analysis() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    seen: list[Graph] = []
    b.on_change(seen.append)
    moved = mlp_doc()
    moved["nodes"][1]["position"] = {"x": 250, "y": 120}
    b.shapes = {}  # a re-analysis would fill this again
    b.edit(moved)
    assert b.graph.node("fc").position == {"x": 250, "y": 120}
    assert b.shapes == {} and seen == []


def test_an_edit_reads_the_structure_of_the_graph_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The analysis and the code of an edit share one structure key (1 ms each at 1,000 nodes).
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    calls: list[Graph] = []
    key = Graph.structure_key
    monkeypatch.setattr(Graph, "structure_key", lambda g: calls.append(g) or key(g))
    doc = mlp_doc()
    doc["nodes"][1]["params"]["out_features"] = 7
    b.edit(doc)
    assert len(calls) == 1 and b.shapes["fc"] == [None, 7]
    assert "nn.Linear(4, 7)" in b.code
    # Outside the widget a graph's key is computed afresh: changing it changes its analysis.
    g = b.graph
    g.node("fc").params["out_features"] = 3
    assert g.analyze().shapes["fc"] == (None, 3)


def test_one_edit_one_analysis_one_code_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlstudio.graph import graph

    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    runs = {"analysis": 0, "code": 0}
    analyze, generate = graph.analyze, graph.generate

    def counted_analyze(*args, **kwargs):
        runs["analysis"] += 1
        return analyze(*args, **kwargs)

    def counted_generate(*args, **kwargs):
        runs["code"] += 1
        return generate(*args, **kwargs)

    monkeypatch.setattr(graph, "analyze", counted_analyze)
    monkeypatch.setattr(graph, "generate", counted_generate)
    doc = mlp_doc()
    doc["nodes"][1]["params"]["out_features"] = 9
    b.edit(doc)
    assert runs == {"analysis": 1, "code": 1} and "nn.Linear(4, 9)" in b.code


def test_a_malformed_document_from_the_page_is_refused() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    answer = b.edit({"version": 1, "nodes": "not a list", "edges": []})
    assert answer["refused"] and answer["view"] == "test-view"
    assert b.error and "nodes" in b.error
    assert [n.id for n in b.graph.nodes] == ["x", "fc", "out"]
    b.edit(mlp_doc(in_features=4))
    assert b.error == "" and b.graph.node("fc").params["in_features"] == 4


def test_selection_follows_the_page() -> None:
    b = ModelBuilder(Graph.from_dict(mlp_doc()))
    b.set_state({"selection": ["fc", "out"]})
    assert b.selection == ["fc", "out"]


def test_template_request() -> None:
    b = RecordingBuilder()
    reply = b.request(type="apply_template", id=4, name="mlp")
    assert reply == {
        "type": "reply",
        "view": "test-view",
        "id": 4,
        "request": "apply_template",
        "ok": True,
        "error": None,
        "result": None,
    }
    assert b.graph == examples.load("mlp")
    bad = b.request(type="apply_template", id=5, name="alexnet")
    assert not bad["ok"] and "mlp" in bad["error"] and bad["id"] == 5


def test_load_and_save_json_requests() -> None:
    b = RecordingBuilder("lenet5")
    saved = b.request(type="save_json", id=1)
    assert saved["ok"] and saved["result"]["filename"] == "lenet_5.json"
    assert Graph.from_json(saved["result"]["text"]) == b.graph

    other = RecordingBuilder()
    assert other.request(type="load_json", id=2, text=saved["result"]["text"])["ok"]
    assert other.graph == b.graph and other.code == b.code

    broken = other.request(type="load_json", id=3, text='{"version": 1, "nodes": 3}')
    assert not broken["ok"] and "nodes" in broken["error"]
    not_json = other.request(type="load_json", id=4, text="{oops")
    assert not not_json["ok"] and not_json["error"]
    assert other.graph == b.graph


def test_fix_request_applies_the_cores_fix() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc(in_features=5)))
    fix = next(p["fix"] for p in b.problems if p["fix"])
    assert b.request(type="apply_fix", id=9, fix=fix)["ok"]
    assert b.problems == [] and "in_features" not in b.graph.node("fc").params
    gone = b.request(type="apply_fix", id=10, fix={"node_id": "nope", "params": {}})
    assert not gone["ok"] and "'nope'" in gone["error"]


def test_a_fix_with_values_a_document_cannot_hold_is_refused_with_a_reply() -> None:
    b = RecordingBuilder("mlp")
    before = b.graph
    deep: list = []
    for _ in range(600):
        deep = [deep]
    for value in ({"a": 1}, "x" * 100_000, deep, float("nan")):
        reply = b.request(type="apply_fix", id=11, fix={"node_id": "fc1", "params": {"p": value}})
        assert not reply["ok"] and "number, true/false, a short string" in reply["error"]
    assert b.graph == before
    saved = b.request(type="save_json", id=12)["result"]["text"]
    assert Graph.from_json(saved) == before


def test_malformed_requests_get_an_error_reply_and_change_nothing() -> None:
    b = RecordingBuilder("mlp")
    before = b.graph
    reply = b.request(type="exec", id=3, code="print(1)")
    assert not reply["ok"] and "Unknown request type" in reply["error"]
    assert reply["view"] == "test-view" and reply["id"] == 3
    b._on_message(b, {"type": "load_json"}, [])  # no id: nothing to answer
    assert len(b.sent) == 1 and b.graph == before


def test_apply_fix_removes_none_params_and_leaves_the_original() -> None:
    g = Graph.from_dict(mlp_doc(in_features=5))
    fixed = apply_fix(g, {"node_id": "fc", "params": {"in_features": None, "out_features": 7}})
    assert fixed.node("fc").params == {"out_features": 7}
    assert g.node("fc").params == {"out_features": 3, "in_features": 5}
    with pytest.raises(ValueError, match="node_id"):
        apply_fix(g, {"params": {}})


def test_a_failing_callback_does_not_break_the_editor(caplog: pytest.LogCaptureFixture) -> None:
    b = RecordingBuilder()

    def broken(_graph: Graph) -> None:
        raise RuntimeError("learner bug")

    b.on_change(broken)
    b.edit(mlp_doc())
    assert b.param_count == 15
    assert "on_change callback failed" in caplog.text


def test_the_bundle_travels_once_per_kernel() -> None:
    first, second = ModelBuilder(), ModelBuilder("mlp")
    assert first._bundle is second._bundle
    assert first._esm == LOADER_ESM and len(LOADER_ESM) < 2_000
    state = first.get_state()
    assert state["_bundle"].startswith("IPY_MODEL_")
    # What each builder stores: its graph and the layer catalog (about 75 kB for its ~100
    # layers), not the 0.5 MB bundle.
    assert len(json.dumps({k: v for k, v in state.items() if k != "_esm"})) < 150_000


def test_package_exports_modelbuilder_lazily() -> None:
    import dlstudio

    assert dlstudio.ModelBuilder is ModelBuilder


def test_a_missing_bundle_tells_the_learner_how_to_build_it() -> None:
    with pytest.warns(RuntimeWarning, match="npm --prefix widgets ci"):
        stand_in = read_bundle("no_such_widget")
    assert "export default" in stand_in and "pip install -e ." in stand_in


def test_a_label_from_the_page_names_the_layer_in_the_code() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    named = mlp_doc()
    named["nodes"][1]["label"] = "Hidden layer"
    b.edit(named)
    assert b.graph.node("fc").label == "Hidden layer"
    assert "self.hidden_layer = nn.Linear(4, 3)" in b.code
    assert "self.fc " not in b.code
    b.edit(mlp_doc())  # the name cleared on the page: the id again
    assert "self.fc = nn.Linear(4, 3)" in b.code


def test_the_palette_order_comes_from_the_catalog() -> None:
    from dlstudio.graph import layers

    b = ModelBuilder()
    assert b.categories == list(layers.CATEGORIES)
    assert {spec["category"] for spec in b.catalog} <= set(b.categories)


def test_graph_operations_moved_to_the_core_keep_their_old_names() -> None:
    from dlstudio.graph import editing
    from dlstudio.ui import builder

    with pytest.warns(DeprecationWarning, match=r"dlstudio\.graph\.editing\.apply_fix"):
        assert builder.apply_fix is editing.apply_fix
    with pytest.warns(DeprecationWarning, match=r"Graph\.copy"):
        assert builder.clone_graph is Graph.copy
