"""The newcomer's path through the Studio in a real browser: in the web app that
`dlstudio app` serves (Voila) and as `Studio()` in a JupyterLab cell.

Open, pick digits, pick LeNet-5, press Train, watch the loss curve grow, press Stop, read the
accuracy, copy the training script. Screenshots of each step are kept when a test fails.
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import Snap
from .servers import LabServer, ServerProcess, free_port, run_server
from .studio_page import StudioPage, grant_clipboard, newcomer_path, redrawn_after_reload


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`dlstudio app --no-browser --port N`, exactly as the README starts it."""
    work = tmp_path_factory.mktemp("studio-app")
    data = work / "data"
    data.mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--no-browser", "--port", str(port),
            "--data-dir", str(data)]  # fmt: skip
    with run_server("studio-app", argv, port, work / "home", cwd=work) as server:
        yield server


def test_newcomer_path_in_the_app(studio_app: ServerProcess, page: Page, snap: Snap) -> None:
    url = studio_app.base_url + "/"
    grant_clipboard(page, url)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    studio = StudioPage(page, page.locator("body"))
    newcomer_path(studio, snap)
    # Voila shows outputs only: no code cell, no source.
    expect(page.locator(".jp-InputArea")).to_have_count(0)
    assert "app_studio" not in page.locator("body").inner_text()
    # Nothing the page loads comes from the network (Voila's lab template links a CDN).
    hosts = {urllib.parse.urlsplit(u).hostname for u in requested if u.startswith(("http", "ws"))}
    assert requested and hosts == {"127.0.0.1"}


SEND_EXECUTE_JS = """async (code) => {
    const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
    const url = `ws://${location.host}/api/kernels/${config.kernelId}/channels`;
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    const replies = [];
    ws.onmessage = (event) => replies.push(String(event.data).slice(0, 200));
    ws.send(JSON.stringify({
        header: {msg_id: 'attack-1', msg_type: 'execute_request', username: '', session: 'x',
                 date: new Date().toISOString(), version: '5.3'},
        parent_header: {}, metadata: {}, channel: 'shell',
        content: {code, silent: false, store_history: false, user_expressions: {},
                  allow_stdin: false, stop_on_error: true},
    }));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    ws.close();
    return replies.filter((r) => r.includes('attack-1'));
}"""


def test_the_app_page_cannot_run_code(studio_app: ServerProcess, page: Page, tmp_path: Path):
    page.goto(studio_app.base_url + "/")
    expect(page.locator(".dls-studio-header")).to_contain_text("digits", timeout=120_000)
    marker = tmp_path / "ran.txt"
    code = f"open({str(marker)!r}, 'w').write('ran')"
    answers = page.evaluate(SEND_EXECUTE_JS, code)
    assert not marker.exists(), "an execute request from the page ran code in the kernel"
    assert not any("execute_reply" in answer for answer in answers)
    # The Studio still works after the attempt.
    StudioPage(page, page.locator("body")).pick_data("iris")


def test_newcomer_path_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    grant_clipboard(page, jupyter_lab.base_url)
    panel = jupyter_lab.run_notebook(
        page, "studio.ipynb", ["from dlstudio import Studio\n\nstudio = Studio()\nstudio"]
    )
    studio = StudioPage(page, panel.locator(".jp-OutputArea"))
    newcomer_path(studio, snap)

    redrawn_after_reload(studio, snap)


def test_the_code_tab_shows_three_frameworks_and_the_playground_tab_opens_the_builder(
    studio_app: ServerProcess, page: Page, snap: Snap
) -> None:
    url = studio_app.base_url + "/"
    grant_clipboard(page, url)
    page.goto(url)
    studio = StudioPage(page, page.locator("body"))
    expect(studio.header()).to_be_visible(timeout=120_000)
    studio.tab("Code")
    model_code = page.locator(".dls-model-code")
    for name, expected in (("Keras", "keras.Sequential("), ("Flax", "class Net(nnx.Module):")):
        page.locator(".dls-framework").get_by_role("button", name=name, exact=True).click()
        expect(model_code.locator("pre")).to_contain_text(expected)
        model_code.locator(".dls-copy").click()
        expect(model_code.locator(".dls-copy-status")).to_have_text("Copied to the clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert expected in copied and copied == model_code.locator("pre").text_content()
    # Flax beside PyTorch: both codes, the differing lines marked, one line on each difference.
    page.locator(".dls-side-by-side input").check()
    page.locator(".dls-other-framework select").select_option(label="PyTorch")
    other = page.locator(".dls-other-code")
    expect(other.locator("pre")).to_contain_text("class Net(nn.Module):")
    expect(other.locator("pre")).to_contain_text("loss.backward()")
    assert (
        model_code.locator(".dls-code-mark").count() > 3
        and other.locator(".dls-code-mark").count() > 3
    )
    expect(page.locator(".dls-differences")).to_contain_text("How a training step is written")
    snap("side-by-side")

    # The Playground tab, on the same page (a page of its own would wait for a kernel): its
    # network goes into the Model tab's builder.
    studio.tab("Playground")
    expect(page.get_by_test_id("pg-root")).to_be_visible(timeout=60_000)
    page.get_by_test_id("pg-add-layer").click()
    expect(page.get_by_test_id("pg-neurons-3")).to_be_visible()
    page.get_by_test_id("pg-step").click()
    expect(page.get_by_test_id("pg-epoch")).to_have_text("000,001")
    snap("playground-tab")
    # Input, three hidden layers of Linear + Tanh, the output's Linear + Tanh, Output.
    page.get_by_test_id("pg-open-builder").click()
    expect(studio.header()).to_contain_text("10 layers", timeout=30_000)
    expect(page.get_by_role("tab", name="Model", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def test_the_playground_in_jupyterlab(jupyter_lab: LabServer, page: Page) -> None:
    panel = jupyter_lab.run_notebook(
        page, "playground.ipynb", ["from dlstudio import Playground\n\npg = Playground()\npg"]
    )
    playground = panel.locator(".jp-OutputArea").get_by_test_id("pg-root")
    expect(playground).to_be_visible(timeout=120_000)
    playground.get_by_test_id("pg-dataset-xor").click()
    expect(playground.get_by_test_id("pg-share-text")).to_have_value(re.compile("dataset=xor"))
    playground.get_by_test_id("pg-step").click()
    expect(playground.get_by_test_id("pg-epoch")).to_have_text("000,001")
