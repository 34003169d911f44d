"""A class on one machine: 10 pages open the Studio web app at once, each picks a data set and
trains for a few epochs.

Reported: time to interactive of the first and the tenth page (from opening the page until the
Studio is drawn and a tab click is answered by the kernel), and, as the baseline in the same
run, the time of one page alone on the same server; whether every run finished; memory per
visitor (resident memory of each page's kernel, and of the server). Nothing is a target here:
the machine has 2 cores.

    python benchmarks/bench_classroom.py [PAGES]   # prints a table, writes results/classroom.json
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.ui.browser import launch_chromium  # noqa: E402
from tests.ui.servers import ServerProcess, free_port, run_server  # noqa: E402
from tests.ui.studio_page import StudioPage  # noqa: E402

PAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 10
EPOCHS = 3
RESULTS = REPO / "benchmarks" / "results" / "classroom.json"


def interactive(page: Page) -> bool:
    """The Studio is drawn and the kernel answered a click on the Train tab."""
    studio = StudioPage(page, page.locator("body"))
    if not studio.header().filter(has_text="digits").count():
        return False
    studio.tab("Train")
    return page.locator(".dls-training-controls .dls-train").count() > 0


def open_all(server: ServerProcess, pages: list[Page]) -> list[float]:
    """Open every page at once; seconds until each became interactive."""
    started, ready = {}, {}
    for index, page in enumerate(pages):
        started[index] = time.perf_counter()
        # Not page.goto: it waits for the answer, which Voila gives once the kernel is ready.
        page.evaluate("url => { window.location.href = url; }", server.base_url + "/")
    deadline = time.perf_counter() + 600
    while len(ready) < len(pages) and time.perf_counter() < deadline:
        for index, page in enumerate(pages):
            if index not in ready and interactive(page):
                ready[index] = time.perf_counter() - started[index]
        pages[0].wait_for_timeout(100)
    if len(ready) < len(pages):
        raise RuntimeError(f"only {len(ready)} of {len(pages)} pages became interactive")
    return sorted(ready.values())


def train_all(pages: list[Page]) -> float:
    """Each page picks iris and trains; seconds until every run finished."""
    start = time.perf_counter()
    for page in pages:
        studio = StudioPage(page, page.locator("body"))
        studio.pick_data("iris")
        studio.set_epochs(EPOCHS)
        page.locator(".dls-training-controls .dls-train").click()
    for page in pages:
        expect(StudioPage(page, page.locator("body")).state()).to_have_text(
            "finished", timeout=600_000
        )
    return time.perf_counter() - start


def memory_mb(server: ServerProcess) -> tuple[list[float], float]:
    """Resident memory of each kernel, and of the server's other processes together."""
    root = psutil.Process(server.popen.pid)
    processes = [root, *root.children(recursive=True)]
    kernels = [p for p in processes if "ipykernel" in " ".join(p.cmdline())]
    rest = [p for p in processes if p not in kernels]
    return [p.memory_info().rss / 1e6 for p in kernels], sum(
        p.memory_info().rss for p in rest
    ) / 1e6


def main() -> None:
    work = Path(tempfile.mkdtemp())
    (work / "data").mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--no-browser", "--port", str(port),
            "--data-dir", str(work / "data")]  # fmt: skip
    with (
        run_server("classroom", argv, port, work / "home", cwd=work) as server,
        sync_playwright() as pw,
    ):
        browser = launch_chromium(pw)
        alone_page = browser.new_context().new_page()
        (alone,) = open_all(server, [alone_page])
        alone_page.context.close()
        time.sleep(5)
        pages = [browser.new_context().new_page() for _ in range(PAGES)]
        ready = open_all(server, pages)
        training_s = train_all(pages)
        memory, server_mb = memory_mb(server)
        browser.close()
    result = {
        "benchmark": f"{PAGES} pages open the Studio app at once, pick iris, train {EPOCHS} epochs",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2-core sandbox",
        "baseline_one_page_interactive_s": round(alone, 2),
        "first_page_interactive_s": round(ready[0], 2),
        "last_page_interactive_s": round(ready[-1], 2),
        "last_vs_alone": round(ready[-1] / alone, 2),
        "every_run_finished": True,
        "all_training_s": round(training_s, 1),
        "kernels": len(memory),
        "kernel_memory_mb_median": round(statistics.median(memory), 1),
        "kernel_memory_mb_max": round(max(memory), 1),
        "server_memory_mb": round(server_mb, 1),
    }
    for key, value in result.items():
        print(f"{key:34} {value}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
