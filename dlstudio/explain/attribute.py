"""``explain``: one verb over the attribution methods, with targets, cancellation and checks."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Any

import torch
from captum.attr import NoiseTunnel
from torch import Tensor, nn

from dlstudio.explain.base import (
    ExplainCancelled,
    ExplainError,
    Explanation,
    Method,
)
from dlstudio.explain.deeplift import DeepLiftMethod
from dlstudio.explain.grad_cam import GradCamMethod
from dlstudio.explain.gradient_shap import GradientShapMethod
from dlstudio.explain.input_x_gradient import InputXGradientMethod
from dlstudio.explain.integrated_gradients import IntegratedGradientsMethod
from dlstudio.explain.occlusion import OcclusionMethod
from dlstudio.explain.saliency import SaliencyMethod
from dlstudio.train.outputs import class_probabilities

METHODS: dict[str, type[Method]] = {
    m.name: m
    for m in (
        IntegratedGradientsMethod, SaliencyMethod, InputXGradientMethod, GradientShapMethod,
        DeepLiftMethod, OcclusionMethod, GradCamMethod,
    )
}  # fmt: skip
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
RELATIVE_GAP_OK = 0.05


def methods() -> list[dict[str, Any]]:
    """The available methods: ``name``, ``title`` and whether they report a delta."""
    return [{"name": m.name, "title": m.title, "has_delta": m.has_delta} for m in METHODS.values()]


def resolve_layer(model: nn.Module, layer: Any, graph: Any = None) -> tuple[str, nn.Module]:
    """``(qualified name, module)`` for ``layer``: a module, a module name, or a dlstudio node id
    (with ``graph``: a Graph or its ``module_names()``); None picks the last convolution.

    Example:
        >>> resolve_layer(graph.build(), "conv2", graph)[0]  # doctest: +SKIP
        'features.3'
    """
    modules = dict(model.named_modules())
    if isinstance(layer, nn.Module):
        for name, module in modules.items():
            if module is layer:
                return name, module
        raise ExplainError("That layer is not part of this model: pass one of its own modules.")
    if layer is None:
        convs = [name for name, m in modules.items() if isinstance(m, CONVS)]
        if not convs:
            raise ExplainError(
                "Grad-CAM needs a convolution layer and this model has none: use another method."
            )
        return convs[-1], modules[convs[-1]]
    names = (
        {} if graph is None else dict(graph if isinstance(graph, Mapping) else graph.module_names())
    )
    name = names.get(layer, layer)
    if name not in modules:
        known = [node for node, mod in names.items() if isinstance(modules.get(mod), CONVS)]
        known = known or [n for n, m in modules.items() if isinstance(m, CONVS)]
        raise ExplainError(
            f"No layer {layer!r} in this model. Convolution layers to choose from: "
            f"{', '.join(known) or 'none'}."
        )
    return name, modules[name]


def _embedding(model: nn.Module) -> tuple[str, nn.Module]:
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding):
            return name, module
    raise ExplainError(
        "These inputs are integers (token ids) but the model has no Embedding layer to explain "
        "through; pass float inputs or add an Embedding."
    )


def _targets(target: Any, outputs: Tensor) -> Tensor | None:
    n = len(outputs)
    if target is None:
        if outputs.ndim == 2 and outputs.shape[1] > 1:
            return outputs.argmax(dim=1)
        return None  # one output per sample: explain that output
    target = torch.as_tensor(target, device=outputs.device).long().reshape(-1)
    return target.expand(n).clone() if target.numel() == 1 else target


def _score(model: nn.Module, x: Tensor, target: Tensor | None) -> Tensor:
    with torch.no_grad():
        out = model(x).float().reshape(len(x), -1)
    return out[:, 0] if target is None else out.gather(1, target.reshape(-1, 1))[:, 0]


def _completeness(model, inputs, target, attributions, baselines) -> dict[str, Any]:
    base = torch.zeros_like(inputs) if baselines is None else torch.as_tensor(baselines)
    base = base.to(inputs.device, inputs.dtype).expand_as(inputs)
    at_input, at_base = _score(model, inputs, target), _score(model, base, target)
    total = attributions.reshape(len(inputs), -1).sum(dim=1).float()
    change = at_input - at_base
    gap = total - change
    relative = gap.abs() / change.abs().clamp(min=1e-12)
    ok = bool(((gap.abs() <= RELATIVE_GAP_OK * change.abs()) | (gap.abs() < 1e-4)).all())
    return {
        "target": None if target is None else int(target[0]),
        "attribution_sum": float(total[0]),
        "input_output": float(at_input[0]),
        "baseline_output": float(at_base[0]),
        "output_change": float(change[0]),
        "gap": float(gap[0]),
        "relative_gap": float(relative[0]),
        "gaps": gap.cpu(),
        "ok": ok,
    }


def explain(
    model: nn.Module,
    inputs: Tensor,
    target: int | Tensor | None = None,
    method: str = "integrated_gradients",
    *,
    noise_tunnel: bool = False,
    cancel: threading.Event | None = None,
    layer: Any = None,
    graph: Any = None,
    **options: Any,
) -> Explanation:
    """Attribute the model's output for ``target`` (default: its prediction) to a batch of
    ``inputs`` with one of ``methods()``; attributions come back shaped like the inputs.

    ``noise_tunnel=True`` averages the method over noisy copies (SmoothGrad; options
    ``nt_samples``, ``stdevs``). ``layer`` (Grad-CAM) is a dlstudio node id with ``graph``, a
    module name or a module. Other ``options`` go to Captum's ``attribute`` (``n_steps``,
    ``baselines``...). Setting ``cancel`` stops the work at the next forward pass with
    :class:`ExplainCancelled`. Integer inputs (token ids) are explained through the model's
    first Embedding, one number per token.

    Example:
        >>> e = explain(model, images[:4], method="integrated_gradients")  # doctest: +SKIP
        >>> e.attributions.shape == images[:4].shape, e.completeness_text  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ExplainError(
            f"Unknown attribution method {method!r}; choose one of {', '.join(METHODS)}."
        )
    spec = METHODS[method]()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    inputs = torch.as_tensor(inputs).to(device)
    tokens = not inputs.is_floating_point()
    if tokens and not spec.token_inputs:
        raise ExplainError(
            f"{spec.title} cannot explain integer inputs (token ids); use integrated_gradients, "
            "input_x_gradient, saliency or occlusion."
        )
    layer_name, module = None, None
    if spec.needs_layer:
        layer_name, module = resolve_layer(model, layer, graph)
    elif tokens and method != "occlusion":
        layer_name, module = _embedding(model)

    def check(*_: Any) -> None:
        if cancel is not None and cancel.is_set():
            raise ExplainCancelled("The explanation was cancelled.")

    was_training = model.training
    model.eval()
    handle = model.register_forward_pre_hook(check)
    try:
        check()
        with torch.no_grad():
            outputs = model(inputs)
        target_t = _targets(target, outputs)
        given = {spec.renamed.get(k, k): v for k, v in options.items()}
        kwargs = {**spec.defaults(inputs), **given}
        if spec.has_delta:
            kwargs["return_convergence_delta"] = True
        algorithm = spec.algorithm(model, module)
        if noise_tunnel:
            algorithm = NoiseTunnel(algorithm)
            kwargs = {"nt_type": "smoothgrad", "nt_samples": 10, "stdevs": 0.1, **kwargs}
        with warnings.catch_warnings():
            # Captum announces that it turned on requires_grad for the inputs (and undoes it).
            warnings.filterwarnings("ignore", "Input Tensor", UserWarning)
            warnings.filterwarnings("ignore", "Setting forward, backward hooks", UserWarning)
            result = algorithm.attribute(inputs, target=target_t, **kwargs)
        raw, delta = result if spec.has_delta else (result, None)
        attributions = spec.finish(raw.detach(), inputs)
        completeness = None
        if method == "integrated_gradients" and not noise_tunnel:
            completeness = _completeness(
                model, inputs, target_t, attributions, kwargs.get("baselines")
            )
    finally:
        handle.remove()
        model.train(was_training)
    return Explanation(
        method=method,
        attributions=attributions,
        target=target_t,
        probabilities=class_probabilities(outputs),
        delta=None if delta is None else delta.detach(),
        options=kwargs,
        layer=layer_name,
        layer_attributions=raw.detach() if spec.needs_layer else None,
        completeness=completeness,
    )
