"""Assembling a run from the Trainer's arguments: the model, the loss and the metrics, each
checked against the data before the first step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from dlstudio.train.checks import (
    check_graph_input,
    graph_output_source,
    output_features,
    probe_output,
)
from dlstudio.train.errors import TrainingSetupError
from dlstudio.train.losses import Loss, LossSpec, check_output_size
from dlstudio.train.metrics import ClassPredictor, Metric, build_metrics


def build_model(model: Any, data: Any, weights: Any = None) -> tuple[Any, nn.Module]:
    """``(graph or None, module)``: a Graph is checked against the data, copied, then built.

    The copy keeps the saved graph true to the weights even if the editor changes the original
    while training runs. ``weights`` (an imported module, its state dict or a weights file) go
    into the graph's layers; layers that are new or resized keep fresh weights, as a new head
    for fine-tuning needs.

    Example:
        >>> build_model(nn.Linear(2, 1), None)[0] is None
        True
    """
    if isinstance(model, nn.Module):
        if weights is not None:
            raise TrainingSetupError(
                "weights= fills a Graph's layers; load them into your own module with "
                "model.load_state_dict(...) before training it."
            )
        return None, model
    if hasattr(model, "build") and hasattr(model, "to_json"):
        check_graph_input(model, tuple(data.input_shape), getattr(data, "input_dtype", "float"))
        graph = model.copy() if hasattr(model, "copy") else model
        if weights is None:
            return graph, graph.build()
        return graph, graph.build(weights=weights, strict=False)
    raise TrainingSetupError(
        f"model must be a dlstudio Graph or a torch nn.Module, not {type(model).__name__}."
    )


def node_ids(graph: Any) -> dict[str, str]:
    """Module path in the built model -> graph node id (empty without a graph)."""
    names = getattr(graph, "module_names", None)
    if names is None:
        return {}
    return {module: node for node, module in names().items()}


def loss_and_metrics(
    model: nn.Module,
    graph: Any,
    data: Any,
    sample: tuple[Tensor, Tensor],
    loss: LossSpec,
    metrics: Sequence[str | Metric],
) -> tuple[Loss, list[Metric]]:
    """Run ``sample`` through the model, then build the loss and metrics that fit its output."""
    task, num_classes = data.task, getattr(data, "num_classes", None)
    x, y = sample
    if task == "classification" and y.is_floating_point():
        raise TrainingSetupError(
            "This data set is marked as classification but its targets are decimal numbers; "
            "load it as regression (task='regression') or give integer class labels."
        )
    if task == "regression" and isinstance(loss, nn.CrossEntropyLoss | nn.NLLLoss):
        loss = "cross_entropy"  # refused below with the same message as the name
    out = probe_output(model, x, tuple(data.input_shape))
    features = output_features(out, task)
    built = Loss.build(loss, task, features, num_classes)
    if isinstance(loss, str):
        target_size = int(y[0].numel()) if y.ndim > 1 else 1
        problem = check_output_size(built.name, task, features, num_classes, target_size)
        if problem:
            last = graph_output_source(graph) if graph is not None else None
            if last is not None:
                problem += f" The last layer is graph node '{last}'."
            raise TrainingSetupError(problem)
    return built, build_metrics(metrics, task, num_classes, _class_predictor(task, features))


def _class_predictor(task: str, features: int) -> ClassPredictor:
    if task == "classification" and features == 1:
        return lambda out: (out.reshape(-1) > 0).long()  # one logit: class 1 when above 0
    return lambda out: out.argmax(dim=1)
