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
from dlstudio.ui.live import LossPlot

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


def _ts_requests(playground: bool = False) -> dict[str, set[str]]:
    """request type -> its fields, from every interface whose `type` is a string literal (the
    ModelBuilder's, or with ``playground`` the Playground's)."""
    out = {}
    for name, fields in _ts_interfaces().items():
        literal = re.fullmatch(r'"(\w+)"', fields.get("type", ""))
        if literal and name.endswith("Request") and name.startswith("Playground") == playground:
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
    # Requests made on the page's document are exactly those that name its base revision.
    assert ("base" in hints) == (kind in protocol.GRAPH_REQUESTS)
    assert {"view", "id"} <= set(hints)
    assert _ts_const_list("GRAPH_REQUESTS") == list(protocol.GRAPH_REQUESTS)
    # Python can answer every request type.
    assert callable(getattr(ModelBuilder, f"_request_{kind}", None))


def test_reply_fix_and_revision_fields_match_both_ways() -> None:
    interfaces = _ts_interfaces()
    for name in ("Reply", "Fix", "GraphRevision", "Addressed", "OnDocument"):
        assert _names(interfaces[name]) == set(get_type_hints(getattr(protocol, name))), name
        assert not _optional(interfaces[name]), name
    assert re.search(rf'export const REPLY_TYPE = "{protocol.REPLY_TYPE}";', _ts())


def test_parse_request_accepts_good_and_names_what_is_wrong() -> None:
    template = {"type": "apply_template", "view": "v1", "id": 1, "name": "mlp"}
    assert protocol.parse_request(template)["name"] == "mlp"
    save = {"type": "save_json", "view": "v1", "id": 1, "base": 0}
    cases = [
        ("not a dict", "JSON object"),
        ({"type": "run_code", "id": 1}, "Unknown request type 'run_code'"),
        ({"type": "load_json", "view": "v1", "id": 1}, "lacks its 'text' field"),
        ({"type": "load_json", "id": 1, "text": "{}"}, "lacks its 'view' field"),
        ({**save, "id": "1"}, "'id' field has the wrong type"),
        ({**save, "id": True}, "'id' field has the wrong type"),
        ({**save, "base": 1.5}, "'base' field has the wrong type"),
        ({**save, "view": ""}, "view id must be 1 to 64 long"),
        ({**save, "view": "v" * 65}, "view id must be 1 to 64 long"),
        ({**save, "code": "x"}, "unexpected fields: ['code']"),
    ]
    for message, expected in cases:
        with pytest.raises(protocol.ProtocolError, match=re.escape(expected)):
            protocol.parse_request(message)


def test_parse_request_takes_an_edit_and_only_edits_bring_a_graph() -> None:
    doc = {"version": 1, "nodes": [], "edges": []}
    edit = {"type": "edit", "view": "v1", "id": 4, "base": 2, "graph": doc}
    assert protocol.parse_request(edit) == edit
    with pytest.raises(protocol.ProtocolError, match="'graph' field has the wrong type"):
        protocol.parse_request({**edit, "graph": []})
    with pytest.raises(protocol.ProtocolError, match="lacks its 'base' field"):
        protocol.parse_request({k: v for k, v in edit.items() if k != "base"})
    save = {"type": "save_json", "view": "v1", "id": 1, "base": 0, "graph": doc}
    with pytest.raises(protocol.ProtocolError, match=re.escape("unexpected fields: ['graph']")):
        protocol.parse_request(save)


def test_make_reply_names_the_view_and_id_of_the_request() -> None:
    reply = protocol.make_reply({"type": "save_json", "view": "v7", "id": 7}, error="No.")
    assert reply == {
        "type": "reply",
        "view": "v7",
        "id": 7,
        "request": "save_json",
        "ok": False,
        "error": "No.",
        "result": None,
    }
    # A message too broken to name its view or id is answered to no one.
    assert protocol.make_reply({"type": "x", "view": 3, "id": True}, error="No.")["view"] == ""


# -- The server extension's bodies and answers -----------------------------------------------


@pytest.mark.parametrize("name", ["CatalogAnswer", "EditorCall", "EditorAnswer", "TutorialsAnswer"])
def test_server_extension_fields_match_both_ways(name: str) -> None:
    ts_fields = _ts_interfaces()[name]
    assert _names(ts_fields) == set(get_type_hints(getattr(protocol, name)))
    assert not _optional(ts_fields)


def test_the_editor_answer_carries_the_builders_analysis_traits() -> None:
    # The editor draws these as the widget draws its traits of the same names.
    analysis = {"shapes", "problems", "param_count", "block_params", "code"}
    assert analysis <= set(protocol.TRAIT_NAMES)
    assert analysis <= set(get_type_hints(protocol.EditorAnswer))
    assert _ts_interfaces()["EditorCall"]["request"] == "Request"


# -- The loss plot's traits and messages ----------------------------------------------------


def _ts_literals(ts_type: str) -> set[str]:
    """The string literals of a TypeScript union such as ``"step" | "epoch"``."""
    return set(re.findall(r'"(\w+)"', ts_type))


def _own_synced_traits(cls: type[anywidget.AnyWidget]) -> set[str]:
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    return {
        name
        for name in cls.class_trait_names(sync=True)
        if name not in base and not name.startswith("_")
    }


def test_loss_plot_trait_names_match_both_ways_and_the_widget() -> None:
    assert _ts_const_list("LOSS_PLOT_TRAIT_NAMES") == list(protocol.LOSS_PLOT_TRAIT_NAMES)
    assert _names(_ts_interfaces()["LossPlotTraits"]) == set(protocol.LOSS_PLOT_TRAIT_NAMES)
    assert _own_synced_traits(LossPlot) == set(protocol.LOSS_PLOT_TRAIT_NAMES)


def test_loss_plot_messages_match_both_ways() -> None:
    interfaces = _ts_interfaces()
    for name in ("PlotCurve", "PlotCurves", "PointsMessage", "HelloMessage"):
        assert _names(interfaces[name]) == set(get_type_hints(getattr(protocol, name))), name
    curve = get_type_hints(protocol.PlotCurve)
    for field in ("kind", "panel"):
        assert _ts_literals(interfaces["PlotCurve"][field]) == set(get_args(curve[field])), field
    messages = {protocol.PointsMessage: "PointsMessage", protocol.HelloMessage: "HelloMessage"}
    types = []
    for cls, ts_name in messages.items():
        (kind,) = get_args(get_type_hints(cls)["type"])
        assert interfaces[ts_name]["type"] == f'"{kind}"'
        types.append(kind)
    assert _ts_const_list("LOSS_PLOT_MESSAGE_TYPES") == list(protocol.LOSS_PLOT_MESSAGE_TYPES)
    assert sorted(types) == sorted(protocol.LOSS_PLOT_MESSAGE_TYPES)


def test_the_loss_plot_speaks_the_protocol() -> None:
    plot = LossPlot()
    sent: list[dict] = []
    plot.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    plot.log(step=1, loss=0.5)
    plot.log_epoch(step=1, val_accuracy=0.75)
    data = plot.snapshot()
    # The batcher's thread may have sent the first point on its own: one or two messages.
    assert all(set(m) == set(get_type_hints(protocol.PointsMessage)) for m in sent)
    assert [m["type"] for m in sent] == ["points"] * len(sent)
    assert [m["seq"] for m in sent] == list(range(1, data["seq"] + 1))
    expected = {
        "loss": {"x": [1], "y": [0.5], "kind": "step", "panel": "loss"},
        "val_accuracy": {"x": [1], "y": [0.75], "kind": "epoch", "panel": "metric"},
    }
    assert {name: curve for m in sent for name, curve in m["series"].items()} == expected
    assert data["series"] == expected
    assert set(data) == set(get_type_hints(protocol.PlotCurves))
    # A view's hello brings the history up to date at once (a new `data`).
    plot.log(step=2, loss=0.25)
    plot._on_message(plot, {"type": "hello"}, [])
    assert plot.data is not data and plot.data["series"]["loss"]["x"] == [1, 2]
    plot.close()


def test_playground_traits_and_requests_match_both_ways() -> None:
    from dlstudio.ui.playground import REQUESTS, Playground

    assert _ts_const_list("PLAYGROUND_TRAIT_NAMES") == list(protocol.PLAYGROUND_TRAIT_NAMES)
    assert _names(_ts_interfaces()["PlaygroundTraits"]) == set(protocol.PLAYGROUND_TRAIT_NAMES)
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    synced = {n for n in Playground.class_trait_names(sync=True) if n not in base and n[0] != "_"}
    assert synced == set(protocol.PLAYGROUND_TRAIT_NAMES)
    assert _ts_const_list("PLAYGROUND_REQUEST_TYPES") == list(protocol.PLAYGROUND_REQUEST_TYPES)
    ts = _ts_requests(playground=True)
    assert set(ts) == set(protocol.PLAYGROUND_REQUEST_TYPES) == set(REQUESTS)
    for kind, cls in protocol.PLAYGROUND_REQUEST_CLASSES.items():
        assert set(get_type_hints(cls)) == ts[kind], kind


def test_playground_requests_are_checked_before_use() -> None:
    parse = protocol.parse_playground_request
    assert parse({"type": "set_weight", "layer": 1, "to": 0, "from": 1, "value": 0.5})["from"] == 1
    cases = [
        ([], "JSON object"),
        ({"type": "exec"}, "does not know the request 'exec'"),
        ({"type": "focus"}, "lacks its 'node' field"),
        ({"type": "focus", "node": 3}, "'node' field has the wrong type"),
        ({"type": "hide", "control": "noise", "hidden": 1}, "'hidden' field has the wrong type"),
        ({"type": "set_bias", "layer": True, "node": 0, "value": 1}, "'layer' field"),
        ({"type": "play", "code": "x"}, "unexpected fields: ['code']"),
    ]
    for message, expected in cases:
        with pytest.raises(protocol.ProtocolError, match=re.escape(expected)):
            parse(message)
