"""The graph traffic between the ModelBuilder's page and Python, in the orders that raced.

The page's side is played the way ipywidgets delivers it: a trait update carries the graph
and its revision (``set_state``); ipywidgets keeps one trait update in flight and holds the
next one back, while custom messages (requests) leave at once and so can overtake it.
"""

from __future__ import annotations

import copy
from typing import Any

from dlstudio import Graph
from dlstudio.graph import examples
from dlstudio.ui.builder import STALE_REQUEST

from .recording_builder import RecordingBuilder
from .test_builder import mlp_doc


class Page:
    """The page's half of the sync rule (widgets/src/core/sync.ts), enough to drive Python."""

    def __init__(self, builder: RecordingBuilder) -> None:
        self.builder = builder
        revision = builder.graph_revision
        self.sent, self.seen = revision["page"], revision["python"]

    def edit(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The trait update the page sends for ``doc`` (deliver it with ``deliver``)."""
        self.sent += 1
        return {"graph_revision": {"page": self.sent, "python": self.seen}, "graph": doc}

    def deliver(self, update: dict[str, Any]) -> None:
        self.builder.set_state(copy.deepcopy(update))

    def draw(self) -> dict[str, Any]:
        """Draw the newest replacement Python sent (what the page does when it arrives)."""
        last = self.builder.graphs_sent()[-1]
        assert last["revision"]["python"] > self.seen, "Python sent no new replacement"
        self.seen = last["revision"]["python"]
        return last["graph"]

    def request(self, doc: dict[str, Any], **message: Any) -> dict[str, Any]:
        """A request that works on the graph, bringing the canvas along."""
        revision = {"page": self.sent, "python": self.seen}
        return self.builder.request(**message, graph=doc, revision=revision)


def with_node(doc: dict[str, Any], node_id: str, op: str = "ReLU") -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["nodes"].append({"id": node_id, "op": op, "params": {}, "position": {"x": 9, "y": 9}})
    return out


def test_a_page_edit_is_taken_and_never_echoed() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    b.updates.clear()
    doc = mlp_doc(in_features=5)
    del doc["edges"][0]["target_port"]  # not Python's own form: an echo would differ
    page.deliver(page.edit(doc))
    assert b.graph.node("fc").params["in_features"] == 5
    assert b.graphs_sent() == [] and any("problems" in u for u in b.updates)
    assert b.graph_revision == {"page": page.sent, "python": page.seen}


def test_a_python_assignment_leaves_as_a_replacement_then_its_analysis() -> None:
    b = RecordingBuilder()
    before = b.graph_revision["python"]
    b.updates.clear()
    b.graph = Graph.from_dict(mlp_doc())
    # One message: the page never sees the graph without its revision.
    replacement, analysis = b.updates
    assert set(replacement) == {"graph", "graph_revision"}
    assert replacement["graph_revision"] == {"page": 0, "python": before + 1}
    assert Graph.from_dict(replacement["graph"]) == Graph.from_dict(mlp_doc())
    assert analysis["code"] == b.code and analysis["shapes"]["fc"] == [None, 3]


def test_an_edit_made_on_a_graph_python_replaced_is_dropped() -> None:
    """Edit 1 is taken; Python then replaces the graph; edit 2, made on the old graph and
    already on its way, arrives: the replacement stays, on both sides."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    seen: list[int] = []
    b.on_change(lambda g: seen.append(len(g.nodes)))
    page = Page(b)
    first = with_node(mlp_doc(), "relu1")
    page.deliver(page.edit(first))
    second = page.edit(with_node(first, "relu2"))  # sent before the replacement arrived

    b.graph = examples.load("lenet5")  # e.g. a cell, or the Studio fitting new data
    page.deliver(second)
    assert b.graph == examples.load("lenet5")
    assert b.code == examples.load("lenet5").to_code()
    assert seen == [4, len(examples.load("lenet5").nodes)]

    # The page draws the replacement, and its next edit, made on it, is taken.
    drawn = page.draw()
    assert Graph.from_dict(drawn) == examples.load("lenet5")
    page.deliver(page.edit(with_node(drawn, "extra")))
    assert b.graph.node("extra").op == "ReLU"


def test_a_replacement_made_by_an_on_change_callback_wins_over_later_edits() -> None:
    """Python answers edit 1 with a graph of its own (as the Studio's fit_to_data does)."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))

    def fit(graph: Graph) -> None:
        if graph.node("fc").params.get("out_features") != 3:
            graph.node("fc").params["out_features"] = 3
            b.graph = graph

    b.on_change(fit)
    page = Page(b)
    wrong = copy.deepcopy(mlp_doc())
    wrong["nodes"][1]["params"]["out_features"] = 8
    page.deliver(page.edit(wrong))
    moved = page.edit(with_node(wrong, "late"))  # made before the fitted graph arrived
    page.deliver(moved)
    assert b.graph.node("fc").params["out_features"] == 3
    assert "late" not in [n.id for n in b.graph.nodes]
    assert page.draw()["nodes"][1]["params"]["out_features"] == 3


def test_a_request_that_overtakes_a_held_back_edit_works_on_the_canvas() -> None:
    """Edit 2 waits in ipywidgets' buffer while the Fix request goes straight out."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    page.deliver(page.edit(mlp_doc()))
    canvas = with_node(mlp_doc(in_features=5), "relu1")
    held_back = page.edit(canvas)
    fix = {"node_id": "fc", "params": {"in_features": None}}
    reply = page.request(canvas, type="apply_fix", id=1, fix=fix)
    assert reply["ok"], reply
    page.deliver(held_back)  # arrives after the request: already in, nothing changes
    assert [n.id for n in b.graph.nodes] == ["x", "fc", "out", "relu1"]
    assert "in_features" not in b.graph.node("fc").params
    assert page.draw() == b.graph.to_dict()


def test_save_brings_the_canvas_and_an_older_edit_arriving_later_is_ignored() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    older = page.edit(with_node(mlp_doc(), "relu1"))
    canvas = with_node(with_node(mlp_doc(), "relu1"), "relu2")
    page.edit(canvas)  # held back too
    saved = page.request(canvas, type="save_json", id=3)
    assert Graph.from_json(saved["result"]["text"]) == Graph.from_dict(canvas)
    page.deliver(older)
    assert Graph.from_dict(canvas) == b.graph


def test_a_request_made_on_a_replaced_graph_is_refused_and_changes_nothing() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc(in_features=5)))
    page = Page(b)
    b.graph = examples.load("mlp")  # not drawn on the page yet
    fix = {"node_id": "fc", "params": {"in_features": None}}
    reply = page.request(mlp_doc(in_features=5), type="apply_fix", id=2, fix=fix)
    assert reply == {
        "type": "reply",
        "id": 2,
        "request": "apply_fix",
        "ok": False,
        "error": STALE_REQUEST,
        "result": None,
    }
    assert b.graph == examples.load("mlp")
    # Saving works on what Python has: the replacement the page is about to draw.
    saved = page.request(mlp_doc(in_features=5), type="save_json", id=3)
    assert Graph.from_json(saved["result"]["text"]) == examples.load("mlp")


def test_a_malformed_edit_is_answered_with_the_last_good_graph_as_a_replacement() -> None:
    b = RecordingBuilder()
    page = Page(b)
    page.deliver(page.edit(mlp_doc()))  # the graph Python holds is the page's own
    page.deliver(page.edit({"version": 1, "nodes": "not a list", "edges": []}))
    assert "nodes" in b.error
    assert Graph.from_dict(page.draw()) == Graph.from_dict(mlp_doc())
    page.deliver(page.edit(mlp_doc(in_features=4)))
    assert b.error == "" and b.graph.node("fc").params["in_features"] == 4


def test_a_new_view_starts_from_the_revision_python_holds() -> None:
    b = RecordingBuilder("mlp")
    page = Page(b)
    for _ in range(3):
        page.deliver(page.edit(with_node(examples.load("mlp").to_dict(), f"r{page.sent}")))
    b.graph = examples.load("lenet5")
    state = b.get_state()
    assert state["graph_revision"] == {"page": 3, "python": page.seen + 1}
    # A page opened now (a reload) numbers its edits after those, on top of the replacement.
    again = Page(b)
    again.deliver(again.edit(with_node(state["graph"], "fresh")))
    assert b.graph.node("fresh").op == "ReLU"


def test_a_second_tab_counting_from_its_own_start_is_still_heard() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    first, second = Page(b), Page(b)
    for n in range(3):
        first.deliver(first.edit(with_node(mlp_doc(), f"a{n}")))
    second.deliver(second.edit(with_node(mlp_doc(), "b0")))
    assert [n.id for n in b.graph.nodes][-1] == "b0"
