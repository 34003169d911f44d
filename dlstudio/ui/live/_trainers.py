"""Settings the controls edit, and building Trainers from them (new run, continue, reset)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from torch import Tensor

from dlstudio.train import optim
from dlstudio.train.callbacks.base import Callback
from dlstudio.train.callbacks.nan_guard import NaNGuard
from dlstudio.train.losses import loss_names
from dlstudio.train.trainer import Trainer

# The names the Trainer accepts, read from its own tables so the two cannot drift apart.
OPTIMIZERS = tuple(optim._OPTIMIZERS)
SCHEDULERS = ("none", *optim._SCHEDULERS)
LOSSES = ("auto", *loss_names())
LIMITS = {"epochs": (1, 10_000), "batch_size": (1, 65_536), "lr": (1e-6, 10.0)}
DEFAULTS: dict[str, Any] = {
    "epochs": 10, "batch_size": 64, "lr": 1e-3,
    "optimizer": "adam", "loss": "auto", "scheduler": "none",
}  # fmt: skip

TrainerFactory = Callable[..., Trainer]


def validate_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise training settings; a ValueError names the bad one and the fix.

    Names outside the built-in lists (a torch.optim class, a loss module) pass unchanged.

    Example:
        >>> validate_settings({"epochs": "5", "lr": 0.01})["epochs"]
        5
        >>> validate_settings({"lr": 100})
        Traceback (most recent call last):
        ...
        ValueError: The learning rate must be between 1e-06 and 10.0, not 100.
    """
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(
            f"Unknown training setting(s): {', '.join(sorted(unknown))}. Use {', '.join(DEFAULTS)}."
        )
    out = dict(settings)
    for name, label, kind in (
        ("epochs", "The number of epochs", int),
        ("batch_size", "The batch size", int),
        ("lr", "The learning rate", float),
    ):
        if name not in out:
            continue
        low, high = LIMITS[name]
        try:
            value = kind(out[name])
        except (TypeError, ValueError):
            raise ValueError(f"{label} must be a number, not {out[name]!r}.") from None
        if isinstance(value, float) and not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{label} must be between {low} and {high}, not {out[name]}.")
        out[name] = value
    for name, choices in (("optimizer", OPTIMIZERS), ("loss", LOSSES), ("scheduler", SCHEDULERS)):
        value = out.get(name)
        if isinstance(value, str) and value.lower() not in choices:
            raise ValueError(f"Unknown {name} {value!r}: choose one of {', '.join(choices)}.")
        if isinstance(value, str):
            out[name] = value.lower()
    return out


def settings_of(trainer: Trainer) -> dict[str, Any]:
    """The settings a trainer was made with (specs that are code stay as they are)."""
    config = trainer.config
    scheduler = config.get("scheduler")
    return {
        "epochs": trainer.epochs,
        "batch_size": trainer.batch_size,
        "lr": trainer.lr,
        "optimizer": config.get("optimizer", "adam"),
        "loss": config.get("loss", "auto"),
        "scheduler": "none" if scheduler is None else scheduler,
    }


def attach(trainer: Trainer, callbacks: Iterable[Callback]) -> None:
    """Add callbacks to an existing trainer (those already there are not added twice).

    Example:
        >>> attach(trainer, [LossPlot()])  # doctest: +SKIP
    """
    for callback in callbacks:
        trainer.add_callback(callback)


def copy_weights(trainer: Trainer) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


class TrainerRecipe:
    """Makes Trainers with given settings, from a first Trainer or from ``factory(**settings)``.

    Example:
        >>> recipe = TrainerRecipe(trainer)  # doctest: +SKIP
        >>> recipe.build({"epochs": 3, "lr": 0.01})  # doctest: +SKIP
    """

    def __init__(self, source: Trainer | TrainerFactory):
        self.factory: TrainerFactory | None = None
        self.first: Trainer | None = None
        if isinstance(source, Trainer):
            self.first = source
            # Reset goes back to these weights (a Graph builds fresh ones anyway).
            self._initial = copy_weights(source) if source.graph is None else None
        elif callable(source):
            self.factory = source
        else:
            raise TypeError(
                "TrainingControls needs a Trainer or a function that returns one "
                f"(called with the settings as keywords), not {type(source).__name__}."
            )

    def build(self, settings: dict[str, Any], weights: dict[str, Tensor] | None = None) -> Trainer:
        """A new idle Trainer; ``weights`` (a state dict) continues from an earlier model."""
        settings = dict(settings)
        if settings.get("scheduler") == "none":
            settings["scheduler"] = None
        if self.factory is not None:
            trainer = self.factory(**settings)
            if not isinstance(trainer, Trainer):
                raise TypeError(
                    f"The trainer factory returned {type(trainer).__name__}, not a Trainer."
                )
        else:
            trainer = self._from_first(settings, weights)
        if weights is not None:
            _load_matching(trainer, weights)
        return trainer

    def fresh(self, settings: dict[str, Any]) -> Trainer:
        """A new Trainer with the model's starting weights (what Reset does)."""
        if self.first is not None and self._initial is not None:
            return self.build(settings, self._initial)
        return self.build(settings)

    def _from_first(self, settings: dict[str, Any], weights: Any) -> Trainer:
        first = self.first
        assert first is not None
        user_callbacks = [cb for cb in first.callbacks if not isinstance(cb, NaNGuard)]
        return Trainer(
            first.graph if first.graph is not None else first.model,
            first.data,
            metrics=first.config.get("metrics", ("accuracy",)),
            callbacks=user_callbacks,
            device=first.device,
            seed=first.seed,
            mixed_precision=first.config.get("mixed_precision"),
            **settings,
        )


def _load_matching(trainer: Trainer, weights: dict[str, Tensor]) -> None:
    # A factory may build a different model; then the new run starts from its own weights.
    own = trainer.model.state_dict()
    if own.keys() == weights.keys() and all(own[k].shape == weights[k].shape for k in own):
        trainer.model.load_state_dict(weights)
