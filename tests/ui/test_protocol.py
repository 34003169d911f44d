"""The widget protocol is written twice (Python and TypeScript); these tests keep the two in step.

They parse ``widgets/src/protocol.ts`` as text and compare it with ``dlstudio/ui/protocol.py``
and with the traits the ModelBuilder really syncs, in both directions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args, get_type_hints

import anywidget
import pytest

from dlstudio.ui import protocol
from dlstudio.ui.builder import ModelBuilder

PROTOCOL_TS = Path(__file__).resolve().parents[2] / "widgets" / "src" / "protocol.ts"


def _ts() -> str:
    return PROTOCOL_TS.read_text(encoding="utf-8")


def _ts_const_list(name: str) -> list[str]:
    match = re.search(rf"export const {name} = \[(.*?)\] as const;", _ts(), re.S)
    assert match, f"protocol.ts has no `export const {name} = [...] as const;`"
    return re.findall(r'"([^"]+)"', match.group(1))


def _ts_interfaces() -> dict[str, dict[str, str]]:
    """interface name -> {field: TypeScript type}, inherited fields (``extends``) included."""
    out: dict[str, dict[str, str]] = {}
    pattern = r"export interface (\w+)(?: extends (\w+))? \{(.*?)\n\}"
    for name, base, body in re.findall(pattern, _ts(), re.S):
        fields = dict(re.findall(r"^\s*(\w+\??):\s*([^;]+);", body, re.M))
        out[name] = {**(out[base] if base else {}), **fields}
    return out


def _optional(fields: dict[str, str]) -> set[str]:
    return {name[:-1] for name in fields if name.endswith("?")}


def _names(fields: dict[str, str]) -> set[str]:
    return {name.rstrip("?") for name in fields}


def _ts_requests() -> dict[str, set[str]]:
    """request type -> its fields, from every interface whose `type` is a string literal."""
    out = {}
    for name, fields in _ts_interfaces().items():
        literal = re.fullmatch(r'"(\w+)"', fields.get("type", ""))
        if literal and name.endswith("Request"):
            out[literal.group(1)] = _names(fields)
    return out


def test_trait_names_match_both_ways() -> None:
    assert _ts_const_list("TRAIT_NAMES") == list(protocol.TRAIT_NAMES)
    assert _names(_ts_interfaces()["BuilderTraits"]) == set(protocol.TRAIT_NAMES)


def test_trait_names_are_the_widgets_synced_traits() -> None:
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    synced = {
        name
        for name in ModelBuilder.class_trait_names(sync=True)
        if name not in base and not name.startswith("_")
    }
    assert synced == set(protocol.TRAIT_NAMES)


def test_request_types_match_both_ways() -> None:
    assert _ts_const_list("REQUEST_TYPES") == list(protocol.REQUEST_TYPES)
    assert set(_ts_requests()) == set(protocol.REQUEST_CLASSES) == set(protocol.REQUEST_TYPES)


@pytest.mark.parametrize("kind", protocol.REQUEST_TYPES)
def test_request_fields_match_both_ways(kind: str) -> None:
    python_cls = protocol.REQUEST_CLASSES[kind]
    hints = get_type_hints(python_cls)
    assert set(hints) == _ts_requests()[kind]
    assert get_args(hints["type"]) == (kind,)
    # Optional on one side only would be a field one side may leave out and the other needs.
    ts_fields = next(
        fields
        for name, fields in _ts_interfaces().items()
        if name.endswith("Request") and fields.get("type") == f'"{kind}"'
    )
    assert _optional(ts_fields) == set(hints) - python_cls.__required_keys__
    # Requests that bring the page's graph are exactly those that work on the current graph.
    assert ("graph" in hints) == (kind in protocol.GRAPH_REQUESTS)
    assert _ts_const_list("GRAPH_REQUESTS") == list(protocol.GRAPH_REQUESTS)
    # Python can answer every request type.
    assert callable(getattr(ModelBuilder, f"_request_{kind}", None))


def test_reply_fix_and_revision_fields_match_both_ways() -> None:
    interfaces = _ts_interfaces()
    for name in ("Reply", "Fix", "GraphRevision", "PageGraph"):
        assert _names(interfaces[name]) == set(get_type_hints(getattr(protocol, name))), name
    assert _optional(interfaces["PageGraph"]) == set(get_type_hints(protocol.PageGraph))
    assert re.search(rf'export const REPLY_TYPE = "{protocol.REPLY_TYPE}";', _ts())


def test_parse_request_accepts_good_and_names_what_is_wrong() -> None:
    assert (
        protocol.parse_request({"type": "apply_template", "id": 1, "name": "mlp"})["name"] == "mlp"
    )
    cases = [
        ("not a dict", "JSON object"),
        ({"type": "run_code", "id": 1}, "Unknown request type 'run_code'"),
        ({"type": "load_json", "id": 1}, "lacks its 'text' field"),
        ({"type": "load_json", "id": "1", "text": "{}"}, "'id' field has the wrong type"),
        ({"type": "save_json", "id": True}, "'id' field has the wrong type"),
        ({"type": "save_json", "id": 1, "code": "x"}, "unexpected fields: ['code']"),
    ]
    for message, expected in cases:
        with pytest.raises(protocol.ProtocolError, match=re.escape(expected)):
            protocol.parse_request(message)


def test_parse_request_takes_the_graph_a_request_brings() -> None:
    doc = {"version": 1, "nodes": [], "edges": []}
    revision = {"page": 4, "python": 2}
    message = {"type": "save_json", "id": 1, "graph": doc, "revision": revision}
    assert protocol.parse_request(message) == message
    with pytest.raises(protocol.ProtocolError, match="'graph' field has the wrong type"):
        protocol.parse_request({"type": "save_json", "id": 1, "graph": []})
    with pytest.raises(protocol.ProtocolError, match=re.escape("unexpected fields: ['graph']")):
        protocol.parse_request({"type": "apply_template", "id": 1, "name": "mlp", "graph": doc})


def test_parse_revision_takes_only_two_counters() -> None:
    assert protocol.parse_revision({"page": 0, "python": 3}) == {"page": 0, "python": 3}
    for bad in (None, [], {"page": 1}, {"page": 1, "python": True}, {"page": -1, "python": 0}):
        assert protocol.parse_revision(bad) is None
    assert protocol.parse_revision({"page": 1, "python": 2, "x": 0}) is None


def test_make_reply_carries_the_request_id() -> None:
    reply = protocol.make_reply({"type": "save_json", "id": 7}, error="No.")
    assert reply == {
        "type": "reply",
        "id": 7,
        "request": "save_json",
        "ok": False,
        "error": "No.",
        "result": None,
    }
