"""Hooks that record every layer's statistics during one forward/backward pass.

The statistics are computed on the model's device as the pass runs and kept there; ``collect``
stacks them into one tensor and copies it to the host once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlstudio.inspect.report import LayerReport, ParamReport, Report
from dlstudio.inspect.stats import (
    RECORD_SIZE,
    TensorStats,
    dead_fraction,
    extra_value,
    saturation,
    tensor_record,
)

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
RELUS = (nn.ReLU, nn.ReLU6)
SQUASHERS = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
ROOT_NAME = "model"


def tracked_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The modules a capture watches, by qualified name: every module except plain containers
    (a model with no children is watched itself, as ``"model"``).

    Example:
        >>> list(tracked_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU())))
        ['0', '1']
    """
    named = {name: module for name, module in model.named_modules() if name}
    if not named:
        return {ROOT_NAME: model}
    return {name: m for name, m in named.items() if not isinstance(m, CONTAINERS)}


def first_tensor(value: Any) -> Tensor | None:
    """The first tensor in a module's output (LSTM and attention layers return tuples)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


def _extra(module: nn.Module, out: Tensor) -> Tensor | None:
    if isinstance(module, RELUS):
        return dead_fraction(out)
    for kind_type, kind in SQUASHERS.items():
        if isinstance(module, kind_type):
            return saturation(out, kind)
    return None


class Capture:
    """Watch one forward/backward pass of ``model``: ``attach()``, run the pass,
    ``record_params()`` once gradients exist, optionally ``snapshot_weights()`` before and
    ``record_updates()`` after an optimizer step, then ``collect()`` (which also detaches).

    Example:
        >>> cap = Capture(model).attach()  # doctest: +SKIP
        >>> loss = loss_fn(model(x), y); loss.backward(); cap.record_params()  # doctest: +SKIP
        >>> report = cap.collect(step=1, loss=loss)  # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, layers: dict[str, nn.Module] | None = None):
        self.model = model
        self.layers = tracked_layers(model) if layers is None else layers
        self._handles: list[Any] = []
        self._records: list[Tensor] = []
        # (kind, layer, param name or "", shape) per record, in the order of _records.
        self._keys: list[tuple[str, str, str, tuple[int, ...]]] = []
        self._forward: list[str] = []
        self._backward: list[str] = []
        self._before: dict[tuple[str, str], Tensor] = {}
        self._updates: list[tuple[str, str, Tensor]] = []

    def attach(self) -> Capture:
        for name, module in self.layers.items():
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _add(self, kind: str, layer: str, param: str, x: Tensor, extra: Tensor | None = None):
        self._keys.append((kind, layer, param, tuple(x.shape)))
        self._records.append(tensor_record(x, extra))

    def _forward_hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            out = first_tensor(output)
            if out is None or name in self._forward:
                return  # a module called twice is described by its first call
            extra = _extra(module, out)
            self._forward.append(name)
            self._add("output", name, "", out, extra)
            if out.requires_grad:
                out.register_hook(self._grad_hook(name))

        return hook

    def _grad_hook(self, name: str) -> Callable[[Tensor], None]:
        def hook(grad: Tensor) -> None:
            if name not in self._backward:
                self._backward.append(name)
                self._add("grad", name, "", grad)

        return hook

    def _params(self):
        for layer, module in self.layers.items():
            for pname, param in module.named_parameters(recurse=False):
                yield layer, pname, param

    def record_params(self, grads: dict[Tensor, Tensor | None] | None = None) -> None:
        """Record every parameter and its gradient (``param.grad``, or ``grads[param]``)."""
        with torch.no_grad():
            for layer, pname, param in self._params():
                self._add("weight", layer, pname, param)
                grad = param.grad if grads is None else grads.get(param)
                if grad is not None:
                    self._add("weight_grad", layer, pname, grad)

    def snapshot_weights(self) -> None:
        """Keep a copy of the weights, so ``record_updates`` can measure the step."""
        with torch.no_grad():
            self._before = {(lay, p): w.detach().clone() for lay, p, w in self._params()}

    def record_updates(self) -> None:
        """Record ``‖w − w_before‖ / ‖w_before‖`` for every parameter (still on the device)."""
        with torch.no_grad():
            for layer, pname, param in self._params():
                before = self._before.get((layer, pname))
                if before is None:
                    continue
                change = torch.linalg.vector_norm((param.detach() - before).float())
                size = torch.linalg.vector_norm(before.float()).clamp(min=1e-30)
                self._updates.append((layer, pname, change / size))
        self._before = {}

    def collect(self, step: int | None = None, loss: Tensor | float | None = None) -> Report:
        """Detach the hooks and bring everything to the host in one copy; return the Report."""
        self.detach()
        parts = [r.reshape(-1) for r in self._records]
        parts += [u.double().reshape(1) for _, _, u in self._updates]
        if isinstance(loss, Tensor):
            parts.append(loss.detach().double().reshape(1))
        host = torch.cat(parts).cpu().numpy() if parts else None  # the one host copy
        report = self._build(host, step, loss)
        self._records, self._keys, self._updates = [], [], []
        return report

    def _build(self, host: Any, step: int | None, loss: Any) -> Report:
        layers: dict[str, LayerReport] = {}
        order = self._forward + [n for n in self.layers if n not in self._forward]
        for name in order:
            layers[name] = LayerReport(name=name, type=type(self.layers[name]).__name__)
        offset = 0
        for kind, layer, pname, shape in self._keys:
            row = host[offset : offset + RECORD_SIZE]
            offset += RECORD_SIZE
            stats = TensorStats.from_record(shape, row)
            entry = layers[layer]
            if kind == "output":
                entry.output = stats
                extra = extra_value(row)
                if isinstance(self.layers[layer], RELUS):
                    entry.dead_fraction = extra
                elif extra is not None:
                    entry.saturation = extra
            elif kind == "grad":
                entry.grad = stats
            elif kind == "weight":
                entry.params[pname] = ParamReport(name=pname, weight=stats)
            elif pname in entry.params:
                entry.params[pname].grad = stats
        for layer, pname, _ in self._updates:
            if pname in layers[layer].params:
                layers[layer].params[pname].update_ratio = float(host[offset])
            offset += 1
        if isinstance(loss, Tensor):
            loss = float(host[offset])
        # Layers that neither ran nor own parameters say nothing.
        layers = {k: v for k, v in layers.items() if v.output is not None or v.params}
        return Report(step=step, layers=layers, backward_order=list(self._backward), loss=loss)


def default_loss(output: Tensor, target: Tensor | None) -> Tensor:
    """The loss a one-off capture backpropagates: cross-entropy for class ids (or, without a
    target, against the model's own predictions), mean squared error for numbers."""
    if target is None:
        if output.ndim == 2 and output.shape[1] > 1:
            return F.cross_entropy(output, output.detach().argmax(dim=1))
        return output.float().pow(2).mean()
    if not target.is_floating_point() and output.ndim >= 2 and output.shape[1] > 1:
        return F.cross_entropy(output, target)
    return F.mse_loss(output.reshape(target.shape).float(), target.float())


def capture_batch(
    model: nn.Module,
    inputs: Tensor,
    target: Tensor | None = None,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    *,
    backward: bool = True,
    train_mode: bool = False,
) -> Report:
    """Run one batch through ``model`` and return every layer's statistics.

    Gradients come from ``loss_fn(output, target)`` (default: :func:`default_loss`) through
    ``torch.autograd.grad``, so the model's ``.grad`` fields are left untouched. The model runs
    in eval mode unless ``train_mode`` (BatchNorm statistics stay as they were).

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> report = capture_batch(model, torch.randn(16, 4), torch.randint(0, 3, (16,)))
        >>> report.layers["0"].output.shape
        (16, 8)
    """
    capture = Capture(model).attach()
    was_training = model.training
    model.train(train_mode)
    loss: Tensor | None = None
    try:
        with torch.set_grad_enabled(backward):
            output = first_tensor(model(inputs))
            if output is None:
                raise TypeError(f"{type(model).__name__} returned no tensor to inspect.")
            grads = None
            if backward:
                loss = (loss_fn or default_loss)(output, target)
                params = [p for p in model.parameters() if p.requires_grad]
                found = torch.autograd.grad(loss, params, allow_unused=True) if params else []
                grads = dict(zip(params, found, strict=True))
        capture.record_params(grads if backward else {})
    finally:
        capture.detach()
        model.train(was_training)
    return capture.collect(step=None, loss=loss)
