"""Training engine: the Trainer, its callbacks, losses, metrics, optimizers and the lr finder.

Example:
    >>> from dlstudio.train import Trainer, EarlyStopping
    >>> t = Trainer(model, bundle, epochs=20, callbacks=[EarlyStopping()])  # doctest: +SKIP
"""

from dlstudio.train.callbacks import (
    HOOKS,
    Callback,
    Checkpoint,
    EarlyStopping,
    NaNGuard,
    ProgressTracker,
    TensorBoardLogger,
)
from dlstudio.train.errors import (
    CancelEpoch,
    CancelFit,
    CancelStep,
    DivergenceError,
    SettingsError,
    TrainingSetupError,
)
from dlstudio.train.history import History
from dlstudio.train.losses import loss_names
from dlstudio.train.lr_finder import LRFinderResult
from dlstudio.train.metrics import F1, MAE, R2, Accuracy, Metric, TopK, metric_names
from dlstudio.train.settings import TrainingSettings
from dlstudio.train.trainer import Trainer

__all__ = [
    "HOOKS",
    "F1",
    "MAE",
    "R2",
    "Accuracy",
    "Callback",
    "CancelEpoch",
    "CancelFit",
    "CancelStep",
    "Checkpoint",
    "DivergenceError",
    "EarlyStopping",
    "History",
    "LRFinderResult",
    "Metric",
    "NaNGuard",
    "ProgressTracker",
    "SettingsError",
    "TensorBoardLogger",
    "TopK",
    "Trainer",
    "TrainingSettings",
    "TrainingSetupError",
    "loss_names",
    "metric_names",
]
