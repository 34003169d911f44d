"""How long the editor waits after each edit: validate + infer_shapes + to_code, 10 to 2,000 nodes.

Baseline in the same run: inferring the same shapes by running the built module on the ``meta``
device (what a tool without shape rules has to do). Target: a 1,000-node graph well under 100 ms.

    python benchmarks/bench_graph.py            # prints a table, writes benchmarks/results/graph.json
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import torch

from dlstudio import Graph

SIZES = (10, 100, 500, 1000, 2000)
REPEATS = 7


def residual_graph(n_nodes: int) -> Graph:
    """A chain of conv/BN/ReLU blocks with a residual Add every fourth node."""
    graph = Graph()
    x = graph.add("Input", shape=[16, 16, 16])
    shortcut = x
    while len(graph.nodes) < n_nodes - 1:
        step = len(graph.nodes) % 4
        if step == 0:
            x = graph.add("Conv2d", after=x, out_channels=16, kernel_size=3, padding=1)
        elif step == 1:
            x = graph.add("BatchNorm2d", after=x)
        elif step == 2:
            add = graph.add("Add")
            graph.connect(x, add, 0)
            graph.connect(shortcut, add, 1)
            x = add
        else:
            x = shortcut = graph.add("ReLU", after=x)
    graph.add("Output", after=x)
    return graph


def time_it(action, repeats: int = REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def edit_round(graph: Graph) -> None:
    """One edit as the editor makes it: change a parameter, then ask for everything again."""
    node = graph.nodes[1]  # a BatchNorm2d
    node.params["eps"] = 1e-4 if node.params.get("eps") == 1e-5 else 1e-5
    graph.validate()
    graph.infer_shapes()
    graph.to_code()


def meta_inference(model: torch.nn.Module) -> None:
    with torch.device("meta"):
        model(torch.empty(2, 16, 16, 16))


def main() -> None:
    rows = []
    for size in SIZES:
        graph = residual_graph(size)
        ours = time_it(lambda graph=graph: edit_round(graph))
        model = graph.build().to("meta")
        meta = time_it(lambda model=model: meta_inference(model), repeats=3)
        rows.append(
            {
                "nodes": size,
                "edit_ms": round(ours, 2),
                "meta_forward_ms": round(meta, 2),
                "speedup_vs_meta": round(meta / ours, 1),
            }
        )
        print(
            f"{size:>6} nodes: validate+infer+code {ours:8.2f} ms | meta forward {meta:8.2f} ms"
            f" | rules {meta / ours:5.1f}x faster"
        )
    out = Path(__file__).parent / "results" / "graph.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
