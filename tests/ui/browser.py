"""Debian's Chromium under Playwright, and the JupyterLab steps a user takes before a test.

Playwright's own browser download does not work on these machines, so the tests drive the
system Chromium that the test command installs with apt.

Example:
    >>> with sync_playwright() as pw:  # doctest: +SKIP
    ...     browser = launch_chromium(pw)
"""

from __future__ import annotations

import os
import re
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


def lab_wait_for_kernel(page: Page, timeout_ms: int = KERNEL_READY_TIMEOUT_MS) -> None:
    """Wait until the status bar says ``| Idle``: the kernel indicator alone reads idle while
    the kernel is still starting."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            return !!bar && bar.innerText.includes('| Idle');
        }""",
        timeout=timeout_ms,
    )


def lab_run_all(page: Page, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
    """Run every cell from the Run menu, as a user would, and wait until all have finished.

    Raises AssertionError with the traceback text when a cell fails (Run All stops there).
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator('[data-command="runmenu:run-all"]').click()
    # Done when the kernel is idle, no cell is queued or running ([*]) and one has run. After
    # a failing cell, Run All leaves the cells below it unexecuted ([ ]).
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            if (!bar || !bar.innerText.includes('| Idle')) return false;
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            const texts = prompts.map(p => p.textContent);
            return !texts.some(t => t.includes('*')) && texts.some(t => /\\[\\d+\\]/.test(t));
        }""",
        timeout=timeout_ms,
    )
    panel = lab_notebook(page)
    tracebacks = panel.locator(STDERR_OUTPUT).filter(has_text=TRACEBACK)
    if tracebacks.count():
        raise AssertionError(
            f"A notebook cell failed during Run All:\n{tracebacks.first.inner_text()}"
        )
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    if not all(re.search(r"\[\d+\]", text) for text in prompts):
        raise AssertionError(f"Run All did not run every cell; their prompts read {prompts}.")


def lab_notebook(page: Page) -> Locator:
    """The notebook panel currently shown in the main area."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def lab_open_and_run(page: Page, url: str) -> Locator:
    """Open a notebook URL in JupyterLab, wait for its kernel, Run All; return the panel.

    Example:
        >>> panel = lab_open_and_run(page, lab.notebook_url("demo.ipynb"))  # doctest: +SKIP
        >>> panel.locator(".jp-OutputArea").get_by_text("done").wait_for()  # doctest: +SKIP
    """
    page.goto(url)
    lab_notebook(page).wait_for(state="visible", timeout=KERNEL_READY_TIMEOUT_MS)
    lab_wait_for_kernel(page)
    lab_run_all(page)
    return lab_notebook(page)
