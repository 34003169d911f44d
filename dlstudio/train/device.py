"""Device choice and mixed precision."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple's MPS, then the CPU.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if str(device) != "auto":
        resolved = torch.device(device)
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' was asked for, but no CUDA GPU is available here.")
        return resolved
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Precision:
    """Mixed precision on CUDA (bfloat16 where supported, else float16 with loss scaling);
    full precision elsewhere.

    Example:
        >>> p = Precision(torch.device("cpu"))
        >>> p.enabled, p.dtype
        (False, None)
    """

    def __init__(self, device: torch.device, enabled: bool | None = None):
        self.enabled = (
            device.type == "cuda" if enabled is None else enabled and device.type == "cuda"
        )
        self.dtype: torch.dtype | None = None
        self.scaler: Any = None
        if self.enabled:
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            if self.dtype == torch.float16:
                self.scaler = torch.amp.GradScaler("cuda")
        # nullcontext is reusable: one shared instance saves an allocation per step.
        no_op = nullcontext()
        self.autocast: Callable[[], AbstractContextManager[Any]] = (
            partial(torch.autocast, device_type="cuda", dtype=self.dtype)
            if self.enabled
            else lambda: no_op
        )
