"""Fixtures for the browser tests: real JupyterLab and Voila servers, Debian's Chromium, and
screenshots plus console logs under ``test-artifacts/<test>/`` when a test fails.

One JupyterLab (and one Voila per notebook) is shared by the tests of a module; every test
gets a fresh browser context and page.

Example:
    def test_hello(jupyter_lab, page, snap):
        panel = jupyter_lab.run_notebook(page, "hello.ipynb", ["print('hello')"])
        snap("ran")
        panel.locator(".jp-OutputArea").get_by_text("hello").wait_for()
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from .browser import ChromiumMissingError, launch_chromium
from .servers import (
    ARTIFACTS_DIR,
    LabServer,
    NotebookServer,
    start_jupyter_lab,
    start_notebook7,
    start_voila,
)

DEFAULT_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}

Snap = Callable[..., None]
VoilaFactory = Callable[..., str]


UI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # conftest hooks see every collected item, not only this folder's.
    for item in items:
        if UI_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Fixtures learn whether the test failed from these attributes at teardown.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(node: pytest.Item) -> bool:
    return any(
        getattr(node, f"rep_{when}", None) is not None and getattr(node, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def _artifact_dir(node: pytest.Item) -> Path:
    module = Path(str(node.path)).stem
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{module}.{node.name}")
    return ARTIFACTS_DIR / safe


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium (a fresh temporary profile); fails, never skips, without it."""
    try:
        chromium = launch_chromium(playwright_session)
    except ChromiumMissingError as err:
        missing = str(err)
    else:
        missing = ""
    if missing:  # failing outside the except block keeps the report to the one message
        pytest.fail(missing, pytrace=False)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh browser context; on failure its screenshot and console log are kept."""
    out = _artifact_dir(request.node)
    shutil.rmtree(out, ignore_errors=True)  # artefacts of an earlier failed run would mislead
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    new_page = context.new_page()
    console: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        console.append(f"[{msg.type}] {msg.text}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda err: console.append(f"[pageerror] {err}"))
    try:
        yield new_page
    finally:
        if _failed(request.node):
            out.mkdir(parents=True, exist_ok=True)
            try:
                new_page.screenshot(path=str(out / "failure.png"), full_page=True)
            except Exception as err:  # a crashed page must not hide the test's own error
                console.append(f"[fixture] could not take the failure screenshot: {err}")
            (out / "console.log").write_text("\n".join(console) + "\n", encoding="utf-8")
        context.close()


@pytest.fixture
def snap(page: Page, request: pytest.FixtureRequest) -> Iterator[Snap]:
    """``snap(name, target=page)`` records a step screenshot, written out only on failure.

    Example:
        snap("after-click")
    """
    shots: list[tuple[str, bytes]] = []

    def take(name: str, target: Page | None = None) -> None:
        shots.append((name, (target or page).screenshot()))

    yield take
    if _failed(request.node) and shots:
        out = _artifact_dir(request.node)
        out.mkdir(parents=True, exist_ok=True)
        for index, (name, png) in enumerate(shots, start=1):
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
            (out / f"step-{index:02d}-{safe}.png").write_bytes(png)


@pytest.fixture(scope="module")
def _lab_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    module = Path(str(request.path)).stem
    with start_jupyter_lab(tmp_path_factory.mktemp("jupyterlab"), name=f"{module}-lab") as lab:
        yield lab


@pytest.fixture
def jupyter_lab(_lab_server: LabServer) -> Iterator[LabServer]:
    """The module's JupyterLab server (see ``LabServer.run_notebook``); the kernels a test
    started are shut down after it, so tests do not pile up kernels."""
    yield _lab_server
    _lab_server.shutdown_sessions()


@pytest.fixture(scope="module")
def _notebook7_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NotebookServer]:
    module = Path(str(request.path)).stem
    with start_notebook7(tmp_path_factory.mktemp("notebook7"), name=f"{module}-nb7") as server:
        yield server


@pytest.fixture
def notebook7(_notebook7_server: NotebookServer) -> Iterator[NotebookServer]:
    """The module's Jupyter Notebook 7 server (one per module; ``run_notebook`` as in Lab);
    the kernels a test started are shut down after it."""
    yield _notebook7_server
    _notebook7_server.shutdown_sessions()


@pytest.fixture(scope="module")
def voila_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoilaFactory]:
    """``voila_server(notebook, extra_args=())`` serves a notebook and returns its base URL.

    Calls with the same notebook and arguments share one server until the module ends.

    Example:
        url = voila_server(write_notebook(tmp_path / "app.ipynb", cells))
        page.goto(url)
    """
    module = Path(str(request.path)).stem
    with ExitStack() as stack:
        urls: dict[tuple[Path, tuple[str, ...]], str] = {}

        def start(notebook: Path, extra_args: Sequence[str] = ()) -> str:
            key = (Path(notebook).resolve(), tuple(extra_args))
            if key not in urls:
                server = stack.enter_context(
                    start_voila(
                        key[0],
                        tmp_path_factory.mktemp("voila"),
                        extra_args=key[1],
                        name=f"{module}-voila",
                    )
                )
                urls[key] = server.base_url
            return urls[key]

        yield start
