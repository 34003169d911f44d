"""The two files beside every exported model: ``predict.py`` (load it with its own runtime and
classify) and ``README.md`` (what the folder holds, how it was checked, how to serve it).

Example:
    >>> source = predict_script(["import torch"], "run = print", (4,), "float", None)
    >>> "x = torch.randn(4, 4)" in source
    True
"""

from __future__ import annotations

from typing import Any

from dlstudio.export.report import ExportReport

_MAIN = """

def main():
    if len(sys.argv) > 1:
        x = torch.load(sys.argv[1], weights_only=True)  # a tensor saved with torch.save
    else:
        x = {sample}
    scores = run(x)
    for index in scores.argmax(dim=1).tolist():
        print(CLASSES[index] if CLASSES else index)


if __name__ == "__main__":
    main()
"""

SERVING = {
    "onnx": (
        "Serve it with ONNX Runtime anywhere: `onnxruntime` in a Python web service (FastAPI: "
        "load the session once, call `session.run` per request), `onnxruntime-web` in a browser, "
        "Triton Inference Server's onnxruntime backend, or `onnxruntime-mobile` on phones."
    ),
    "pt2": "Compile it for serving without Python with AOTInductor "
    "(`torch._inductor.aoti_compile_and_package`).",
    "torchscript": 'Load it from C++ with libtorch: `torch::jit::load("model.pt")`.',
    "executorch": "Run it on phones and microcontrollers with the ExecuTorch runtime.",
}


def predict_script(
    imports: list[str],
    run_source: str,
    input_shape: tuple[int, ...],
    dtype: str,
    classes: list[str] | None,
) -> str:
    """``predict.py``: ``run(x)`` from the format, then a ``main`` that classifies a batch."""
    sample = (
        f"torch.randint(0, 2, (4, {', '.join(map(str, input_shape))}))"
        if dtype == "long"
        else f"torch.randn(4, {', '.join(map(str, input_shape))})"
    )
    plain = sorted({line for line in imports if line.startswith("import ")})
    froms = sorted({line for line in imports if line.startswith("from ") and " model " not in line})
    local = [line for line in imports if " model " in line]
    header = [
        '"""Classify inputs with the exported model, without dlstudio.',
        "",
        "    python predict.py            # a random batch",
        "    python predict.py inputs.pt  # a batch saved with torch.save",
        '"""',
        "",
        "import sys",
        "from pathlib import Path",
        "",
        *plain,
        *froms,
        *(["", *local] if local else []),
        "",
        "HERE = Path(__file__).resolve().parent",
        f"CLASSES = {classes!r}",
        "",
    ]
    return "\n".join(header) + "\n" + run_source + _MAIN.format(sample=sample)


def readme(report: ExportReport, runtime: str, title: str, extra: dict[str, Any]) -> str:
    """``README.md`` for the folder: what it holds, how it was checked, how to use it."""
    lines = [
        f"# {title} as {report.format}",
        "",
        f"`{report.file.name}`: loaded by {runtime}.",
        "",
    ]
    if report.format in ("script", "ddp"):
        lines += [f"Run it: `{extra.get('run', '')}`.", ""]
    else:
        lines += [
            "Try it: `python predict.py` (a random batch) or `python predict.py inputs.pt`.",
            "",
            "## How it was checked",
            "",
            "dlstudio read the file back with its runtime and ran it on validation samples:",
            "",
            "| | |",
            "|---|---|",
            *(f"| {what} | {value} |" for what, value in report.rows()),
            "",
        ]
    if report.format in SERVING:
        lines += ["## Serving", "", SERVING[report.format], ""]
    return "\n".join(lines)
