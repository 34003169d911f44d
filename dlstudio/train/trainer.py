"""The Trainer: train a dlstudio Graph or any nn.Module on a DataBundle, blocking or in a thread."""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from dlstudio.datasets.batches import Batches, make_loaders
from dlstudio.train.assembly import build_model, loss_and_metrics, node_ids
from dlstudio.train.callbacks.base import Callback, CallbackList
from dlstudio.train.callbacks.nan_guard import NaNGuard
from dlstudio.train.control import RunControl, StopRequested
from dlstudio.train.device import Precision, resolve_device
from dlstudio.train.errors import CancelEpoch, CancelFit, CancelStep, TrainingSetupError
from dlstudio.train.history import History
from dlstudio.train.losses import LossSpec
from dlstudio.train.lr_finder import LRFinderResult, find_lr
from dlstudio.train.metrics import Metric
from dlstudio.train.optim import (
    OptimizerSpec,
    SchedulerSpec,
    make_optimizer,
    make_schedule,
    trainable_parameters,
)
from dlstudio.train.run_folder import load_trainer, save_trainer
from dlstudio.train.settings import check_settings
from dlstudio.train.state_files import check_run_folder


class Trainer:
    """Train ``model`` (a dlstudio ``Graph`` or an ``nn.Module``) on ``data`` (a ``DataBundle``).

    Mismatches between model and data raise :class:`TrainingSetupError` here, before any step.
    ``fit()`` blocks; ``start()`` trains in a background thread that ``pause()``, ``resume()``
    and ``stop()`` control. Callbacks run in the training thread.

    ``seed`` seeds torch's global generator (a Graph is built after seeding, so its initial
    weights follow the seed); the run keeps its own random state between steps, so a stopped
    and resumed run gives the same weights as an uninterrupted one. Progress for widgets:
    ``state``, ``step``/``total_steps``, ``epoch``/``epochs``, ``history``, ``error``.
    ``mixed_precision`` (CUDA only) defaults to on there. ``weights`` (an imported module, its
    state dict or a weights file) fill a Graph's layers before training: fine-tuning keeps the
    graph's node ids, and a new or resized head keeps fresh weights.

    Example:
        >>> from dlstudio import datasets
        >>> t = Trainer(graph, datasets.load("digits"), epochs=5)  # doctest: +SKIP
        >>> t.fit().epochs[-1]["val_accuracy"]  # doctest: +SKIP
        0.97
    """

    def __init__(
        self,
        model: Any,
        data: Any,
        loss: LossSpec = "auto",
        optimizer: OptimizerSpec = "adam",
        lr: float = 1e-3,
        epochs: int = 10,
        batch_size: int = 64,
        metrics: Sequence[str | Metric] = ("accuracy",),
        scheduler: SchedulerSpec = None,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device = "auto",
        seed: int = 0,
        *,
        mixed_precision: bool | None = None,
        weights: Any = None,
    ):
        for name in ("train", "val", "task", "input_shape"):
            if not hasattr(data, name):
                raise TrainingSetupError(
                    f"data must be a DataBundle (from dlstudio.datasets), not {type(data).__name__}:"
                    " try datasets.load('digits') or datasets.from_tensors(x, y)."
                )
        # The same limits and sentences as the controls, the Studio and session files.
        checked = check_settings(
            {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
             "optimizer": optimizer, "loss": loss, "scheduler": scheduler},
            code=True,
        )  # fmt: skip
        self.data = data
        self.lr: float = checked["lr"]
        self.epochs: int = checked["epochs"]
        self.batch_size: int = checked["batch_size"]
        self.seed: int = checked["seed"]
        seed = self.seed
        self.config: dict[str, Any] = {
            "loss": loss, "optimizer": optimizer, "scheduler": scheduler,
            "metrics": list(metrics), "mixed_precision": mixed_precision,
        }  # fmt: skip
        torch.manual_seed(seed)
        self.graph, self.model = build_model(model, data, weights)
        self.node_ids = node_ids(self.graph)
        self.device = resolve_device(device)
        self.model.to(self.device)
        self.precision = Precision(self.device, mixed_precision)
        # The same engine as DataBundle.loaders: the shuffle is fixed by (seed, epoch).
        self._train_batches, self._val_batches = make_loaders(
            data.train, data.val, self.batch_size, seed, self.device
        )
        self.loss_fn, self.metrics = loss_and_metrics(
            self.model, self.graph, data, self._train_batches.sample(2), loss, metrics
        )
        self.optimizer = make_optimizer(optimizer, trainable_parameters(self.model), self.lr)
        self.schedule = make_schedule(
            scheduler, self.optimizer, self.lr, self.epochs, self._train_batches.steps
        )
        given = list(callbacks)
        if not any(isinstance(cb, NaNGuard) for cb in given):
            given.append(NaNGuard())
        self.callbacks = CallbackList(given)

        self.history = History()
        self.step = 0
        """Training batches done so far (the progress bar's position)."""
        self.epoch = 0
        """Epochs completed (training and validation)."""
        self.error: BaseException | None = None
        self.stop_reason: str | None = None
        self.batch: tuple[Tensor, Tensor] | None = None
        self.output: Tensor | None = None
        self._batch_index = 0
        self._epoch_loss = 0.0
        self._epoch_samples = 0
        self._epoch_started = 0.0
        self._elapsed = 0.0
        self._clock = 0.0
        self._rng_state = torch.get_rng_state()
        self._control = RunControl()
        self._lock = threading.RLock()

    # ---- progress -----------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"idle"``, ``"running"``, ``"paused"``, ``"stopped"``, ``"finished"`` or ``"failed"``."""
        state = self._control.state
        return "running" if state == "starting" else state

    @property
    def steps_per_epoch(self) -> int:
        return self._train_batches.steps

    @property
    def total_steps(self) -> int:
        """Training batches in the whole run: ``epochs * steps_per_epoch``."""
        return self.epochs * self._train_batches.steps

    @property
    def seconds(self) -> float:
        """Training time so far, pauses excluded."""
        running = self._control.state == "running" and self._clock
        return self._elapsed + (time.perf_counter() - self._clock if running else 0.0)

    @property
    def lock(self) -> threading.RLock:
        """Held by the training thread for each step and validation batch: hold it to use the
        model from another thread while a run is going (as ``evaluate`` and ``predict`` do)."""
        return self._lock

    def add_callback(self, callback: Callback) -> None:
        """Add a callback, also while running (it takes part from its next hook on).

        Example:
            >>> t.add_callback(EarlyStopping(patience=5))  # doctest: +SKIP
        """
        if all(cb is not callback for cb in self.callbacks):
            # The loop reads self.callbacks afresh at each hook; swapping it is atomic.
            self.callbacks = CallbackList([*self.callbacks, callback])

    @property
    def lr_now(self) -> float:
        """The learning rate of the next step."""
        return float(self.optimizer.param_groups[0]["lr"])

    # ---- running ------------------------------------------------------------------------

    def fit(self) -> History:
        """Train until ``epochs`` are done (or a stop), blocking; continue a stopped run.

        Raises the run's error if it failed (also kept in ``t.error``).

        Example:
            >>> history = t.fit()  # doctest: +SKIP
        """
        self._run()
        if self.state == "failed" and self.error is not None:
            raise self.error
        return self.history

    def start(self) -> Trainer:
        """Train in a background thread and return at once; ``wait()`` blocks until it ends."""
        self._control.start_thread(self._run)
        return self

    def pause(self, timeout: float | None = 60.0) -> None:
        """Pause after the current step; returns once paused. Model and history stay usable.

        From a callback it pauses without waiting; in a blocking ``fit()`` the caller then waits
        until another thread calls ``resume()`` or ``stop()``.
        """
        self._control.request_pause(timeout)

    def resume(self) -> None:
        """Continue a paused run, or restart a stopped, failed or loaded one in the background."""
        if not self._control.request_resume() and not self._control.active:
            self.start()

    def stop(self, timeout: float | None = 60.0) -> None:
        """End the run after the current step; returns once stopped. ``resume()`` continues it."""
        self._control.request_stop(timeout)

    def wait(self, timeout: float | None = None) -> History:
        """Block until a background run ends (or ``timeout`` seconds pass); return the history."""
        self._control.join(timeout)
        return self.history

    def _run(self) -> None:
        control = self._control
        control.begin()
        self.error = self.stop_reason = None
        final = "finished"
        torch.set_rng_state(self._rng_state)
        self._clock = time.perf_counter()
        self.model.train()
        try:
            self.callbacks("on_fit_start", self)
            self._train()
        except CancelFit as cancel:
            final = "finished" if cancel.finished else "stopped"
            self.stop_reason = cancel.reason or None
        except (StopRequested, KeyboardInterrupt):
            final, self.stop_reason = "stopped", "stopped by the user"
        except BaseException as exc:  # noqa: BLE001 - any failure ends the run as "failed"
            final, self.error = "failed", exc
        self._suspend_clock()
        control.set_state(final)
        try:
            if final == "failed":
                self.callbacks("on_exception", self, self.error)
            self.callbacks("on_fit_end", self)
        except BaseException as exc:  # noqa: BLE001
            final, self.error = "failed", self.error or exc
        control.end(final)

    def _suspend_clock(self) -> None:
        self._rng_state = torch.get_rng_state()
        self._elapsed += time.perf_counter() - self._clock

    def _check_control(self) -> None:
        control = self._control
        if control.stop_requested:
            raise StopRequested
        if control.pause_requested:
            self._suspend_clock()
            control.wait_while_paused(lambda: self.callbacks("on_pause", self))
            torch.set_rng_state(self._rng_state)
            self._clock = time.perf_counter()
            self.callbacks("on_resume", self)

    def _train(self) -> None:
        steps = self._train_batches.steps
        while self.epoch < self.epochs:
            if self._batch_index == 0:
                self._epoch_loss, self._epoch_samples, self._epoch_started = 0.0, 0, self.seconds
            try:
                self.callbacks("on_epoch_start", self, self.epoch)
                for x, y in self._train_batches.epoch(self.epoch, self._batch_index):
                    self._train_step(x, y)
            except CancelEpoch:
                self.step += steps - self._batch_index
                self._batch_index = steps
            self._end_epoch()

    def _train_step(self, x: Tensor, y: Tensor) -> None:
        # The hot path: every attribute read and call here is paid once per batch.
        control = self._control
        if control.pause_requested or control.stop_requested:
            self._check_control()
        optimizer, scaler, hooks = self.optimizer, self.precision.scaler, self.callbacks.callers
        size = len(y)
        info: dict[str, Any] = {
            "step": self.step + 1, "epoch": self.epoch, "batch": self._batch_index,
            "batch_size": size, "loss": math.nan, "lr": optimizer.param_groups[0]["lr"],
            "seconds": 0.0,
        }  # fmt: skip
        self.batch = (x, y)
        try:
            with self._lock:
                for hook in hooks["on_step_start"]:
                    hook(self, info)
                with self.precision.autocast():
                    out = self.model(x)
                    loss = self.loss_fn(out, y)
                optimizer.zero_grad(set_to_none=True)
                if scaler is None:
                    loss.backward()
                else:
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)  # hooks below see true gradients
                self.output = out
                info["loss"] = value = loss.item()
                info["seconds"] = self._elapsed + time.perf_counter() - self._clock
                for hook in hooks["on_after_backward"]:
                    hook(self, info)
                if scaler is None:
                    optimizer.step()
                else:
                    scaler.step(optimizer)
                    scaler.update()
                if self.schedule is not None:
                    self.schedule.step_batch()
        except CancelStep:
            self.step += 1
            self._batch_index += 1
            return
        self.step += 1
        self._batch_index += 1
        self._epoch_loss += value * size
        self._epoch_samples += size
        self.history.steps.append(info)
        for hook in hooks["on_step_end"]:
            hook(self, info)

    def _end_epoch(self) -> None:
        lr = self.lr_now
        metrics = self._evaluate(self._val_batches, prefix="val_", in_loop=True)
        self.callbacks("on_validation_end", self, metrics)
        record: dict[str, Any] = {
            "epoch": self.epoch,
            "loss": self._epoch_loss / self._epoch_samples if self._epoch_samples else math.nan,
            **metrics,
            "lr": lr,
            "seconds": self.seconds,
            "epoch_seconds": self.seconds - self._epoch_started,
        }
        self.history.epochs.append(record)
        self.epoch += 1
        self._batch_index = 0
        if self.schedule is not None:
            self.schedule.step_epoch(record)
        self.callbacks("on_epoch_end", self, record)

    # ---- evaluation ---------------------------------------------------------------------

    def _evaluate(
        self, batches: Batches, prefix: str = "", in_loop: bool = False
    ) -> dict[str, float]:
        model, control = self.model, self._control
        was_training = model.training
        # Copies, so a user's evaluate() while paused mid-validation leaves the loop's sums alone.
        metrics = [copy.copy(m) for m in self.metrics]
        for metric in metrics:
            metric.reset()
        total: Tensor | float = 0.0
        try:
            for x, y in batches.epoch(0):
                # Pausing happens outside the lock, so evaluate()/predict() work while paused.
                if in_loop and (control.pause_requested or control.stop_requested):
                    self._check_control()
                with self._lock, torch.no_grad():
                    model.eval()
                    with self.precision.autocast():
                        out = model(x)
                        total = total + self.loss_fn(out, y).float() * len(y)
                    out = out.float()
                    for metric in metrics:
                        metric.update(out, y)
        finally:
            model.train(was_training)
        results = {f"{prefix}loss": float(total) / batches.size}
        results.update({f"{prefix}{m.name}": m.compute() for m in metrics})
        return results

    def evaluate(self, data: Any = None) -> dict[str, float]:
        """Loss and metrics on the validation split (or on ``data``: a Dataset or DataBundle).

        Example:
            >>> t.evaluate()  # doctest: +SKIP
            {'loss': 0.08, 'accuracy': 0.975}
        """
        dataset = self.data.val if data is None else getattr(data, "val", data)
        return self._evaluate(Batches(dataset, self.batch_size, self.seed, False, self.device))

    def predict(self, x: Any, *, batch_size: int | None = None) -> Tensor:
        """The model's outputs for one sample (shape ``input_shape``) or a batch, on the CPU.

        The model sees ``batch_size`` samples per pass (the trainer's ``batch_size`` unless
        given: a many-point grid is faster in one pass). Eval mode, no gradients; it holds
        ``lock``, so it is safe from any thread while a run goes on.

        Example:
            >>> t.predict(bundle.val[0][0]).argmax()  # doctest: +SKIP
            tensor(3)
        """
        dtype = (
            torch.long if getattr(self.data, "input_dtype", "float") == "long" else torch.float32
        )
        x = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x).to(dtype)
        single = tuple(x.shape) == tuple(self.data.input_shape)
        if single:
            x = x.unsqueeze(0)
        outputs = []
        with self._lock:
            was_training = self.model.training
            self.model.eval()
            try:
                with torch.no_grad(), self.precision.autocast():
                    for chunk in x.split(batch_size or self.batch_size):
                        outputs.append(self.model(chunk.to(self.device)).float().cpu())
            finally:
                self.model.train(was_training)
        result = torch.cat(outputs)
        return result[0] if single else result

    def find_lr(
        self, start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100
    ) -> LRFinderResult:
        """Sweep the learning rate upwards on training batches and suggest one (fastai style).

        Weights, optimizer and random state are left as they were.

        Example:
            >>> t.find_lr().suggestion  # doctest: +SKIP
            0.003
        """
        if self._control.active:
            raise RuntimeError("Stop or finish the run before searching for a learning rate.")
        return find_lr(self, start_lr, end_lr, num_steps)

    # ---- checkpoints --------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write a checkpoint folder (graph, weights, optimizer/scheduler/RNG state, history).

        Call it while idle, paused or stopped, or from a callback.

        Example:
            >>> t.save("runs/digits")  # doctest: +SKIP
        """
        if self._control.state == "running" and not self._control.in_loop_thread():
            raise RuntimeError("Pause or stop the run before saving (t.pause(); t.save(...)).")
        return save_trainer(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path, data: Any, **overrides: Any) -> Trainer:
        """Rebuild a trainer from ``save``'s folder, ready to continue at the same step.

        ``overrides`` replace saved settings (``callbacks``, ``device``, ``epochs``...); a model
        saved without a graph needs ``model=`` (its weights are loaded into it).

        Example:
            >>> t = Trainer.load("runs/digits", datasets.load("digits"))  # doctest: +SKIP
            >>> t.fit()  # doctest: +SKIP

        Every file is read and checked first (``state_files.check_run_folder``): a broken,
        truncated or foreign file raises StateFileError (a ValueError) naming it.
        """
        check_run_folder(Path(directory))
        return load_trainer(cls, Path(directory), data, overrides)

    def current_rng_state(self) -> Tensor:
        """The random state a resumed run starts from."""
        if self._control.in_loop_thread():
            return torch.get_rng_state()
        return self._rng_state

    def __repr__(self) -> str:
        return (
            f"Trainer({type(self.model).__name__}, state={self.state!r}, "
            f"step={self.step}/{self.total_steps}, epoch={self.epoch}/{self.epochs})"
        )
