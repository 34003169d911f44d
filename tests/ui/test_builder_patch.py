"""Edits sent as what changed (``patch`` requests): Python's result is that of the whole document.

``diff`` plays the page's side (``widgets/src/core/sync.ts``): nodes matched by id in order
(changed ones set in place), edges matched in order, the rest removed and the new ones added
at the end. ``Graph.patched`` must give what ``Graph.from_dict`` gives for the whole edited
document, refuse what it refuses with the same sentences, and refuse any patch that does not
fit the document it is applied to.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio import Graph, GraphError
from dlstudio.graph.document import MAX_NODES
from dlstudio.ui import protocol
from tests.graph.random_graphs import graphs

from .recording_builder import VIEW, RecordingBuilder
from .test_builder import mlp_doc


def _key(item: Any) -> str:
    return json.dumps(item)


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The page's patch from ``old`` to ``new`` (a port of ``diff`` in core/sync.ts)."""
    old_nodes, new_nodes = old["nodes"], new["nodes"]
    nodes: dict[str, Any] = {"count": len(old_nodes), "remove": [], "set": [], "add": []}
    j = 0
    for i, node in enumerate(old_nodes):
        if j < len(new_nodes) and node["id"] == new_nodes[j]["id"]:
            if _key(node) != _key(new_nodes[j]):
                nodes["set"].append([i, new_nodes[j]])
            j += 1
        else:
            nodes["remove"].append(i)
    nodes["add"] = new_nodes[j:]
    old_edges, new_edges = old["edges"], new["edges"]
    edges: dict[str, Any] = {"count": len(old_edges), "remove": [], "add": []}
    j = 0
    for i, edge in enumerate(old_edges):
        if j < len(new_edges) and _key(edge) == _key(new_edges[j]):
            j += 1
        else:
            edges["remove"].append(i)
    edges["add"] = new_edges[j:]
    patch = {"nodes": nodes, "edges": edges}
    for key in ("metadata", "blocks"):
        if _key(old.get(key, {})) != _key(new.get(key, {})):
            patch[key] = new.get(key, {})
    return patch


def _outcome(read: Any) -> tuple[str, Any]:
    try:
        return "ok", read().to_dict()
    except GraphError as error:
        return "refused", str(error)


def _mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A few edits a page (or a hostile one) might make, some of them malformed."""
    doc = copy.deepcopy(doc)
    nodes, edges = doc["nodes"], doc["edges"]
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(12)
        if kind == 0 and nodes:
            nodes.pop(rng.randrange(len(nodes)))
        elif kind == 1 and edges:
            edges.pop(rng.randrange(len(edges)))
        elif kind == 2:
            nodes.append({"id": f"n{rng.randrange(5)}", "op": "ReLU", "params": {}})
        elif kind == 3 and nodes:
            pick = rng.choice(nodes)
            edges.append(
                {"source": pick["id"], "target": rng.choice(nodes)["id"], "target_port": 0}
            )
        elif kind == 4 and nodes:
            rng.choice(nodes)["params"]["out_features"] = rng.choice([3, 0, -1, "x", 2.5, None])
        elif kind == 5 and nodes:
            rng.choice(nodes)["position"] = {"x": rng.random() * 500, "y": 7}
        elif kind == 6 and nodes:
            rng.choice(nodes)["label"] = rng.choice(["fc", "", "x" * 300, None])
        elif kind == 7:
            rng.shuffle(nodes)
        elif kind == 8 and nodes:
            nodes.append(copy.deepcopy(rng.choice(nodes)))  # a duplicate id
        elif kind == 9 and nodes:
            rng.choice(nodes)["frozen"] = rng.choice([True, "yes"])
        elif kind == 10:
            doc["metadata"] = rng.choice([{"title": "t"}, {}, {"x": 1}])
        elif kind == 11 and nodes:
            rng.choice(nodes)["extra"] = 1
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), seed=st.integers(0, 2**32 - 1))
def test_a_patch_gives_what_the_whole_document_gives(graph: Graph, seed: int) -> None:
    rng = random.Random(seed)
    old = graph.to_dict()  # the document last sent, as the page holds it
    held = Graph.from_dict(old)
    for _ in range(3):
        new = _mutate(old, rng)
        before = held.to_dict()
        patch = json.loads(json.dumps(diff(old, new)))
        by_patch = _outcome(lambda: held.patched(patch))  # noqa: B023 - called at once
        assert by_patch == _outcome(lambda: Graph.from_dict(new))  # noqa: B023
        assert held.to_dict() == before  # the graph held is left as it is
        if by_patch[0] == "ok":
            held, old = held.patched(diff(old, new)), new


def _patch(**changes: Any) -> dict[str, Any]:
    patch: dict[str, Any] = {
        "nodes": {"count": 3, "remove": [], "set": [], "add": []},
        "edges": {"count": 2, "remove": [], "add": []},
    }
    for key, value in changes.items():
        part, _, field = key.partition("__")
        if field:
            patch[part][field] = value
        else:
            patch[part] = value
    return patch


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ("not an object", "An edit must be an object"),
        ({"nodes": {}}, "An edit must be an object"),
        (_patch(code="x"), "An edit must be an object"),
        (_patch(nodes={"count": 4, "remove": []}), "The edit's 'nodes' must be an object"),
        (_patch(nodes__count=4), "made on a document with other nodes"),
        (_patch(edges__count=True), "made on a document with other edges"),
        (_patch(nodes__remove=[3]), "at most once, by its place"),
        (_patch(nodes__remove=[-1]), "at most once, by its place"),
        (_patch(nodes__remove=[2, 1]), "at most once, by its place"),
        (_patch(nodes__remove=[1, 1]), "at most once, by its place"),
        (_patch(nodes__remove=[True]), "at most once, by its place"),
        (_patch(nodes__remove="0"), "at most once, by its place"),
        (
            _patch(nodes__set=[[1, {"id": "fc", "op": "ReLU"}], [1, {"id": "fc", "op": "ReLU"}]]),
            "at most once",
        ),
        (_patch(nodes__set=[[1]]), "at most once, by its place"),
        (_patch(nodes__set=[{"0": 1}]), "at most once, by its place"),
        (_patch(nodes__remove=[1], nodes__set=[[1, {"id": "fc", "op": "ReLU"}]]), "at most once"),
        (_patch(edges__remove=[2]), "at most once, by its place"),
        (_patch(nodes__add=[{"id": "fc", "op": "ReLU"}]), "Two nodes share the id 'fc'"),
        (_patch(nodes__add=[{"op": "ReLU"}]), "Node #4 needs an 'id'"),
        (
            _patch(nodes__set=[[2, {"id": "out", "op": "Output", "params": {"x": {}}}]]),
            "unusable value",
        ),
        (
            _patch(nodes__add=[{"id": f"n{i}", "op": "ReLU"} for i in range(MAX_NODES)]),
            "the limit is",
        ),
        (_patch(edges__add=[{"source": "fc"}]), "Edge #3 needs 'source' and 'target'"),
        (_patch(metadata={"title": 3}), "'metadata' must be an object of short text fields"),
        (_patch(blocks={"lower": {}}), "Block name 'lower' is not usable"),
        (_patch(nodes__add=[{"id": "x", "op": "ReLU", "params": {"p": float("nan")}}]), "unusable"),
    ],
)
def test_a_patch_that_does_not_fit_is_refused_saying_why(patch: Any, expected: str) -> None:
    held = Graph.from_dict(mlp_doc())
    assert (len(held.nodes), len(held.edges)) == (3, 2)
    with pytest.raises(GraphError, match=expected):
        held.patched(patch)
    assert held.to_dict() == Graph.from_dict(mlp_doc()).to_dict()


def test_a_patch_request_is_checked_like_an_edit() -> None:
    request = {"type": "patch", "view": "v1", "id": 4, "base": 2, "patch": _patch()}
    assert protocol.parse_request(request) == request
    with pytest.raises(protocol.ProtocolError, match="'patch' field has the wrong type"):
        protocol.parse_request({**request, "patch": []})
    with pytest.raises(protocol.ProtocolError, match=r"unexpected fields: \['graph'\]"):
        protocol.parse_request({**request, "graph": mlp_doc()})
    assert "patch" in protocol.GRAPH_REQUESTS


def _patch_request(b: RecordingBuilder, new: dict[str, Any], **message: Any) -> dict[str, Any]:
    b._edits += 1
    message.setdefault("id", b._edits)
    b._deliver({"type": "patch", "patch": diff(b.graph.to_dict(), new), **message})
    return b.graph_revision


def test_a_patch_is_taken_and_answered_like_an_edit() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    new = mlp_doc()
    new["nodes"][1]["params"]["out_features"] = 7
    revision = _patch_request(b, new)
    assert revision == {"number": 2, "view": VIEW, "edit": 1, "refused": False}
    assert b.graph.to_dict() == Graph.from_dict(new).to_dict()
    assert b.shapes["fc"] == [None, 7]
    assert b.graphs_sent()[-1] == Graph.from_dict(new).to_dict()
    assert b.error == ""


def test_a_malformed_patch_is_refused_and_the_last_good_document_goes_back() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    before = b.graph.to_dict()
    revision = _patch_request(
        b, {**mlp_doc(), "nodes": [*mlp_doc()["nodes"], {"id": "fc", "op": "ReLU"}]}
    )
    assert revision == {"number": 2, "view": VIEW, "edit": 1, "refused": True}
    assert "Two nodes share the id 'fc'" in b.error
    assert b.graph.to_dict() == before
    assert b.graphs_sent()[-1] == before  # the page draws it again


def test_a_patch_made_on_a_replaced_graph_is_refused_and_changes_nothing() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    page_doc = b.graph.to_dict()
    b.graph = Graph.from_dict(mlp_doc(in_features=5))  # Python replaces it: revision 2
    held = b.graph.to_dict()
    new = copy.deepcopy(page_doc)
    new["nodes"][1]["params"]["out_features"] = 7
    b._deliver({"type": "patch", "id": 1, "base": 1, "patch": diff(page_doc, new)})
    assert b.graph_revision == {"number": 2, "view": VIEW, "edit": 1, "refused": True}
    assert b.graph.to_dict() == held


def test_rapid_patches_of_one_view_build_on_each_other() -> None:
    b = RecordingBuilder(Graph.from_dict(mlp_doc()))
    docs = [mlp_doc()]
    for value in (5, 6, 7):
        new = copy.deepcopy(docs[-1])
        new["nodes"][1]["params"]["out_features"] = value
        docs.append(new)
    # All three leave before the first answer: each names revision 1 and builds on the last.
    for edit, (old, new) in enumerate(zip(docs, docs[1:], strict=False), start=1):
        b._deliver({"type": "patch", "id": edit, "base": 1, "patch": diff(old, new)})
        assert b.graph_revision["refused"] is False
    assert b.graph.to_dict() == Graph.from_dict(docs[-1]).to_dict()
