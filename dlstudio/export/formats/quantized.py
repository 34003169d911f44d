"""``quantized``: int8 with torchao, PyTorch's quantization library, saved as a ``torch.export``
program.

- ``dynamic`` (Linear models): int8 weights, activations quantized on the fly per batch
  (``Int8DynamicActivationInt8WeightConfig``). torchao has no int8 LSTM, so LSTMs stay float.
- ``static`` (convolutional models): post-training quantization in the PT2E flow with the x86
  quantizer, calibrated on training batches.

``mode="auto"`` picks static when the model has a convolution. The file holds int8 weights; its
speed on a CPU comes when it is compiled (``torch.compile`` or AOTInductor), so the report's
eager latency may not drop.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlstudio.export.formats import Written, pt2
from dlstudio.export.source import Exportable, ExportError

FILE = pt2.FILE
RUNTIME = "torch.export with torchao's int8 operators (torch.export.load)"
IMPORTS = ["import torch", "import torchao  # noqa: F401 - registers the int8 operators"]
PREDICT = pt2.PREDICT
MODES = ("auto", "dynamic", "static")
_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def transform(item: Exportable, mode: str = "auto") -> tuple[nn.Module, dict[str, Any], list[str]]:
    """The int8 copy of the model, what was done, and notes."""
    if mode not in MODES:
        raise ExportError(f"Quantization mode {mode!r} is not one of {', '.join(MODES)}.")
    has_convolution = any(isinstance(m, _CONVOLUTIONS) for m in item.model.modules())
    if mode == "auto":
        mode = "static" if has_convolution else "dynamic"
    notes = []
    if any(isinstance(m, nn.RNNBase) for m in item.model.modules()):
        notes.append("Recurrent layers (LSTM, GRU) stay float: torchao has no int8 version.")
    if mode == "dynamic":
        model = _dynamic(item.model)
        return model, {"quantization": "dynamic int8 (Linear weights and activations)"}, notes
    batches = item.calibration or [item.example]
    if not item.calibration:
        notes.append("Calibrated on one example batch only: export from a Trainer or session.")
    model = _static(item.model, item.example, batches)
    details = {"quantization": f"static int8, calibrated on {len(batches)} training batch(es)"}
    return model, details, notes


def _dynamic(model: nn.Module) -> nn.Module:
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    quantized = copy.deepcopy(model)
    quantize_(quantized, Int8DynamicActivationInt8WeightConfig())
    return quantized


def _static(model: nn.Module, example: torch.Tensor, batches: list[torch.Tensor]) -> nn.Module:
    import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph_module = pt2.exported(explicit_padding(copy.deepcopy(model)), example, "int8").module()
    quantizer = x86.X86InductorQuantizer().set_global(
        x86.get_default_x86_inductor_quantization_config()
    )
    prepared = prepare_pt2e(graph_module, quantizer)  # type: ignore[arg-type]
    with torch.no_grad():
        for batch in batches:
            prepared(batch)
    return convert_pt2e(prepared)


def explicit_padding(model: nn.Module) -> nn.Module:
    """Give convolutions with ``padding="same"`` the numbers it stands for (the quantizer
    matches only the plain convolution operator); returns ``model``."""
    for module in model.modules():
        if isinstance(module, _CONVOLUTIONS) and module.padding == "same":
            totals = [d * (k - 1) for d, k in zip(module.dilation, module.kernel_size, strict=True)]
            if all(total % 2 == 0 for total in totals):
                module.padding = tuple(total // 2 for total in totals)
    return model


def write(item: Exportable, folder: Path, mode: str = "auto") -> Written:
    model, details, notes = transform(item, mode)
    torch.export.save(pt2.exported(model, item.example, "int8"), str(folder / FILE))
    return Written(FILE, intended=model, details=details, notes=notes)


load = pt2.load
