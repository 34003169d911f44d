"""The browser-test machinery works end to end: a real server, a real kernel, real Chromium.

A tiny counter anywidget, defined inline in the notebook, is clicked in JupyterLab and in
Voila; the page must redraw it and the kernel must see the new value.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Snap, VoilaFactory
from .servers import LabServer, write_notebook

COUNTER_CELL = '''
import anywidget
import ipywidgets
import traitlets


class Counter(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const button = document.createElement("button");
      button.className = "smoke-counter";
      const draw = () => { button.textContent = `count is ${model.get("value")}`; };
      button.addEventListener("click", () => {
        model.set("value", model.get("value") + 1);
        model.save_changes();
      });
      model.on("change:value", draw);
      draw();
      el.appendChild(button);
    }
    export default { render };
    """
    value = traitlets.Int(0).tag(sync=True)


counter = Counter()
# The label is written by the kernel, so seeing it change proves the click reached Python.
seen = ipywidgets.Label("kernel saw 0", _dom_classes=["smoke-seen"])
counter.observe(lambda change: setattr(seen, "value", f"kernel saw {change['new']}"), "value")
display(counter, seen)
'''

# find_spec locates the package without running it: this checks the kernel's environment,
# not the package's own health (the package's tests do that).
ENVIRONMENT_CELL = """
import importlib.util
import sys
print("kernel python:", sys.executable)
print("dlstudio from:", importlib.util.find_spec("dlstudio").origin)
"""


def test_counter_in_jupyterlab(jupyter_lab: LabServer, page: Page, snap: Snap) -> None:
    panel = jupyter_lab.run_notebook(page, "counter.ipynb", [COUNTER_CELL, ENVIRONMENT_CELL])
    outputs = panel.locator(".jp-OutputArea")
    snap("ran-all")

    # The kernel is this venv's interpreter and finds this checkout's dlstudio.
    expect(outputs.get_by_text(f"kernel python: {sys.executable}")).to_be_visible()
    package = Path(__file__).resolve().parents[2] / "dlstudio" / "__init__.py"
    expect(outputs.get_by_text(f"dlstudio from: {package}")).to_be_visible()

    button = outputs.locator("button.smoke-counter")
    expect(button).to_have_text("count is 0")
    button.click()
    button.click()
    expect(button).to_have_text("count is 2")
    expect(outputs.locator(".smoke-seen")).to_have_text("kernel saw 2")
    snap("clicked-twice")

    # Ask the kernel directly, the way a user would: a new cell below, typed and run.
    panel.locator(".jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type("print('value in kernel:', counter.value)")
    page.keyboard.press("Shift+Enter")
    expect(outputs.get_by_text("value in kernel: 2")).to_be_visible()
    snap("asked-kernel")


def test_counter_in_voila(voila_server: VoilaFactory, page: Page, snap: Snap, tmp_path: Path):
    url = voila_server(write_notebook(tmp_path / "counter.ipynb", [COUNTER_CELL]))
    page.goto(url)
    button = page.locator("button.smoke-counter")
    # Voila executes the whole notebook before the page is complete; allow for a slow kernel.
    expect(button).to_have_text("count is 0", timeout=90_000)
    snap("rendered")

    # A Voila page shows outputs only: no code cell and no source text.
    expect(page.locator(".jp-InputArea")).to_have_count(0)
    assert "class Counter" not in page.locator("body").inner_text()

    button.click()
    expect(button).to_have_text("count is 1")
    expect(page.locator(".smoke-seen")).to_have_text("kernel saw 1")
    snap("clicked")
