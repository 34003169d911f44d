"""Importing a model: ``Graph.from_module`` then its shapes and code, for torchvision networks.

Target (issue 11): resnet50 from module to shapes and code in under 1 s. Baselines in the same
run: ``torch.fx.symbolic_trace`` alone (the tracing every importer needs) and one eager forward
pass of the model on a 224x224 image (what running the model once costs).

    python benchmarks/bench_import.py          # prints a table, writes benchmarks/results/import.json
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torchvision

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dlstudio import Graph  # noqa: E402

MODELS = ("resnet18", "resnet50", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16")
REPEATS = 3
RESULTS = REPO / "benchmarks" / "results" / "import.json"


def median_seconds(action) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_round(model: torch.nn.Module, example: torch.Tensor) -> None:
    graph = Graph.from_module(model, example)
    graph.analyze()
    graph.to_code()


def measure(name: str) -> dict:
    model = getattr(torchvision.models, name)().eval()
    example = torch.randn(1, 3, 224, 224)
    graph = Graph.from_module(model, example)  # warm: imports, caches
    imported = median_seconds(lambda: import_round(model, example))
    traced = median_seconds(lambda: torch.fx.symbolic_trace(model))
    with torch.no_grad():
        forward = median_seconds(lambda: model(example))
    return {
        "model": name,
        "nodes": len(graph.nodes) + sum(len(b.nodes) for b in graph.blocks.values()),
        "import_analyze_code_s": round(imported, 3),
        "fx_trace_s": round(traced, 3),
        "eager_forward_s": round(forward, 3),
        "import_vs_forward": round(imported / forward, 2),
    }


def main() -> None:
    torch.set_num_threads(2)
    rows = [measure(name) for name in MODELS]
    print(f"{'model':20} {'nodes':>6} {'import s':>9} {'fx trace s':>11} {'forward s':>10}")
    for row in rows:
        print(
            f"{row['model']:20} {row['nodes']:6} {row['import_analyze_code_s']:9.3f} "
            f"{row['fx_trace_s']:11.3f} {row['eager_forward_s']:10.3f}"
        )
    result = {
        "benchmark": "Graph.from_module + analyze + to_code (torchvision, 224x224 example)",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2-core sandbox",
        "target": "resnet50 under 1 s",
        "models": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
