"""Checks that catch a learner's mismatches before the first step, each with a fix to try."""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import Tensor, nn

from dlstudio.train.errors import TrainingSetupError


def graph_inputs(graph: Any) -> list[dict[str, Any]]:
    """The Input nodes of a dlstudio graph document, as dicts with ``id`` and ``params``."""
    doc = json.loads(graph.to_json())
    return [node for node in doc.get("nodes", []) if node.get("op") == "Input"]


def graph_output_source(graph: Any) -> str | None:
    """The id of the node that feeds the graph's Output node (the layer that sets the output size)."""
    doc = json.loads(graph.to_json())
    outputs = {node["id"] for node in doc.get("nodes", []) if node.get("op") == "Output"}
    sources = [edge["source"] for edge in doc.get("edges", []) if edge.get("target") in outputs]
    return sources[0] if len(sources) == 1 else None


def check_graph_input(graph: Any, input_shape: tuple[int, ...], input_dtype: str) -> None:
    """The graph's single Input node must take the data's sample shape and dtype.

    Example:
        >>> class G:
        ...     def to_json(self):
        ...         return '{"nodes": [{"id": "in", "op": "Input", "params": {"shape": [4]}}]}'
        >>> check_graph_input(G(), (4,), "float")
    """
    inputs = graph_inputs(graph)
    if len(inputs) != 1:
        raise TrainingSetupError(
            f"The graph has {len(inputs)} Input nodes, but a data set gives one input per "
            "sample: keep exactly one Input node."
        )
    node = inputs[0]
    params = node.get("params") or {}
    shape = params.get("shape")
    if shape is not None and tuple(int(s) for s in shape) != tuple(input_shape):
        raise TrainingSetupError(
            f"The graph's Input node '{node['id']}' expects samples of shape {tuple(shape)}, but "
            f"the data gives samples of shape {tuple(input_shape)}: set the Input node's shape "
            f"to {list(input_shape)}."
        )
    dtype = params.get("dtype")
    wants_long = dtype in ("long", "int64")
    if dtype is not None and wants_long != (input_dtype == "long"):
        raise TrainingSetupError(
            f"The graph's Input node '{node['id']}' has dtype {dtype!r}, but the data gives "
            f"{'token ids (long)' if input_dtype == 'long' else 'float'} inputs: set its dtype "
            f"to {'long' if input_dtype == 'long' else 'float'}."
        )


def probe_output(model: nn.Module, x: Tensor, input_shape: tuple[int, ...]) -> Tensor:
    """Run one small batch in eval mode and return the output, or explain why it failed."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:
        raise TrainingSetupError(
            f"The model could not run on this data (samples of shape {tuple(input_shape)}): "
            f"{exc}. Check that the first layer takes inputs of that shape."
        ) from exc
    finally:
        model.train(was_training)
    if not isinstance(out, Tensor):
        raise TrainingSetupError(
            f"The model returned a {type(out).__name__}; the Trainer needs one output tensor."
        )
    return out


def output_features(out: Tensor, task: str) -> int:
    """Values per sample in the model's output, refusing shapes a classifier cannot use."""
    if out.ndim <= 1:
        return 1
    if task == "classification" and out.ndim > 2:
        raise TrainingSetupError(
            f"The model gives outputs of shape {tuple(out.shape[1:])} per sample, but "
            "classification needs one score per class: end the model with Flatten and Linear."
        )
    return int(out[0].numel())
