"""Inspect and Explain inside the Studio app (Voila, as `dlstudio app` serves it): train
briefly, see health badges on the builder's nodes, click a node and see its statistics in
Inspect, then ask for an attribution in Explain and see the heatmap.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import Snap
from .servers import ServerProcess
from .studio_page import StudioPage, badges_inspect_and_explain
from .test_studio_browser import studio_app  # noqa: F401 - the app server fixture


def test_badges_inspect_and_explain_in_the_app(
    studio_app: ServerProcess,  # noqa: F811 - the fixture imported above
    page: Page,
    snap: Snap,
) -> None:
    page.goto(studio_app.base_url + "/")
    studio = StudioPage(page, page.locator("body"))
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    badges_inspect_and_explain(studio, snap)
