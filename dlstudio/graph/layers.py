"""The layer catalog: every layer the editor offers, and your own ``nn.Module`` classes.

The built-in entries are data (``builtin_layers.py``); this module is the registry over them.

Example:
    >>> from dlstudio import layers
    >>> [entry["name"] for entry in layers.catalog()][:3]
    ['Input', 'Output', 'Linear']
"""

from __future__ import annotations

from typing import Any

from dlstudio.graph.builtin_layers import BUILTIN
from dlstudio.graph.builtin_ops import OPS
from dlstudio.graph.layer_spec import CATEGORIES, Counter, LayerSpec
from dlstudio.graph.params import Param
from dlstudio.graph.tensors import TensorSpec

_REGISTRY: dict[str, LayerSpec] = {**BUILTIN, **OPS}


def register(
    module_class: type,
    *,
    params: tuple[Param, ...] = (),
    name: str | None = None,
    doc: str | None = None,
    inputs: int = 1,
) -> LayerSpec:
    """Add your own nn.Module to the catalog; its shapes come from a run on the meta device.

    The class must be importable (a module, or ``__main__`` in a notebook): the generated code
    imports it by name. ``params`` are its constructor arguments.

    Example:
        >>> from torch import nn
        >>> class Scale(nn.Module):
        ...     def __init__(self, factor: float = 2.0):
        ...         super().__init__()
        ...         self.factor = factor
        ...     def forward(self, x):
        ...         return x * self.factor
        >>> register(Scale, params=(Param("factor", "float", 2.0),)).category
        'custom'
        >>> unregister("Scale")
    """
    name = name or module_class.__name__
    existing = _REGISTRY.get(name)
    if existing is not None and existing.module_class is None:
        raise ValueError(f"{name} is a built-in layer; register yours under another name.")
    spec = LayerSpec(
        name,
        "custom",
        doc or (module_class.__doc__ or f"Custom layer {name}.").strip().splitlines()[0],
        tuple(params),
        None,
        torch=module_class.__name__,
        positional=(),
        inputs=inputs,
        module_class=module_class,
    )
    _REGISTRY[name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a custom layer registered with ``register``."""
    spec = _REGISTRY.get(name)
    if spec is None or spec.module_class is None:
        raise ValueError(f"{name} is not a registered custom layer.")
    del _REGISTRY[name]


def get(name: str) -> LayerSpec | None:
    """The catalog entry for an op name, or None.

    Example:
        >>> get("Linear").torch
        'nn.Linear'
    """
    spec = _REGISTRY.get(name)
    if spec is None and "." in name:
        # A layer an imported model kept by its import path, in a fresh Python (trusted
        # packages only: see import_paths.py).
        from dlstudio.graph.import_paths import layer_for

        spec = layer_for(name)
        if spec is not None:
            _REGISTRY[name] = spec
    return spec


def names() -> list[str]:
    return list(_REGISTRY)


def catalog() -> list[dict[str, Any]]:
    """The JSON-serialisable catalog the editor's palette is built from."""
    return [spec.to_dict() for spec in _REGISTRY.values()]


__all__ = [
    "CATEGORIES",
    "Counter",
    "LayerSpec",
    "Param",
    "TensorSpec",
    "catalog",
    "get",
    "names",
    "register",
    "unregister",
]
