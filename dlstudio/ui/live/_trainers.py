"""Settings the controls edit, and building Trainers from them (new run, continue, reset)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from torch import Tensor

from dlstudio.train.callbacks.base import Callback
from dlstudio.train.callbacks.nan_guard import NaNGuard
from dlstudio.train.settings import TrainingSettings, check_settings
from dlstudio.train.trainer import Trainer

# What the controls edit: every training setting but the seed, which stays with the trainer
# (a new run with other settings must start from the same weights).
FIELDS = ("epochs", "batch_size", "lr", "optimizer", "loss", "scheduler")
DEFAULTS: dict[str, Any] = {k: v for k, v in TrainingSettings().to_dict().items() if k in FIELDS}

TrainerFactory = Callable[..., Trainer]


def validate_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the settings the controls edit (``TrainingSettings``' checks).

    Specs that are code (a torch.optim class, a loss module, a dict with options) pass unchanged.

    Example:
        >>> validate_settings({"epochs": "5", "optimizer": "SGD"})
        {'epochs': 5, 'optimizer': 'sgd'}
        >>> validate_settings({"lr": 1e9})
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: The learning rate must be between 1e-06 and 1e+06, not 1000000000.0.
    """
    return check_settings(settings, FIELDS, code=True)


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
