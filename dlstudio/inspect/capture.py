"""Hooks that record every layer's statistics during one forward/backward pass.

The statistics are computed on the model's device as the pass runs and kept there; ``collect``
stacks them into one tensor and copies it to the host once.
"""

from __future__ import annotations

import math
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
    records,
    saturation,
)
from dlstudio.train.outputs import first_tensor

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
# Layers whose output holds the same values as their input: watching them costs time and
# says nothing new.
RESHAPES = (nn.Flatten, nn.Unflatten, nn.Identity)
RELUS = (nn.ReLU, nn.ReLU6)
SQUASHERS = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
ROOT_NAME = "model"


def _statistics_move_while_frozen(module: nn.Module) -> bool:
    """A frozen BatchNorm in training mode: every batch moves its running statistics."""
    if not isinstance(module, nn.modules.batchnorm._BatchNorm):
        return False
    weights = list(module.parameters(recurse=False))
    frozen = bool(weights) and not any(w.requires_grad for w in weights)
    return frozen and module.training and module.track_running_stats


def tracked_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The modules a capture watches, by qualified name: every module except plain containers
    and reshapes (Flatten, Identity); a model with no children is watched itself, as
    ``"model"``.

    Example:
        >>> list(tracked_layers(nn.Sequential(nn.Flatten(), nn.Linear(2, 3), nn.ReLU())))
        ['1', '2']
    """
    named = {name: module for name, module in model.named_modules() if name}
    if not named:
        return {ROOT_NAME: model}
    return {name: m for name, m in named.items() if not isinstance(m, CONTAINERS + RESHAPES)}


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

    Hooks only keep references (outputs are copied, since a later in-place op such as
    ``ReLU(inplace=True)`` would change them); ``record_params`` reduces everything together.

    Example:
        >>> cap = Capture(model).attach()  # doctest: +SKIP
        >>> loss = loss_fn(model(x), y); loss.backward(); cap.record_params()  # doctest: +SKIP
        >>> report = cap.collect(step=1, loss=loss)  # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, layers: dict[str, nn.Module] | None = None):
        self.model = model
        self.layers = tracked_layers(model) if layers is None else layers
        self._handles: list[Any] = []
        # Tensors waiting to be reduced, with their (kind, layer, param name, shape) keys.
        self._pending: list[tuple[tuple[str, str, str, tuple[int, ...]], Tensor, Any]] = []
        self._keys: list[tuple[str, str, str, tuple[int, ...]]] = []
        self._records: list[Tensor] = []
        self._forward: list[str] = []
        self._backward: list[str] = []
        self._before: dict[torch.device, Tensor] = {}
        self._update_keys: list[tuple[str, str]] = []
        self._updates: list[Tensor] = []

    def attach(self) -> Capture:
        for name, module in self.layers.items():
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _add(self, kind: str, layer: str, param: str, x: Tensor, extra: Tensor | None = None):
        self._pending.append(((kind, layer, param, tuple(x.shape)), x.detach(), extra))

    def _forward_hook(self, name: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            out = first_tensor(output)
            if out is None or name in self._forward:
                return  # a module called twice is described by its first call
            self._forward.append(name)
            self._add("output", name, "", out.detach().clone(), _extra(module, out))
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

    def _flush(self) -> None:
        if not self._pending:
            return
        keys, tensors, extras = zip(*self._pending, strict=True)
        self._records.append(records(tensors, extras))
        self._keys.extend(keys)
        self._pending = []

    def record_params(self, grads: dict[Tensor, Tensor | None] | None = None) -> None:
        """Record every parameter and its gradient (``param.grad``, or ``grads[param]``), and
        reduce everything recorded so far in one go."""
        with torch.no_grad():
            for layer, pname, param in self._params():
                self._add("weight", layer, pname, param)
                grad = param.grad if grads is None else grads.get(param)
                if grad is not None:
                    self._add("weight_grad", layer, pname, grad)
            self._flush()

    def _flat_params(self) -> tuple[list[tuple[str, str]], dict[torch.device, list[Tensor]]]:
        keys: list[tuple[str, str]] = []
        by_device: dict[torch.device, list[Tensor]] = {}
        for layer, pname, param in self._params():
            keys.append((layer, pname))
            by_device.setdefault(param.device, []).append(param.detach().reshape(-1).float())
        return keys, by_device

    def snapshot_weights(self) -> None:
        """Keep a copy of the weights, so ``record_updates`` can measure the step."""
        _, by_device = self._flat_params()
        self._before = {device: torch.cat(flat) for device, flat in by_device.items()}

    def record_updates(self) -> None:
        """Record ``‖w − w_before‖ / ‖w_before‖`` for every parameter (still on the device)."""
        keys, by_device = self._flat_params()
        if not self._before or set(by_device) != set(self._before):
            return
        start = 0
        for device, flat in by_device.items():
            sizes = [f.numel() for f in flat]
            seg = torch.repeat_interleave(
                torch.arange(len(flat), device=device),
                torch.tensor(sizes, device=device),
                output_size=sum(sizes),
            )
            before = self._before[device]
            change = (torch.cat(flat) - before).pow(2)
            moved = torch.zeros(len(flat), device=device).index_add_(0, seg, change)
            size = torch.zeros(len(flat), device=device).index_add_(0, seg, before.pow(2))
            # A parameter that was all zeros (a fresh bias) has no size to compare its step
            # with: its ratio is unknown (NaN, None in the report), not a step of 1e30 %.
            ratio = torch.where(size > 0, moved.sqrt() / size.sqrt(), torch.nan)
            self._updates.append(ratio.double())
            self._update_keys.extend(keys[start : start + len(flat)])
            start += len(flat)
        self._before = {}

    def collect(self, step: int | None = None, loss: Tensor | float | None = None) -> Report:
        """Detach the hooks and bring everything to the host in one copy; return the Report."""
        self.detach()
        self._flush()
        parts = [r.reshape(-1) for r in self._records]
        parts += [u.to(parts[0].device) if parts else u for u in self._updates]
        if isinstance(loss, Tensor):
            parts.append(loss.detach().double().reshape(1).to(parts[0].device if parts else "cpu"))
        host = torch.cat(parts).cpu().numpy() if parts else None  # the one host copy
        report = self._build(host, step, loss)
        self._records, self._keys, self._updates, self._update_keys = [], [], [], []
        return report

    def _build(self, host: Any, step: int | None, loss: Any) -> Report:
        layers: dict[str, LayerReport] = {}
        order = self._forward + [n for n in self.layers if n not in self._forward]
        for name in order:
            module = self.layers[name]
            layers[name] = LayerReport(name=name, type=type(module).__name__)
            weights = list(module.parameters(recurse=False))
            frozen = bool(weights) and not any(w.requires_grad for w in weights)
            layers[name].frozen = frozen and not module.training
            layers[name].frozen_statistics_move = _statistics_move_while_frozen(module)
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
        for layer, pname in self._update_keys:
            if pname in layers[layer].params:
                ratio = float(host[offset])
                layers[layer].params[pname].update_ratio = ratio if math.isfinite(ratio) else None
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
    loss_fn: Callable[[Tensor, Tensor | None], Tensor] | None = None,
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
    # Each module's own mode comes back afterwards: a frozen BatchNorm kept in eval stays so.
    modes = [(module, module.training) for module in model.modules()]
    model.train(train_mode)
    ran = [module.training for module in model.modules()]  # a train() override may keep some
    loss: Tensor | None = None
    try:
        with torch.set_grad_enabled(backward):
            output = first_tensor(model(inputs))
            if output is None:
                raise TypeError(f"{type(model).__name__} returned no tensor to inspect.")
            grads: dict[Tensor, Tensor | None] | None = None
            if backward:
                loss = (loss_fn or default_loss)(output, target)
                params = [p for p in model.parameters() if p.requires_grad]
                found = torch.autograd.grad(loss, params, allow_unused=True) if params else []
                grads = dict(zip(params, found, strict=True))
        capture.record_params(grads if backward else {})
        # A module counts as training when it ran so here or is so in the model: a frozen
        # BatchNorm in training mode either way is what the diagnosis looks for.
        for (module, training), running in zip(modes, ran, strict=True):
            module.training = training or running
        report = capture.collect(step=None, loss=loss)
    finally:
        capture.detach()
        for module, training in modes:
            module.training = training
    return report
