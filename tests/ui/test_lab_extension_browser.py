"""dlstudio as a JupyterLab extension, used as a person uses it: the launcher's tiles, a model
graph document edited, saved, closed and opened again, its JSON opened as text, the file
browser's "Train a Model on This CSV", the tutorials, and the graph editor in Notebook 7.

The extension is the prebuilt one the package installs (`jupyter labextension list` shows it);
its answers come from the server extension, with no kernel behind the graph editor.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from dlstudio.graph import Graph, examples

from .builder_page import BuilderPage
from .conftest import Snap
from .servers import VENV_BIN, LabServer, NotebookServer
from .studio_page import StudioPage

GRAPH_TAB = ".jp-MainAreaWidget:not(.lm-mod-hidden) .dls-graph-document"
# Set to a folder to keep the README's screenshot of the extension there.
SCREENSHOT_DIR = os.environ.get("DLSTUDIO_SCREENSHOT_DIR")


def _open_lab(page: Page, lab: LabServer) -> None:
    """A fresh workspace (no tabs from earlier tests), with the launcher showing."""
    page.goto(f"{lab.base_url}/lab/workspaces/ext-{os.urandom(4).hex()}?token={lab.token}")
    expect(page.locator(".jp-Launcher")).to_be_visible(timeout=60_000)


def _tile(page: Page, label: str) -> Locator:
    section = page.locator(".jp-Launcher-section").filter(
        has=page.locator(".jp-Launcher-sectionTitle", has_text="dlstudio")
    )
    exact = page.locator(".jp-LauncherCard-label", has_text=re.compile(rf"^\s*{label}\s*$"))
    return section.locator(".jp-LauncherCard").filter(has=exact)


def _graph_editor(page: Page) -> BuilderPage:
    return BuilderPage(page, page.locator(GRAPH_TAB)).wait_ready()


def _file_item(page: Page, name: str) -> Locator:
    return page.locator(f".jp-DirListing-item[title^='Name: {name}']")


def _keep_screenshot(page: Page, name: str) -> None:
    """The README's pictures of the extension, kept when DLSTUDIO_SCREENSHOT_DIR is set."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / name))


def _current_tab(page: Page) -> Locator:
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")


def test_both_extensions_are_listed_enabled() -> None:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    for kind in ("labextension", "server extension"):
        listing = subprocess.run(
            [str(VENV_BIN / "jupyter"), *kind.split(), "list"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        text = listing.stdout + listing.stderr
        # "dlstudio ... enabled", then (servers) a validation line "dlstudio.server OK".
        lines = "\n".join(row for row in text.splitlines() if "dlstudio" in row)
        assert "enabled" in lines and "OK" in lines, f"jupyter {kind} list:\n{text}"


def test_a_graph_document_is_made_edited_saved_and_opened_again(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    _open_lab(page, jupyter_lab)
    expect(_tile(page, "Studio")).to_be_visible()
    expect(_tile(page, "Tutorials")).to_be_visible()
    _keep_screenshot(page, "jupyterlab-launcher.png")
    _tile(page, "Model graph").click()
    editor = _graph_editor(page)
    expect(_current_tab(page)).to_contain_text(".dlgraph")
    name = _current_tab(page).inner_text().strip()
    path = jupyter_lab.root_dir / name
    expect(editor.node("input")).to_be_visible()

    editor.select("input")
    editor.drag_from_palette("Flatten", 160, 220)
    flatten = next(n for n in editor.node_ids() if n.startswith("flatten"))
    editor.connect("input", flatten)
    # The shape comes from the Python core through the server extension.
    expect(editor.shape(flatten)).to_have_text("N×784", timeout=20_000)
    expect(editor.root.get_by_test_id("graph-problem")).to_contain_text("no Output node")
    editor.drag_from_palette("Output", 160, 340)
    output = next(n for n in editor.node_ids() if n.startswith("output"))
    editor.connect(flatten, output)
    expect(editor.code).to_contain_text("nn.Flatten()", timeout=20_000)
    editor.root.get_by_test_id("code-framework-keras").click()
    expect(editor.code).to_contain_text('layers.Flatten(name="flatten1")')
    editor.root.get_by_test_id("code-framework-pytorch").click()
    expect(_current_tab(page)).to_have_class(_mod("jp-mod-dirty"))
    editor.layout()
    snap("edited")
    _keep_screenshot(page, "jupyterlab-graph-document.png")

    page.keyboard.press("Control+s")
    expect(_current_tab(page)).not_to_have_class(_mod("jp-mod-dirty"))
    saved = Graph.load(path)  # the file on disk is a valid graph document
    assert [node.op for node in saved.nodes] == ["Input", "Flatten", "Output"]
    assert [(e.source, e.target) for e in saved.edges] == [("input", flatten), (flatten, output)]

    # Close the tab, open the file again from the file browser: the same graph.
    page.keyboard.press("Alt+w")
    expect(page.locator(GRAPH_TAB)).to_have_count(0)
    _file_item(page, name).dblclick()
    again = _graph_editor(page)
    expect(again.node(flatten)).to_be_visible()
    expect(again.shape(flatten)).to_have_text("N×784")
    # A reload of the page restores the tab, with the saved graph.
    page.reload()
    expect(_graph_editor(page).shape(flatten)).to_have_text("N×784", timeout=60_000)

    # Open With -> Editor shows the saved JSON as text.
    _file_item(page, name).click(button="right")
    page.locator(".lm-Menu-item", has_text="Open With").hover()
    page.locator(".lm-Menu-item", has_text="Editor").last.click()
    text_editor = page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden) .jp-FileEditor .cm-content")
    expect(text_editor).to_contain_text('"op": "Flatten"')
    assert json.loads(path.read_text())["nodes"][1]["op"] == "Flatten"


def test_export_to_python_writes_the_module_beside_the_graph(
    jupyter_lab: LabServer, page: Page
) -> None:
    Graph.load(_example("mlp")).save(jupyter_lab.root_dir / "mlp.dlgraph")
    _open_lab(page, jupyter_lab)
    _file_item(page, "mlp.dlgraph").click(button="right")
    page.locator(".lm-Menu-item", has_text="Export Graph to Python").click()
    expect(page.locator(".jp-Notification-Toast, .Toastify__toast")).to_contain_text("mlp.py")
    code = (jupyter_lab.root_dir / "mlp.py").read_text()
    assert code == Graph.load(jupyter_lab.root_dir / "mlp.dlgraph").to_code()


def test_train_on_a_csv_from_the_file_browser(jupyter_lab: LabServer, page: Page) -> None:
    rows = "\n".join(f"{i},{i % 3},{2 * i + 1}" for i in range(40))
    (jupyter_lab.root_dir / "houses.csv").write_text(f"rooms,floor,price\n{rows}\n")
    _open_lab(page, jupyter_lab)
    _file_item(page, "houses.csv").click(button="right")
    page.locator(".lm-Menu-item", has_text="Train a Model on This CSV").click()
    output = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea")
    expect(output.locator(".dls-studio")).to_be_visible(timeout=120_000)
    panel = output.locator(".dls-data-panel")
    expect(panel).to_contain_text("choose the column to predict", timeout=30_000)
    assert (jupyter_lab.root_dir / "Train on houses.ipynb").is_file()
    # The learner answers, uses the data and trains on it.
    panel.locator("select").nth(1).select_option("price")
    panel.get_by_role("button", name="Use this data").click()
    expect(panel.locator(".dls-data-info")).to_contain_text("regression", timeout=60_000)
    studio = StudioPage(page, output)
    studio.set_epochs(2)
    studio.root.locator(".dls-training-controls .dls-train").click()
    expect(studio.state()).to_have_text("finished", timeout=120_000)


def test_a_graph_document_opens_in_a_studio_to_train(jupyter_lab: LabServer, page: Page) -> None:
    Graph.load(_example("lenet5")).save(jupyter_lab.root_dir / "lenet.dlgraph")
    _open_lab(page, jupyter_lab)
    _file_item(page, "lenet.dlgraph").click(button="right")
    page.locator(".lm-Menu-item", has_text="Open Graph in Studio").click()
    output = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea")
    studio = StudioPage(page, output)
    expect(output.locator(".dls-studio")).to_be_visible(timeout=120_000)
    studio.tab("Model")
    builder = BuilderPage(page, output).wait_ready()
    expect(builder.node("conv1")).to_be_visible()
    expect(studio.header()).to_contain_text("61,706 parameters")


def test_tutorials_open_from_the_launcher_and_keep_an_edited_copy(
    jupyter_lab: LabServer, page: Page
) -> None:
    _open_lab(page, jupyter_lab)
    _tile(page, "Tutorials").click()
    expect(_current_tab(page)).to_contain_text(".ipynb", timeout=60_000)
    first = sorted((jupyter_lab.root_dir / "dlstudio-tutorials").glob("*.ipynb"))[0]
    expect(_current_tab(page)).to_contain_text(first.name)
    first.write_text(first.read_text().replace("tensor", "TENSOR", 1))
    edited = first.read_text()
    _open_lab(page, jupyter_lab)
    _tile(page, "Tutorials").click()
    expect(_current_tab(page)).to_contain_text(first.name, timeout=60_000)
    assert first.read_text() == edited


def test_notebook7_makes_edits_and_saves_graph_documents(
    notebook7: NotebookServer, page: Page
) -> None:
    Graph.load(_example("lenet5")).save(notebook7.root_dir / "lenet.dlgraph")
    page.goto(f"{notebook7.base_url}/edit/lenet.dlgraph?token={notebook7.token}")
    editor = BuilderPage(page, page.locator(".dls-graph-document")).wait_ready()
    expect(editor.code).to_contain_text("nn.Conv2d", timeout=30_000)

    # File -> New -> New Model Graph opens the new document in a page of its own.
    page.goto(f"{notebook7.base_url}/tree?token={notebook7.token}")
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator(".lm-Menu-item", has_text="New").first.hover()
    with page.context.expect_page() as opened:
        page.locator(".lm-Menu-item", has_text="New Model Graph").click()
    graph_page = opened.value
    editor = BuilderPage(graph_page, graph_page.locator(".dls-graph-document")).wait_ready()
    editor.select("input")
    editor.drag_from_palette("Flatten", 160, 220)
    flatten = next(n for n in editor.node_ids() if n.startswith("flatten"))
    editor.connect("input", flatten)
    expect(editor.shape(flatten)).to_have_text("N×784", timeout=20_000)
    graph_page.keyboard.press("Control+s")
    saved = notebook7.root_dir / "model.dlgraph"
    _wait_until(lambda: '"Flatten"' in saved.read_text(), "the saved file holds the Flatten layer")
    assert [node.op for node in Graph.load(saved).nodes] == ["Input", "Flatten"]


def _wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"Timed out waiting until {what}."
        time.sleep(0.1)


def _mod(name: str) -> re.Pattern[str]:
    return re.compile(rf"\b{name}\b")


def _example(name: str) -> Path:
    return Path(examples.__file__).parent / f"{name}.json"


def test_the_playground_tile_opens_a_notebook_with_a_running_playground(
    jupyter_lab: LabServer, page: Page
) -> None:
    _open_lab(page, jupyter_lab)
    _tile(page, "Playground").click()
    expect(_current_tab(page)).to_contain_text("Playground", timeout=60_000)
    playground = page.locator(".jp-OutputArea").get_by_test_id("pg-root")
    expect(playground).to_be_visible(timeout=120_000)
    playground.get_by_test_id("pg-step").click()
    expect(playground.get_by_test_id("pg-epoch")).to_have_text("000,001")
    assert any(p.name.startswith("Playground") for p in jupyter_lab.root_dir.glob("*.ipynb"))
