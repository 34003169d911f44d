"""``executorch``: a ``.pte`` program for phones and edge devices, lowered to XNNPACK, run by
ExecuTorch's own runtime. An optional extra: ``pip install dlstudio[executorch]``.

Devices classify one sample at a time, so the program takes a batch of one; ``run`` feeds a batch
through it sample by sample.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from dlstudio.export.failures import export_failure
from dlstudio.export.formats import Written
from dlstudio.export.source import Exportable, ExportError

FILE = "model.pte"
RUNTIME = "ExecuTorch (Android, iOS, microcontrollers); here its Python runtime"
IMPORTS = ["import torch", "from executorch.runtime import Runtime"]
PREDICT = """method = Runtime.get().load_program(HERE / "model.pte").load_method("forward")


def run(x):
    return torch.cat([method.execute([sample[None]])[0] for sample in x])"""


def write(item: Exportable, folder: Path) -> Written:
    try:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower
    except ImportError:
        raise ExportError(
            "The executorch format needs ExecuTorch: pip install executorch "
            "(or pip install dlstudio[executorch])."
        ) from None
    try:
        program = torch.export.export(item.model, (item.example[:1],))
        lowered = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()])
        buffer = lowered.to_executorch().buffer
    except Exception as error:  # noqa: BLE001 - every failure becomes a sentence
        raise export_failure(error, item.model, "ExecuTorch") from None
    (folder / FILE).write_bytes(buffer)
    return Written(FILE, details={"backend": "XNNPACK", "batch": "one sample per call"})


def load(folder: Path, _item: Exportable) -> object:
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(str(folder / FILE)).load_method("forward")

    def run(x: Tensor) -> Tensor:
        return torch.cat([method.execute([sample[None]])[0] for sample in x])

    return run
