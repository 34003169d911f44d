"""Training with InspectionCallback(every=50) against the same training without it.

Both variants train the same model (same seed, data, batch size, optimizer) with the Trainer;
they run interleaved, round after round, so background load hits them alike. The ratio
reported is the median over rounds of ``inspected time / plain time``, measured as the CPU time
of the training thread (``time.thread_time``; torch runs on one thread here, and other
processes on a shared machine disturb it far less than wall time) and as wall time.
Target: at most 1.05 (inspection every 50 steps costs at most 5%).

On a shared machine whole-run times are noisy, so the inspected runs also time every step
(CPU time of the training thread, from the first callback to the last): the median extra cost
of a capture step over an ordinary step of the same run gives the capture's cost in steps, and
from it the ``step_ratio`` = 1 + captures × extra / (steps × ordinary step), a ratio that
background load hardly moves.

    python benchmarks/bench_inspect.py   # prints a table, writes benchmarks/results/inspect.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from _graphs import small_cnn

from dlstudio import Graph, datasets
from dlstudio.graph import examples
from dlstudio.inspect import InspectionCallback
from dlstudio.train import Callback, Trainer

ROUNDS = 9
SEED = 0
EVERY = 50
TARGET = 1.05


def random_images(n: int = 2048) -> datasets.DataBundle:
    generator = torch.Generator().manual_seed(SEED)
    x = torch.randn(n, 1, 28, 28, generator=generator)
    y = torch.randint(0, 10, (n,), generator=generator)
    return datasets.from_tensors(x, y, task="classification")


class StepClock(Callback):
    """CPU time of each training step, from the first callback to the last (two instances:
    one that runs first and starts the clock, one that runs last and stops it)."""

    def __init__(self, order: int, times: dict[int, float]):
        self.order, self.times = order, times

    def on_step_start(self, trainer, step_info) -> None:
        if self.order < 0:
            self.times[step_info["step"]] = -time.thread_time()

    def on_step_end(self, trainer, step_info) -> None:
        if self.order > 0:
            self.times[step_info["step"]] += time.thread_time()


def fit_seconds(graph: Graph, bundle, epochs: int, batch_size: int, inspect: bool):
    times: dict[int, float] = {}
    callbacks = [InspectionCallback(every=EVERY)] if inspect else []
    if inspect:
        callbacks += [StepClock(-1000, times), StepClock(1000, times)]
    trainer = Trainer(
        graph, bundle, lr=1e-3, epochs=epochs, batch_size=batch_size, device="cpu",
        seed=SEED, callbacks=callbacks,
    )  # fmt: skip
    start, cpu = time.perf_counter(), time.thread_time()
    trainer.fit()
    seconds = (time.perf_counter() - start, time.thread_time() - cpu)
    captures = len(callbacks[0].reports) if callbacks else 0
    return seconds, captures, trainer.step, times


def run_case(graph: Graph, bundle, epochs: int, batch_size: int) -> dict:
    fit_seconds(graph, bundle, 1, batch_size, True)  # warm-up: first calls allocate and import
    times: dict[str, dict[str, list[float]]] = {
        v: {"wall": [], "cpu": []} for v in ("plain", "inspected")
    }
    captures = steps = 0
    capture_steps: list[float] = []
    plain_steps: list[float] = []
    for round_ in range(ROUNDS):
        order = [False, True] if round_ % 2 == 0 else [True, False]
        for inspect in order:
            (wall, cpu), found, steps, per_step = fit_seconds(
                graph, bundle, epochs, batch_size, inspect
            )
            for step, seconds in per_step.items():
                due = step == 1 or step % EVERY == 0
                (capture_steps if due else plain_steps).append(seconds)
            name = "inspected" if inspect else "plain"
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
            captures = max(captures, found)

    def ratio(kind: str) -> float:
        pairs = zip(times["inspected"][kind], times["plain"][kind], strict=True)
        return statistics.median(i / p for i, p in pairs)

    step_ms = statistics.median(plain_steps) * 1e3
    capture_ms = statistics.median(capture_steps) * 1e3 - step_ms
    return {
        "epochs": epochs, "batch_size": batch_size, "steps": steps, "captures": captures,
        "median_seconds": {
            name: {kind: statistics.median(ts) for kind, ts in values.items()}
            for name, values in times.items()
        },
        "ratio_cpu": ratio("cpu"), "ratio_wall": ratio("wall"),
        "step_ms": step_ms, "capture_ms": capture_ms,
        "capture_in_steps": capture_ms / step_ms if step_ms else None,
        "step_ratio": 1 + captures * capture_ms / (steps * step_ms),
    }  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)  # small models: threads add contention, not speed, on 2 cores
    cases = {
        "small CNN, digits 8x8": (small_cnn(), datasets.load("digits"), 8, 32),
        "LeNet-5, 28x28": (examples.load("lenet5"), random_images(), 6, 32),
    }
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'case':<24}{'steps':>6}{'caps':>5}{'step ms':>9}{'capture ms':>11}"
          f"{'step ratio':>11}{'cpu ratio':>10}{'wall ratio':>11}")  # fmt: skip
    results = {}
    for case, (graph, bundle, epochs, batch_size) in cases.items():
        r = run_case(graph, bundle, epochs, batch_size)
        r["within_target"] = r["step_ratio"] <= TARGET
        results[case] = r
        print(
            f"{case:<24}{r['steps']:>6}{r['captures']:>5}{r['step_ms']:>9.2f}"
            f"{r['capture_ms']:>11.2f}{r['step_ratio']:>11.3f}{r['ratio_cpu']:>10.3f}"
            f"{r['ratio_wall']:>11.3f}"
            f"  {'OK' if r['within_target'] else 'OVER'} (target <= {TARGET})"
        )
    meta = {"torch": torch.__version__, "threads": 1, "rounds": ROUNDS, "every": EVERY,
            "machine": platform.machine(), "cpus": os.cpu_count()}  # fmt: skip
    out = Path(__file__).resolve().parent / "results" / "inspect.json"
    out.parent.mkdir(exist_ok=True)
    # Atomic write: a temporary file in the same folder, then one rename.
    with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(json.dumps({"meta": meta, "cases": results}, indent=1) + "\n")
    os.replace(tmp.name, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
