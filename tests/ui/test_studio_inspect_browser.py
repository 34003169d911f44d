"""Inspect and Explain inside the Studio app (Voila, as `dlstudio app` serves it): train
briefly, see health badges on the builder's nodes, click a node and see its statistics in
Inspect, then ask for an attribution in Explain and see the heatmap.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .builder_page import BuilderPage
from .conftest import Snap
from .servers import ServerProcess
from .studio_page import StudioPage
from .test_studio_browser import studio_app  # noqa: F401 - the app server fixture

LAYER_NODES = ("fc1", "relu1", "fc2", "relu2", "fc3")  # the MLP template's inspected layers


def test_badges_inspect_and_explain_in_the_app(
    studio_app: ServerProcess,  # noqa: F811 - the fixture imported above
    page: Page,
    snap: Snap,
) -> None:
    page.goto(studio_app.base_url + "/")
    studio = StudioPage(page, page.locator("body"))
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    studio.pick_data("digits")
    studio.tab("Model")
    builder = BuilderPage(page, studio.root).wait_ready()
    expect(builder.root.locator(".dls-health")).to_have_count(0)  # nothing trained yet

    studio.set_epochs(2)
    studio.root.locator(".dls-training-controls .dls-train").click()
    expect(studio.state()).to_have_text("finished", timeout=120_000)
    snap("trained")

    studio.tab("Model")
    for node in LAYER_NODES:
        badge = builder.root.get_by_test_id(f"health-{node}")
        expect(badge).to_be_visible()
        expect(badge).to_have_attribute("data-state", re.compile("^(ok|warn|bad)$"))
        expect(badge).to_have_attribute("title", re.compile("^(ok|warning|problem)"))
    snap("badges")

    builder.select("fc2")
    expect(builder.node("fc2")).to_have_class(re.compile(r"\bselected\b"))
    studio.tab("Inspect")
    expect(studio.root.locator(".dls-inspect-node")).to_contain_text("Showing node fc2")
    stats = studio.root.locator(".dls-inspector-stats")
    expect(stats).to_contain_text("fc2", timeout=60_000)
    expect(stats).to_contain_text("Linear")
    expect(studio.root.locator(".dls-inspector-layers select")).to_be_visible()
    snap("inspect")

    studio.tab("Explain")
    heatmap = studio.root.locator("img.dls-explain-heatmap")
    studio.root.locator("button.dls-explain-run").click(timeout=60_000)
    expect(heatmap).to_be_visible(timeout=60_000)
    assert heatmap.evaluate("img => img.naturalWidth") > 0
    snap("explain")
