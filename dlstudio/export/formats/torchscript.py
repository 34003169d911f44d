"""``torchscript``: ``torch.jit.script`` where the model compiles, ``torch.jit.trace`` otherwise
(the report says which: a traced model keeps the branches the example batch took)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from dlstudio.export.failures import export_failure
from dlstudio.export.formats import Written, module_predict
from dlstudio.export.source import Exportable

FILE = "model.pt"
RUNTIME = "TorchScript: torch.jit.load, also from C++ (libtorch)"
IMPORTS = ["import torch"]
PREDICT = module_predict('model = torch.jit.load(HERE / "model.pt").eval()')


def write(item: Exportable, folder: Path) -> Written:
    notes = []
    with warnings.catch_warnings():
        # torch.jit is deprecated in favour of torch.export (the pt2 format), yet it is still
        # what libtorch and many servers load.
        warnings.simplefilter("ignore", FutureWarning)
        try:
            program = torch.jit.script(item.model)
            method = "scripted"
        except Exception as error:  # noqa: BLE001 - any compile failure falls back to tracing
            first = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
            notes.append(
                f"torch.jit.script could not compile it ({first}); traced on an example batch, "
                "so any branch on tensor values is fixed at the one the example took."
            )
            try:
                program = torch.jit.trace(item.model, item.example)
            except Exception as failure:  # noqa: BLE001
                raise export_failure(failure, item.model, "TorchScript") from None
            method = "traced"
        torch.jit.save(program, str(folder / FILE))
    return Written(FILE, details={"method": method}, notes=notes)


def load(folder: Path, _item: Exportable) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # as in write: deprecated, still served
        return torch.jit.load(str(folder / FILE)).eval()
