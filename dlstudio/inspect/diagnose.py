"""Diagnoses in plain words, each pointing at a layer: what a capture says is wrong."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dlstudio.inspect.report import LayerReport, Report

# Thresholds, each a rule of thumb from the literature and practice (Karpathy's "update/weight
# ratio about 1e-3"; Glorot & Bengio 2010 for saturation; a gradient 1e-4 times smaller than
# the largest layer's learns about ten thousand times slower).
DEAD_WARN, DEAD_BAD = 0.25, 0.9
SATURATED_WARN, SATURATED_BAD = 0.3, 0.8
VANISHING_RATIO = 1e-4
EXPLODING_NORM = 1e3
FROZEN_RATIO = 1e-7
HUGE_UPDATE_RATIO = 0.1


@dataclass(frozen=True)
class Diagnosis:
    """One finding: ``kind`` (``"nonfinite"``, ``"dead_relu"``, ``"saturated"``,
    ``"vanishing_gradient"``, ``"exploding_gradient"``, ``"frozen_weights"``,
    ``"large_updates"``, ``"frozen_batchnorm"``), the ``layer`` it points at (qualified module name), ``severity``
    (``"warn"`` or ``"bad"``) and a ``message`` for the learner."""

    kind: str
    layer: str
    severity: str
    message: str
    step: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind, "layer": self.layer, "severity": self.severity,
            "message": self.message, "step": self.step,
        }  # fmt: skip


def _label(layer: LayerReport, names: dict[str, str] | None) -> str:
    node = (names or {}).get(layer.name)
    shown = node if node else layer.name
    return f"'{shown}' ({layer.type})"


def _at(report: Report) -> str:
    return f" at step {report.step}" if report.step is not None else ""


def diagnose(report: Report, node_names: dict[str, str] | None = None) -> list[Diagnosis]:
    """Everything that looks wrong in ``report``, worst first.

    ``node_names`` maps module names to dlstudio node ids, so messages name the node the learner
    drew (``Trainer.node_ids`` or the inverse of ``Graph.module_names()``).

    Example:
        >>> for d in diagnose(report):  # doctest: +SKIP
        ...     print(d.message)
        Layer 'fc1' (Linear): 97% of its ReLU units never fired ...
    """
    found: list[Diagnosis] = []
    found += _nonfinite(report, node_names)
    for layer in report.layers.values():
        found += _activations(report, layer, node_names)
        found += _updates(report, layer, node_names)
        found += _frozen_statistics(report, layer, node_names)
    found += _gradients(report, node_names)
    return sorted(found, key=lambda d: d.severity != "bad")


def _nonfinite(report: Report, names: dict[str, str] | None) -> list[Diagnosis]:
    first = report.first_nonfinite()
    if first is None:
        return []
    layer = report.layers[first[0]]
    text = {
        "output": "produced the first NaN/Inf values of the forward pass",
        "gradient": "received the first NaN/Inf gradient of the backward pass",
        "weights": "holds NaN/Inf weights",
        "weight gradient": "got NaN/Inf weight gradients",
    }[first[1]]
    message = (
        f"Layer {_label(layer, names)} {text}{_at(report)}. Everything after it is poisoned: "
        "lower the learning rate, clip gradients, or check this layer's inputs (a log or a "
        "division of zero, an overflow in half precision)."
    )
    return [Diagnosis("nonfinite", layer.name, "bad", message, report.step)]


def _activations(report: Report, layer: LayerReport, names: dict[str, str] | None):
    if layer.dead_fraction is not None and layer.dead_fraction >= DEAD_WARN:
        severity = "bad" if layer.dead_fraction >= DEAD_BAD else "warn"
        yield Diagnosis(
            "dead_relu", layer.name, severity,
            f"Layer {_label(layer, names)}: {layer.dead_fraction:.0%} of its units never fired "
            f"on the capture batch{_at(report)} (dead ReLUs: they output 0 and pass no gradient "
            "back). Try a lower learning rate, LeakyReLU, or BatchNorm before the ReLU.",
            report.step,
        )  # fmt: skip
    if layer.saturation is not None and layer.saturation >= SATURATED_WARN:
        severity = "bad" if layer.saturation >= SATURATED_BAD else "warn"
        yield Diagnosis(
            "saturated", layer.name, severity,
            f"Layer {_label(layer, names)} is saturated{_at(report)}: {layer.saturation:.0%} of "
            "its outputs sit in the flat ends of the curve, where the gradient is almost 0. "
            "Use ReLU, normalise its inputs (BatchNorm/LayerNorm) or lower the learning rate.",
            report.step,
        )  # fmt: skip


def _updates(report: Report, layer: LayerReport, names: dict[str, str] | None):
    ratios = [p.update_ratio for p in layer.params.values() if p.update_ratio is not None]
    ratios = [r for r in ratios if math.isfinite(r)]
    if not ratios or layer.frozen:  # frozen on purpose: not moving is the point
        return
    if max(ratios) < FROZEN_RATIO:
        yield Diagnosis(
            "frozen_weights", layer.name, "warn",
            f"The weights of layer {_label(layer, names)} do not move{_at(report)}: one step "
            f"changed them by {max(ratios):.1e} of their size (about 1e-3 is healthy). Check "
            "that the layer is trainable and its gradient reaches it; raise the learning rate.",
            report.step,
        )  # fmt: skip
    elif max(ratios) > HUGE_UPDATE_RATIO:
        yield Diagnosis(
            "large_updates", layer.name, "warn",
            f"One step changed the weights of layer {_label(layer, names)} by {max(ratios):.0%} "
            f"of their size{_at(report)} (about 0.1% is healthy): lower the learning rate.",
            report.step,
        )  # fmt: skip


def _frozen_statistics(report: Report, layer: LayerReport, names: dict[str, str] | None):
    if layer.frozen_statistics_move:
        yield Diagnosis(
            "frozen_batchnorm", layer.name, "warn",
            f"Layer {_label(layer, names)} is frozen, but it runs in training mode, so every "
            f"batch moves its running statistics{_at(report)}: the statistics it was trained "
            "with are being lost (the classic fine-tuning trap). Keep it in evaluation mode: "
            "call its .eval() after model.train() (dlstudio's code does this for frozen nodes).",
            report.step,
        )  # fmt: skip


def _gradients(report: Report, names: dict[str, str] | None) -> Iterable[Diagnosis]:
    norms = {
        name: layer.weight_grad_norm
        for name, layer in report.layers.items()
        if layer.weight_grad_norm is not None and math.isfinite(layer.weight_grad_norm)
    }
    if not norms:
        return
    largest = max(norms.values())
    for name, norm in norms.items():
        layer = report.layers[name]
        if norm > EXPLODING_NORM:
            yield Diagnosis(
                "exploding_gradient", name, "bad",
                f"The gradient of layer {_label(layer, names)} is exploding{_at(report)} "
                f"(norm {norm:.2g}). Lower the learning rate, clip gradients "
                "(clip_grad_norm_) or add normalisation layers.",
                report.step,
            )  # fmt: skip
        elif len(norms) > 1 and norm < max(largest * VANISHING_RATIO, 1e-12):
            size = (
                "exactly 0" if norm == 0
                else f"{norm:.1e}, {largest / norm:.0e} times smaller than the largest layer's"
            )  # fmt: skip
            yield Diagnosis(
                "vanishing_gradient", name, "bad" if norm < largest * 1e-6 else "warn",
                f"The gradient of layer {_label(layer, names)} is vanishing{_at(report)}: its "
                f"norm is {size}, so it barely learns. Use ReLU instead of sigmoid/tanh, add "
                "skip connections or normalisation, or a better initialisation.",
                report.step,
            )  # fmt: skip
