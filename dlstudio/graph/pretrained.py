"""The ``Pretrained`` node: a torchvision (or timm) classification network as one layer, for
transfer learning.

Its code is what a person writes: ``models.resnet18()`` (``timm.create_model("resnet50")``), the
weights loaded from a local file (safetensors, or ``torch.load(weights_only=True)``) or a
torchvision weights name whose file is already in the local cache (nothing is downloaded), the
last ``nn.Linear`` replaced by ``nn.Identity()`` (timm: ``reset_classifier(0)``) with
``features_only``, and ``requires_grad_(False)`` unless ``trainable``. Shapes come from one run
of the architecture on the ``meta`` device.

Example:
    >>> from dlstudio import Graph
    >>> g = Graph(); x = g.add("Input", shape=[3, 64, 64])
    >>> net = g.add("Pretrained", after=x, arch="resnet18", features_only=True)
    >>> g.add("Output", after=net) and g.infer_shapes()[net]
    (None, 512)
"""

from __future__ import annotations

import collections
import copy
import functools
import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlstudio.graph.codegen_layout import Brackets, Expr, attribute_path
from dlstudio.graph.rules import RuleContext
from dlstudio.graph.tensors import TensorSpec, format_shape

ARCHITECTURES = (
    "resnet18", "resnet34", "resnet50", "resnet101", "resnext50_32x4d", "wide_resnet50_2",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
    "efficientnet_b1", "efficientnet_b2", "efficientnet_v2_s", "regnet_y_400mf",
    "shufflenet_v2_x1_0", "mnasnet1_0", "densenet121", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn",
    "alexnet", "convnext_tiny", "convnext_small", "vit_b_16", "swin_t",
)  # fmt: skip
TRACEABLE = tuple(arch for arch in ARCHITECTURES if arch != "swin_t")
"""The architectures torch.fx traces into layers (swin_t reads a position-index buffer that no
node holds): the Studio's Import list, and what other frameworks' code writes out."""
"""torchvision's classification architectures the node offers (all build offline)."""

TIMM = "timm/"
TIMM_ARCHITECTURES = tuple(
    TIMM + name
    for name in (
        "resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_small_100",
        "mobilenetv3_large_100", "convnext_tiny", "regnety_002", "densenet121",
        "vit_small_patch16_224", "deit_tiny_patch16_224", "mobilevit_s", "efficientvit_b0",
    )
)  # fmt: skip
"""timm's networks the node offers, named as on the Hugging Face hub; used when timm is
installed (``pip install dlstudio[timm]``)."""
TIMM_TRACEABLE = tuple(
    TIMM + name
    for name in (
        "resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_small_100",
        "mobilenetv3_large_100", "regnety_002", "densenet121",
    )
)  # fmt: skip
"""timm's networks that torch.fx traces into layers with a counterpart in Keras and Flax (once
``traceable_backbone`` has made timm's own kinds of layers PyTorch's)."""
TIMM_UNTRACEABLE = {
    TIMM + "convnext_tiny": "timm's LayerNorm2d (stem.1) normalizes over the channels of an "
    "image with F.layer_norm between two permutes, which no node expresses.",
    **dict.fromkeys(
        (TIMM + "vit_small_patch16_224", TIMM + "deit_tiny_patch16_224"),
        "its blocks' attention is timm's own Attention module (blocks.0.attn, with an optional "
        "attn_mask input), which no node expresses.",
    ),
    TIMM + "mobilevit_s": "timm's MobileVitBlock (stages.2.1) branches on its input's size to "
    "resize the patches, which tracing cannot follow.",
    TIMM + "efficientvit_b0": "timm's LiteMLA (stages.2.blocks.1.context_module.main), its "
    "linear attention, branches on the device of a tensor, which tracing cannot follow.",
}
"""Why each of timm's other networks is not written out layer by layer: the layer that stops it."""

WEIGHTS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
"""A torchvision weights name such as ``IMAGENET1K_V1`` (else the value is a file path)."""

_PROBE = 2


def empty_architecture(arch: str) -> nn.Module:
    """torchvision's ``arch`` without weights worth keeping: on the ``meta`` device, which
    allocates nothing, or on the CPU for the few whose constructor computes with tensors
    (the RegNets).

    Example:
        >>> empty_architecture("resnet18").fc.weight.device.type
        'meta'
    """
    if arch.startswith(TIMM):
        import timm

        with torch.device("meta"):
            return timm.create_model(arch.removeprefix(TIMM))
    import torchvision

    build = getattr(torchvision.models, arch)
    model: nn.Module
    try:
        with torch.device("meta"):
            model = build()
    except NotImplementedError:
        model = build()
    return model


@functools.cache
def meta_backbone(arch: str, features_only: bool) -> nn.Module:
    """The network the node runs, with fresh weights (on the meta device where it can be),
    its classifier replaced by ``nn.Identity()`` when ``features_only``."""
    model = empty_architecture(arch)
    if features_only and arch.startswith(TIMM):
        model.reset_classifier(0)  # type: ignore[operator]
    elif features_only:
        setattr_path(model, head_path(model), nn.Identity())
    return model


NORM_OF_NORM_ACT = "bn"
"""The name the batch norm of a timm ``BatchNormAct2d`` gets when it is traced on its own."""


def traceable_backbone(arch: str, features_only: bool) -> nn.Module:
    """``meta_backbone``; for timm, a copy that ``torch.fx`` reads layer by layer, timm's own
    kinds of PyTorch layers made PyTorch's: its ``Linear`` an ``nn.Linear``, and each
    ``BatchNormAct2d`` (a batch norm that applies its activation itself) a ``Sequential`` of a
    plain ``BatchNorm2d`` (named ``NORM_OF_NORM_ACT``), its drop and its activation, which
    compute the same. Weights still find their way by the original paths (dlstudio.frameworks.walk
    reads ``<path>.bn`` as ``<path>``)."""
    if not arch.startswith(TIMM):
        return meta_backbone(arch, features_only)
    model = copy.deepcopy(meta_backbone(arch, features_only))
    from timm.layers import Linear
    from timm.layers.norm_act import BatchNormAct2d

    for path, module in list(model.named_modules()):
        if type(module) is BatchNormAct2d:
            setattr_path(model, path, _split_norm_act(module))
        elif type(module) is Linear:
            plain = nn.Linear(
                module.in_features,
                module.out_features,
                bias=module.bias is not None,
                device=module.weight.device,
            )
            setattr_path(model, path, plain.requires_grad_(module.weight.requires_grad))
    return model


def _split_norm_act(module: nn.BatchNorm2d) -> nn.Sequential:
    norm = nn.BatchNorm2d(
        module.num_features,
        eps=module.eps,
        momentum=module.momentum,
        affine=module.affine,
        track_running_stats=module.track_running_stats,
        device=module.weight.device if module.weight is not None else None,
    )
    norm.requires_grad_(module.weight is None or module.weight.requires_grad)
    parts = [(NORM_OF_NORM_ACT, norm), ("drop", module.drop), ("act", module.act)]
    return nn.Sequential(collections.OrderedDict(parts))  # type: ignore[arg-type]


def head_path(model: nn.Module) -> str:
    """Where the classifier's last ``nn.Linear`` sits (``fc``, ``classifier.3``, ``heads.head``).

    Raises ValueError when the network has none (squeezenet ends in a convolution).
    """
    linears: list[str] = [
        name for name, module in model.named_modules() if isinstance(module, nn.Linear)
    ]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no final Linear layer to remove")
    return linears[-1]


def setattr_path(model: nn.Module, path: str, module: nn.Module) -> None:
    owner, _, name = path.rpartition(".")
    parent = model.get_submodule(owner) if owner else model
    if name.isdigit() and isinstance(parent, nn.Sequential):
        parent[int(name)] = module
    else:
        setattr(parent, name, module)


def cached_weights_file(arch: str, name: str) -> Path | None:
    """The local file of torchvision's ``name`` weights for ``arch``, when it is downloaded."""
    import torchvision

    try:
        weights = torchvision.models.get_model_weights(arch)[name]
    except (KeyError, ValueError):
        return None
    filename = os.path.basename(weights.url)
    path = Path(torch.hub.get_dir()) / "checkpoints" / filename
    return path if path.is_file() else None


def rule(ctx: RuleContext) -> TensorSpec:
    """Run the architecture on the meta device; check that its weights can be found."""
    arch, features_only = ctx.p["arch"], ctx.p["features_only"]
    x = ctx.require_rank(4)
    weights = ctx.p["weights"]
    if weights and WEIGHTS_NAME.match(weights) and arch.startswith(TIMM):
        ctx.fail(
            f"names the weights {weights}, but only torchvision's networks have weights names "
            "here.",
            "Give the path of a .safetensors or .pth file with the weights instead.",
        )
    elif weights and WEIGHTS_NAME.match(weights):
        if cached_weights_file(arch, weights) is None:
            ctx.fail(
                f"uses torchvision's {weights} weights for {arch}, which are not in the local "
                "cache, and dlstudio downloads nothing.",
                "Give the path of a .safetensors or .pth file with the weights instead.",
            )
    elif weights and not Path(weights).is_file():
        ctx.fail(
            f"reads its weights from {weights!r}, but there is no such file.",
            "Give the path of a .safetensors or .pth file (relative to the notebook).",
        )
    try:
        model = meta_backbone(arch, features_only)
    except ModuleNotFoundError:
        ctx.fail(f"is {arch}, but timm is not installed.", "Install it: pip install timm.")
    try:
        device = next(model.parameters()).device
        probe = torch.empty((_PROBE, *x.features), device=device)
        out = model(probe)
    except ValueError as error:
        ctx.fail(f"cannot keep only the features: {error}.", "Untick features_only.")
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        ctx.fail(
            f"cannot run {arch} on its input {format_shape(x.shape)}: {first}",
            "Give it images with 3 channels and large enough for the network (e.g. 64x64).",
        )
    ctx.weights = sum(p.numel() for p in model.parameters())
    return TensorSpec((None, *(int(size) for size in out.shape[1:])))


def init_statements(attribute: str, params: dict[str, Any]) -> list[tuple[str, Expr, str]]:
    """The ``__init__`` statements that build the backbone: (head, expression, comment)."""
    arch, weights = params["arch"], params["weights"]
    name = f"self.{attribute}"
    named = bool(weights) and WEIGHTS_NAME.match(weights) is not None
    statements: list[tuple[str, Expr, str]] = [(f"{name} = ", _constructor(arch, weights), "")]
    if weights and not named:
        reader = (
            f'load_file("{weights}")'
            if weights.endswith(".safetensors")
            else Brackets("torch.load(", (f'"{weights}"', "weights_only=True"))
        )
        statements.append(("", Brackets(f"{name}.load_state_dict(", (reader,)), ""))
    if params["features_only"] and arch.startswith(TIMM):
        statements.append(("", f"{name}.reset_classifier(0)", "the features, without its head"))
    elif params["features_only"]:
        head = head_path(meta_backbone(arch, False))
        place = attribute_path(f"{attribute}.{head}")
        statements.append((f"{place} = ", "nn.Identity()", "the features, without its head"))
    return statements


def _constructor(arch: str, weights: str | None) -> Expr:
    if arch.startswith(TIMM):
        return f'timm.create_model("{arch.removeprefix(TIMM)}")'
    if weights and WEIGHTS_NAME.match(weights):
        return Brackets(f"models.{arch}(", (f'weights="{weights}"',))
    return f"models.{arch}()"
