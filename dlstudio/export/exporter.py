"""``export(source, path, format)``: write a model in a format, read it back with the format's
own runtime, measure it against the eager model, and keep the folder only if it agrees.

Every export folder holds the model file, ``predict.py``, ``README.md`` and ``export.json`` (the
report, written last). The folder is filled in a staging folder and moved into place in one
step, so a failed export leaves nothing behind.

Example:
    >>> import tempfile
    >>> from dlstudio.graph import examples
    >>> report = export(examples.load("mlp"), tempfile.mkdtemp() + "/onnx", "onnx")
    >>> report.max_abs_diff < 1e-4, report.details["opset"] >= 18
    (True, True)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from dlstudio.export import folder_files, measure
from dlstudio.export.formats import (
    Written,
    onnx_format,
    pruned,
    pt2,
    python_code,
    quantized,
    scripts,
    torchscript,
)
from dlstudio.export.report import REPORT_FILE, ExportReport
from dlstudio.export.source import Exportable, ExportError, resolve
from dlstudio.train.state_files import write_folder_atomically

_NOT_THE_MODEL = {REPORT_FILE, "README.md", "predict.py"}  # the size counts the model's files
_RELATIVE_TOLERANCE = 1e-4  # float32 kernels of two runtimes round differently, no more


@dataclass(frozen=True)
class Format:
    """One export format: how it writes, reads back and (quantized, pruned) transforms."""

    name: str
    description: str
    write: Callable[..., Written]
    runtime: str
    load: Callable[[Path, Exportable], Any] | None = None
    transform: Callable[..., tuple[nn.Module, dict[str, Any], list[str]]] | None = None
    predict: Callable[[Path], tuple[list[str], str]] | None = None


def _format(name: str, module: Any, description: str) -> Format:
    plain = (getattr(module, "IMPORTS", []), getattr(module, "PREDICT", ""))
    return Format(
        name,
        description,
        module.write,
        module.RUNTIME,
        load=module.load,
        transform=getattr(module, "transform", None),
        predict=getattr(module, "predict_source", lambda _folder: plain),
    )


FORMATS: dict[str, Format] = {
    "python": _format("python", python_code, "the model's PyTorch code and safetensors weights"),
    "script": Format(
        "script", "a training script that needs only torch", scripts.write_script, scripts.RUNTIME
    ),
    "torchscript": _format("torchscript", torchscript, "TorchScript (scripted or traced)"),
    "pt2": _format("pt2", pt2, "torch.export program with a free batch size"),
    "onnx": _format("onnx", onnx_format, "ONNX, run in ONNX Runtime"),
    "quantized": _format("quantized", quantized, "int8 (torchao), dynamic or static"),
    "pruned": _format("pruned", pruned, "magnitude-pruned weights"),
    "ddp": Format(
        "ddp", "a torchrun script (DistributedDataParallel)", scripts.write_ddp, scripts.RUNTIME
    ),
}
"""Every format ``export`` writes, by name."""


def _register_executorch() -> None:
    from dlstudio.export.formats import executorch_format

    FORMATS["executorch"] = _format(
        "executorch", executorch_format, "ExecuTorch .pte for phones and edge devices"
    )


_register_executorch()


def export(
    source: Any,
    path: str | os.PathLike[str],
    format: str,
    *,
    example_input: Tensor | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> ExportReport:
    """Write ``source`` (a Graph, a Trainer, a Studio session folder, or an nn.Module with
    ``example_input``) into the folder ``path`` in ``format``; returns the measured report.

    ``options`` go to the format: ``opset`` (onnx), ``mode`` (quantized: auto, dynamic,
    static), ``sparsity`` (pruned), ``fsdp`` (ddp). Raises ExportError, naming the layer when
    one is at fault, and leaves no file behind.
    """
    chosen = _chosen(format)
    item = (
        source
        if isinstance(source, Exportable)
        else resolve(source, example_input, data_dir=data_dir)
    )
    reports: list[ExportReport] = []

    def fill(staging: Path) -> None:
        written = chosen.write(item, staging, **options)
        report = _checked(chosen, staging, item, written, options)
        _describe(chosen, staging, item, report, written)
        report.save(staging)
        reports.append(report)

    folder = write_folder_atomically(
        Path(path).expanduser(),
        fill,
        manifest=REPORT_FILE,
        not_ours="already holds other files; choose an empty or new folder for the export.",
    )
    report = reports[0]
    report.folder, report.file = folder, folder / report.file.name
    return report


def verify(
    path: str | os.PathLike[str],
    source: Any,
    *,
    example_input: Tensor | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> ExportReport:
    """Check an export folder again against ``source``: raises ExportError when its file no
    longer computes what the model computes (a weight changed, a file swapped)."""
    folder = Path(path).expanduser().resolve()
    saved = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    chosen = _chosen(saved["format"])
    item = (
        source
        if isinstance(source, Exportable)
        else resolve(source, example_input, data_dir=data_dir)
    )
    options = saved.get("options", {})
    intended, details, notes = (
        chosen.transform(item, **options) if chosen.transform else (None, {}, [])
    )
    written = Written(saved["file"], intended=intended, details=details, notes=notes)
    return _checked(chosen, folder, item, written, options)


def _chosen(format: str) -> Format:
    if format not in FORMATS:
        raise ExportError(
            f"There is no export format {format!r}; choose one of {', '.join(FORMATS)}."
        )
    return FORMATS[format]


def _checked(
    chosen: Format, folder: Path, item: Exportable, written: Written, options: dict[str, Any]
) -> ExportReport:
    """Read the file back, hold it to what it must compute, and measure it."""
    files = [p for p in folder.iterdir() if p.is_file() and p.name not in _NOT_THE_MODEL]
    report = ExportReport(
        chosen.name,
        folder,
        folder / written.file,
        sum(p.stat().st_size for p in files),
        details=dict(written.details),
        notes=list(written.notes),
        options=dict(options),
    )
    if not written.measured or chosen.load is None:
        return report
    run = chosen.load(folder, item)
    inputs = item.inputs if item.inputs is not None else item.example
    with torch.no_grad():  # each runner once: the file, the model, what the file was made from
        output, eager = run(inputs).float(), item.model(inputs).float()
        intended = eager if written.intended is None else written.intended(inputs).float()
    drift = measure.largest_difference(output, intended)
    allowed = _RELATIVE_TOLERANCE * (1.0 + float(intended.abs().max()))
    if not drift <= allowed:
        raise ExportError(
            f"The {chosen.name} file does not compute what the model computes: its outputs "
            f"differ by up to {drift:.3g} on the validation samples (allowed {allowed:.1g}), "
            "so it is not kept. Export again; if it persists, please report it."
        )
    report.max_abs_diff = measure.largest_difference(output, eager)
    if item.targets is not None and item.task == "classification":
        report.accuracy_before = measure.accuracy(eager, item.targets)
        report.accuracy_after = measure.accuracy(output, item.targets)
    for size in measure.LATENCY_BATCHES:
        batch = measure.batch_of(inputs, size)
        report.latency_ms[size] = measure.median_latency_ms(run, batch)
        report.eager_latency_ms[size] = measure.median_latency_ms(item.model, batch)
    return report


def _describe(
    chosen: Format, folder: Path, item: Exportable, report: ExportReport, written: Written
) -> None:
    title = "The model" + ("" if item.trained or item.graph is None else " (untrained)")
    (folder / "README.md").write_text(
        folder_files.readme(report, chosen.runtime, title, written.details), encoding="utf-8"
    )
    if chosen.predict is None:
        return
    imports, run_source = chosen.predict(folder)
    dtype = "long" if item.example.dtype == torch.long else "float"
    source = folder_files.predict_script(
        imports, run_source, tuple(item.example.shape[1:]), dtype, item.classes or None
    )
    (folder / "predict.py").write_text(source, encoding="utf-8")
