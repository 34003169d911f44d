"""TensorInspector and AttributionPanel in a real browser, alone, in JupyterLab and in Voila.

Pick a layer and see its statistics and feature maps; ask for an attribution and see the
heatmap over the input, the probabilities and the completeness check. Labels written by the
kernel prove that the page's choices reached Python.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .conftest import Snap, VoilaFactory
from .servers import LabServer, write_notebook

SETUP_CELL = """
import ipywidgets
import torch
from dlstudio import Graph, datasets
from dlstudio.ui.attribution import AttributionPanel
from dlstudio.ui.inspector import TensorInspector

torch.manual_seed(0)
g = Graph()
x = g.add("Input", shape=[1, 8, 8])
x = g.add("Conv2d", after=x, out_channels=4, kernel_size=3, padding=1)
x = g.add("ReLU", after=x)
x = g.add("Flatten", after=x)
x = g.add("Linear", after=x, out_features=10)
g.add("Output", after=x)
model = g.build()
bundle = datasets.load("digits")
"""

INSPECTOR_CELL = """
inspector = TensorInspector(model, bundle, graph=g)  # its first 64 validation samples
picked = ipywidgets.Label("kernel: none", _dom_classes=["inspect-seen"])
inspector.on_select(lambda name: setattr(picked, "value", f"kernel: {name}"))
display(inspector, picked)
"""

PANEL_CELL = """
panel = AttributionPanel(model, bundle, graph=g)
display(panel)
"""


def inspect_a_layer(root: Page | Locator, snap: Snap) -> None:
    layers = root.locator(".dls-inspector-layers select")
    expect(layers).to_be_visible()
    expect(root.locator(".dls-inspector-stats")).to_contain_text("conv2d1 (Conv2d)")
    snap("inspector")
    layers.select_option(label="● linear1 · Linear")
    stats = root.locator(".dls-inspector-stats")
    expect(stats).to_contain_text("linear1 (Linear)")
    expect(stats).to_contain_text("64×10")  # the output's shape
    expect(stats).to_contain_text("weight gradient")
    expect(root.locator(".inspect-seen")).to_have_text("kernel: linear1")
    expect(root.locator("img.dls-inspector-pictures")).to_be_hidden()
    snap("linear-picked")
    layers.select_option(label="● conv2d1 · Conv2d")
    expect(stats).to_contain_text("64×4×8×8")
    expect(root.locator("img.dls-inspector-pictures")).to_be_visible()
    expect(root.locator("img.dls-inspector-histogram")).to_be_visible()
    snap("feature-maps")


def explain_a_sample(root: Page | Locator, snap: Snap) -> None:
    heatmap = root.locator("img.dls-explain-heatmap")
    expect(heatmap).to_be_hidden()
    root.locator("button.dls-explain-run").click()
    expect(root.locator(".dls-explain-status")).to_contain_text("Integrated Gradients done")
    expect(heatmap).to_be_visible()
    assert heatmap.evaluate("img => img.naturalWidth") >= 192
    expect(root.locator("img.dls-explain-input")).to_be_visible()
    expect(root.locator(".dls-explain-completeness")).to_contain_text("add up to")
    expect(root.locator(".dls-explain-probs")).to_contain_text("%")
    snap("integrated-gradients")

    root.locator(".dls-explain-method select").select_option(label="Grad-CAM")
    root.locator("button.dls-explain-run").click()
    expect(root.locator(".dls-explain-status")).to_contain_text("Grad-CAM done")
    expect(root.locator(".dls-explain-completeness")).to_have_text("")
    snap("grad-cam")


def test_inspector_and_attribution_in_jupyterlab(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    panel = jupyter_lab.run_notebook(
        page, "inspect.ipynb", [SETUP_CELL, INSPECTOR_CELL, PANEL_CELL]
    )
    outputs = panel.locator(".jp-Notebook")
    inspect_a_layer(outputs, snap)
    explain_a_sample(outputs, snap)


def test_inspector_and_attribution_in_voila(
    voila_server: VoilaFactory, page: Page, snap: Snap, tmp_path: Path
) -> None:
    notebook = write_notebook(tmp_path / "inspect.ipynb", [SETUP_CELL, INSPECTOR_CELL, PANEL_CELL])
    page.goto(voila_server(notebook))
    expect(page.locator(".dls-inspector-layers select")).to_be_visible(timeout=120_000)
    expect(page.locator("button.dls-explain-run")).to_be_visible(timeout=60_000)
    inspect_a_layer(page, snap)
    explain_a_sample(page, snap)
