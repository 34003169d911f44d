"""Debian's Chromium under Playwright, and the steps a user takes in JupyterLab or Notebook 7
before a test.

Playwright's own browser download does not work on these machines, so the tests drive the
system Chromium that the test command installs with apt.

Example:
    >>> with sync_playwright() as pw:  # doctest: +SKIP
    ...     browser = launch_chromium(pw)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright

CHROMIUM = Path(os.environ.get("DLSTUDIO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root inside a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Starting a kernel and importing torch takes a few seconds on 2 cores; be generous.
RUN_ALL_TIMEOUT_MS = 120_000
KERNEL_READY_TIMEOUT_MS = 60_000
# Lab renders errors and plain stderr alike; only the traceback text tells them apart.
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
TRACEBACK = "Traceback (most recent call last)"
# True when no cell is queued or running ([*]) and one has run. After a failing cell, Run All
# leaves the cells below it unexecuted ([ ]).
CELLS_DONE_JS = r"""(() => {
    const prompts = [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
    const texts = prompts.map(p => p.textContent);
    return !texts.some(t => t.includes('*')) && texts.some(t => /\[\d+\]/.test(t));
})()"""


class ChromiumMissingError(RuntimeError):
    """Raised when the system Chromium the browser tests need is not installed."""


def launch_chromium(playwright: Playwright, user_data_dir: Path | None = None) -> Browser:
    """Launch headless Debian Chromium; raise a clear error when it is not installed.

    ``user_data_dir`` gives the browser a fresh profile (Playwright makes a temporary one when
    it is None).

    Example:
        >>> browser = launch_chromium(pw)  # doctest: +SKIP
    """
    if not CHROMIUM.exists():
        raise ChromiumMissingError(
            f"The browser tests need Chromium at {CHROMIUM}, and it is not there. "
            "Install it with `apt-get install -y chromium` (bash scripts/test.sh does this), "
            "or point DLSTUDIO_CHROMIUM at another Chromium binary."
        )
    args = list(CHROMIUM_ARGS)
    if user_data_dir is not None:
        args.append(f"--user-data-dir={user_data_dir}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


@dataclass(frozen=True)
class Frontend:
    """What tells, in one Jupyter front-end's page, that its notebook's kernel is ready and idle.

    ``kernel_idle_js`` is a JavaScript expression evaluated in the page; ``init_script``, when
    given, runs in the page before the front-end's own scripts.
    """

    name: str
    kernel_idle_js: str
    init_script: str | None = None


# The kernel indicator alone reads idle while the kernel is still starting; the status bar's
# "| Idle" does not.
LAB = Frontend(
    name="JupyterLab",
    kernel_idle_js="""(() => {
        const bar = document.querySelector('#jp-main-statusbar');
        return !!bar && bar.innerText.includes('| Idle');
    })()""",
)
# Notebook 7 has no status bar, and its execution indicator reads idle before any kernel exists
# (a Run All then runs nothing). Ready: a kernel is named and the indicator has left idle (the
# kernel starting or connecting) and come back to it. An observer installed before the page's
# own scripts records every status the indicator takes, so a quick start cannot slip by between
# two polls.
NOTEBOOK7 = Frontend(
    name="Notebook 7",
    kernel_idle_js="""(() => {
        const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
        const name = document.querySelector('.jp-KernelName');
        const kernel = name ? name.innerText.trim() : '';
        if (!indicator || !kernel || kernel === 'No Kernel') return false;
        if (indicator.dataset.status !== 'idle') window.__dlsKernelSeenWorking = true;
        return indicator.dataset.status === 'idle' && !!window.__dlsKernelSeenWorking;
    })()""",
    init_script="""new MutationObserver((records) => {
        for (const record of records) {
            if (!record.target.matches('.jp-Notebook-ExecutionIndicator')) continue;
            const status = record.target.dataset.status;
            const working = (value) => !!value && value !== 'idle';
            if (working(record.oldValue) || working(status)) window.__dlsKernelSeenWorking = true;
        }
    }).observe(document, {
        subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-status'],
    });""",
)


def lab_wait_for_kernel(
    page: Page, timeout_ms: int = KERNEL_READY_TIMEOUT_MS, frontend: Frontend = LAB
) -> None:
    """Wait until the notebook's kernel has started and is idle (see ``Frontend``)."""
    page.wait_for_function(f"() => {frontend.kernel_idle_js}", timeout=timeout_ms)


def lab_run_all(page: Page, timeout_ms: int = RUN_ALL_TIMEOUT_MS, frontend: Frontend = LAB) -> None:
    """Run every cell from the Run menu, as a user would, and wait until all have finished.

    Raises AssertionError with the traceback text when a cell fails (Run All stops there).
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator('[data-command="runmenu:run-all"]').click()
    page.wait_for_function(
        f"() => {frontend.kernel_idle_js} && {CELLS_DONE_JS}", timeout=timeout_ms
    )
    panel = lab_notebook(page)
    tracebacks = panel.locator(STDERR_OUTPUT).filter(has_text=TRACEBACK)
    if tracebacks.count():
        raise AssertionError(
            f"A notebook cell failed during Run All in {frontend.name}:\n"
            f"{tracebacks.first.inner_text()}"
        )
    # text_content, not inner_text: JupyterLab leaves cells off screen undrawn (innerText "").
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()
    if not all(re.search(r"\[\d+\]", text) for text in prompts):
        raise AssertionError(f"Run All did not run every cell; their prompts read {prompts}.")


def lab_notebook(page: Page) -> Locator:
    """The notebook panel currently shown in the main area (JupyterLab or Notebook 7)."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def lab_open_and_run(page: Page, url: str, frontend: Frontend = LAB) -> Locator:
    """Open a notebook URL in JupyterLab, wait for its kernel, Run All; return the panel.

    Example:
        >>> panel = lab_open_and_run(page, lab.notebook_url("demo.ipynb"))  # doctest: +SKIP
        >>> panel.locator(".jp-OutputArea").get_by_text("done").wait_for()  # doctest: +SKIP
    """
    if frontend.init_script:
        page.add_init_script(frontend.init_script)
    page.goto(url)
    lab_notebook(page).wait_for(state="visible", timeout=KERNEL_READY_TIMEOUT_MS)
    lab_wait_for_kernel(page, frontend=frontend)
    lab_run_all(page, frontend=frontend)
    return lab_notebook(page)


def notebook7_open_and_run(page: Page, url: str) -> Locator:
    """Open a notebook's Notebook 7 page (``/notebooks/<path>``), wait for its kernel, Run All.

    Example:
        >>> panel = notebook7_open_and_run(page, nb.notebook_url("demo.ipynb"))  # doctest: +SKIP
    """
    return lab_open_and_run(page, url, frontend=NOTEBOOK7)
