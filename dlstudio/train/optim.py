"""Optimizers and learning-rate schedules by name.

A schedule knows whether it steps after every batch (cosine, one-cycle) or after every epoch
(step, plateau), so the loop needs no special cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from dlstudio.train.errors import TrainingSetupError, unknown_choice

OptimizerSpec = str | Mapping[str, Any] | type | Callable[..., torch.optim.Optimizer]
SchedulerSpec = str | Mapping[str, Any] | Callable[[torch.optim.Optimizer], Any] | None

_OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {"momentum": 0.9}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {"weight_decay": 0.01}),
    "rmsprop": (torch.optim.RMSprop, {}),
}
# "none" is a choice like the others, so a settings form can offer it in the same list.
_SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
_SCHEDULER_ALIASES = {
    "one_cycle": "onecycle",
    "one-cycle": "onecycle",
    "reduce_on_plateau": "plateau",
}


def optimizer_choices() -> tuple[str, ...]:
    """The optimizer names ``make_optimizer`` accepts.

    Example:
        >>> optimizer_choices()
        ('sgd', 'adam', 'adamw', 'rmsprop')
    """
    return tuple(_OPTIMIZERS)


def scheduler_choices() -> tuple[str, ...]:
    """The scheduler names ``make_schedule`` accepts, ``"none"`` first.

    Example:
        >>> scheduler_choices()
        ('none', 'step', 'cosine', 'onecycle', 'plateau')
    """
    return _SCHEDULERS


def resolve_optimizer(name: str) -> str:
    """The built-in optimizer ``name`` stands for (any case), or SettingsError.

    Example:
        >>> resolve_optimizer("AdamW")
        'adamw'
    """
    key = name.lower()
    if key not in _OPTIMIZERS:
        raise unknown_choice("optimizer", name, optimizer_choices())
    return key


def resolve_scheduler(name: str) -> str:
    """The built-in scheduler ``name`` stands for (any case, aliases), or SettingsError.

    Example:
        >>> resolve_scheduler("one_cycle")
        'onecycle'
    """
    key = name.lower()
    key = _SCHEDULER_ALIASES.get(key, key)
    if key not in _SCHEDULERS:
        raise unknown_choice("scheduler", name, scheduler_choices())
    return key


def optimizer_recipe(name: str) -> tuple[type[torch.optim.Optimizer], dict[str, Any]]:
    """The torch class and default options behind a built-in optimizer name (the script
    exporter writes the same call).

    Example:
        >>> cls, options = optimizer_recipe("sgd")
        >>> cls.__name__, options
        ('SGD', {'momentum': 0.9})
    """
    cls, defaults = _OPTIMIZERS[resolve_optimizer(name)]
    return cls, dict(defaults)


def _split_spec(spec: str | Mapping[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    if isinstance(spec, str):
        return spec.lower(), {}
    options = dict(spec)
    if "name" not in options:
        raise TrainingSetupError(
            f"A {kind} given as a dict needs a 'name' key, e.g. {{'name': ...}}."
        )
    return str(options.pop("name")).lower(), options


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters training changes: frozen ones (``requires_grad=False``) are left out.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        >>> _ = net[0].requires_grad_(False)
        >>> len(trainable_parameters(net))
        2
    """
    chosen = [p for p in model.parameters() if p.requires_grad]
    if not chosen and any(True for _ in model.parameters()):
        raise ValueError(
            "Every layer of this model is frozen, so training would change nothing. "
            "Unfreeze at least one layer (the new head, for example)."
        )
    return chosen


def make_optimizer(
    spec: OptimizerSpec, params: Iterable[nn.Parameter], lr: float
) -> torch.optim.Optimizer:
    """Build an optimizer from a name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``), a dict
    ``{"name": "sgd", "momentum": 0.8}``, a torch optimizer class, or ``factory(params, lr)``.

    Example:
        >>> opt = make_optimizer("sgd", nn.Linear(2, 1).parameters(), lr=0.1)
        >>> type(opt).__name__, opt.defaults["momentum"]
        ('SGD', 0.9)
    """
    if isinstance(spec, str | Mapping):
        name, options = _split_spec(spec, "optimizer")
        cls, defaults = optimizer_recipe(name)
        make: Callable[..., torch.optim.Optimizer] = cls  # the base class has no lr argument
        return make(params, lr=lr, **{**defaults, **options})
    if callable(spec):
        return spec(params, lr=lr)
    raise TrainingSetupError(
        f"optimizer must be a name, a dict or a torch.optim class, not {spec!r}."
    )


def spec_as_json(spec: Any) -> str | dict[str, Any] | None:
    """An optimizer or scheduler spec as JSON for a checkpoint; None when it is code (a class or
    a factory), which the caller passes again to ``Trainer.load``."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Mapping):
        return dict(spec)
    return None


class Schedule:
    """A learning-rate scheduler plus when to step it: ``"step"`` (every batch) or ``"epoch"``.

    Example:
        >>> opt = make_optimizer("adam", nn.Linear(2, 1).parameters(), lr=0.01)
        >>> make_schedule("cosine", opt, lr=0.01, epochs=2, steps_per_epoch=10).interval
        'step'
    """

    def __init__(self, scheduler: Any, interval: str, monitor: str | None = None):
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor

    def step_batch(self) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def step_epoch(self, epoch_metrics: Mapping[str, float]) -> None:
        if self.interval != "epoch":
            return
        if self.monitor is None:
            self.scheduler.step()
        else:
            self.scheduler.step(epoch_metrics.get(self.monitor, epoch_metrics.get("loss")))

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = self.scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state)


def make_schedule(
    spec: SchedulerSpec,
    optimizer: torch.optim.Optimizer,
    lr: float,
    epochs: int,
    steps_per_epoch: int,
) -> Schedule | None:
    """Build a schedule from ``"step"``, ``"cosine"``, ``"onecycle"``, ``"plateau"``, a dict with
    ``name`` and scheduler options, or ``factory(optimizer)`` (stepped once per epoch);
    ``None`` or ``"none"`` gives no schedule.

    Example:
        >>> opt = make_optimizer("sgd", nn.Linear(2, 1).parameters(), lr=0.1)
        >>> make_schedule({"name": "step", "step_size": 2}, opt, 0.1, 6, 5).scheduler.step_size
        2
    """
    if spec is None:
        return None
    if not isinstance(spec, str | Mapping):
        if not callable(spec):
            raise TrainingSetupError(
                f"scheduler must be a name, a dict or a factory, not {spec!r}."
            )
        return Schedule(spec(optimizer), "epoch")
    name, options = _split_spec(spec, "scheduler")
    name = resolve_scheduler(name)
    if name == "none":
        return None
    total = max(1, epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler
    if name == "step":
        opts = {"step_size": max(1, epochs // 3), "gamma": 0.1, **options}
        return Schedule(sched.StepLR(optimizer, **opts), "epoch")
    if name == "cosine":
        return Schedule(sched.CosineAnnealingLR(optimizer, **{"T_max": total, **options}), "step")
    if name == "onecycle":
        opts = {"max_lr": lr, "total_steps": total, **options}
        return Schedule(sched.OneCycleLR(optimizer, **opts), "step")
    if name == "plateau":
        monitor = options.pop("monitor", "val_loss")
        opts = {"mode": "min", "factor": 0.1, "patience": 2, **options}
        return Schedule(sched.ReduceLROnPlateau(optimizer, **opts), "epoch", monitor)
    raise AssertionError(f"scheduler {name!r} is listed but not built")  # a new name, half added
