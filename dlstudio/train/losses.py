"""Loss functions by name, matched to the data's task and the model's output shape.

Targets are adapted once, at setup, to what each loss expects (class indices for cross-entropy,
one-hot or 0/1 floats for the others), so a learner can try any loss on any classification set.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from dlstudio.train.errors import TrainingSetupError, unknown_choice

LossSpec = str | nn.Module | Callable[[Tensor, Tensor], Tensor]

_FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "huber": F.huber_loss,
}
_ALIASES = {
    "ce": "cross_entropy",
    "crossentropy": "cross_entropy",
    "cross-entropy": "cross_entropy",
    "nll": "cross_entropy",
    "mean_squared_error": "mse",
    "l2": "mse",
    "mae": "l1",
    "mean_absolute_error": "l1",
    "bce_with_logits": "bce",
    "binary_cross_entropy": "bce",
    "smooth_l1": "huber",
}


def loss_names() -> list[str]:
    """The built-in loss names.

    Example:
        >>> loss_names()
        ['cross_entropy', 'mse', 'l1', 'bce', 'huber']
    """
    return list(_FUNCTIONS)


def loss_choices() -> tuple[str, ...]:
    """The loss names a setting may hold: ``"auto"`` (chosen from the data), then the built-ins.

    Example:
        >>> loss_choices()
        ('auto', 'cross_entropy', 'mse', 'l1', 'bce', 'huber')
    """
    return ("auto", *_FUNCTIONS)


def resolve_loss(name: str) -> str:
    """The choice ``name`` stands for (any case, aliases such as ``"ce"``), or SettingsError.

    Example:
        >>> resolve_loss("MAE")
        'l1'
    """
    key = name.lower().replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in loss_choices():
        raise unknown_choice("loss", name, loss_choices())
    return key


def loss_function(name: str) -> Callable[..., Tensor]:
    """The ``torch.nn.functional`` function behind a built-in loss (the script exporter calls
    the same one).

    Example:
        >>> loss_function("huber").__name__
        'huber_loss'
    """
    return _FUNCTIONS[resolve_loss(name)]


def canonical_loss_name(spec: str, task: str, out_features: int, num_classes: int | None) -> str:
    """Resolve an alias or ``"auto"`` to a built-in name, refusing pairs that cannot work."""
    name = resolve_loss(spec)
    if name == "auto":
        if task == "regression":
            return "mse"
        return "bce" if out_features == 1 and num_classes == 2 else "cross_entropy"
    if name == "cross_entropy" and task == "regression":
        raise TrainingSetupError(
            "Cross-entropy needs class labels, but this data set's targets are numbers to "
            "predict (a regression task). Use loss='mse' (or 'auto'), or load the data as "
            "classification."
        )
    return name


class Loss:
    """A loss ready for the loop: ``loss(output, target)`` adapts the target, then reduces to a mean.

    Example:
        >>> loss = Loss.build("auto", "classification", out_features=3, num_classes=3)
        >>> loss.name
        'cross_entropy'
        >>> import torch
        >>> float(loss(torch.zeros(2, 3), torch.tensor([0, 2]))) > 0
        True
    """

    def __init__(self, name: str, fn: Callable[[Tensor, Tensor], Tensor]):
        self.name = name
        self._fn = fn

    def __call__(self, output: Tensor, target: Tensor) -> Tensor:
        return self._fn(output, target)

    @classmethod
    def build(cls, spec: LossSpec, task: str, out_features: int, num_classes: int | None) -> Loss:
        """Make the loss for ``spec`` given the data's task and the model's output size."""
        if not isinstance(spec, str):
            if not callable(spec):
                raise TrainingSetupError(
                    f"loss must be a name or a callable loss(output, target), not {spec!r}."
                )
            return cls(type(spec).__name__, spec)
        name = canonical_loss_name(spec, task, out_features, num_classes)
        fn = _FUNCTIONS[name]
        if task == "regression" or name == "cross_entropy":
            return cls(name, _match_output_shape(fn) if task == "regression" else fn)
        return cls(name, _class_targets_as_floats(fn, out_features, num_classes or out_features))


def _match_output_shape(fn: Callable[..., Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
    # A model ending in (N, 1) for a target of shape (N,) (or the reverse) is the same
    # prediction; reshape instead of letting torch broadcast to (N, N) silently.
    def loss(output: Tensor, target: Tensor) -> Tensor:
        if output.shape != target.shape:
            output = output.reshape(target.shape)
        return fn(output, target)

    return loss


def _class_targets_as_floats(
    fn: Callable[..., Tensor], out_features: int, num_classes: int
) -> Callable[[Tensor, Tensor], Tensor]:
    if out_features == 1:
        # One logit for two classes: the target is 1.0 for class 1.
        def binary(output: Tensor, target: Tensor) -> Tensor:
            return fn(output.reshape(target.shape), target.to(output.dtype))

        return binary

    def one_hot(output: Tensor, target: Tensor) -> Tensor:
        return fn(output, F.one_hot(target, num_classes).to(output.dtype))

    return one_hot


def check_output_size(
    loss_name: str, task: str, out_features: int, num_classes: int | None, target_size: int
) -> str | None:
    """A sentence describing why the model's output size cannot fit the data, or None."""
    if task == "classification":
        ok = out_features == num_classes or (
            out_features == 1 and num_classes == 2 and loss_name != "cross_entropy"
        )
        if ok:
            return None
        hint = f"set the last layer's output size (e.g. Linear out_features) to {num_classes}"
        if out_features == 1 and num_classes == 2:
            hint += ", or use loss='bce' with one output"
        return (
            f"The model gives {out_features} output(s) per sample but the data has "
            f"{num_classes} classes: {hint}."
        )
    if out_features != target_size:
        return (
            f"The model gives {out_features} output(s) per sample but each target has "
            f"{target_size} value(s): set the last layer's output size to {target_size}."
        )
    return None
