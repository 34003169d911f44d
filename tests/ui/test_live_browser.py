"""The live training widgets in real JupyterLab (and Voila): train a tiny model on moons with
``live(trainer)``, watch the loss curve grow, see the decision boundary, press Stop and see
the state change within a second; a view displayed afterwards draws the history it missed.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .conftest import Snap, VoilaFactory
from .servers import LabServer, write_notebook

LIVE_CELL = """
import torch
from torch import nn
from dlstudio import datasets
from dlstudio.train import Trainer
from dlstudio.ui.live import live

torch.set_num_threads(1)  # the test machine has two cores and runs servers beside the kernel
bundle = datasets.load("moons")
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
trainer = Trainer(model, bundle, epochs=5000, batch_size=16)  # stopped by hand long before
view = live(trainer)
"""

# Reads the loss curve's points from plotly's own data on the graph div.
POINTS_JS = """el => {
    const graph = el.querySelector('.js-plotly-plot');
    if (!graph || !graph.data) return 0;
    const trace = graph.data.find(t => t.name === 'train loss');
    return trace ? trace.x.length : 0;
}"""


def loss_points(plot: Locator) -> int:
    return int(plot.evaluate(POINTS_JS))


def test_live_training_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    panel = jupyter_lab.run_notebook(page, "live.ipynb", [LIVE_CELL])
    outputs = panel.locator(".jp-OutputArea")
    state = outputs.locator(".dls-train-state")
    expect(state).to_have_text("ready")
    plot = outputs.get_by_test_id("loss-plot").first
    expect(plot.locator(".dls-plot-empty")).to_be_visible()
    snap("ready")

    outputs.get_by_role("button", name="Train", exact=True).click()
    expect(state).to_have_text("training")
    # The curve grows while training runs: points arrive in batches, a few times a second.
    page.wait_for_function(
        f"() => ({POINTS_JS})(document.querySelector('[data-testid=loss-plot]')) >= 20",
        timeout=30_000,
    )
    first = loss_points(plot)
    page.wait_for_function(
        f"() => ({POINTS_JS})(document.querySelector('[data-testid=loss-plot]')) > {first}",
        timeout=10_000,
    )
    expect(plot.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_visible()

    # The decision boundary is drawn (a heatmap under the points) while training runs.
    boundary = outputs.locator("[data-testid=results-boundary][data-state=drawn]")
    expect(boundary).to_be_visible(timeout=15_000)
    expect(
        boundary.locator(".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm")
    ).not_to_have_count(0)
    snap("training")

    # Stop answers within a second, though the training thread is busy.
    outputs.get_by_role("button", name="Stop", exact=True).click()
    expect(state).to_have_text("stopped", timeout=1_000)
    expect(outputs.get_by_role("button", name="Resume", exact=True)).to_be_enabled()
    expect(outputs.get_by_role("button", name="Stop", exact=True)).to_be_disabled()
    snap("stopped")

    # The smoothing slider and log-scale toggle reach the kernel's traits.
    plot.get_by_role("checkbox", name="Log scale").check()
    expect(plot.locator(".js-plotly-plot .ytick text").first).to_be_visible()

    # A view displayed after training draws the whole history from the synced trait (the
    # messages sent before it existed are gone): the trap a live plot must not fall into.
    panel.locator(".jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(
        "print('log_scale', view.plot.log_scale, 'steps', trainer.step); display(view.plot)"
    )
    page.keyboard.press("Shift+Enter")
    expect(outputs.get_by_text("log_scale True")).to_be_visible()
    plots = outputs.get_by_test_id("loss-plot")
    expect(plots).to_have_count(2)
    # The whole history: from the run's first steps to the last one the first view shows
    # (Python keeps a bounded copy, downsampled in pairs, so it may hold fewer points than the
    # first view, and its first point may stand for the first few steps).
    page.wait_for_function(
        f"""() => {{
            const plots = document.querySelectorAll('[data-testid=loss-plot]');
            const span = (el) => {{
                const trace = (el.querySelector('.js-plotly-plot')?.data ?? [])
                    .find(t => t.name === 'train loss');
                return trace && trace.x.length ? [trace.x[0], trace.x[trace.x.length - 1]] : null;
            }};
            if (plots.length != 2) return false;
            const [a, b] = [span(plots[0]), span(plots[1])];
            return a && b && b[1] === a[1] && b[0] < a[1] / 10 && ({POINTS_JS})(plots[1]) >= 20;
        }}""",
        timeout=15_000,
    )
    snap("second-view")


def test_live_training_in_voila(
    voila_server: VoilaFactory, page: Page, snap: Snap, tmp_path: Path
) -> None:
    url = voila_server(write_notebook(tmp_path / "live.ipynb", [LIVE_CELL]))
    page.goto(url)
    state = page.locator(".dls-train-state")
    expect(state).to_have_text("ready", timeout=90_000)
    plot = page.get_by_test_id("loss-plot").first
    snap("ready")

    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(
        f"() => ({POINTS_JS})(document.querySelector('[data-testid=loss-plot]')) >= 20",
        timeout=30_000,
    )
    expect(page.locator("[data-testid=results-boundary][data-state=drawn]")).to_be_visible()
    snap("training")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(state).to_have_text("stopped", timeout=1_000)
    assert loss_points(plot) >= 20
    snap("stopped")
