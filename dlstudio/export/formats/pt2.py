"""``pt2``: ``torch.export`` with a free batch dimension, saved with ``torch.export.save``."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from dlstudio.export.failures import export_failure
from dlstudio.export.formats import Written, module_predict
from dlstudio.export.source import Exportable

FILE = "model.pt2"
RUNTIME = "torch.export: torch.export.load, or AOTInductor for serving without Python"
IMPORTS = ["import torch"]
PREDICT = module_predict('model = torch.export.load(HERE / "model.pt2").module()')


def batch_dimension() -> dict[int, torch.export.Dim]:
    """The first dimension of the one input, free from 1 sample up."""
    return {0: torch.export.Dim("batch", min=1)}


def exported(
    model: nn.Module, example: Tensor, what: str = "torch.export"
) -> torch.export.ExportedProgram:
    """``model`` as an ExportedProgram whose batch size may vary; an ExportError says why not."""
    try:
        return torch.export.export(model, (example,), dynamic_shapes=(batch_dimension(),))
    except Exception as error:  # noqa: BLE001 - every failure becomes a sentence
        raise export_failure(error, model, what) from None


def write(item: Exportable, folder: Path) -> Written:
    torch.export.save(exported(item.model, item.example), str(folder / FILE))
    return Written(FILE)


def load(folder: Path, _item: Exportable) -> nn.Module:
    return torch.export.load(str(folder / FILE)).module()
