"""The first tutorial as a learner meets it: opened in JupyterLab, run top to bottom, and its
widget drawn in the page (the notebook tests in tests/tutorials run every notebook headless)."""

from __future__ import annotations

import shutil

from playwright.sync_api import Page, expect

from dlstudio import tutorials

from .builder_page import BuilderPage
from .conftest import Snap
from .servers import LabServer


def test_the_first_tutorial_runs_in_jupyterlab_and_draws_its_widget(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    first = tutorials.notebooks()[0]
    shutil.copy(first, jupyter_lab.root_dir / first.name)
    panel = jupyter_lab.open_and_run(page, jupyter_lab.notebook_url(first.name))
    snap("ran")
    builder = BuilderPage(page, panel.locator(".jp-OutputArea")).wait_ready()
    expect(builder.root.locator(".react-flow__node").first).to_be_visible()
    # The widget is live: the shapes come from the kernel.
    expect(builder.root.locator(".dls-node-shape").first).to_contain_text("N")
