"""The Playground's pictures while it trains, against the same training with no page.

"page" is the real ``Playground`` widget playing: its training thread steps epoch after epoch
while its drawing thread (a Batcher, at most every ``DRAW_INTERVAL`` s) takes a snapshot, runs
the 100 x 100 grid through a module of its own, and sets the traits (maps, big map, network,
losses; serialised as for the page; outside a kernel the comm is a no-op, so the socket is not
measured). "none" is a bare ``PlaygroundRun`` stepping the same epochs on a thread with the same
thread settings. Both run interleaved, round after round, so background load hits them alike.

Measures: the median over rounds of page/none in wall time for the same epochs, and the direct
one background load hardly moves: the drawing thread's CPU time over the training thread's
(target: at most 5 %, the live plots' budget), with frames per second.

    python benchmarks/bench_playground.py   # prints a table, writes benchmarks/results/playground.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from dlstudio.playground import PlaygroundRun, PlaygroundSettings
from dlstudio.ui.live import _responsive
from dlstudio.ui.playground import Playground

ROUNDS = int(os.environ.get("ROUNDS", 7))
EPOCHS = 300
TARGET = 0.05
CASES = {
    "circle, 4-2 tanh (defaults)": PlaygroundSettings(seed="1"),
    "spiral, 6 features, 8-8-8-8 relu": PlaygroundSettings(
        dataset="spiral", seed="1", networkShape=[8, 8, 8, 8], activation="relu",
        xSquared=True, ySquared=True, sinX=True, sinY=True, learningRate=0.01,
    ),
}  # fmt: skip


def bare(settings: PlaygroundSettings) -> dict[str, float]:
    """EPOCHS epochs of a PlaygroundRun on a thread, no widget."""
    run = PlaygroundRun(settings)
    out: dict[str, float] = {}

    def train() -> None:
        _responsive.enter()
        try:
            start_cpu, start = time.thread_time(), time.perf_counter()
            run.step(EPOCHS)
            out["wall"], out["train_cpu"] = (
                time.perf_counter() - start,
                time.thread_time() - start_cpu,
            )
        finally:
            _responsive.leave()

    thread = threading.Thread(target=train)
    thread.start()
    thread.join()
    return out


def with_page(settings: PlaygroundSettings) -> dict[str, float]:
    """EPOCHS epochs of the Playground widget playing (its training and drawing threads)."""
    playground = Playground(settings)
    draw_cpu, frames = [0.0], [0]
    draw = playground._draw

    def timed_draw() -> None:
        start = time.thread_time()
        draw()
        if threading.current_thread() is not threading.main_thread():
            draw_cpu[0] += time.thread_time() - start
            frames[0] += 1

    playground._batcher._flush = timed_draw
    train = playground._train
    train_cpu = [0.0]

    def timed_train() -> None:
        start = time.thread_time()
        train()
        train_cpu[0] = time.thread_time() - start

    playground._train = timed_train  # type: ignore[method-assign]
    start = time.perf_counter()
    playground.play()
    while playground.run.epoch < EPOCHS:
        time.sleep(0.002)
    wall = time.perf_counter() - start
    playground.pause()
    playground._batcher.drain()
    playground.close()
    return {"wall": wall, "train_cpu": train_cpu[0], "draw_cpu": draw_cpu[0], "frames": frames[0]}


def case(settings: PlaygroundSettings) -> dict[str, Any]:
    with_page(settings)  # warm-up: imports, the first module builds
    walls, shares, fps = [], [], []
    for _ in range(ROUNDS):
        none, page = bare(settings), with_page(settings)
        walls.append(page["wall"] / none["wall"])
        shares.append(page["draw_cpu"] / page["train_cpu"])
        fps.append(page["frames"] / page["wall"])
        epochs_per_s = EPOCHS / none["wall"]
    return {
        "epochs_per_s_none": round(epochs_per_s, 1),
        "wall_ratio_median": round(statistics.median(walls), 3),
        "wall_ratios": [round(w, 3) for w in walls],
        "draw_cpu_share_median": round(statistics.median(shares), 4),
        "frames_per_s_median": round(statistics.median(fps), 1),
        "within_target": statistics.median(shares) <= TARGET,
    }


def main() -> None:
    warnings.simplefilter("ignore", RuntimeWarning)  # the front-end bundle is not needed here
    results = {name: case(settings) for name, settings in CASES.items()}
    print(f"{'case':36} {'epochs/s':>9} {'page/none wall':>15} {'draw CPU share':>15} {'fps':>6}")
    for name, r in results.items():
        print(
            f"{name:36} {r['epochs_per_s_none']:9.1f} {r['wall_ratio_median']:15.3f} "
            f"{r['draw_cpu_share_median']:15.2%} {r['frames_per_s_median']:6.1f}"
        )
    out = Path(__file__).resolve().parent / "results" / "playground.json"
    out.parent.mkdir(exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "epochs": EPOCHS,
        "rounds": ROUNDS,
    }
    out.write_text(json.dumps({"meta": meta, "cases": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
