"""What one capture saw, on the host: per-layer output, gradient and weight statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dlstudio.inspect.stats import TensorStats


@dataclass
class ParamReport:
    """One parameter of a layer (``"weight"``, ``"bias"``...): its values, gradient and update.

    ``update_ratio`` is ``‖w_after − w_before‖ / ‖w_before‖`` over one optimizer step (None
    outside training); about 1e-3 is healthy.
    """

    name: str
    weight: TensorStats
    grad: TensorStats | None = None
    update_ratio: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "weight": self.weight.to_dict(),
            "grad": self.grad.to_dict() if self.grad else None,
            "update_ratio": self.update_ratio,
        }


@dataclass
class LayerReport:
    """One layer (a module of the model, by its qualified name) in one capture.

    ``dead_fraction`` is set for ReLU layers (units that never fired on the batch),
    ``saturation`` for sigmoid/tanh layers (outputs in the flat 1% tails).
    """

    name: str
    type: str
    output: TensorStats | None = None
    grad: TensorStats | None = None
    dead_fraction: float | None = None
    saturation: float | None = None
    params: dict[str, ParamReport] = field(default_factory=dict)
    frozen: bool = False
    """Frozen on purpose: no gradients and kept in evaluation mode while the model trains (as
    dlstudio's code does for frozen nodes), so its weights are not meant to move."""
    frozen_statistics_move: bool = False
    """A BatchNorm whose weights are frozen but which runs in training mode, so its running
    statistics move with every batch (the classic fine-tuning trap)."""

    @property
    def weight_grad_norm(self) -> float | None:
        """Norm of all this layer's parameter gradients together (None without gradients)."""
        norms = [p.grad.norm for p in self.params.values() if p.grad is not None]
        return math.sqrt(sum(n * n for n in norms)) if norms else None

    @property
    def weight_norm(self) -> float | None:
        norms = [p.weight.norm for p in self.params.values()]
        return math.sqrt(sum(n * n for n in norms)) if norms else None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready numbers (histograms left out)."""
        return {
            "name": self.name,
            "type": self.type,
            "output": self.output.to_dict() if self.output else None,
            "grad": self.grad.to_dict() if self.grad else None,
            "dead_fraction": self.dead_fraction,
            "saturation": self.saturation,
            "params": {k: p.to_dict() for k, p in self.params.items()},
            "frozen": self.frozen,
            "frozen_statistics_move": self.frozen_statistics_move,
        }


@dataclass
class Report:
    """Everything one capture saw. ``layers`` is in forward execution order (layers that did
    not run, but own parameters, come last); ``backward_order`` lists the layers whose output
    gradient arrived, in the order it arrived.

    Example:
        >>> report = capture_batch(model, x, y)  # doctest: +SKIP
        >>> report.layers["fc1"].output.std  # doctest: +SKIP
        0.83
    """

    step: int | None
    layers: dict[str, LayerReport]
    backward_order: list[str] = field(default_factory=list)
    loss: float | None = None

    def first_nonfinite(self) -> tuple[str, str] | None:
        """``(layer, where)`` of the first NaN/Inf: ``where`` is ``"output"`` (forward order),
        ``"gradient"`` (backward order), ``"weights"`` or ``"weight gradient"``; None if clean.
        """
        for layer in self.layers.values():
            if layer.output is not None and not layer.output.finite:
                return layer.name, "output"
        for name in self.backward_order:
            grad = self.layers[name].grad
            if grad is not None and not grad.finite:
                return name, "gradient"
        for layer in self.layers.values():
            for param in layer.params.values():
                if not param.weight.finite:
                    return layer.name, "weights"
        for layer in self.layers.values():
            for param in layer.params.values():
                if param.grad is not None and not param.grad.finite:
                    return layer.name, "weight gradient"
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "loss": self.loss,
            "layers": [layer.to_dict() for layer in self.layers.values()],
            "backward_order": list(self.backward_order),
        }
