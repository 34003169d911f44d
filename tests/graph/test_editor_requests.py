"""The editor requests in the core: pure functions of the graph held and the request, shared by
the ModelBuilder widget and the server extension (their own tests compare the two)."""

from __future__ import annotations

import doctest

import pytest

from dlstudio.graph import GraphError, editor_requests, examples
from dlstudio.graph.editor_requests import ANSWERS, answer, sentence


def test_docstring_examples() -> None:
    assert doctest.testmod(editor_requests, optionflags=doctest.ELLIPSIS).failed == 0


def test_every_protocol_request_has_an_answer() -> None:
    from dlstudio.ui import protocol  # the tests may cross the layers the package may not

    assert tuple(ANSWERS) == protocol.REQUEST_TYPES


@pytest.mark.parametrize(
    "request_",
    [
        {"type": "patch", "patch": {"nodes": {"count": 8, "remove": [0], "set": [], "add": []},
                                     "edges": {"count": 7, "remove": [0], "add": []}}},
        {"type": "apply_fix", "fix": {"node_id": "fc1", "params": {"out_features": 3}}},
        {"type": "group_block", "ids": ["fc1", "relu1"], "name": "Hidden"},
        {"type": "save_json"},
    ],
    ids=["patch", "apply_fix", "group_block", "save_json"],
)  # fmt: skip
def test_the_graph_held_is_never_changed_in_place(request_: dict) -> None:
    held = examples.load("mlp")
    before = held.to_dict()
    outcome = answer(held, request_)
    assert held.to_dict() == before
    assert outcome.graph is not held


def test_refusals_are_sentences() -> None:
    held = examples.load("mlp")
    with pytest.raises(ValueError, match="Unknown request type 'run_code'"):
        answer(held, {"type": "run_code"})
    with pytest.raises(KeyError) as missing:
        answer(held, {"type": "apply_template", "name": "nope"})
    assert sentence(missing.value).startswith("No example graph named 'nope'")
    with pytest.raises(GraphError) as malformed:
        answer(held, {"type": "edit", "graph": {"version": 1, "nodes": [], "edges": "x"}})
    assert sentence(malformed.value) == str(malformed.value)
