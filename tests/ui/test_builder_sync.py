"""The graph traffic between the ModelBuilder's pages and Python, in the orders that race.

Each page is played by ``Page``, which follows the page's rule (widgets/src/core/sync.ts): it
draws its own edits at once and sends them as ``edit`` requests naming the revision it built
on; it reads Python's trait updates in the order they were sent. Messages travel in order each
way, but a page's edits and Python's updates cross on the wire: ``send`` queues an edit,
``deliver`` hands it to Python, ``receive`` reads what Python sent since the last read.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from dlstudio import Graph
from dlstudio.graph import examples
from dlstudio.ui.builder import STALE_REQUEST

from .recording_builder import RecordingBuilder
from .test_builder import mlp_doc


class Page:
    """One view of a builder: its canvas, and the edits it has sent that Python has not answered."""

    def __init__(self, builder: RecordingBuilder, view: str = "view-a") -> None:
        self.builder = builder
        self.view = view
        self.model = copy.deepcopy(builder.get_state())  # what the page's model holds
        self.read = len(builder.updates)
        self.base = self.model["graph_revision"]["number"]
        self.canvas: dict[str, Any] = self.model["graph"]
        self.pending: list[int] = []
        self.outbox: list[dict[str, Any]] = []
        self.edits = 0

    def send(self, doc: dict[str, Any]) -> None:
        """Draw ``doc`` and queue its edit request."""
        self.edits += 1
        self.canvas = copy.deepcopy(doc)
        self.pending.append(self.edits)
        self.outbox.append(
            {"type": "edit", "view": self.view, "id": self.edits, "base": self.base, "graph": doc}
        )

    def deliver(self, count: int | None = None) -> None:
        """Hand Python the oldest ``count`` queued messages (all by default), in order."""
        for _ in range(len(self.outbox) if count is None else count):
            message = copy.deepcopy(self.outbox.pop(0))
            self.builder._on_message(self.builder, message, [])

    def request(self, **message: Any) -> dict[str, Any]:
        """A request made on the canvas, sent behind the queued edits; Python's reply."""
        self.deliver()
        message = {"view": self.view, "base": self.base, **message}
        self.builder._on_message(self.builder, message, [])
        return self.builder.sent[-1]

    def receive(self) -> None:
        """Read Python's updates since the last read, as the page's model does."""
        for state in copy.deepcopy(self.builder.updates[self.read :]):
            self.model.update(state)
            if "graph_revision" in state:
                self._arrived(self.model["graph"], state["graph_revision"])
        self.read = len(self.builder.updates)

    def _arrived(self, doc: dict[str, Any], revision: dict[str, Any]) -> None:
        mine = revision["view"] == self.view and revision["edit"] in self.pending
        if mine and not revision["refused"]:
            # Python holds what this view sent; its later edits are still on their way.
            self.base = revision["number"]
            self.pending = [edit for edit in self.pending if edit > revision["edit"]]
        elif mine or revision["number"] > self.base:
            # Refused, or written by someone else: the page goes to Python's document, and
            # drops edits Python will refuse for being made on an older one.
            self.base = revision["number"]
            self.pending = []
            self.canvas = copy.deepcopy(doc)

    def shows(self) -> Graph:
        return Graph.from_dict(self.canvas)


def with_node(doc: dict[str, Any], node_id: str, op: str = "ReLU") -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["nodes"].append({"id": node_id, "op": op, "params": {}, "position": {"x": 9, "y": 9}})
    return out


def test_an_edit_is_taken_and_answered_with_the_document_and_its_revision() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    b.updates.clear()
    page.read = 0
    page.send(mlp_doc(in_features=5))
    page.deliver()
    assert b.graph.node("fc").params["in_features"] == 5
    # One message: the document, its revision and its analysis arrive together, so the page
    # draws the answer once; the code, slower to generate, follows in a second one.
    update, code = b.updates
    assert code == {"code": b.code, "code_keras": b.code_keras, "code_flax": b.code_flax}
    assert Graph.from_dict(update["graph"]) == Graph.from_dict(mlp_doc(in_features=5))
    number = page.base + 1
    answer = {"number": number, "view": "view-a", "edit": 1, "refused": False}
    assert update["graph_revision"] == answer
    assert "problems" in update and "shapes" in update
    page.receive()
    assert page.pending == [] and page.base == number


def test_a_python_assignment_is_a_new_revision_of_no_view() -> None:
    b = RecordingBuilder()
    before = b.graph_revision["number"]
    b.updates.clear()
    b.graph = Graph.from_dict(mlp_doc())
    graph, revision, analysis = b.updates
    assert Graph.from_dict(graph["graph"]) == Graph.from_dict(mlp_doc())
    answer = {"number": before + 1, "view": "", "edit": 0, "refused": False}
    assert revision == {"graph_revision": answer}
    assert analysis["code"] == b.code and analysis["shapes"]["fc"] == [None, 3]


def test_the_page_cannot_write_the_graph_or_any_trait_python_owns() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    code = b.code
    b.set_state({"graph": with_node(mlp_doc(), "sneaky"), "code": "import os", "selection": ["fc"]})
    assert [n.id for n in b.graph.nodes] == ["x", "fc", "out"]
    assert b.code == code and b.selection == ["fc"]  # only the selection is the page's


def test_rapid_edits_of_one_view_build_on_each_other() -> None:
    """Three edits leave before the first answer arrives: all name the same base, all are taken."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    doc = mlp_doc()
    for n in range(3):
        doc = with_node(doc, f"r{n}")
        page.send(doc)
    page.deliver()
    assert [n.id for n in b.graph.nodes][-3:] == ["r0", "r1", "r2"]
    assert not b.graph_revision["refused"]
    page.receive()
    assert page.pending == [] and page.shows() == b.graph


def test_an_edit_made_on_a_graph_python_replaced_is_refused() -> None:
    """Edit 1 is taken; Python then replaces the graph; edit 2, made on the old graph and
    already on its way, arrives: the replacement stays, on both sides."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    seen: list[int] = []
    b.on_change(lambda g: seen.append(len(g.nodes)))
    page = Page(b)
    first = with_node(mlp_doc(), "relu1")
    page.send(first)
    page.send(with_node(first, "relu2"))
    page.deliver(1)

    b.graph = examples.load("lenet5")  # e.g. a cell, or the Studio fitting new data
    page.deliver()
    assert b.graph == examples.load("lenet5")
    assert b.code == examples.load("lenet5").to_code()
    assert seen == [4, len(examples.load("lenet5").nodes)]
    assert b.graph_revision["refused"] and b.graph_revision["edit"] == 2

    # The page draws the replacement, and its next edit, made on it, is taken.
    page.receive()
    assert page.shows() == examples.load("lenet5") and page.pending == []
    page.send(with_node(page.canvas, "extra"))
    page.deliver()
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
    page.send(wrong)
    page.send(with_node(wrong, "late"))  # made before the fitted graph arrived
    page.deliver()
    assert b.graph.node("fc").params["out_features"] == 3
    assert "late" not in [n.id for n in b.graph.nodes]
    page.receive()
    assert page.shows() == b.graph


def test_a_request_behind_edits_works_on_the_canvas() -> None:
    """Edits and requests leave in order, so a Fix sent after an edit sees that edit."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page = Page(b)
    page.send(with_node(mlp_doc(in_features=5), "relu1"))
    fix = {"node_id": "fc", "params": {"in_features": None}}
    reply = page.request(type="apply_fix", id=1, fix=fix)
    assert reply["ok"] and reply["view"] == "view-a", reply
    assert [n.id for n in b.graph.nodes] == ["x", "fc", "out", "relu1"]
    assert "in_features" not in b.graph.node("fc").params
    page.receive()
    assert page.shows() == b.graph


def test_a_request_made_on_a_replaced_graph_is_refused_and_changes_nothing() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc(in_features=5)))
    page = Page(b)
    b.graph = examples.load("mlp")  # not drawn on the page yet
    fix = {"node_id": "fc", "params": {"in_features": None}}
    reply = page.request(type="apply_fix", id=2, fix=fix)
    assert reply == {
        "type": "reply",
        "view": "view-a",
        "id": 2,
        "request": "apply_fix",
        "ok": False,
        "error": STALE_REQUEST,
        "result": None,
    }
    assert b.graph == examples.load("mlp")
    # Saving works on what Python has: the replacement the page is about to draw.
    saved = page.request(type="save_json", id=3)
    assert Graph.from_json(saved["result"]["text"]) == examples.load("mlp")


def test_a_malformed_edit_is_refused_and_the_page_goes_back() -> None:
    b = RecordingBuilder()
    page = Page(b)
    page.send(mlp_doc())
    page.send({"version": 1, "nodes": "not a list", "edges": []})
    page.send(mlp_doc(in_features=4))  # made on the malformed one: refused with it
    page.deliver()
    assert "nodes" in b.error
    assert Graph.from_dict(b.graphs_sent()[-1]) == Graph.from_dict(mlp_doc())
    page.receive()
    assert page.shows() == Graph.from_dict(mlp_doc()) and page.pending == []
    page.send(mlp_doc(in_features=4))
    page.deliver()
    assert b.error == "" and b.graph.node("fc").params["in_features"] == 4


def test_a_new_view_starts_from_the_revision_python_holds() -> None:
    b = RecordingBuilder("mlp")
    page = Page(b)
    for n in range(3):
        page.send(with_node(page.canvas, f"r{n}"))
    page.deliver()
    b.graph = examples.load("lenet5")
    # A page opened now (a reload) builds on the replacement.
    again = Page(b, "view-b")
    assert again.base == b.graph_revision["number"]
    again.send(with_node(again.canvas, "fresh"))
    again.deliver()
    assert b.graph.node("fresh").op == "ReLU"


def test_a_second_view_sees_the_first_views_edits() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    first, second = Page(b, "view-a"), Page(b, "view-b")
    for n in range(3):
        first.send(with_node(first.canvas, f"a{n}"))
    first.deliver()
    second.receive()
    assert second.shows() == b.graph and second.pending == []
    second.send(with_node(second.canvas, "b0"))
    second.deliver()
    first.receive()
    assert [n.id for n in first.shows().nodes][-1] == "b0"


def test_two_views_editing_at_once_end_on_pythons_graph() -> None:
    """View B's edit, made before view A's arrived, is refused; B goes to A's graph."""
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    first, second = Page(b, "view-a"), Page(b, "view-b")
    first.send(with_node(mlp_doc(), "a0"))
    second.send(with_node(mlp_doc(), "b0"))
    first.deliver()
    second.deliver()
    assert b.graph_revision == {**b.graph_revision, "view": "view-b", "refused": True}
    for page in (first, second):
        page.receive()
        assert page.shows() == b.graph and page.pending == []
    assert "a0" in [n.id for n in b.graph.nodes]


@pytest.mark.parametrize("seed", range(12))
def test_views_and_python_always_end_on_one_graph(seed: int) -> None:
    """Random edits in two views and assignments in Python, delivered and read in random
    interleavings: once everything has arrived, every view shows Python's graph."""
    rng = random.Random(seed)
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    pages = [Page(b, "view-a"), Page(b, "view-b")]
    made = 0
    for _ in range(40):
        page = rng.choice(pages)
        action = rng.random()
        if action < 0.4:
            made += 1
            page.send(with_node(page.canvas, f"n{made}"))
        elif action < 0.5:
            made += 1
            page.send({"version": 1, "nodes": [{"id": f"n{made}"}], "edges": "x"})
        elif action < 0.6:
            made += 1
            b.graph = Graph.from_dict(with_node(mlp_doc(), f"python{made}"))
        elif action < 0.8:
            page.deliver(min(len(page.outbox), rng.randint(1, 2)))
        else:
            page.receive()
    for page in pages:
        page.deliver()
    for page in pages:
        page.receive()
        assert page.shows() == b.graph, seed
        assert page.pending == []
