"""The server extension on a real JupyterLab server: it answers graph documents with the core's
shapes, problems and code, answers the editor's requests as the ModelBuilder widget does, copies
the tutorials, and refuses what a hostile client sends (no token, no XSRF token, huge and deep
bodies, code in ids, paths out of the root) while it keeps serving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest
import requests

from dlstudio import tutorials
from dlstudio.graph import Graph, examples
from dlstudio.ui import protocol
from dlstudio.ui.builder import ModelBuilder
from tests.ui.servers import LabServer, start_jupyter_lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with start_jupyter_lab(tmp_path_factory.mktemp("server-ext"), name="server-ext-lab") as server:
        yield server


def _url(lab: LabServer, path: str) -> str:
    return f"{lab.base_url}/dlstudio/{path}"


def _auth(lab: LabServer) -> dict[str, str]:
    return {"Authorization": f"token {lab.token}"}


def test_the_extension_is_enabled_and_answers_with_the_cores_analysis(lab: LabServer) -> None:
    catalog = requests.get(_url(lab, "catalog"), headers=_auth(lab), timeout=30)
    assert catalog.status_code == 200
    names = {layer["name"] for layer in catalog.json()["catalog"]}
    assert {"Linear", "Conv2d", "Pretrained"} <= names
    assert catalog.json()["templates"] == examples.names()
    assert set(catalog.json()) == set(get_type_hints(protocol.CatalogAnswer))
    assert Graph.from_dict(catalog.json()["starter"]).to_dict() == examples.starter().to_dict()

    document = examples.load("lenet5").to_dict()
    answer = requests.post(
        _url(lab, "analyze"), json={"graph": document}, headers=_auth(lab), timeout=30
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["shapes"]["output"] == [None, 10] and body["problems"] == []
    assert "class Net(nn.Module)" in body["code"] and body["param_count"] == 61706


def test_a_document_the_core_refuses_is_a_400_with_its_sentences(lab: LabServer) -> None:
    marker = lab.root_dir / "ran.txt"
    hostile = {
        "version": 1,
        "nodes": [
            {"id": f"__import__('os').system('touch {marker}')", "op": "Input"},
            {"id": "x", "op": "Linear", "label": "exec('1')", "params": {"p": {"a": 1}}},
        ],
        "edges": "none",
    }
    answer = requests.post(
        _url(lab, "analyze"), json={"graph": hostile}, headers=_auth(lab), timeout=30
    )
    assert answer.status_code == 400
    assert answer.json()["problems"] and "edges" in answer.json()["error"]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"x" * 50_000_000, 413),  # 50 MB
        (b"{not json", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),  # deep
        (b"[1, 2]", 400),
    ],
    ids=["50MB", "not-json", "deep", "not-an-object"],
)
def test_bodies_that_are_not_a_small_json_object_are_refused(
    lab: LabServer, body: bytes, status: int
) -> None:
    answer = requests.post(_url(lab, "analyze"), data=body, headers=_auth(lab), timeout=60)
    assert answer.status_code == status


def test_without_the_token_or_the_xsrf_token_nothing_is_answered(lab: LabServer) -> None:
    assert requests.get(_url(lab, "catalog"), timeout=30).status_code == 403
    document = {"graph": examples.load("mlp").to_dict()}
    assert requests.post(_url(lab, "analyze"), json=document, timeout=30).status_code == 403
    browser = requests.Session()  # logged in by cookie, as a page is
    assert browser.get(f"{lab.base_url}/lab?token={lab.token}", timeout=30).status_code == 200
    refused = browser.post(_url(lab, "analyze"), json=document, timeout=30)
    assert refused.status_code == 403  # a cookie alone: no XSRF token
    xsrf = browser.cookies.get("_xsrf")
    taken = browser.post(
        _url(lab, "analyze"), json=document, headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert taken.status_code == 200


def test_export_to_python_writes_beside_the_document_and_never_outside(lab: LabServer) -> None:
    (lab.root_dir / "models").mkdir(exist_ok=True)
    examples.load("lenet5").save(lab.root_dir / "models" / "lenet.dlgraph")
    done = requests.post(
        _url(lab, "export-python"), json={"path": "models/lenet.dlgraph"},
        headers=_auth(lab), timeout=30,
    )  # fmt: skip
    assert done.status_code == 200 and done.json() == {"path": "models/lenet.py"}
    assert (lab.root_dir / "models" / "lenet.py").read_text() == examples.load("lenet5").to_code()
    for path, status in (("../outside.dlgraph", 403), ("/etc/x.dlgraph", 403),
                         ("models/lenet.json", 400), ("models/none.dlgraph", 404)):  # fmt: skip
        answer = requests.post(
            _url(lab, "export-python"), json={"path": path}, headers=_auth(lab), timeout=30
        )
        assert answer.status_code == status, (path, answer.text)
    assert not (lab.root_dir.parent / "outside.py").exists()
    # After every refusal the server still serves.
    assert requests.get(_url(lab, "catalog"), headers=_auth(lab), timeout=30).status_code == 200


def test_the_answer_is_the_same_the_widget_gives(lab: LabServer) -> None:
    builder = ModelBuilder("resnet_small")
    document = builder.graph.to_dict()
    body = requests.post(
        _url(lab, "analyze"), json={"graph": document}, headers=_auth(lab), timeout=30
    ).json()
    assert body["shapes"] == json.loads(json.dumps(builder.shapes))
    assert body["problems"] == builder.problems and body["code"] == builder.code
    assert body["block_params"] == builder.block_params
    assert body["graph"] == document  # the document comes back as the core reads it


# -- The editor endpoint: the widget's requests answered without a kernel ---------------------


def _editor(lab: LabServer, held: dict[str, Any], request: dict[str, Any]) -> requests.Response:
    call = {"graph": held, "request": request}
    return requests.post(_url(lab, "editor"), json=call, headers=_auth(lab), timeout=60)


def _addressed(request: dict[str, Any], base: int) -> dict[str, Any]:
    """``request`` as a view sends it: its id, and the revision it builds on when it names one."""
    addressed = {**request, "view": "v1", "id": 1}
    if request["type"] in protocol.GRAPH_REQUESTS:
        addressed["base"] = base
    return addressed


def _widget(held: dict[str, Any], request: dict[str, Any]) -> tuple[ModelBuilder, Any]:
    """A ModelBuilder holding ``held`` after the page sent it ``request``, and its reply."""
    builder = ModelBuilder(held)
    replies: list[Any] = []
    builder.send = lambda content, buffers=None: replies.append(content)  # type: ignore
    message = _addressed(request, builder.graph_revision["number"])
    builder._on_message(builder, message, [])
    return builder, (replies[0] if replies else None)


def _answer_like_the_widget(
    lab: LabServer, held: dict[str, Any], request: dict[str, Any]
) -> dict[str, Any]:
    """The editor's answer to ``request`` on ``held``, checked against the widget's."""
    response = _editor(lab, held, _addressed(request, 0))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == set(get_type_hints(protocol.EditorAnswer))
    builder, reply = _widget(held, request)
    if reply is None:  # an edit: answered by graph_revision and the error trait
        assert answer["ok"] == (not builder.graph_revision["refused"])
        assert (answer["error"] or "") == builder.error and answer["result"] is None
    else:
        assert (answer["ok"], answer["error"]) == (reply["ok"], reply["error"])
        assert answer["result"] == reply["result"]
    as_read = Graph.from_dict(held).to_dict()
    assert (answer["graph"] or as_read) == builder.graph.to_dict()
    assert (answer["selection"] or []) == builder.selection
    for name in ("shapes", "problems", "param_count", "block_params", "code"):
        assert answer[name] == json.loads(json.dumps(getattr(builder, name))), name
    return answer


def test_the_editor_answers_each_request_as_the_widget_does(lab: LabServer) -> None:
    mlp = examples.load("mlp").to_dict()
    lenet = examples.load("lenet5").to_dict()

    edited = _answer_like_the_widget(lab, mlp, {"type": "edit", "graph": lenet})
    assert edited["ok"] and edited["graph"] == lenet and edited["param_count"] == 61706

    place = next(i for i, node in enumerate(mlp["nodes"]) if node["id"] == "fc1")
    wider = {**mlp["nodes"][place], "params": {"out_features": 32}}
    change = {
        "nodes": {"count": len(mlp["nodes"]), "remove": [], "set": [[place, wider]], "add": []},
        "edges": {"count": len(mlp["edges"]), "remove": [], "add": []},
    }
    patched = _answer_like_the_widget(lab, mlp, {"type": "patch", "patch": change})
    assert patched["graph"]["nodes"][place]["params"] == {"out_features": 32}

    template = _answer_like_the_widget(lab, mlp, {"type": "apply_template", "name": "lenet5"})
    assert template["graph"] == lenet and template["result"] is None
    unknown = _answer_like_the_widget(lab, mlp, {"type": "apply_template", "name": "nope"})
    assert not unknown["ok"] and "No example graph named 'nope'" in unknown["error"]

    text = json.dumps(lenet)
    loaded = _answer_like_the_widget(lab, mlp, {"type": "load_json", "text": text})
    assert loaded["graph"] == lenet
    broken = _answer_like_the_widget(lab, mlp, {"type": "load_json", "text": "{not json"})
    assert not broken["ok"] and broken["graph"] is None

    saved = _answer_like_the_widget(lab, lenet, {"type": "save_json"})
    assert saved["graph"] is None and json.loads(saved["result"]["text"]) == lenet
    assert saved["result"]["filename"].endswith(".json")


def test_the_editor_applies_fixes_and_groups_and_ungroups_blocks(lab: LabServer) -> None:
    mlp = examples.load("mlp").to_dict()
    wrong = Graph.from_dict(mlp)
    wrong.node("fc2").params["in_features"] = 7  # fc1 gives 128: the core offers a fix
    held = wrong.to_dict()
    problems = requests.post(
        _url(lab, "analyze"), json={"graph": held}, headers=_auth(lab), timeout=30
    ).json()["problems"]
    fix = next(problem["fix"] for problem in problems if problem["fix"])
    fixed = _answer_like_the_widget(lab, held, {"type": "apply_fix", "fix": fix})
    assert fixed["ok"] and fixed["problems"] == [] and "class Net" in fixed["code"]
    gone = {"node_id": "nope", "params": {}}
    refused = _answer_like_the_widget(lab, held, {"type": "apply_fix", "fix": gone})
    assert refused["error"] == "There is no node 'nope' to fix any more; it was removed."

    group = {"type": "group_block", "ids": ["fc1", "relu1"], "name": "Hidden"}
    grouped = _answer_like_the_widget(lab, mlp, group)
    node_id = grouped["result"]["node_id"]
    assert grouped["selection"] == [node_id] and "Hidden" in grouped["graph"]["blocks"]
    assert grouped["block_params"][node_id] > 0
    ungroup = {"type": "ungroup_block", "node_id": node_id}
    ungrouped = _answer_like_the_widget(lab, grouped["graph"], ungroup)
    ids = ungrouped["result"]["ids"]
    assert ungrouped["selection"] == ids and len(ids) == 2
    assert "blocks" not in ungrouped["graph"]
    missing = _answer_like_the_widget(lab, mlp, {"type": "ungroup_block", "node_id": "nope"})
    assert missing["error"] == "There is no node 'nope' to ungroup any more; it was removed."


def test_a_refused_edit_keeps_the_document_and_says_why(lab: LabServer) -> None:
    mlp = examples.load("mlp").to_dict()
    malformed = {**mlp, "edges": "none"}
    answer = _answer_like_the_widget(lab, mlp, {"type": "edit", "graph": malformed})
    assert answer["ok"] is False and answer["graph"] is None and "edges" in answer["error"]
    assert answer["code"] == examples.load("mlp").to_code()  # the held document's analysis


def test_the_editor_refuses_a_bad_held_document_or_a_malformed_request(lab: LabServer) -> None:
    mlp = examples.load("mlp").to_dict()
    save = {"type": "save_json", "view": "v1", "id": 1, "base": 0}
    bad_held = _editor(lab, {**mlp, "nodes": "none"}, save)
    assert bad_held.status_code == 400
    assert set(bad_held.json()) == {"error", "problems"} and bad_held.json()["problems"]
    for request, sentence in (
        ({"type": "run_code", "view": "v1", "id": 1}, "Unknown request type 'run_code'"),
        ({**save, "code": "import os"}, "unexpected fields: ['code']"),
        ({k: v for k, v in save.items() if k != "base"}, "lacks its 'base' field"),
        ("save_json", "must be a JSON object"),
    ):
        answer = _editor(lab, mlp, request)  # type: ignore[arg-type]
        assert answer.status_code == 400 and sentence in answer.json()["error"], answer.text
    lacking = {"graph": mlp}  # no request
    answer = requests.post(_url(lab, "editor"), json=lacking, headers=_auth(lab), timeout=30)
    assert answer.status_code == 400


# -- Hostile calls to the editor and tutorials endpoints ------------------------------------

_GOOD_CALLS = {
    "editor": {
        "graph": examples.load("mlp").to_dict(),
        "request": {"type": "save_json", "view": "v1", "id": 1, "base": 0},
    },
    "tutorials": {"folder": "tutorials-served"},
}


def _still_serves(lab: LabServer) -> None:
    for endpoint, call in _GOOD_CALLS.items():
        answer = requests.post(_url(lab, endpoint), json=call, headers=_auth(lab), timeout=60)
        assert answer.status_code == 200, (endpoint, answer.text)


@pytest.mark.parametrize("endpoint", list(_GOOD_CALLS))
def test_without_the_token_or_with_a_wrong_xsrf_token_nothing_is_done(
    lab: LabServer, endpoint: str
) -> None:
    call = {**_GOOD_CALLS[endpoint]}
    if endpoint == "tutorials":
        call["folder"] = "tutorials-auth"  # made only by the call with the right XSRF token
    assert requests.post(_url(lab, endpoint), json=call, timeout=30).status_code in (401, 403)
    browser = requests.Session()  # logged in by cookie, as a page is
    assert browser.get(f"{lab.base_url}/lab?token={lab.token}", timeout=30).status_code == 200
    wrong = browser.post(
        _url(lab, endpoint), json=call, headers={"X-XSRFToken": "forged"}, timeout=30
    )
    assert wrong.status_code == 403
    assert not (lab.root_dir / "tutorials-auth").exists()
    right = browser.post(
        _url(lab, endpoint), json=call,
        headers={"X-XSRFToken": browser.cookies.get("_xsrf")}, timeout=60,
    )  # fmt: skip
    assert right.status_code == 200
    if endpoint == "tutorials":
        assert (lab.root_dir / "tutorials-auth").is_dir()
    _still_serves(lab)


@pytest.mark.parametrize("endpoint", list(_GOOD_CALLS))
def test_a_50_mb_body_is_refused_and_the_server_keeps_serving(
    lab: LabServer, endpoint: str
) -> None:
    try:
        answer = requests.post(
            _url(lab, endpoint), data=b"x" * 50_000_000, headers=_auth(lab), timeout=60
        )
    except requests.ConnectionError:
        pass  # the server may close the connection before reading it all
    else:
        assert answer.status_code == 413
    _still_serves(lab)


def test_code_in_ids_labels_and_names_is_never_run(lab: LabServer) -> None:
    marker = lab.root_dir / "editor-ran.txt"
    run = f"__import__('os').system('touch {marker}')"
    hostile = examples.load("mlp").to_dict()
    for node in hostile["nodes"]:
        if node["id"] == "fc1":
            node["label"] = f"<script>{run}</script>"
    document = json.loads(json.dumps(hostile).replace('"fc1"', json.dumps(run)))
    requests_sent = [
        {"type": "edit", "graph": document},
        {"type": "load_json", "text": json.dumps(document)},
        {"type": "apply_template", "name": run},
        {"type": "group_block", "ids": [run], "name": run},
        {"type": "apply_fix", "fix": {"node_id": run, "params": {"out_features": run}}},
        {"type": "ungroup_block", "node_id": run},
        {"type": "save_json"},
    ]
    for held in (examples.load("mlp").to_dict(), document):
        for request in requests_sent:
            answer = _editor(lab, held, _addressed(request, 0))
            assert answer.status_code in (200, 400), answer.text
            body = answer.json()
            # Refused with a sentence, or taken as plain text.
            assert isinstance(body["error"], str) if not body.get("ok") else body["error"] is None
            if body.get("ok") and body["graph"] is not None:
                assert "class Net" in body["code"] or body["problems"]
    # Taken as plain text: the id stays a name in the document, the code never holds it.
    edit = _editor(lab, _GOOD_CALLS["editor"]["graph"], _addressed(requests_sent[0], 0)).json()
    assert edit["ok"] and run in [node["id"] for node in edit["graph"]["nodes"]]
    assert "__import__" not in edit["code"] and "<script>" not in edit["code"]
    assert not marker.exists()
    _still_serves(lab)


# -- The tutorials endpoint --------------------------------------------------------------------


def test_tutorials_are_copied_once_and_an_edited_copy_is_kept(lab: LabServer) -> None:
    expected = [f"dlstudio-tutorials/{path.name}" for path in tutorials.notebooks()]
    assert expected
    first = requests.post(_url(lab, "tutorials"), json={}, headers=_auth(lab), timeout=60)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == set(get_type_hints(protocol.TutorialsAnswer))
    assert body == {"folder": "dlstudio-tutorials", "notebooks": expected, "copied": expected}
    edited = lab.root_dir / expected[0]
    edited.write_text('{"edited": true}')
    (lab.root_dir / expected[-1]).unlink()
    again = requests.post(_url(lab, "tutorials"), json={}, headers=_auth(lab), timeout=60)
    assert again.json() == {
        "folder": "dlstudio-tutorials",
        "notebooks": expected,
        "copied": [expected[-1]],
    }
    assert edited.read_text() == '{"edited": true}'
    named = requests.post(
        _url(lab, "tutorials"), json={"folder": "course"}, headers=_auth(lab), timeout=60
    ).json()
    assert named["folder"] == "course" and len(named["copied"]) == len(expected)


@pytest.mark.parametrize(
    "folder", ["../x", "..", "/etc", "a/b", "", ".hidden", "x" * 65, 5, None, ["a"]]
)
def test_tutorials_go_only_into_one_plain_folder_of_the_root(lab: LabServer, folder: Any) -> None:
    answer = requests.post(
        _url(lab, "tutorials"), json={"folder": folder}, headers=_auth(lab), timeout=30
    )
    assert answer.status_code in (400, 403), answer.text
    assert not (lab.root_dir.parent / "x").exists() and not (lab.root_dir / "a").exists()
    _still_serves(lab)
