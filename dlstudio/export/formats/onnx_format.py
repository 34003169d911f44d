"""``onnx``: the ONNX file of ``torch.onnx.export`` (the torch.export-based exporter) with a free
batch axis, checked by ``onnx.checker`` and run in ONNX Runtime."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import torch
from torch import Tensor

from dlstudio.export.failures import export_failure, missing_operator
from dlstudio.export.formats import Written
from dlstudio.export.formats.pt2 import exported
from dlstudio.export.source import Exportable

FILE = "model.onnx"
RUNTIME = "ONNX Runtime (servers, browsers with onnxruntime-web, phones with onnxruntime-mobile)"
IMPORTS = ["import onnxruntime as ort", "import torch"]
PREDICT = """session = ort.InferenceSession(HERE / "model.onnx", providers=["CPUExecutionProvider"])


def run(x):
    (scores,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return torch.from_numpy(scores)"""

_SINGLE_FILE_BYTES = 1_500_000_000  # protobuf's 2 GB limit, with room for the graph itself


def write(item: Exportable, folder: Path, opset: int | None = None) -> Written:
    import onnx

    path = folder / FILE
    weights = sum(t.numel() * t.element_size() for t in item.model.state_dict().values())
    # torch.export first: its failures (control flow on values) name the layer at fault.
    program = exported(item.model, item.example, "ONNX")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints its progress
            torch.onnx.export(
                program,
                (item.example,),
                str(path),
                dynamo=True,
                opset_version=opset,
                external_data=weights > _SINGLE_FILE_BYTES,
                verbose=False,
            )
    except Exception as error:  # noqa: BLE001 - every failure becomes a sentence
        missing = missing_operator(error, program, item.model)
        raise (missing or export_failure(error, item.model, "ONNX")) from None
    onnx.checker.check_model(str(path))
    model = onnx.load(str(path), load_external_data=False)
    used = [entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")]
    return Written(FILE, details={"opset": used[0] if used else None})


def load(folder: Path, _item: Exportable) -> object:
    import onnxruntime as ort

    session = ort.InferenceSession(str(folder / FILE), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x: Tensor) -> Tensor:
        (scores,) = session.run(None, {name: x.numpy()})
        return torch.from_numpy(scores)

    return run
