"""Original weights into the module a graph builds: ``Graph.build(weights=...)``.

An imported graph names each layer node by its module's path in the original model
(``layer1.0.conv1``; a block's layers by the block node's path and their own, a second call of
one module ``relu:2``). ``Graph.module_names()`` says where each node lives in the built module,
so every original tensor has one place to go. Weights files are read only as safetensors or
with ``torch.load(weights_only=True)``: nothing is unpickled.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from dlstudio import Graph
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> g = Graph.from_module(net, torch.randn(1, 4))
    >>> copy = g.build(weights=net)
    >>> torch.equal(copy(torch.ones(1, 4)), net(torch.ones(1, 4)))
    True
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlstudio.graph.errors import GraphError, Problem

WeightsSource = nn.Module | Mapping[str, torch.Tensor] | str | os.PathLike[str]

_USE_SUFFIX = re.compile(r":\d+$")


def read_state_dict(source: WeightsSource) -> dict[str, torch.Tensor]:
    """The tensors of a module, a state dict, or a ``.safetensors`` / ``.pt`` file."""
    if isinstance(source, nn.Module):
        return dict(source.state_dict())
    state = dict(source) if isinstance(source, Mapping) else _read_file(Path(source))
    wrong = [key for key, value in state.items() if not isinstance(value, torch.Tensor)]
    if wrong or not all(isinstance(key, str) for key in state):
        raise GraphError(
            [Problem(None, f"The weights hold something other than named tensors ({wrong[:3]}).")]
        )
    return state


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise GraphError([Problem(None, f"There is no weights file {str(path)!r}.")])
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return dict(load_file(str(path)))
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # corrupt or hostile files raise many types; one sentence each
        raise GraphError(
            [
                Problem(
                    None,
                    f"{path.name} cannot be read as weights: {str(error).splitlines()[0]}",
                    "Save them with safetensors.torch.save_file or torch.save(state_dict).",
                )
            ]
        ) from None
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise GraphError([Problem(None, f"{path.name} holds no state dict of named tensors.")])
    return dict(loaded)


def original_path(node_key: str) -> str:
    """Where a node's module sat in the imported model: ``layer1.0/conv1`` -> ``layer1.0.conv1``.

    Example:
        >>> original_path("layer1.0/relu:2")
        'layer1.0.relu'
    """
    return ".".join(_USE_SUFFIX.sub("", part) for part in node_key.split("/"))


def load_weights(
    model: nn.Module,
    module_names: Mapping[str, str],
    weights: WeightsSource,
    *,
    strict: bool = True,
) -> None:
    """Copy the original tensors into ``model`` (built from the graph whose nodes
    ``module_names`` places); a tensor whose shape does not fit names its layer."""
    source = read_state_dict(weights)
    # Longest module paths first: "features.1" must not take what "features.10" holds.
    places = sorted(module_names.items(), key=lambda item: -len(item[1]))
    target = model.state_dict()
    loaded: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    missing: list[str] = []
    for key, tensor in target.items():
        found = next(((n, p) for n, p in places if _inside(key, p)), None)
        if found is None:
            missing.append(key)
            continue
        node_key, place = found
        original = _original_key(key, node_key, place)
        value = source.get(original)
        if value is None:
            missing.append(key)
            continue
        if value.shape != tensor.shape and not strict:
            missing.append(key)  # a layer that changed size (a new head): fresh weights
            continue
        if value.shape != tensor.shape:
            node = node_key.replace("/", " / ")
            raise GraphError(
                [
                    Problem(
                        node_key.split("/")[0],
                        f"The weights {original!r} have shape {tuple(value.shape)}, but layer "
                        f"{node!r} needs {tuple(tensor.shape)}: they come from a model whose "
                        "layer here has other sizes.",
                        "Import the weights of the same architecture, or leave this layer out "
                        "with strict=False so that it keeps its fresh weights.",
                    )
                ]
            )
        loaded[key] = value
        used.add(original)
    unused = sorted(set(source) - used)
    if strict and (missing or unused):
        raise GraphError([_mismatch(missing, unused)])
    model.load_state_dict(loaded, strict=False)


def _inside(key: str, place: str) -> bool:
    """Whether state-dict ``key`` belongs to the module (or Parameter) at ``place``."""
    return key == place or key.startswith(place + ".")


def _original_key(key: str, node_key: str, place: str) -> str:
    rest = key[len(place) :]  # "" for a Parameter node, ".weight" for a layer
    return original_path(node_key) + rest


def _mismatch(missing: list[str], unused: list[str]) -> Problem:
    parts = []
    if missing:
        parts.append(f"{len(missing)} tensors of the model get no weights ({missing[:3]})")
    if unused:
        parts.append(f"{len(unused)} given tensors fit no layer ({unused[:3]})")
    return Problem(
        None,
        f"The weights do not match this graph: {'; '.join(parts)}.",
        "Pass strict=False to load what fits and keep fresh weights for the rest (new layers).",
    )
