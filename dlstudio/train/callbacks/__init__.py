"""Training callbacks: the base class and the built-in ones."""

from dlstudio.train.callbacks.base import HOOKS, Callback, CallbackList
from dlstudio.train.callbacks.checkpoint import Checkpoint
from dlstudio.train.callbacks.early_stopping import EarlyStopping
from dlstudio.train.callbacks.nan_guard import NaNGuard
from dlstudio.train.callbacks.progress import ProgressTracker
from dlstudio.train.callbacks.tensorboard import TensorBoardLogger

__all__ = [
    "HOOKS",
    "Callback",
    "CallbackList",
    "Checkpoint",
    "EarlyStopping",
    "NaNGuard",
    "ProgressTracker",
    "TensorBoardLogger",
]
