"""The app for a class on one machine: a visitor over `--max-sessions` gets a readable page,
and the kernel of a visitor who left is shut down after `--cull-idle-after` seconds."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psutil
import pytest
from playwright.sync_api import Browser, expect

from .servers import ServerProcess, free_port, run_server
from .studio_page import StudioPage


@pytest.fixture(scope="module")
def small_class(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("classroom")
    (work / "data").mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--no-browser", "--port", str(port),
            "--data-dir", str(work / "data"), "--max-sessions", "1",
            "--cull-idle-after", "3"]  # fmt: skip
    with run_server("classroom-app", argv, port, work / "home", cwd=work) as server:
        yield server


def _kernels(server: ServerProcess) -> int:
    children = psutil.Process(server.popen.pid).children(recursive=True)
    return sum("ipykernel" in " ".join(child.cmdline()) for child in children)


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_over_the_limit_a_visitor_reads_why_and_gets_in_once_a_place_frees(
    small_class: ServerProcess, browser: Browser
) -> None:
    first = browser.new_context().new_page()
    first.goto(small_class.base_url + "/")
    expect(StudioPage(first, first.locator("body")).header()).to_contain_text(
        "digits", timeout=120_000
    )
    status, text = _status(small_class.base_url + "/")
    assert status == 503 and "The Studio is full right now" in text

    first.context.close()  # the first visitor leaves: their kernel is culled
    second = browser.new_context().new_page()
    deadline = time.monotonic() + 90
    while second.goto(small_class.base_url + "/").status == 503:
        expect(second.locator("h1")).to_have_text("The Studio is full right now")
        assert time.monotonic() < deadline, "the kernel of the visitor who left stayed"
        second.wait_for_timeout(1000)
    expect(StudioPage(second, second.locator("body")).header()).to_contain_text(
        "digits", timeout=120_000
    )
    assert _kernels(small_class) >= 1
    second.context.close()


def test_idle_culling_is_on_by_default_and_can_be_turned_off() -> None:
    from dlstudio.app.launch import CULL_IDLE_S, voila_command

    default = voila_command(8866, open_browser=False)
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}" in default
    assert "--MappingKernelManager.cull_connected=False" in default
    assert not any("cull" in arg for arg in voila_command(8866, False, cull_idle_s=0))
