"""Exported models against the eager PyTorch model, and two training processes against one.

- ONNX Runtime: median latency per batch of 1 and of 64, as a ratio to eager PyTorch, for the
  digits CNN (LeNet-5 on 8x8 digits) and torchvision's resnet18 (3x224x224).
- int8: file size, latency and validation accuracy before and after, for the digits
  CNN (static) and an MLP (dynamic), both trained for a few epochs.
- DDP: the exported ``train_ddp.py`` under torchrun with 2 processes against 1 on the CPU,
  training samples per second (reported, not a target: this machine has 2 cores).

    python benchmarks/bench_export.py     # prints a table, writes benchmarks/results/export.json
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torchvision

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dlstudio import Trainer  # noqa: E402
from dlstudio.export import ExportReport, export  # noqa: E402
from dlstudio.export.ddp import ddp_script  # noqa: E402
from dlstudio.graph import examples  # noqa: E402
from dlstudio.graph.adapt import fit_to_data  # noqa: E402
from dlstudio.session import DataSpec  # noqa: E402
from dlstudio.train.settings import TrainingSettings  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "export.json"
DIGITS = DataSpec("builtin", "digits")


def trained(template: str, epochs: int = 5) -> Trainer:
    bundle = DIGITS.load()
    graph = fit_to_data(examples.load(template), tuple(bundle.input_shape), bundle.output_size)
    trainer = Trainer(graph, bundle, epochs=epochs, device="cpu")
    trainer.fit()
    return trainer


def latency_row(name: str, report: ExportReport) -> dict:
    return {
        "model": name,
        "format": report.format,
        "batch_1_ms": round(report.latency_ms[1], 3),
        "batch_1_eager_ms": round(report.eager_latency_ms[1], 3),
        "batch_1_ratio": round(report.latency_ratio(1) or 0, 3),
        "batch_64_ms": round(report.latency_ms[64], 3),
        "batch_64_eager_ms": round(report.eager_latency_ms[64], 3),
        "batch_64_ratio": round(report.latency_ratio(64) or 0, 3),
    }


def int8_row(name: str, float_report: ExportReport, report: ExportReport) -> dict:
    return {
        **latency_row(name, report),
        "float_file_bytes": float_report.size_bytes,
        "int8_file_bytes": report.size_bytes,
        "size_ratio": round(report.size_bytes / float_report.size_bytes, 3),
        "accuracy_before": report.accuracy_before,
        "accuracy_after": report.accuracy_after,
        "quantization": report.details["quantization"],
    }


def ddp_samples_per_second(processes: int, folder: Path) -> float:
    bundle = DIGITS.load()
    graph = fit_to_data(examples.load("mlp"), tuple(bundle.input_shape), bundle.output_size)
    settings = TrainingSettings(epochs=5, batch_size=64)
    folder.mkdir()
    (folder / "train_ddp.py").write_text(ddp_script(graph, DIGITS, settings), encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={processes}", "train_ddp.py"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    return len(bundle.train) * settings.epochs / seconds


def main() -> None:
    torch.set_num_threads(2)
    work = Path(tempfile.mkdtemp())
    cnn, mlp = trained("lenet5"), trained("mlp")
    resnet = torchvision.models.resnet18().eval()
    onnx_rows = [
        latency_row("digits CNN", export(cnn, work / "cnn-onnx", "onnx")),
        latency_row(
            "resnet18 224x224",
            export(resnet, work / "resnet-onnx", "onnx", example_input=torch.randn(1, 3, 224, 224)),
        ),
    ]
    int8_rows = [
        int8_row(
            name, export(t, work / f"{name}-ts", "torchscript"), export(t, work / name, "quantized")
        )
        for name, t in (("digits CNN", cnn), ("digits MLP", mlp))
    ]
    one, two = (ddp_samples_per_second(n, work / f"ddp-{n}") for n in (1, 2))
    ddp = {"processes_1_samples_per_s": round(one), "processes_2_samples_per_s": round(two),
           "ratio_2_to_1": round(two / one, 2)}  # fmt: skip

    print(f"{'model':18} {'format':10} {'b1 ms':>8} {'ratio':>6} {'b64 ms':>8} {'ratio':>6}")
    for row in onnx_rows + int8_rows:
        print(
            f"{row['model']:18} {row['format']:10} {row['batch_1_ms']:8.3f} "
            f"{row['batch_1_ratio']:6.2f} {row['batch_64_ms']:8.3f} {row['batch_64_ratio']:6.2f}"
        )
    for row in int8_rows:
        print(
            f"{row['model']}: int8 file {row['size_ratio']:.2f}x the float one, accuracy "
            f"{row['accuracy_before']:.3f} -> {row['accuracy_after']:.3f}"
        )
    print(f"DDP on CPU: 2 processes {ddp['ratio_2_to_1']}x the samples/s of 1")
    result = {
        "benchmark": "exported models vs eager PyTorch; torchrun 2 vs 1 processes",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2-core sandbox",
        "baseline": "eager PyTorch in the same run (ratios below 1: the export is faster)",
        "onnx_runtime": onnx_rows,
        "int8": int8_rows,
        "ddp_cpu": ddp,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
