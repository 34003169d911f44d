"""Why a model could not be written in a format, as one sentence that names the layer.

The layer is found by walking the exception's traceback for the innermost frame that runs a
submodule of the model (its ``forward``), so the sentence says ``features.3`` rather than an
operator deep inside the exporter.

Example:
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    >>> try:
    ...     model(torch.zeros(1, 3))
    ... except RuntimeError as error:
    ...     print(failing_layer(error, model))
    0
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from torch import nn

from dlstudio.export.source import ExportError

_MISSING_OPERATOR = re.compile(r"No ONNX function found for <OpOverload\(op='([\w.]+)'")
_DATA_DEPENDENT = ("data-dependent", "data dependent", "GuardOnDataDependentSymNode")


def failing_layer(error: BaseException, model: nn.Module) -> str | None:
    """The qualified name of the innermost submodule running when ``error`` was raised."""
    names = {id(module): name for name, module in model.named_modules() if name}
    found = None
    for cause in _chain(error):
        for frame, _line in traceback.walk_tb(cause.__traceback__):
            owner = frame.f_locals.get("self")
            if id(owner) in names:
                found = names[id(owner)]
    return found


def _chain(error: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def export_failure(error: BaseException, model: nn.Module, what: str) -> ExportError:
    """An ExportError for ``error`` raised while writing ``model`` as ``what`` (e.g. "ONNX")."""
    layer = failing_layer(error, model)
    where = f"layer {layer}" if layer else "the model"
    first = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    text = " ".join(str(cause) for cause in _chain(error))
    if any(marker in text for marker in _DATA_DEPENDENT):
        return ExportError(
            f"Cannot write {what}: {where} decides what to compute from the values in its "
            "input (data-dependent control flow), which a file of fixed operations cannot hold. "
            "Compute both branches and pick with torch.where, or export it as TorchScript, which "
            "keeps Python's if."
        )
    return ExportError(
        f"Cannot write {what}: {where} uses something the format cannot hold ({first[:200]}). "
        "Replace that layer, or choose another format (TorchScript keeps the most)."
    )


def missing_operator(error: BaseException, program: Any, model: nn.Module) -> ExportError | None:
    """The sentence for an operator ONNX has no function for, naming the layer that calls it
    (read from the exported program's module stack), or None for other failures."""
    text = " ".join(str(cause) for cause in _chain(error))
    found = _MISSING_OPERATOR.search(text)
    if found is None:
        return None
    operator = found.group(1)
    name = operator.rsplit(".", 1)[-1].lstrip("_")  # the exporter's decompositions add a "_"
    layer = None
    for node in program.graph.nodes:
        stack = node.meta.get("nn_module_stack") or {}
        if name in str(node.target) and stack:
            layer = list(stack.values())[-1][0]
    where = f"layer {layer} ({type(model.get_submodule(layer)).__name__})" if layer else "the model"
    return ExportError(
        f"Cannot write ONNX: {where} uses {name}, which ONNX has no "
        "operator for. Replace it with operations ONNX has, or choose pt2 or TorchScript."
    )
