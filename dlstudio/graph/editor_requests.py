"""What each editor request does to the graph an editor holds, with no Jupyter: one home for
the ModelBuilder widget and the server extension's editor endpoint.

A request is a page message already checked by ``dlstudio.ui.protocol.parse_request``. Each
function here reads it against the graph held and returns an ``Outcome``; the held graph is
never changed in place. A request the core refuses raises one of ``REFUSALS`` whose
``sentence`` is what the learner reads.

Example:
    >>> from dlstudio.graph import examples
    >>> held = examples.load("mlp")
    >>> answer(held, {"type": "save_json"}).result["filename"]
    'mlp.json'
    >>> answer(held, {"type": "apply_template", "name": "lenet5"}).graph.node("conv1").op
    'Conv2d'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from dlstudio.graph import editing, examples
from dlstudio.graph.errors import GraphError
from dlstudio.graph.graph import Graph

REFUSALS = (GraphError, KeyError, ValueError, TypeError)
"""What a refused request raises; anything else is a bug, not the learner's doing."""


class Outcome(NamedTuple):
    """What one request did: ``graph`` is the new document (None when it is unchanged),
    ``result`` what the reply carries, ``selection`` the nodes to select (None: keep it)."""

    graph: Graph | None
    result: dict[str, Any] | None = None
    selection: list[str] | None = None


def edit(_held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The page's whole document after an edit, read as strictly as any document.

    Example:
        >>> edit(Graph(), {"graph": {"version": 1, "nodes": [], "edges": []}}).graph
        Graph(0 nodes, 0 edges)
    """
    return Outcome(Graph.from_dict(request["graph"]))


def patch(held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The held graph with what changed since the page's last document applied to it.

    Example:
        >>> held = Graph(); held.add("Input", id="x", shape=[4])
        'x'
        >>> change = {"nodes": {"count": 1, "remove": [0], "set": [], "add": []},
        ...           "edges": {"count": 0, "remove": [], "add": []}}
        >>> patch(held, {"patch": change}).graph
        Graph(0 nodes, 0 edges)
    """
    return Outcome(held.patched(request["patch"]))


def apply_template(_held: Graph, request: Mapping[str, Any]) -> Outcome:
    """A fresh copy of the template ``name``; KeyError names the templates there are.

    Example:
        >>> apply_template(Graph(), {"name": "mlp"}).graph.node("fc1").op
        'Linear'
    """
    return Outcome(examples.load(request["name"]))


def load_json(_held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The document in the JSON ``text`` of a file the learner opened.

    Example:
        >>> load_json(Graph(), {"text": '{"version": 1, "nodes": [], "edges": []}'}).graph
        Graph(0 nodes, 0 edges)
    """
    return Outcome(Graph.from_json(request["text"]))


def save_json(held: Graph, _request: Mapping[str, Any]) -> Outcome:
    """The held document as JSON text and a file name made from its title.

    Example:
        >>> save_json(Graph(metadata={"title": "My CNN!"}), {}).result["filename"]
        'my_cnn.json'
    """
    title = held.metadata.get("title", "model")
    stem = "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_") or "model"
    return Outcome(None, {"text": held.to_json() + "\n", "filename": f"{stem}.json"})


def apply_fix(held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The held graph with a Problem's machine-applicable ``fix`` applied.

    Example:
        >>> held = Graph(); held.add("Linear", id="fc", out_features=0)
        'fc'
        >>> apply_fix(held, {"fix": {"node_id": "fc", "params": {"out_features": 4}}}).graph
        Graph(1 nodes, 0 edges)
    """
    return Outcome(editing.apply_fix(held, request["fix"]))


def group_block(held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The layers ``ids`` made into the block ``name`` used by one new node, which is selected.

    Example:
        >>> held = examples.load("mlp")
        >>> group_block(held, {"ids": ["fc1", "relu1"], "name": "Hidden"}).result
        {'node_id': 'hidden1'}
    """
    graph = held.copy()
    node_id = graph.group(request["ids"], request["name"])
    return Outcome(graph, {"node_id": node_id}, [node_id])


def ungroup_block(held: Graph, request: Mapping[str, Any]) -> Outcome:
    """The block node ``node_id``'s layers put back into the graph, and selected.

    Example:
        >>> ungroup_block(Graph(), {"node_id": "gone"})
        Traceback (most recent call last):
        ...
        KeyError: "There is no node 'gone' to ungroup any more; it was removed."
    """
    graph = held.copy()
    try:
        ids = graph.ungroup(request["node_id"])
    except KeyError:
        raise KeyError(
            f"There is no node {request['node_id']!r} to ungroup any more; it was removed."
        ) from None
    return Outcome(graph, {"ids": ids}, ids)


Answer = Callable[[Graph, Mapping[str, Any]], Outcome]

ANSWERS: dict[str, Answer] = {
    "edit": edit,
    "patch": patch,
    "apply_template": apply_template,
    "load_json": load_json,
    "save_json": save_json,
    "apply_fix": apply_fix,
    "group_block": group_block,
    "ungroup_block": ungroup_block,
}
"""One function per request type of the editor protocol (``protocol.REQUEST_TYPES``)."""


def answer(held: Graph, request: Mapping[str, Any]) -> Outcome:
    """What the request does to the graph ``held``; raises one of ``REFUSALS`` when refused.

    Example:
        >>> answer(examples.load("mlp"), {"type": "ungroup_block", "node_id": "fc1"})
        Traceback (most recent call last):
        ...
        dlstudio.graph.errors.GraphError: Linear 'fc1' is not a block.
    """
    kind = request.get("type")
    if not isinstance(kind, str) or kind not in ANSWERS:
        raise ValueError(f"Unknown request type {kind!r}; expected one of {tuple(ANSWERS)}.")
    return ANSWERS[kind](held, request)


def sentence(error: BaseException) -> str:
    """What the learner reads of a refusal (a KeyError's message without its quotes).

    Example:
        >>> sentence(KeyError("No example graph named 'x'."))
        "No example graph named 'x'."
    """
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return str(error)
