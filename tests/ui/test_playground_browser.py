"""The Playground in a real browser, in the web app `dlstudio app --playground` serves (Voila).

One learner's session: pick the spiral set, add X₁² and sin(X₁), add a layer, play and watch the
neuron pictures change, pause, step, type a weight on a link, draw a point, hide two controls,
then open the page's shared link in a fresh page (a new kernel) and find the same state there.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import Snap
from .servers import ServerProcess, free_port, run_server
from .studio_page import grant_clipboard

SCREENSHOT_DIR = os.environ.get("DLSTUDIO_SCREENSHOT_DIR")
START_MS = 120_000
CANVAS_PIXELS_JS = "el => (el.tagName === 'CANVAS' ? el : el.querySelector('canvas')).toDataURL()"


@pytest.fixture(scope="module")
def playground_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`dlstudio app --playground --no-browser --port N`, as the README starts it."""
    work = tmp_path_factory.mktemp("playground-app")
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--playground", "--no-browser",
            "--port", str(port), "--data-dir", str(work)]  # fmt: skip
    with run_server("playground-app", argv, port, work / "home", cwd=work) as server:
        yield server


def _by(page: Page, test_id: str) -> Locator:
    return page.get_by_test_id(test_id)


def _frame(page: Page) -> int:
    return int(_by(page, "pg-root").get_attribute("data-frame") or 0)


def _epoch(page: Page) -> int:
    return int(re.sub(r"\D", "", _by(page, "pg-epoch").inner_text()) or 0)


def _epoch_text(epoch: int) -> str:
    """The counter as the page writes it: six digits, a comma after three ("000,124")."""
    digits = f"{epoch:06d}"
    return f"{digits[:3]},{digits[3:]}"


def _share(page: Page) -> str:
    return _by(page, "pg-share-text").input_value()


def _open(page: Page, url: str) -> None:
    # A visitor after the first gets a kernel started for them: Voila answers when it has run.
    page.goto(url, timeout=START_MS)
    expect(_by(page, "pg-root")).to_be_visible(timeout=START_MS)
    expect(_by(page, "pg-node-output")).to_be_visible()


def _wait_share(page: Page, part: str) -> None:
    expect(_by(page, "pg-share-text")).to_have_value(re.compile(re.escape(part)), timeout=20_000)


def test_a_learners_session_and_its_shared_link(
    playground_app: ServerProcess, page: Page, snap: Snap
) -> None:
    url = playground_app.base_url + "/"
    grant_clipboard(page, url)
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, url)
    snap("opened")

    # The spiral set, two more features, one more hidden layer.
    _by(page, "pg-dataset-spiral").click()
    _wait_share(page, "dataset=spiral")
    for feature in ("xSquared", "sinX"):
        _by(page, f"pg-feature-{feature}").click()
        expect(_by(page, f"pg-feature-{feature}")).to_have_attribute("data-active", "true")
    _by(page, "pg-add-layer").click()
    expect(_by(page, "pg-neurons-3")).to_be_visible()
    _wait_share(page, "networkShape=4,2,2")
    expect(_by(page, "pg-code")).to_contain_text("nn.Linear(4, 4)")  # four features in
    snap("spiral, features, layer")

    # Play: the epochs run and the neurons' pictures change; pause stops them.
    neuron = _by(page, "pg-node-h1_0")
    before, frame = neuron.evaluate(CANVAS_PIXELS_JS), _frame(page)
    _by(page, "pg-play").click()
    expect(_by(page, "pg-play")).to_have_attribute("data-playing", "true")
    page.wait_for_function(
        "f => Number(document.querySelector('[data-testid=pg-root]').dataset.frame) > f + 5",
        arg=frame, timeout=60_000,
    )  # fmt: skip
    assert _epoch(page) > 0
    _by(page, "pg-play").click()
    expect(_by(page, "pg-play")).to_have_attribute("data-playing", "false", timeout=20_000)
    page.wait_for_timeout(300)
    assert neuron.evaluate(CANVAS_PIXELS_JS) != before
    snap("played")

    # Step: exactly one epoch more.
    paused = _epoch(page)
    _by(page, "pg-step").click()
    expect(_by(page, "pg-epoch")).to_have_text(_epoch_text(paused + 1))

    # A weight typed on a link: the link gets thick (|w| = 4.5 -> 9.1 px) and the card says it.
    link = _by(page, "pg-link-1-0-0")
    link.hover(force=True)
    _by(page, "pg-card").click()
    _by(page, "pg-edit-input").fill("4.5")
    _by(page, "pg-edit-input").press("Enter")
    expect(_by(page, "pg-error")).to_have_count(0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pg-links path.pg-link')]"
        ".some(p => Math.abs(Number(p.getAttribute('stroke-width')) - 9.1) < 0.05)",
        timeout=20_000,
    )
    link.hover(force=True)
    expect(_by(page, "pg-card")).to_contain_text("4.5")
    snap("weight typed")

    # Hide two controls: they leave this page, and the shared state says so.
    for control in ("noise", "learningRate"):
        # The box shows the kernel's state: it turns off when the kernel has taken the change.
        _by(page, f"pg-hide-{control}").click()
        expect(_by(page, f"pg-hide-{control}")).not_to_be_checked()
        _wait_share(page, f"{control}_hide=true")
        expect(page.locator(f"[data-control={control}]")).to_have_count(0)
    shared = _share(page)
    assert page.url.endswith("#" + shared) or shared in page.url
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        # Voila scrolls an inner box: a viewport as tall as the widget draws all of it.
        page.set_viewport_size({"width": 1400, "height": 1500})
        _by(page, "pg-root").evaluate("el => el.scrollIntoView()")
        _by(page, "pg-root").screenshot(path=str(Path(SCREENSHOT_DIR) / "playground.png"))

    # The shared link, opened fresh (a new kernel): the same settings and the hidden controls.
    other = page.context.new_page()
    _open(other, f"{url}#{shared}")
    _wait_share(other, "dataset=spiral")
    assert _share(other) == shared
    expect(_by(other, "pg-feature-sinX")).to_have_attribute("data-active", "true")
    expect(_by(other, "pg-neurons-3")).to_be_visible()
    for control in ("noise", "learningRate"):
        expect(other.locator(f"[data-control={control}]")).to_have_count(0)
    expect(other.locator("[data-control=batchSize]")).not_to_have_count(0)
    other.close()


def _picture(page: Page, test_id: str) -> str:
    return _by(page, test_id).evaluate(CANVAS_PIXELS_JS)


def _wait_picture_change(page: Page, test_id: str, before: str) -> str:
    page.wait_for_function(
        "([id, before]) => document.querySelector(`[data-testid=${id}]`).toDataURL() !== before",
        arg=[test_id, before], timeout=20_000,
    )  # fmt: skip
    return _picture(page, test_id)


def _type_on_card(page: Page, target: Locator, value: str) -> None:
    target.hover(force=True)
    _by(page, "pg-card").click()
    _by(page, "pg-edit-input").fill(value)
    _by(page, "pg-edit-input").press("Enter")


def test_every_other_control_of_the_page(
    playground_app: ServerProcess, page: Page, snap: Snap, tmp_path: Path
) -> None:
    url = playground_app.base_url + "/"
    grant_clipboard(page, url)
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, url)

    # Hovering a neuron shows its picture big; leaving shows the output again.
    output = _picture(page, "pg-output")
    _by(page, "pg-node-h1_0").hover()
    neuron = _wait_picture_change(page, "pg-output", output)
    _by(page, "pg-epoch").hover()
    assert _wait_picture_change(page, "pg-output", neuron) == output

    # Neurons in and out of a layer, a bias typed in, Reset back to epoch 0.
    _by(page, "pg-add-neuron-1").click()
    expect(_by(page, "pg-neurons-1")).to_contain_text("5")
    _by(page, "pg-remove-neuron-2").click()
    expect(_by(page, "pg-neurons-2")).to_contain_text("1")
    _type_on_card(page, _by(page, "pg-bias-1-0"), "-3")
    _by(page, "pg-bias-1-0").hover(force=True)
    expect(_by(page, "pg-card")).to_contain_text("-3")
    _by(page, "pg-step").click()
    expect(_by(page, "pg-epoch")).to_have_text(_epoch_text(1))
    _by(page, "pg-reset").click()
    expect(_by(page, "pg-epoch")).to_have_text(_epoch_text(0))

    # Regenerate draws a new seed; test points and the discretized output change the picture.
    seed = re.search(r"seed=([^&]+)", _share(page))
    _by(page, "pg-regenerate").click()
    expect(_by(page, "pg-share-text")).not_to_have_value(re.compile(f"seed={seed and seed[1]}&"))
    dots = page.locator("svg.pg-dots circle")
    expect(dots).to_have_count(250)  # the training half of 500
    _by(page, "pg-show-test").click()
    _wait_share(page, "showTestData=true")
    expect(dots).to_have_count(500)
    before = _picture(page, "pg-output")
    _by(page, "pg-discretize").click()
    _wait_share(page, "discretize=true")
    _wait_picture_change(page, "pg-output", before)
    snap("test points, discretized")

    # Regression: its own data sets; then back.
    _by(page, "pg-problem").select_option(label="Regression")
    expect(_by(page, "pg-dataset-reg-gauss")).to_be_visible()
    _by(page, "pg-dataset-reg-gauss").click()
    _wait_share(page, "regDataset=reg-gauss")
    _wait_share(page, "problem=regression")
    _by(page, "pg-problem").select_option(label="Classification")
    _wait_share(page, "problem=classification")

    # Points drawn with the mouse make the data your own.
    _by(page, "pg-draw").select_option(label="Class +1 (blue)")
    box = _by(page, "pg-output").bounding_box()
    assert box is not None
    _by(page, "pg-output").click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.2})
    _wait_share(page, "dataset=custom")
    expect(_by(page, "pg-error")).to_have_count(0)

    # A CSV file picked in the page: loaded, said so; a broken one is refused in a sentence.
    good = tmp_path / "two_moons.csv"
    rows = [f"{i % 7 - 3},{(i * 3) % 5 - 2},{'yes' if i % 2 else 'no'}" for i in range(40)]
    good.write_text("a,b,answer\n" + "\n".join(rows) + "\n")
    _by(page, "pg-csv").set_input_files(str(good))
    expect(_by(page, "pg-status")).to_contain_text("Loaded two_moons.csv: 40 points")
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b\n1,2\n3,4\n")
    _by(page, "pg-csv").set_input_files(str(bad))
    expect(_by(page, "pg-error")).to_contain_text("three columns")

    # A pasted shared state is taken whole; the code follows; Copy puts it on the clipboard.
    _by(page, "pg-share-input").fill("dataset=xor&networkShape=3&activation=relu&seed=7")
    _by(page, "pg-share-apply").click()
    _wait_share(page, "dataset=xor")
    _wait_share(page, "networkShape=3&")
    expect(_by(page, "pg-code")).to_contain_text("nn.ReLU()")
    page.locator(".pg-code button", has_text="Copy").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "class PlaygroundNet(nn.Module):" in copied and "nn.ReLU()" in copied
