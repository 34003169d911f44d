"""The ModelBuilder in a real browser, used as a person would: in JupyterLab and in Voila.

Drag a Linear from the palette, connect it, read the shape label, type a wrong parameter and
see the error on that node, fix it with one click, undo and redo; then ask the kernel
whether ``b.graph`` and ``b.code`` followed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from playwright.sync_api import Locator, Page, expect

from .builder_page import BLOCK1, FLAT_RESNET_CELL, BuilderPage
from .conftest import Snap, VoilaFactory
from .servers import LabServer, write_notebook

# What the kernel reports may lag behind the page on a loaded 2-core machine.
KERNEL_TIMEOUT_MS = 20_000

BUILDER_CELL = """
import ipywidgets
from dlstudio import ModelBuilder

b = ModelBuilder()
# Written by the kernel: seeing it change proves the edit reached Python.
seen = ipywidgets.Label("kernel: waiting", _dom_classes=["kernel-seen"])

def show(graph):
    seen.value = f"kernel: {len(graph.nodes)} nodes, {len(graph.edges)} edges, {b.param_count} params"

b.on_change(show)
display(b, seen)
"""


# Python answers the page's first Linear with a graph of its own, slowly (as the Studio fits a
# model to new data), while the page goes on editing the old one.
SLOW_REPLACEMENT_CELL = """
import time
from dlstudio.graph import examples

replaced = {}

def replace_slowly(graph):
    if not replaced and any(n.op == "Linear" for n in graph.nodes):
        replaced["number"] = -1  # once
        time.sleep(3)
        b.graph = examples.load("mlp")
        replaced["number"] = b.graph_revision["number"]  # the replacement's revision

b.on_change(replace_slowly)
"""


def ask_kernel(page: Page, panel: Locator, code: str, marker: str) -> Locator:
    """Type ``code`` into a new cell below the last one and run it; its output starting with
    ``marker``."""
    panel.locator(".jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    return panel.locator(".jp-OutputArea-output").filter(has_text=marker)


def build_mlp_by_hand(ui: BuilderPage, snap: Snap) -> None:
    """Input(20) → Linear → Output, made with the mouse and the keyboard."""
    ui.select("input")
    ui.set_param("shape", "20")
    expect(ui.shape("input")).to_have_text("N×20")

    ui.drag_from_palette("Linear", 60, 40)
    expect(ui.node("linear1")).to_be_visible()
    ui.layout()
    ui.connect("input", "linear1")
    # The shape comes from Python: 20 features in, the default 10 out.
    expect(ui.shape("linear1")).to_have_text("N×10")
    expect(ui.root.get_by_test_id("edge-shape-input-linear1")).to_have_text("N×20")
    snap("linear-connected")

    ui.drag_from_palette("Output", 60, 40)
    ui.layout()
    ui.connect("linear1", "output1")
    expect(ui.root.get_by_test_id("problem-count")).to_have_text("0 problems")
    expect(ui.code).to_contain_text("nn.Linear(20, 10)")
    snap("valid-model")


def break_fix_undo(ui: BuilderPage, snap: Snap) -> None:
    """A wrong in_features shows on the node; Fix it; undo brings the error back; redo."""
    ui.select("linear1")
    ui.set_param("in_features", "5")
    expect(ui.node("linear1").locator(".dls-node.error")).to_be_visible()
    expect(ui.error("linear1")).to_contain_text("20")
    snap("error-shown")

    ui.root.get_by_test_id("node-fix-linear1").click()
    expect(ui.error("linear1")).to_have_count(0)
    expect(ui.code).to_contain_text("nn.Linear(20, 10)")
    snap("fixed")

    ui.node("output1").locator(".dls-node-head").click()
    ui.press("Control+z")
    expect(ui.error("linear1")).to_be_visible()
    ui.press("Control+Shift+z")
    expect(ui.error("linear1")).to_have_count(0)
    expect(ui.code).to_contain_text("nn.Linear(20, 10)")
    snap("undo-redo")


def test_builder_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    panel = jupyter_lab.run_notebook(page, "builder.ipynb", [BUILDER_CELL])
    ui = BuilderPage(page, panel).wait_ready()
    snap("rendered")
    cells_before = panel.locator(".jp-Cell").count()

    build_mlp_by_hand(ui, snap)
    break_fix_undo(ui, snap)
    expect(panel.locator(".kernel-seen")).to_have_text(
        "kernel: 3 nodes, 2 edges, 210 params", timeout=KERNEL_TIMEOUT_MS
    )

    # Notebook shortcuts must not leak out of the widget: "d d" on a focused node would
    # otherwise delete the cell.
    ui.select("linear1")
    ui.press("d")
    ui.press("d")
    assert panel.locator(".jp-Cell").count() == cells_before

    # Ask the kernel, as a user would: a new cell below, typed and run.
    answer = ask_kernel(
        page,
        panel,
        "print('params:', b.graph.node('linear1').params, 'code ok:', "
        "'nn.Linear(20, 10)' in b.code, 'built:', sum(p.numel() for p in b.build().parameters()))",
        "params:",
    )
    snap("asked-kernel")
    expect(answer).to_have_text("params: {} code ok: True built: 210")
    snap("kernel-agrees")

    # A name typed in the side panel shows on the node and names the layer in the code.
    ui.select("linear1")
    ui.root.get_by_test_id("node-label").fill("Hidden layer")
    expect(ui.node("linear1").locator(".dls-node-id")).to_have_text("Hidden layer")
    expect(ui.code).to_contain_text("self.hidden_layer = nn.Linear(20, 10)")
    ui.root.get_by_test_id("node-label").fill("")
    expect(ui.node("linear1").locator(".dls-node-id")).to_have_text("linear1")
    expect(ui.code).to_contain_text("self.linear1 = nn.Linear(20, 10)")
    snap("renamed")


def test_builder_in_voila(voila_server: VoilaFactory, page: Page, snap: Snap, tmp_path: Path):
    url = voila_server(write_notebook(tmp_path / "builder.ipynb", [BUILDER_CELL]))
    page.goto(url)
    ui = BuilderPage(page).wait_ready(timeout_ms=120_000)
    snap("rendered")
    build_mlp_by_hand(ui, snap)
    break_fix_undo(ui, snap)
    expect(page.locator(".kernel-seen")).to_have_text(
        "kernel: 3 nodes, 2 edges, 210 params", timeout=KERNEL_TIMEOUT_MS
    )


def test_python_replaces_the_graph_during_rapid_edits(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    """Python puts its own graph in place while the page's next edits are on their way: both
    sides end on Python's graph (those edits were made on the old one), and editing goes on."""
    panel = jupyter_lab.run_notebook(page, "race.ipynb", [BUILDER_CELL, SLOW_REPLACEMENT_CELL])
    ui = BuilderPage(page, panel).wait_ready()
    ui.drag_from_palette("Linear", 60, 40)  # Python starts replacing the graph
    for op, x, y in (("Tanh", 200, 40), ("Sigmoid", 60, 160), ("Dropout", 200, 160)):
        ui.drag_from_palette(op, x, y)  # made on the old graph while Python works
    expect(ui.node("tanh1")).to_be_visible()

    mlp = sorted(["input", "flatten", "fc1", "relu1", "fc2", "relu2", "fc3", "output"])
    nodes = ui.root.locator(".react-flow__node")
    expect(ui.node("fc3")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(nodes).to_have_count(len(mlp))
    snap("replaced")
    # The kernel agrees once the edits sent behind the slow one have arrived (this cell runs
    # after them): made on the old graph, none was taken after the replacement.
    answer = ask_kernel(
        page,
        panel,
        "print('python holds:', sorted(n.id for n in b.graph.nodes), "
        "b.graph_revision['number'] == replaced['number'] > 0)",
        "python holds:",
    )
    expect(answer).to_have_text(f"python holds: {mlp} True", timeout=KERNEL_TIMEOUT_MS)
    assert ui.node_ids() == mlp

    # The page goes on editing Python's graph.
    ui.drag_from_palette("Tanh", 120, 120)
    expect(panel.locator(".kernel-seen")).to_have_text(
        "kernel: 9 nodes, 7 edges, 17226 params", timeout=KERNEL_TIMEOUT_MS
    )
    assert ui.node_ids() == sorted([*mlp, "tanh1"])
    snap("edited-after")


def test_two_views_of_one_builder_follow_each_other(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    """The same builder shown twice (as in two tabs): each view draws the other's edits, and a
    request's answer reaches only the view that asked."""
    cell = "from dlstudio import ModelBuilder\nb = ModelBuilder()\ndisplay(b)\ndisplay(b)"
    panel = jupyter_lab.run_notebook(page, "views.ipynb", [cell])
    first = BuilderPage(page, panel).wait_ready()
    second = BuilderPage(page, panel, index=1)
    expect(second.node("input")).to_be_visible()

    first.drag_from_palette("Linear", 60, 40)
    expect(second.node("linear1")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    second.drag_from_palette("ReLU", 200, 40)
    expect(first.node("relu1")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    second.select("linear1")
    second.set_param("out_features", "7")
    first.select("linear1")
    expect(first.param("out_features")).to_have_value("7", timeout=KERNEL_TIMEOUT_MS)
    snap("two-views")

    # A file that is no graph: Python refuses it, and says so in the view that sent it only.
    bad = {"name": "bad.json", "mimeType": "application/json", "buffer": b"{oops"}
    second.root.get_by_test_id("tb-load-file").set_input_files(files=[bad])
    expect(second.root.get_by_test_id("builder-notice")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(first.root.get_by_test_id("builder-notice")).to_have_count(0)
    assert first.node_ids() == second.node_ids() == ["input", "linear1", "relu1"]


def test_refused_connection_and_template(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    """A second edge into a filled input is refused while dragging; a template loads."""
    panel = jupyter_lab.run_notebook(page, "refuse.ipynb", [BUILDER_CELL])
    ui = BuilderPage(page, panel).wait_ready()
    ui.drag_from_palette("ReLU", 60, 40)
    ui.drag_from_palette("Tanh", 60, 40)
    ui.layout()
    ui.connect("input", "relu1")
    ui.connect("input", "tanh1")
    ui.connect("relu1", "tanh1")  # tanh1's only input is taken
    expect(ui.root.locator(".react-flow__edge")).to_have_count(2)
    expect(ui.root.get_by_test_id("builder-notice")).to_contain_text("already connected")
    snap("refused")

    ui.root.get_by_test_id("tb-template").select_option("lenet5")
    expect(ui.node("conv1")).to_be_visible()
    expect(ui.root.get_by_test_id("param-count")).to_have_text("61,706 parameters")
    expect(ui.code).to_contain_text("nn.Conv2d(1, 6, 5, padding=2)")
    snap("template")
    ui.node("conv1").locator(".dls-node-head").click()
    ui.press("Control+z")
    expect(ui.node("conv1")).to_have_count(0)
    expect(ui.node("relu1")).to_be_visible()


def test_keyboard_editing_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    """Select many, duplicate, delete, undo as one step each, copy/paste, the help overlay."""
    cell = BUILDER_CELL.replace("ModelBuilder()", 'ModelBuilder("mlp")')
    panel = jupyter_lab.run_notebook(page, "keys.ipynb", [cell])
    ui = BuilderPage(page, panel).wait_ready()
    nodes = ui.root.locator(".react-flow__node")
    expect(nodes).to_have_count(8)

    ui.select("fc1")
    ui.node("relu1").locator(".dls-node-head").click(modifiers=["Control"])
    expect(ui.root.locator(".react-flow__node.selected")).to_have_count(2)
    ui.press("Control+d")
    expect(nodes).to_have_count(10)
    # The copy keeps the edge between the two copied layers.
    expect(ui.root.locator(".react-flow__edge")).to_have_count(8)
    ui.press("Delete")
    expect(nodes).to_have_count(8)
    snap("duplicated-then-deleted")

    ui.press("Control+z")  # the two-node delete is one step
    expect(nodes).to_have_count(10)
    ui.press("Control+z")  # and so is the duplicate
    expect(nodes).to_have_count(8)
    expect(panel.locator(".kernel-seen")).to_have_text(
        "kernel: 8 nodes, 7 edges, 17226 params", timeout=KERNEL_TIMEOUT_MS
    )

    ui.press("Control+a")
    ui.press("Control+c")
    ui.press("Control+v")
    expect(nodes).to_have_count(16)
    expect(ui.root.get_by_test_id("node-count")).to_have_text("16 layers")

    ui.press("?")
    expect(ui.root.get_by_test_id("help-overlay")).to_contain_text("Undo")
    ui.press("Escape")
    expect(ui.root.get_by_test_id("help-overlay")).to_have_count(0)
    snap("pasted")


def test_saved_notebook_redraws_without_its_kernel(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    """A notebook saved with widget state shows the builder again, from the saved state alone,
    and stores the bundle once however many builders it holds."""
    cells = ["from dlstudio import ModelBuilder", "ModelBuilder('lenet5')", "ModelBuilder('mlp')"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    repo = Path(__file__).resolve().parents[2]
    NotebookClient(notebook, timeout=120, store_widget_state=True).execute(cwd=str(repo))
    path = jupyter_lab.root_dir / "saved.ipynb"
    nbformat.write(notebook, path)
    assert path.read_text(encoding="utf-8").count("dlstudio-builder-style") == 1
    # JupyterLab draws saved widgets of trusted notebooks only; a notebook the user saved
    # is trusted, so sign this one with the server's own secret (its HOME).
    home = jupyter_lab.root_dir.parent / "home"
    jupyter = Path(sys.executable).parent / "jupyter"
    subprocess.run(
        [str(jupyter), "trust", str(path)], env={**os.environ, "HOME": str(home)}, check=True
    )

    page.goto(jupyter_lab.notebook_url("saved.ipynb"))
    builders = page.locator("[data-testid=model-builder]")
    expect(builders).to_have_count(2, timeout=60_000)
    lenet = BuilderPage(page).wait_ready()
    expect(lenet.node("conv1")).to_be_visible()
    expect(lenet.root.get_by_test_id("param-count")).to_have_text("61,706 parameters")
    expect(lenet.code).to_contain_text("nn.Conv2d(1, 6, 5, padding=2)")
    snap("saved-state")


def test_group_a_residual_block_in_jupyterlab(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    """Select block1's seven layers, group them as ResBlock: one node, its own class in b.code;
    use the block again from the palette; ungroup it back into layers."""
    cell = FLAT_RESNET_CELL + BUILDER_CELL.replace("ModelBuilder()", "ModelBuilder(flat)")
    panel = jupyter_lab.run_notebook(page, "blocks.ipynb", [cell])
    ui = BuilderPage(page, panel).wait_ready()
    nodes = ui.root.locator(".react-flow__node")
    expect(nodes).to_have_count(22)

    ui.button("fit").click()  # every layer on screen, so each can be clicked
    ui.wait_still()
    ui.select_many(BLOCK1)
    expect(ui.root.locator(".react-flow__node.selected")).to_have_count(7)
    ui.group_selected("resblock")  # not CamelCase: refused on the page, the box stays open
    expect(ui.root.get_by_test_id("group-name-error")).to_contain_text("CamelCase")
    ui.root.get_by_test_id("group-name").fill("ResBlock")
    ui.root.get_by_test_id("group-ok").click()

    expect(nodes).to_have_count(16)
    expect(ui.node("block1_conv1")).to_have_count(0)
    block = ui.root.get_by_test_id("node-block-resblock1")
    expect(block).to_have_text("block · 1 input · 4,672 params")
    expect(ui.shape("resblock1")).to_have_text("N×16×32×32")
    expect(ui.code).to_contain_text("class ResBlock(nn.Module)")
    expect(ui.root.get_by_test_id("problem-count")).to_have_text("0 problems")
    # Python selects the new node, so its panel offers Ungroup.
    expect(ui.root.get_by_test_id("ungroup-block")).to_be_visible()
    expect(ui.root.get_by_test_id("palette-group-blocks")).to_contain_text("ResBlock")
    snap("grouped")
    expect(panel.locator(".kernel-seen")).to_have_text(
        "kernel: 16 nodes, 16 edges, 9978 params", timeout=KERNEL_TIMEOUT_MS
    )

    # The kernel holds the same model: ask it in a new cell.
    answer = ask_kernel(
        page,
        panel,
        "print('blocks:', sorted(b.graph.blocks), 'class:', 'class ResBlock(nn.Module)' in b.code, "
        "'use:', 'self.resblock1 = ResBlock()' in b.code)",
        "blocks:",
    )
    expect(answer).to_have_text("blocks: ['ResBlock'] class: True use: True")

    # A second use of the same block, dropped from the palette's Blocks section.
    ui.root.get_by_test_id("palette-search").fill("ResBlock")
    ui.drag_from_palette("ResBlock", 300, 60)
    expect(ui.root.get_by_test_id("node-block-resblock2")).to_contain_text("1 input")
    # Not wired yet: Python says so on that node.
    expect(ui.error("resblock2")).to_contain_text("has no input")
    expect(panel.locator(".kernel-seen")).to_have_text(
        "kernel: 17 nodes, 16 edges, 9978 params", timeout=KERNEL_TIMEOUT_MS
    )
    ui.press("Delete")
    expect(ui.node("resblock2")).to_have_count(0)

    ui.select("resblock1")
    ui.root.get_by_test_id("ungroup-block").click()
    expect(nodes).to_have_count(22)
    expect(ui.node("resblock1_conv1")).to_be_visible()
    expect(ui.code).not_to_contain_text("class ResBlock")
    expect(ui.root.get_by_test_id("palette-group-blocks")).to_have_count(0)
    snap("ungrouped")


def test_freeze_a_layer_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    """Tick "Frozen" on a layer: the node shows it, Python's graph holds it and the code leaves
    the layer out of training; untick it and all of that goes again."""
    cell = BUILDER_CELL.replace("ModelBuilder()", 'ModelBuilder("mlp")')
    panel = jupyter_lab.run_notebook(page, "frozen.ipynb", [cell])
    ui = BuilderPage(page, panel).wait_ready()
    node = ui.root.get_by_test_id("node-fc1")
    expect(node).not_to_have_attribute("data-frozen", "true")

    # Input and Output have nothing to train: no box for them.
    ui.select("input")
    expect(ui.param("frozen")).to_have_count(0)

    ui.select("fc1")
    frozen = ui.param("frozen")
    expect(frozen).not_to_be_checked()
    ui.root.get_by_text("Frozen (not trained)").click()  # the label ticks the box
    expect(frozen).to_be_checked()
    expect(node).to_have_class("dls-node frozen")
    expect(node).to_have_attribute("data-frozen", "true")
    expect(ui.root.get_by_test_id("node-frozen-fc1")).to_have_attribute(
        "title", "Frozen: not trained"
    )
    expect(ui.code).to_contain_text("requires_grad_(False)")
    snap("frozen")

    answer = ask_kernel(
        page,
        panel,
        "print('python frozen:', b.graph.node('fc1').frozen, [n.id for n in b.graph.nodes if n.frozen], "
        "'requires_grad_(False)' in b.code)",
        "python frozen:",
    )
    expect(answer).to_have_text("python frozen: True ['fc1'] True", timeout=KERNEL_TIMEOUT_MS)

    ui.select("fc1")
    ui.param("frozen").uncheck()
    expect(node).not_to_have_attribute("data-frozen", "true")
    expect(ui.root.get_by_test_id("node-frozen-fc1")).to_have_count(0)
    expect(ui.code).not_to_contain_text("requires_grad_(False)")
    answer = ask_kernel(
        page,
        panel,
        "print('python thawed:', b.graph.node('fc1').frozen, 'frozen' in str(b.graph.to_dict()), "
        "'requires_grad_' in b.code)",
        "python thawed:",
    )
    expect(answer).to_have_text("python thawed: False False False", timeout=KERNEL_TIMEOUT_MS)
    snap("thawed")
