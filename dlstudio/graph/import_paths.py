"""Layers named by their import path (``torchvision.ops.stochastic_depth.StochasticDepth``).

An imported model keeps each submodule the catalog cannot express as one node whose op is the
class's import path. A graph file holding such a node opens in a fresh Python too: for classes
of the packages in ``TRUSTED_PACKAGES`` the catalog entry is made on first use, its parameters
typed from the constructor's annotations and defaults. Nothing else is imported by name: a
document cannot make dlstudio import an arbitrary module.

Example:
    >>> spec = layer_for("torchvision.ops.stochastic_depth.StochasticDepth")
    >>> [(p.name, p.type) for p in spec.params]
    [('p', 'float'), ('mode', 'text')]
"""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any

from torch import nn

from dlstudio.graph.layer_spec import LayerSpec
from dlstudio.graph.params import Param

TRUSTED_PACKAGES = ("torchvision.", "timm.")
"""Packages whose layers a document may name: installed libraries of layers, nothing else."""

_DOC = "Read back from the imported module."
_SKIPPED = {"device", "dtype", "inplace"}


def layer_spec(cls: type[nn.Module], params: tuple[Param, ...]) -> LayerSpec:
    """The catalog entry of a layer class kept as one opaque node (imported by its path)."""
    name = f"{cls.__module__}.{cls.__name__}"
    doc = (cls.__doc__ or f"{cls.__name__} from {cls.__module__}.").strip().splitlines()[0]
    return LayerSpec(
        name, "custom", doc, params, None, torch=cls.__name__, inputs=1, module_class=cls
    )


def param_for(name: str, value: Any) -> Param:
    """A parameter typed by a value read back from a module."""
    if isinstance(value, bool):
        return Param(name, "bool", value, doc=_DOC)
    if isinstance(value, int):
        return Param(name, "int", value, min=-(10**7), doc=_DOC)
    if isinstance(value, float):
        return Param(name, "float", value, min=None, doc=_DOC)
    if isinstance(value, str):
        return Param(name, "text", value, doc=_DOC)
    return Param(name, "ints", list(value), min=-(10**7), max=10**7, doc=_DOC)


def layer_for(path: str) -> LayerSpec | None:
    """The catalog entry for a trusted layer class named by its import path, or None."""
    if (
        not path.startswith(TRUSTED_PACKAGES)
        or not path.replace(".", "").replace("_", "").isalnum()
    ):
        return None
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name, None)
    except ImportError:
        return None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return None
    params = _annotated_params(cls)
    return None if params is None else layer_spec(cls, params)


_TYPES: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "text"}


def _annotated_params(cls: type) -> tuple[Param, ...] | None:
    """Parameters from the constructor's annotations (or defaults); None when one that has no
    default cannot be typed."""
    try:
        signature = inspect.signature(cls)
        hints = typing.get_type_hints(getattr(cls, "__init__"))  # noqa: B009 - mypy misc
    except (TypeError, ValueError, NameError):
        return None
    params = []
    for name, parameter in signature.parameters.items():
        if name in _SKIPPED or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = parameter.default
        kind = _kind(hints.get(name), default)
        if kind is None:
            if default is inspect.Parameter.empty:
                return None
            continue  # e.g. a norm_layer callable: always its default
        value = None if default is inspect.Parameter.empty else default
        nullable = value is None
        if kind == "ints":
            params.append(Param(name, kind, value, min=-(10**7), max=10**7, nullable=nullable))
        else:
            low = -(10**7) if kind in ("int", "float") else None
            params.append(Param(name, kind, value, min=low, nullable=nullable, doc=_DOC))
    return tuple(params)


def _kind(hint: Any, default: Any) -> str | None:
    options = [a for a in typing.get_args(hint) if a is not type(None)] if hint else []
    candidates = [hint, *options]
    for candidate in candidates:  # a size that may be one int or several: ints
        origin = typing.get_origin(candidate) or candidate
        if isinstance(origin, type) and issubclass(origin, list | tuple):
            return "ints"
    for candidate in candidates:
        if candidate in _TYPES:
            return _TYPES[candidate]
    if default is not inspect.Parameter.empty and default is not None:
        return _TYPES.get(type(default))
    return None
