"""The newcomer's path through the Studio as `Studio()` in a Jupyter Notebook 7 cell, in a real
browser: the same steps as in JupyterLab (test_studio_browser.py), on Notebook 7's own
one-notebook page (`/notebooks/<path>`), with one Notebook 7 server for the module.

Open, pick digits, pick LeNet-5, press Train, watch the loss curve grow, press Stop, read the
accuracy, copy the training script from the Code tab; then ask the kernel what it holds.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import Snap
from .servers import NotebookServer
from .studio_page import StudioPage, grant_clipboard, newcomer_path, redrawn_after_reload

STUDIO_CELL = "from dlstudio import Studio\n\nstudio = Studio()\nstudio"
# Run again by hand after Stop: what the kernel holds, in a line the test reads back. At Run
# All time there is no trainer yet and it prints nothing.
KERNEL_CELL = (
    "trainer = studio.trainer\n"
    "if trainer is not None:\n"
    "    accuracy = trainer.history.epochs[-1]['val_accuracy']\n"
    "    print(f'kernel: {trainer.state} {accuracy:.6f}')"
)
KERNEL_LINE = re.compile(r"kernel: (\w+) ([0-9.]+)")


def _run_cell(page: Page, cell: Locator) -> None:
    """Put the cursor in ``cell`` and run it with Shift+Enter, as a user would."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def test_newcomer_path_in_notebook7(notebook7: NotebookServer, page: Page, snap: Snap) -> None:
    grant_clipboard(page, notebook7.base_url)
    panel = notebook7.run_notebook(page, "studio.ipynb", [STUDIO_CELL, KERNEL_CELL])
    # Notebook 7's page, not JupyterLab's: its own URL and no Lab status bar.
    assert "/notebooks/studio.ipynb" in page.url
    expect(page.locator("#jp-main-statusbar")).to_have_count(0)

    cells = panel.locator(".jp-CodeCell")
    # Scoped to the first cell's output: the cells' own source must never match a lookup.
    studio = StudioPage(page, cells.nth(0).locator(".jp-OutputArea"))
    newcomer_path(studio, snap)
    accuracy = studio.accuracy()

    # The kernel agrees with the page: the run is stopped, at the accuracy the page shows.
    _run_cell(page, cells.nth(1))
    output = cells.nth(1).locator(".jp-OutputArea")
    expect(output).to_contain_text(KERNEL_LINE, timeout=60_000)
    snap("kernel-asked")
    match = KERNEL_LINE.search(output.inner_text())
    assert match is not None
    assert match.group(1) == "stopped"
    # The page rounds to 0.1 %.
    assert float(match.group(2)) == pytest.approx(accuracy, abs=0.0006)

    redrawn_after_reload(studio, snap)


def test_the_playground_in_notebook7(notebook7: NotebookServer, page: Page) -> None:
    panel = notebook7.run_notebook(
        page, "playground.ipynb", ["from dlstudio import Playground\n\npg = Playground()\npg"]
    )
    playground = panel.locator(".jp-OutputArea").get_by_test_id("pg-root")
    expect(playground).to_be_visible(timeout=120_000)
    playground.get_by_test_id("pg-add-layer").click()
    expect(playground.get_by_test_id("pg-neurons-3")).to_be_visible()
    playground.get_by_test_id("pg-step").click()
    expect(playground.get_by_test_id("pg-epoch")).to_have_text("000,001")
    expect(playground.get_by_test_id("pg-code")).to_contain_text("nn.Linear(2, 2)")
