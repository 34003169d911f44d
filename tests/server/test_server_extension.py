"""The server extension on a real JupyterLab server: it answers graph documents with the core's
shapes, problems and code, and refuses what a hostile client sends (no token, no XSRF token,
huge and deep bodies, code in ids, paths out of the root) while it keeps serving."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from dlstudio.graph import examples
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
    from dlstudio.ui.builder import ModelBuilder

    builder = ModelBuilder("resnet_small")
    document = builder.graph.to_dict()
    body = requests.post(
        _url(lab, "analyze"), json={"graph": document}, headers=_auth(lab), timeout=30
    ).json()
    assert body["shapes"] == json.loads(json.dumps(builder.shapes))
    assert body["problems"] == builder.problems and body["code"] == builder.code
    assert body["block_params"] == builder.block_params
    assert body["graph"] == document  # the document comes back as the core reads it
