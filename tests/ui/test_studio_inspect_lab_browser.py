"""Inspect and Explain inside the Studio as `Studio()` in a JupyterLab cell: train briefly,
see health badges on the builder's nodes, click a node and see its statistics in Inspect, then
ask for an attribution in Explain and see the heatmap (the app's twin is
test_studio_inspect_browser.py).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import Snap
from .servers import LabServer
from .studio_page import StudioPage, badges_inspect_and_explain


def test_badges_inspect_and_explain_in_jupyterlab(
    jupyter_lab: LabServer, page: Page, snap: Snap
) -> None:
    panel = jupyter_lab.run_notebook(
        page, "studio_inspect.ipynb", ["from dlstudio import Studio\n\nstudio = Studio()\nstudio"]
    )
    # Scoped to the output area: the cell's own source must never match a lookup.
    studio = StudioPage(page, panel.locator(".jp-OutputArea"))
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    snap("opened")
    badges_inspect_and_explain(studio, snap)
