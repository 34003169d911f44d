"""Exceptions of the training engine: learner mistakes, divergence, and the cancel signals.

Callbacks steer the loop by raising one of the ``Cancel*`` exceptions (the fastai way): the loop
catches each at the level it names and carries on from there.
"""

from __future__ import annotations

from collections.abc import Iterable


class TrainingSetupError(ValueError):
    """The model, data or settings cannot train together; raised before the first step.

    Example:
        >>> str(TrainingSetupError("The model gives 5 outputs but the data has 3 classes."))
        'The model gives 5 outputs but the data has 3 classes.'
    """


class SettingsError(TrainingSetupError):
    """A training setting that cannot be used (an unknown name, a number out of range).

    Every place that takes settings (the Trainer, the live controls, the Studio page, session
    files, the exported script) raises this with the same sentence for the same bad value.

    Example:
        >>> str(unknown_choice("optimizer", "lion", ("adam", "sgd")))
        "Unknown optimizer 'lion': choose one of adam, sgd."
    """


def unknown_choice(what: str, value: object, choices: Iterable[str]) -> SettingsError:
    """The error for a name that is not one of ``choices`` (raise it).

    Example:
        >>> raise unknown_choice("loss", "hinge", ("auto", "mse"))
        Traceback (most recent call last):
        ...
        dlstudio.train.errors.SettingsError: Unknown loss 'hinge': choose one of auto, mse.
    """
    return SettingsError(f"Unknown {what} {value!r}: choose one of {', '.join(choices)}.")


class DivergenceError(RuntimeError):
    """The loss went NaN or infinite; ``layer`` names where the non-finite values first appeared.

    ``where`` is one of ``"input"``, ``"weights"``, ``"output"``, ``"gradient"`` or ``"loss"``.

    Example:
        >>> err = DivergenceError("Loss became NaN at step 3.", layer="fc1", where="output", step=3)
        >>> err.layer, err.step
        ('fc1', 3)
    """

    def __init__(
        self,
        message: str,
        layer: str | None = None,
        where: str | None = None,
        step: int | None = None,
    ):
        super().__init__(message)
        self.layer = layer
        self.where = where
        self.step = step


class CancelStep(Exception):  # noqa: N818 - named like fastai's cancel signals
    """Raise from ``on_step_start`` or ``on_after_backward`` to skip the rest of this batch.

    Example:
        >>> from dlstudio.train import Callback
        >>> class SkipOdd(Callback):
        ...     def on_step_start(self, trainer, step_info):
        ...         if step_info["step"] % 2:
        ...             raise CancelStep()
    """


class CancelEpoch(Exception):  # noqa: N818
    """Raise from a step or epoch-start hook to end this epoch's training early (it is validated).

    Example:
        >>> raise CancelEpoch("enough for this epoch")  # doctest: +SKIP
    """


class CancelFit(Exception):  # noqa: N818
    """Raise from any hook to end the run: state ``"stopped"`` (or ``"finished"`` with
    ``finished=True``, as early stopping does). Model and history are kept; the run can resume.

    Example:
        >>> CancelFit("val_loss stopped improving", finished=True).finished
        True
    """

    def __init__(self, reason: str = "", finished: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.finished = finished
