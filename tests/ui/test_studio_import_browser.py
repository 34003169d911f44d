"""Bringing a model in and taking it out, in a real browser (the web app and JupyterLab).

Pick a small image folder, import resnet18 from the Model panel's list, open one of its blocks
in place, freeze everything but the head, train, and read the frozen layers in the code. Then
export a trained model as ONNX from the app's Export tab and read its report.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .builder_page import BuilderPage
from .conftest import Snap
from .image_folder import write_image_folder
from .servers import LabServer, ServerProcess, free_port, run_server
from .studio_page import StudioPage

RESNET18_FOR_TWO_CLASSES = "11,177,538"


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("studio-import")
    write_image_folder(work / "data")
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--no-browser", "--port", str(port),
            "--data-dir", str(work / "data")]  # fmt: skip
    with run_server("studio-import-app", argv, port, work / "home", cwd=work) as server:
        yield server


def import_freeze_and_train(studio: StudioPage, snap: Snap) -> None:
    """The transfer-learning path, from the opened Studio to the code of the trained model."""
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    studio.tab("Data")
    data = studio.root.locator(".dls-data-panel")
    data.get_by_role("button", name="Image folder", exact=True).click()
    data.locator(".widget-dropdown select").first.select_option("shapes")
    data.get_by_role("button", name="Use this data").click()
    expect(studio.header()).to_contain_text("shapes", timeout=60_000)

    studio.tab("Model")
    actions = studio.root.locator(".dls-model-actions")
    actions.locator("select").select_option("resnet18")
    actions.get_by_role("button", name="Import", exact=True).click()
    expect(studio.header()).to_contain_text(f"{RESNET18_FOR_TWO_CLASSES} parameters")
    builder = BuilderPage(studio.page, studio.root).wait_ready()
    expect(builder.node("layer4.1")).to_be_visible()
    expect(builder.shape("fc")).to_have_text("N×2")
    snap("imported")

    builder.select("layer1.0")
    builder.root.get_by_test_id("ungroup-block").click()
    expect(builder.node("layer1.0_conv1")).to_be_visible()
    expect(builder.node("layer1.0")).to_have_count(0)
    expect(studio.header()).to_contain_text(f"{RESNET18_FOR_TWO_CLASSES} parameters")
    snap("expanded")

    actions.get_by_role("button", name="Train only the head").click()
    drawn = builder.root.get_by_test_id
    expect(drawn("node-layer1.0_conv1")).to_have_attribute("data-frozen", "true")
    expect(drawn("node-layer4.1")).to_have_attribute("data-frozen", "true")
    expect(drawn("node-fc")).not_to_have_attribute("data-frozen", "true")
    snap("frozen")

    studio.set_epochs(2)
    studio.root.locator(".dls-training-controls .dls-train").click()
    expect(studio.state()).to_have_text("finished", timeout=180_000)
    assert 0.0 <= studio.accuracy() <= 1.0
    snap("trained")

    studio.tab("Code")
    code = studio.root.locator(".dls-model-code")
    expect(code).to_contain_text("class BasicBlock(nn.Module)")
    expect(code).to_contain_text("self.fc = nn.Linear(512, 2)")
    expect(code).to_contain_text("requires_grad_(False)")
    expect(code).to_contain_text("BatchNorm keeps its statistics")


def test_import_freeze_and_train_in_the_app(studio_app: ServerProcess, page, snap: Snap) -> None:
    page.goto(studio_app.base_url + "/")
    import_freeze_and_train(StudioPage(page, page.locator("body")), snap)


def test_import_freeze_and_train_in_jupyterlab(jupyter_lab: LabServer, page, snap: Snap) -> None:
    write_image_folder(jupyter_lab.root_dir / "data")
    cell = 'from dlstudio import Studio\n\nstudio = Studio(data_dir="data")\nstudio'
    panel = jupyter_lab.run_notebook(page, "transfer.ipynb", [cell])
    import_freeze_and_train(StudioPage(page, panel.locator(".jp-OutputArea")), snap)


def test_export_onnx_from_the_app_and_read_the_report(studio_app: ServerProcess, page) -> None:
    page.goto(studio_app.base_url + "/")
    studio = StudioPage(page, page.locator("body"))
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    studio.set_epochs(1)
    studio.root.locator(".dls-training-controls .dls-train").click()
    expect(studio.state()).to_have_text("finished", timeout=120_000)
    studio.tab("Export")
    panel = studio.root.locator(".dls-export-panel")
    panel.get_by_role("button", name="Export", exact=True).click()
    expect(panel.locator(".dls-export-status")).to_contain_text("Exported 1 of 1", timeout=120_000)
    report = panel.locator(".dls-export-report")
    expect(report).to_contain_text("largest difference from the model")
    expect(report).to_contain_text("validation accuracy")
    expect(report).to_contain_text("opset")
    expect(panel.locator("a.dls-download[download='model.onnx']")).to_have_count(1)
    with page.expect_download() as download:
        panel.locator("a.dls-download[download='predict.py']").click()
    assert "onnxruntime" in Path(download.value.path()).read_text()
