"""``quantized``: int8 with PyTorch's eager quantization kernels (x86/fbgemm), saved as
TorchScript.

- ``dynamic`` (Linear and LSTM/GRU models): int8 weights, activations quantized per batch
  (``quantize_dynamic``).
- ``static`` (convolutional models): post-training quantization in FX graph mode, calibrated
  on training batches.

``mode="auto"`` picks static when the model has a convolution. Why not torchao, PyTorch's newer
quantization library: on a CPU its int8 runs fast only under ``torch.compile`` (measured here:
15-22x slower than float in eager mode, and a larger file), while these kernels give a smaller
and faster file that any PyTorch loads (benchmarks/bench_export.py). ``torch.ao.quantization``
warns that it is deprecated; when it goes, this format moves to torchao with AOTInductor.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlstudio.export.failures import export_failure
from dlstudio.export.formats import Written, torchscript
from dlstudio.export.source import Exportable, ExportError

FILE = torchscript.FILE
RUNTIME = "TorchScript with PyTorch's int8 kernels (torch.jit.load)"
IMPORTS = torchscript.IMPORTS
PREDICT = torchscript.PREDICT
MODES = ("auto", "dynamic", "static")
_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_DYNAMIC = {nn.Linear, nn.LSTM, nn.GRU}


@contextlib.contextmanager
def _quantization() -> Iterator[str]:
    """The int8 engine of this CPU, set for the duration; torch.ao's deprecation warning kept
    quiet (the module docstring says why it is still the right tool)."""
    engines = torch.backends.quantized.supported_engines
    engine = next(name for name in ("x86", "fbgemm", "qnnpack") if name in engines)
    before = torch.backends.quantized.engine
    torch.backends.quantized.engine = engine
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield engine
    finally:
        torch.backends.quantized.engine = before


def transform(item: Exportable, mode: str = "auto") -> tuple[nn.Module, dict[str, Any], list[str]]:
    """The int8 copy of the model, what was done, and notes."""
    if mode not in MODES:
        raise ExportError(f"Quantization mode {mode!r} is not one of {', '.join(MODES)}.")
    has_convolution = any(isinstance(m, _CONVOLUTIONS) for m in item.model.modules())
    if mode == "auto":
        mode = "static" if has_convolution else "dynamic"
    with _quantization() as engine:
        if mode == "dynamic":
            model = torch.ao.quantization.quantize_dynamic(
                copy.deepcopy(item.model), _DYNAMIC, dtype=torch.qint8
            )
            kinds = sorted({type(m).__name__ for m in item.model.modules() if type(m) in _DYNAMIC})
            what = ", ".join(kinds) or "no"
            return model, {"quantization": f"dynamic int8 ({what} layers, {engine})"}, []
        batches = item.calibration or [item.example]
        notes = [] if item.calibration else ["Calibrated on one example batch: export a Trainer."]
        model = _static(item.model, item.example, batches)
    details = {"quantization": f"static int8, calibrated on {len(batches)} batch(es) ({engine})"}
    return model, details, notes


def _static(model: nn.Module, example: torch.Tensor, batches: list[torch.Tensor]) -> nn.Module:
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    mapping = get_default_qconfig_mapping(torch.backends.quantized.engine)
    try:
        prepared = prepare_fx(explicit_padding(copy.deepcopy(model)), mapping, (example,))
        with torch.no_grad():
            for batch in batches:
                prepared(batch)
        return convert_fx(prepared)
    except Exception as error:  # noqa: BLE001 - every failure becomes a sentence
        raise export_failure(error, model, "int8 (static)") from None


def explicit_padding(model: nn.Module) -> nn.Module:
    """Give convolutions with ``padding="same"`` the numbers it stands for (the int8
    convolution takes numbers only); returns ``model``."""
    for module in model.modules():
        if isinstance(module, _CONVOLUTIONS) and module.padding == "same":
            totals = [d * (k - 1) for d, k in zip(module.dilation, module.kernel_size, strict=True)]
            if all(total % 2 == 0 for total in totals):
                module.padding = tuple(total // 2 for total in totals)
    return model


def write(item: Exportable, folder: Path, mode: str = "auto") -> Written:
    model, details, notes = transform(item, mode)
    with _quantization(), torch.no_grad():
        try:
            program = torch.jit.trace(model, item.example)
        except Exception as error:  # noqa: BLE001
            raise export_failure(error, item.model, "int8 TorchScript") from None
        torch.jit.save(program, str(folder / FILE))
    return Written(FILE, intended=model, details=details, notes=notes)


def load(folder: Path, item: Exportable) -> Any:
    program = torchscript.load(folder, item)

    def run(x: torch.Tensor) -> torch.Tensor:
        with _quantization():
            return program(x)

    return run
