"""Between dlstudio graph nodes and model layers: health badges and lookups by node id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dlstudio.inspect.diagnose import Diagnosis, diagnose
from dlstudio.inspect.report import Report

RANK = {"ok": 0, "warn": 1, "bad": 2}


def _module_names(graph: Any) -> dict[str, str]:
    if isinstance(graph, Mapping):
        return dict(graph)
    return dict(graph.module_names())


def layer_of(node_id: str, graph: Any) -> str:
    """The qualified module name of node ``node_id`` in the model ``graph.build()`` makes.

    ``graph`` is a Graph or its ``module_names()`` dict.

    Example:
        >>> layer_of("fc1", {"fc1": "classifier.1"})
        'classifier.1'
    """
    names = _module_names(graph)
    if node_id not in names:
        raise KeyError(
            f"Node {node_id!r} has no layer in the built model (nodes with layers: "
            f"{', '.join(sorted(names)) or 'none'}); Input, Output and merge nodes have none."
        )
    return names[node_id]


def node_of(layer: str, graph: Any) -> str | None:
    """The node id a layer (or a sub-layer, e.g. ``layers.1.self_attn``) belongs to, if any.

    Example:
        >>> node_of("layers.1.self_attn", {"enc1": "layers.1"})
        'enc1'
    """
    best: tuple[int, str] | None = None
    for node, module in _module_names(graph).items():
        inside = layer == module or layer.startswith(module + ".")
        if inside and (best is None or len(module) > best[0]):
            best = (len(module), node)
    return best[1] if best else None


def node_health(found: Report | Iterable[Diagnosis], graph: Any) -> dict[str, str]:
    """``{node_id: "ok" | "warn" | "bad"}`` for every node with a layer: the worst diagnosis
    pointing at the node's layer or its sub-layers (a Report is diagnosed first).

    Example:
        >>> node_health(callback.last_report, graph)  # doctest: +SKIP
        {'conv1': 'ok', 'relu1': 'warn', 'fc1': 'ok'}
    """
    diagnoses = diagnose(found) if isinstance(found, Report) else list(found)
    names = _module_names(graph)
    health = dict.fromkeys(names, "ok")
    for diagnosis in diagnoses:
        node = node_of(diagnosis.layer, names)
        if node is not None and RANK[diagnosis.severity] > RANK[health[node]]:
            health[node] = diagnosis.severity
    return health


def diagnoses_by_node(diagnoses: Iterable[Diagnosis], graph: Any) -> dict[str, list[Diagnosis]]:
    """The diagnoses grouped by the node they point at (only nodes with any)."""
    grouped: dict[str, list[Diagnosis]] = {}
    names = _module_names(graph)
    for diagnosis in diagnoses:
        node = node_of(diagnosis.layer, names)
        if node is not None:
            grouped.setdefault(node, []).append(diagnosis)
    return grouped
