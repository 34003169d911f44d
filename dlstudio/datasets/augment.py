"""Image augmentation configured by name, built on torchvision.transforms.v2.

Transforms run on one image at a time, on float tensors (C, H, W) with values in [0, 1], before
standardisation: colour jitter and noise clamp to [0, 1], so they must see unstandardised pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

Transform = Callable[[torch.Tensor], torch.Tensor]
"""One image (C, H, W) in, one augmented image out."""
AugmentSpec = Iterable[str] | Mapping[str, Mapping[str, Any]] | None
"""A list of names (``["flip", "rotation"]``) or names mapped to options
(``{"rotation": {"degrees": 30}}``)."""

_DESCRIPTIONS = {
    "flip": "Mirror the image left-right half of the time (options: p).",
    "vflip": "Flip the image upside down half of the time (options: p).",
    "crop": "Shift the image by up to 1/8 of its size, padding the edges (options: padding).",
    "rotation": "Rotate by a random angle up to 15 degrees either way (options: degrees).",
    "color": "Jitter brightness and contrast (and saturation, hue for colour images) "
    "(options: brightness, contrast, saturation, hue).",
    "noise": "Add Gaussian pixel noise (options: sigma).",
}
_ALIASES = {"hflip": "flip", "colour": "color", "color_jitter": "color", "jitter": "color"}


def augmentations() -> dict[str, str]:
    """The augmentation names and what each one does.

    Example:
        >>> from dlstudio import datasets
        >>> "rotation" in datasets.augmentations()
        True
    """
    return dict(_DESCRIPTIONS)


def normalize_spec(spec: AugmentSpec) -> dict[str, dict[str, Any]]:
    """Turn a list or mapping of augmentation names into ``{name: options}``, checking names.

    Example:
        >>> normalize_spec({"hflip": {}, "rotation": {"degrees": 30}})
        {'flip': {}, 'rotation': {'degrees': 30}}
    """
    if spec is None:
        return {}
    if isinstance(spec, str):
        spec = [spec]
    items: Iterable[tuple[str, Mapping[str, Any]]] = (
        spec.items() if isinstance(spec, Mapping) else ((name, {}) for name in spec)
    )
    result: dict[str, dict[str, Any]] = {}
    for raw_name, options in items:
        name = _ALIASES.get(str(raw_name).lower(), str(raw_name).lower())
        if name not in _DESCRIPTIONS:
            known = ", ".join(_DESCRIPTIONS)
            raise ValueError(f"Unknown augmentation {raw_name!r}. Choose from: {known}.")
        result[name] = dict(options or {})
    return result


def build_transform(spec: AugmentSpec, input_shape: tuple[int, ...]) -> Transform | None:
    """The v2 transform for ``spec`` on images of ``input_shape`` (C, H, W); None when empty.

    Example:
        >>> t = build_transform(["flip", "noise"], (1, 8, 8))
        >>> t(torch.rand(1, 8, 8)).shape
        torch.Size([1, 8, 8])
    """
    # torchvision takes seconds to import: only pay for it when augmenting.
    from torchvision.transforms import v2

    options = normalize_spec(spec)
    if not options:
        return None
    channels, height, width = input_shape
    steps: list[Transform] = []
    for name, opts in options.items():
        try:
            steps.append(_make(name, opts, channels, (height, width)))
        except TypeError as error:
            raise ValueError(f"Bad options for augmentation {name!r}: {error}") from None
    composed: Transform = v2.Compose(steps)
    return composed


def _make(name: str, opts: dict[str, Any], channels: int, size: tuple[int, int]) -> Transform:
    from torchvision.transforms import v2

    transform: Transform
    if name == "flip":
        transform = v2.RandomHorizontalFlip(**opts)
    elif name == "vflip":
        transform = v2.RandomVerticalFlip(**opts)
    elif name == "crop":
        padding = opts.pop("padding", max(1, min(size) // 8))
        transform = v2.RandomCrop(size, padding=padding, padding_mode="reflect", **opts)
    elif name == "rotation":
        transform = v2.RandomRotation(opts.pop("degrees", 15), **opts)
    elif name == "color":
        jitter = {"brightness": 0.3, "contrast": 0.3}
        # Saturation and hue only exist for RGB images; v2 refuses them on one channel.
        if channels == 3:
            jitter |= {"saturation": 0.3, "hue": 0.05}
        transform = v2.ColorJitter(**(jitter | opts))
    else:  # "noise": normalize_spec has already rejected anything else.
        transform = v2.GaussianNoise(sigma=opts.pop("sigma", 0.05), clip=True, **opts)
    return transform
