"""``pruned``: magnitude pruning of the Linear and convolution weights to a chosen sparsity
(the smallest weights of the whole model set to zero, ``torch.nn.utils.prune``), made
permanent. Written as ``model.py`` + safetensors when the model has a graph, else as a
``torch.export`` program. The file keeps dense tensors; the report gives its gzip size, which
is where the zeros pay off."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune

from dlstudio.export.formats import Written, pt2, python_code
from dlstudio.export.source import Exportable, ExportError

FILE = python_code.FILE
RUNTIME = "PyTorch: the generated module with its pruned weights (or torch.export.load)"
_PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def transform(
    item: Exportable, sparsity: float = 0.5
) -> tuple[nn.Module, dict[str, Any], list[str]]:
    """The pruned copy of the model, what was done, and notes."""
    if not 0.0 < float(sparsity) < 1.0:
        raise ExportError(
            f"Sparsity must be between 0 and 1 (the share of weights set to 0), not {sparsity}."
        )
    model = copy.deepcopy(item.model)
    targets = [(m, "weight") for m in model.modules() if isinstance(m, _PRUNABLE)]
    if not targets:
        raise ExportError("The model has no Linear or convolution layer to prune.")
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=float(sparsity))
    for module, name in targets:
        prune.remove(module, name)
    zeros = sum(int((m.weight == 0).sum()) for m, _ in targets)
    total = sum(m.weight.numel() for m, _ in targets)
    return model, {"sparsity": f"{zeros / total:.1%} of the Linear and convolution weights"}, []


def write(item: Exportable, folder: Path, sparsity: float = 0.5) -> Written:
    model, details, notes = transform(item, sparsity)
    if item.graph is not None:
        python_code.write_model_files(item.graph, model, folder)
        file, weights = FILE, folder / python_code.WEIGHTS
    else:
        file, weights = pt2.FILE, folder / pt2.FILE
        torch.export.save(pt2.exported(model, item.example), str(weights))
    details["gzip size"] = f"{len(gzip.compress(weights.read_bytes(), 6)):,} bytes"
    return Written(file, intended=model, details=details, notes=notes)


def load(folder: Path, item: Exportable) -> nn.Module:
    if (folder / python_code.FILE).exists():
        return python_code.load(folder, item)
    return pt2.load(folder, item)


def predict_source(folder: Path) -> tuple[list[str], str]:
    """``predict.py``'s imports and ``run`` for what was written."""
    if (folder / python_code.FILE).exists():
        return python_code.IMPORTS, python_code.PREDICT
    return pt2.IMPORTS, pt2.PREDICT
