"""ModelBuilder in a real browser: edit → updated shapes round trip, first render, notebook size.

A chain of Linear layers of 50, 200, 500 and 1,000 nodes is shown in JupyterLab (Debian's
Chromium driven by Playwright). Each trial types a new ``out_features`` into the parameter panel,
as a person does, and times until the node's shape label shows Python's answer: page → kernel
(parse, analyse) → page → React render; the generated code follows in a message of its own.
Targets (issue 11): at 1,000 nodes, first render under 1 s and edit → shapes p50 under 100 ms.

First render: from the widget view's start (bundle import included) until every node is drawn.
Notebook size: notebooks with 1 and 3 builders executed by nbclient with their widget state
saved; the 0.5 MB bundle must be stored once, not once per builder.

    python benchmarks/bench_builder.py            # prints a table, writes benchmarks/results/builder.json
    python benchmarks/bench_builder.py 200 1000   # only these sizes (prints, writes nothing)
"""

from __future__ import annotations

import inspect
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from dlstudio import Graph  # noqa: E402
from dlstudio.ui._bundle import bundle_path  # noqa: E402
from tests.ui.browser import lab_open_and_run, launch_chromium  # noqa: E402
from tests.ui.servers import start_jupyter_lab  # noqa: E402

SIZES = (50, 200, 500, 1000)
TRIALS = 25
# Edits this far apart let the kernel go idle in between: ipywidgets holds a new update in
# the page while the previous one is still being processed (one message in flight).
PAUSE_MS = 300
RESULTS = REPO / "benchmarks" / "results" / "builder.json"

# The two series of edits each size gets: (name, pause before each edit, values typed in turn).
SERIES = (("back_to_back", 0, (8, 9)), ("paced", PAUSE_MS, (10, 11)))


def chain(n):
    """Input → (n - 2) Linear(16) → Output, laid out in columns of 25 (the benchmarked graph)."""
    g = Graph()
    prev = g.add("Input", id="input", shape=[16])
    for _ in range(n - 2):
        prev = g.add("Linear", after=prev, out_features=16)
    g.add("Output", after=prev)
    for i, node in enumerate(g.nodes):
        node.position = {"x": (i // 25) * 240, "y": (i % 25) * 110}
    return g


def edited_node(n_nodes: int) -> str:
    """The node whose out_features the trials type: the last Linear of ``chain(n_nodes)``."""
    return f"linear{n_nodes - 2}"


# The kernel runs the very same ``chain``.
CHAIN_CELL = f"""
from dlstudio import Graph, ModelBuilder

{inspect.getsource(chain)}
b = ModelBuilder(chain(N_NODES))
b.selection = [LAST_ID]
b
"""

ROUND_TRIP_JS = """
async ([value, expected, nodeId]) => {
  const root = document.querySelector('[data-testid=model-builder]');
  const input = root.querySelector('[data-testid=param-out_features]');
  const shape = root.querySelector(`[data-testid="node-shape-${nodeId}"]`);
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  performance.clearMarks();
  const start = performance.now();
  const answered = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (shape.textContent !== expected) return;
      observer.disconnect();
      const end = performance.now();
      const mark = (name) => performance.getEntriesByName(name).at(-1)?.startTime ?? NaN;
      const sent = mark('dlstudio:graph-sent'), received = mark('dlstudio:answer-received');
      resolve([end - start, sent - start, received - sent, end - received]);
    });
    observer.observe(shape, { childList: true, characterData: true, subtree: true });
    setTimeout(() => reject(new Error(`no answer: shape still ${shape.textContent}`)), 15000);
  });
  setValue.call(input, String(value));
  input.dispatchEvent(new Event('input', { bubbles: true }));
  return await answered;
}
"""

# Polls each frame until every node of the builder is drawn (React Flow shows a node once
# it has measured it); returns milliseconds since the view started.
FIRST_RENDER_JS = """
(expected) => new Promise((resolve) => {
  const tick = () => {
    const root = document.querySelector('[data-testid=model-builder]');
    const host = root && root.closest('[data-dls-render-start]');
    if (host) {
      const nodes = root.querySelectorAll('.react-flow__node');
      const drawn = [...nodes].filter((n) => n.style.visibility !== 'hidden').length;
      if (nodes.length === expected && drawn === expected) {
        resolve(performance.now() - Number(host.dataset.dlsRenderStart));
        return;
      }
    }
    requestAnimationFrame(tick);
  };
  tick();
})
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_size(page: Page, lab, n_nodes: int, trials: int = TRIALS) -> dict:
    """First render and both series of edits of a ModelBuilder showing ``chain(n_nodes)``."""
    last = edited_node(n_nodes)

    lab.write_notebook(
        f"bench{n_nodes}.ipynb",
        [CHAIN_CELL.replace("N_NODES", str(n_nodes)).replace("LAST_ID", repr(last))],
    )
    lab_open_and_run(page, lab.notebook_url(f"bench{n_nodes}.ipynb"))
    first_render = page.evaluate(FIRST_RENDER_JS, n_nodes)
    page.get_by_test_id("param-out_features").wait_for()
    return {"nodes": n_nodes, "first_render_ms": round(first_render, 1)} | {
        f"{name}_{key}": value
        for name, pause_ms, values in SERIES
        for key, value in run_trials(page, last, pause_ms, values, trials).items()
    }


def run_trials(
    page: Page, node_id: str, pause_ms: int, values: tuple[int, int], trials: int = TRIALS
) -> dict:
    """Edit → answer times; each trial is [total, before send, kernel + io, after answer]."""
    results = []
    for trial in range(trials + 2):
        value = values[trial % 2]  # alternate, so every edit changes the shape
        if pause_ms:
            page.wait_for_timeout(pause_ms)
        result = page.evaluate(ROUND_TRIP_JS, [value, f"N×{value}", node_id])
        if trial >= 2:  # the first edits warm up both sides
            results.append(result)
    times = [t[0] for t in results]
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        # Medians of the parts: typing → graph sent; sent → Python's answer in the page
        # (kernel + Jupyter server + websocket); answer → node redrawn.
        "page_before_send_p50_ms": round(statistics.median(t[1] for t in results), 1),
        "kernel_and_io_p50_ms": round(statistics.median(t[2] for t in results), 1),
        "page_after_answer_p50_ms": round(statistics.median(t[3] for t in results), 1),
    }


def notebook_sizes() -> dict:
    """Saved size of notebooks showing 1 and 3 builders, widget state included."""
    marker = bundle_path("builder").read_text(encoding="utf-8")[:120]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, 3):
            cells = ["from dlstudio import ModelBuilder"]
            cells += ["ModelBuilder('lenet5')" for _ in range(count)]
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
            NotebookClient(nb, timeout=120, store_widget_state=True, kernel_name="python3").execute(
                cwd=str(REPO)
            )
            path = Path(tmp) / f"nb{count}.ipynb"
            nbformat.write(nb, path)
            text = path.read_text(encoding="utf-8")
            out[f"{count}_builders_bytes"] = len(text.encode())
            out[f"{count}_builders_bundle_copies"] = text.count(json.dumps(marker)[1:-1][:60])
    out["bytes_per_extra_builder"] = (out["3_builders_bytes"] - out["1_builders_bytes"]) // 2
    out["bundle_bytes"] = bundle_path("builder").stat().st_size
    return out


def main(sizes: tuple[int, ...]) -> None:
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = launch_chromium(pw)
        with start_jupyter_lab(Path(tmp), name="bench-builder") as lab:
            for n_nodes in sizes:
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                rows.append(measure_size(page, lab, n_nodes))
                page.context.close()
                lab.shutdown_sessions()
        browser.close()
    full = sizes == SIZES
    sizes = notebook_sizes() if full else {}
    result = {
        "benchmark": "ModelBuilder edit → shapes round trip in JupyterLab (Chromium)",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2-core sandbox",
        "target": "at 1000 nodes: first render < 1 s, edit → shapes p50 < 100 ms",
        "sizes": rows,
        "notebook": sizes,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    phases = ("page_before_send", "kernel_and_io", "page_after_answer")
    print(f"{'':>6} {'back-to-back edits':^46} {'edits 300 ms apart':^46}")
    heads = f"{'p50':>7} {'p95':>7} " + " ".join(f"{p[:10]:>10}" for p in phases)
    print(f"{'nodes':>6} " + f"{heads}   " * 2 + "first render ms")
    for row in rows:
        cells = [
            f"{row[f'{s}_p50_ms']:>7} {row[f'{s}_p95_ms']:>7} "
            + " ".join(f"{row[f'{s}_{p}_p50_ms']:>10}" for p in phases)
            for s in ("back_to_back", "paced")
        ]
        print(f"{row['nodes']:>6} " + "   ".join(cells) + f"   {row['first_render_ms']:>15}")
    if not full:  # the results file holds full runs only
        print(f"(not all sizes: {RESULTS.relative_to(REPO)} left as it is)")
        return
    print(json.dumps(sizes, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = RESULTS.with_suffix(".json.tmp")
    tmp_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tmp_path.replace(RESULTS)


if __name__ == "__main__":
    main(tuple(int(n) for n in sys.argv[1:]) or SIZES)
