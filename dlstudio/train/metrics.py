"""Validation metrics that accumulate on the device and synchronise once per evaluation.

Each metric sees every validation batch through ``update(output, target)`` and answers
``compute()`` at the end; nothing calls ``.item()`` per batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import Tensor

from dlstudio.train.errors import TrainingSetupError

ClassPredictor = Callable[[Tensor], Tensor]


def confusion_matrix(
    target: Tensor | np.ndarray, predicted: Tensor | np.ndarray, num_classes: int
) -> Tensor:
    """Counts ``[true class, predicted class]`` (rows: truth), like scikit-learn's, on the
    device of ``target``.

    Example:
        >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 1]), 2).tolist()
        [[1, 0], [1, 1]]
    """
    c = int(num_classes)
    target = torch.as_tensor(target).long().reshape(-1)
    predicted = torch.as_tensor(predicted, device=target.device).long().reshape(-1)
    counts = torch.bincount(target * c + predicted, minlength=c * c)
    return counts[: c * c].view(c, c)


class Metric:
    """Base class: ``reset()``, ``update(output, target)`` per batch, ``compute() -> float``.

    ``name`` becomes the history key ``val_<name>``. ``task`` is ``"classification"``,
    ``"regression"`` or ``None`` for either.

    Example:
        >>> class MaxError(Metric):
        ...     name, task = "max_error", "regression"
        ...     def reset(self): self.worst = torch.zeros(())
        ...     def update(self, output, target):
        ...         self.worst = torch.maximum(self.worst, (output - target).abs().max())
        ...     def compute(self): return float(self.worst)
    """

    name: str = "metric"
    task: str | None = None
    predict_classes: ClassPredictor = staticmethod(lambda out: out.argmax(dim=1))

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Tensor, target: Tensor) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError


class Accuracy(Metric):
    """Share of samples whose predicted class is the target class."""

    name, task = "accuracy", "classification"

    def reset(self) -> None:
        self.correct: Tensor | int = 0
        self.total = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        self.correct = self.correct + (self.predict_classes(output) == target).sum()
        self.total += target.shape[0]

    def compute(self) -> float:
        return float(self.correct) / max(self.total, 1)


class TopK(Metric):
    """Share of samples whose target class is among the ``k`` highest outputs."""

    task = "classification"

    def __init__(self, k: int = 5):
        self.k = k
        self.name = f"top{k}"

    def reset(self) -> None:
        self.correct: Tensor | int = 0
        self.total = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        k = min(self.k, output.shape[1])
        top = output.topk(k, dim=1).indices
        self.correct = self.correct + (top == target.unsqueeze(1)).any(dim=1).sum()
        self.total += target.shape[0]

    def compute(self) -> float:
        return float(self.correct) / max(self.total, 1)


class F1(Metric):
    """F1 score: of class 1 for two classes, else the unweighted mean over classes (macro)."""

    name, task = "f1", "classification"

    def __init__(self, num_classes: int = 2):
        self.num_classes = num_classes

    def reset(self) -> None:
        self.confusion: Tensor | int = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        found = confusion_matrix(target, self.predict_classes(output), self.num_classes)
        self.confusion = self.confusion + found

    def compute(self) -> float:
        if isinstance(self.confusion, int):
            return 0.0
        m = self.confusion.double().cpu()
        tp = m.diag()
        precision_den, recall_den = m.sum(0), m.sum(1)
        f1 = 2 * tp / (precision_den + recall_den).clamp(min=1)
        return float(f1[1]) if self.num_classes == 2 else float(f1.mean())


class MAE(Metric):
    """Mean absolute error over every predicted value."""

    name, task = "mae", "regression"

    def reset(self) -> None:
        self.total: Tensor | float = 0.0
        self.count = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        self.total = self.total + (output.reshape(target.shape) - target).abs().sum()
        self.count += target.numel()

    def compute(self) -> float:
        return float(self.total) / max(self.count, 1)


class R2(Metric):
    """Coefficient of determination, averaged over target columns (as scikit-learn does)."""

    name, task = "r2", "regression"

    def reset(self) -> None:
        self.sums: Tensor | None = None  # rows: sum y, sum y^2, sum of squared errors
        self.count = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        y = target.reshape(target.shape[0], -1).double()
        err = output.reshape(y.shape).double() - y
        batch = torch.stack([y.sum(0), (y * y).sum(0), (err * err).sum(0)])
        self.sums = batch if self.sums is None else self.sums + batch
        self.count += y.shape[0]

    def compute(self) -> float:
        if self.sums is None or self.count < 2:
            return float("nan")
        s_y, s_yy, sse = self.sums.cpu()
        total = s_yy - s_y * s_y / self.count
        r2 = torch.where(total > 0, 1 - sse / total.clamp(min=1e-12), torch.zeros_like(total))
        return float(r2.mean())


_TOPK = re.compile(r"^top[_-]?(\d+)(?:_accuracy)?$")
_ALIASES = {"acc": "accuracy", "f1_score": "f1", "mean_absolute_error": "mae", "r2_score": "r2"}
_SIMPLE = {"accuracy": Accuracy, "mae": MAE, "r2": R2}
DEFAULT_METRICS = ("accuracy",)


def metric_names() -> list[str]:
    """Built-in metric names (``topK`` takes any K, e.g. ``top3``).

    Example:
        >>> metric_names()
        ['accuracy', 'top5', 'f1', 'mae', 'r2']
    """
    return ["accuracy", "top5", "f1", "mae", "r2"]


def build_metrics(
    specs: Iterable[str | Metric],
    task: str,
    num_classes: int | None,
    predict_classes: ClassPredictor,
) -> list[Metric]:
    """Make metric objects from names, checking that each suits the task.

    The default ``("accuracy",)`` on a regression data set becomes ``("mae", "r2")``, so the
    default settings train any data set.

    Example:
        >>> [m.name for m in build_metrics(["acc", "top3"], "classification", 10, None)]
        ['accuracy', 'top3']
    """
    specs = list(specs)
    if task == "regression" and tuple(specs) == DEFAULT_METRICS:
        specs = ["mae", "r2"]
    metrics: list[Metric] = []
    for spec in specs:
        metric = spec if isinstance(spec, Metric) else _metric_from_name(spec, num_classes)
        if metric.task is not None and metric.task != task:
            raise TrainingSetupError(
                f"The metric {metric.name!r} is for {metric.task}, but this data set is a "
                f"{task} task. Use "
                + ("'mae' or 'r2'." if task == "regression" else "'accuracy', 'top5' or 'f1'.")
            )
        if metric.task == "classification" and predict_classes is not None:
            metric.predict_classes = predict_classes
        metrics.append(metric)
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise TrainingSetupError(f"Each metric may appear once; got {names}.")
    return metrics


def _metric_from_name(spec: str, num_classes: int | None) -> Metric:
    if not isinstance(spec, str):
        raise TrainingSetupError(
            f"A metric is a name such as 'accuracy' or a dlstudio Metric object, not {spec!r}."
        )
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key in _SIMPLE:
        return _SIMPLE[key]()
    if key == "f1":
        return F1(num_classes or 2)
    match = _TOPK.match(key)
    if match:
        return TopK(int(match.group(1)))
    raise TrainingSetupError(
        f"Unknown metric {spec!r}. Choose from: {', '.join(metric_names())} (topK for any K)."
    )
