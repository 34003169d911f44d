"""The newcomer's steps in the Studio, as a user takes them in a browser page.

Shared by the Voila, JupyterLab and Notebook 7 tests: ``root`` is the page (Voila) or the
notebook's output area (JupyterLab, Notebook 7), so lookups never match the notebook's own source
text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from .builder_page import BuilderPage

EPOCHS = 300  # long enough that Stop arrives while it trains
LAYER_NODES = ("fc1", "relu1", "fc2", "relu2", "fc3")  # the MLP template's inspected layers

# How many points the train-loss curve has, read from plotly's own figure data.
LOSS_POINTS_JS = """(plot) => {
    const trace = (plot.data || []).find((t) => t.name === 'train loss');
    return trace ? trace.x.length : 0;
}"""


@dataclass
class StudioPage:
    page: Page
    root: Locator

    def tab(self, name: str) -> None:
        self.root.get_by_role("tab", name=name, exact=True).click()

    def header(self) -> Locator:
        return self.root.locator(".dls-studio-header")

    def pick_data(self, name: str) -> None:
        self.tab("Data")
        self.root.locator(".dls-data-panel .widget-dropdown select").first.select_option(name)
        expect(self.root.locator(".dls-data-info")).to_contain_text(f"{name}:", timeout=60_000)

    def pick_template(self, title: str, parameters: str) -> None:
        self.tab("Model")
        self.root.locator(".dls-templates").get_by_role("button", name=title, exact=True).click()
        expect(self.header()).to_contain_text(f"{parameters} parameters")
        expect(self.root.locator(".react-flow__node").first).to_be_visible()

    def set_epochs(self, epochs: int) -> None:
        self.tab("Train")
        field = self.root.locator(".dls-training-controls .widget-text input").first
        field.fill(str(epochs))
        field.press("Enter")

    def state(self) -> Locator:
        return self.root.locator(".dls-train-state")

    def loss_points(self) -> int:
        plot = self.root.locator(".dls-train-panel .js-plotly-plot").first
        if not plot.count():
            return 0
        return int(plot.evaluate(LOSS_POINTS_JS))

    def wait_for_growth(self, at_least: int, timeout_s: float = 90.0) -> int:
        """Wait until the loss curve has more than ``at_least`` points; return the count."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            points = self.loss_points()
            if points > at_least:
                return points
            self.page.wait_for_timeout(100)
        raise AssertionError(f"The loss curve stayed at {self.loss_points()} points.")

    def train_and_watch(self) -> None:
        """Press Train and see the curve grow while training runs."""
        self.root.locator(".dls-training-controls .dls-train").click()
        expect(self.state()).to_have_text("training", timeout=60_000)
        first = self.wait_for_growth(0)
        self.wait_for_growth(first)
        expect(self.state()).to_have_text("training")

    def stop(self) -> None:
        """Press Stop once an epoch has been validated; the curve stops growing."""
        expect(self.root.locator(".dls-accuracy")).to_contain_text(
            "validation accuracy", timeout=90_000
        )
        self.root.locator(".dls-training-controls .dls-stop").click()
        expect(self.state()).to_have_text("stopped")
        # The last batched points arrive and are drawn: the page draws at least once a second
        # while points come (MAX_DRAW_PAUSE_MS in widgets/src/plots/series.ts).
        self.page.wait_for_timeout(2000)
        settled = self.loss_points()
        self.page.wait_for_timeout(1500)
        assert self.loss_points() == settled, "the curve kept growing after Stop"

    def accuracy(self) -> float:
        text = self.root.locator(".dls-accuracy").inner_text()
        percent = text.split("validation accuracy", 1)[1].split("%", 1)[0]
        return float(percent) / 100

    def copy_script(self) -> str:
        """Press the training script's Copy button; return what the clipboard holds."""
        self.tab("Code")
        view = self.root.locator(".dls-script-code")
        view.locator(".dls-copy").click()
        expect(view.locator(".dls-copy-status")).to_have_text("Copied to the clipboard.")
        return self.page.evaluate("navigator.clipboard.readText()")


def badges_inspect_and_explain(studio: StudioPage, snap: Callable[[str], None]) -> None:
    """Train digits briefly; see health badges on the nodes, a clicked node's statistics in
    Inspect, and an attribution heatmap in Explain. Starts with the Studio drawn."""
    studio.pick_data("digits")
    studio.tab("Model")
    builder = BuilderPage(studio.page, studio.root).wait_ready()
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


def grant_clipboard(page: Page, url: str) -> None:
    """Let ``page`` read and write the clipboard on ``url``'s origin (the Copy buttons)."""
    origin = url.split("/", 3)[:3]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin="/".join(origin))


def newcomer_path(studio: StudioPage, snap: Callable[[str], None]) -> None:
    """Open, pick digits, pick LeNet-5, Train, watch the curve grow, Stop, read the accuracy,
    copy the training script from the Code tab. Starts with the Studio being drawn."""
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    snap("opened")
    studio.pick_data("iris")
    expect(studio.header()).to_contain_text("iris")
    studio.pick_data("digits")
    expect(studio.root.locator(".dls-data-samples img")).to_have_count(16)
    snap("picked-digits")
    studio.pick_template("LeNet-5", "21,386")
    snap("picked-lenet")
    studio.set_epochs(EPOCHS)
    studio.train_and_watch()
    snap("training")
    studio.stop()
    snap("stopped")
    accuracy = studio.accuracy()
    assert 0.1 < accuracy <= 1.0
    script = studio.copy_script()
    snap("copied")
    assert "class Net(nn.Module)" in script and "def main():" in script
    assert f"EPOCHS = {EPOCHS}" in script and "nn.Conv2d(1, 6, 5" in script


def redrawn_after_reload(studio: StudioPage, snap: Callable[[str], None]) -> None:
    """Save the notebook and reload the page after ``newcomer_path``: the kernel lives on, so
    the same Studio is drawn again from its state (model, stopped run, accuracy, curve).

    ``studio.root`` must be a locator that finds the output area again in the new page.
    """
    accuracy = studio.accuracy()
    studio.page.keyboard.press("Control+s")
    studio.page.wait_for_timeout(1000)
    studio.page.reload()
    expect(studio.header()).to_contain_text("21,386 parameters", timeout=90_000)
    snap("reloaded")
    studio.tab("Train")
    expect(studio.state()).to_have_text("stopped")
    assert studio.accuracy() == pytest.approx(accuracy)
    assert studio.loss_points() > 0 or studio.wait_for_growth(0) > 0
