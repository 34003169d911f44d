"""Callback hooks: order, what they receive, cancelling, and the built-in callbacks."""

from __future__ import annotations

import math

import pytest
from train_helpers import mlp_graph

from dlstudio.train import (
    HOOKS,
    Callback,
    CancelEpoch,
    CancelFit,
    CancelStep,
    Checkpoint,
    EarlyStopping,
    ProgressTracker,
    TensorBoardLogger,
    Trainer,
)


def every_hook_recorder(name, log, order=0):
    """A Callback subclass overriding every hook, so the dispatcher calls each one."""

    def recorder(hook):
        return lambda self, *args: log.append((name, hook))

    methods = {hook: recorder(hook) for hook in HOOKS}
    return type(f"Rec{name}", (Callback,), {**methods, "order": order})()


def make(bundle, callbacks, **kwargs):
    settings = {"epochs": 2, "batch_size": 60, "device": "cpu", "lr": 1e-2}
    return Trainer(mlp_graph(4, 16, 3), bundle, callbacks=callbacks, **{**settings, **kwargs})


def test_hooks_run_in_loop_order_and_callback_order(blobs):
    log = []
    trainer = make(blobs, [every_hook_recorder("b", log), every_hook_recorder("a", log, order=-1)])
    trainer.fit()
    assert trainer.steps_per_epoch == 3
    step = ["on_step_start", "on_after_backward", "on_step_end"]
    epoch = ["on_epoch_start", *step * 3, "on_validation_end", "on_epoch_end"]
    expected = ["on_fit_start", *epoch * 2, "on_fit_end"]
    assert [hook for name, hook in log if name == "a"] == expected
    # "a" has the lower order, so it runs first at every hook.
    assert [name for name, _ in log[:2]] == ["a", "b"]


def test_hooks_receive_what_widgets_need(blobs):
    seen = {}

    class Probe(Callback):
        def on_step_end(self, trainer, step_info):
            seen.setdefault("step", dict(step_info))
            seen["batch"] = trainer.batch
            seen["output"] = trainer.output

        def on_epoch_end(self, trainer, epoch_info):
            seen["epoch"] = dict(epoch_info)

    make(blobs, [Probe()]).fit()
    step = seen["step"]
    assert set(step) == {"step", "epoch", "batch", "batch_size", "loss", "lr", "seconds"}
    assert step["step"] == 1 and step["epoch"] == 0 and step["batch_size"] == 60
    assert math.isfinite(step["loss"]) and step["lr"] == 1e-2
    assert set(seen["epoch"]) >= {"epoch", "loss", "val_loss", "val_accuracy", "lr", "seconds"}
    x, y = seen["batch"]
    assert seen["output"].shape == (len(y), 3)


def test_cancel_step_skips_the_update(blobs):
    class SkipAll(Callback):
        def on_step_start(self, trainer, step_info):
            raise CancelStep()

    trainer = make(blobs, [SkipAll()])
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    assert trainer.state == "finished" and trainer.step == trainer.total_steps
    assert trainer.history.steps == []
    assert all((trainer.model.state_dict()[k] == v).all() for k, v in before.items())


def test_cancel_epoch_moves_on_to_validation(blobs):
    class OneStepPerEpoch(Callback):
        def on_step_end(self, trainer, step_info):
            raise CancelEpoch()

    trainer = make(blobs, [OneStepPerEpoch()], epochs=3)
    trainer.fit()
    assert [s["epoch"] for s in trainer.history.steps] == [0, 1, 2]
    assert len(trainer.history.epochs) == 3 and trainer.step == trainer.total_steps


def test_cancel_fit_stops_and_can_resume(blobs):
    class StopAfterFirstEpoch(Callback):
        def on_epoch_end(self, trainer, epoch_info):
            if epoch_info["epoch"] == 0:
                raise CancelFit("one is enough")

    trainer = make(blobs, [StopAfterFirstEpoch()], epochs=3)
    trainer.fit()
    assert trainer.state == "stopped" and trainer.stop_reason == "one is enough"
    assert trainer.epoch == 1
    trainer.fit()
    assert trainer.state == "finished" and trainer.epoch == 3


def test_callbacks_must_be_callbacks(blobs):
    with pytest.raises(TypeError, match="not a Callback"):
        make(blobs, [object()])


def test_early_stopping_finishes_and_restores_best(blobs):
    class WorseEveryEpoch(Callback):
        order = 5  # after validation records, before EarlyStopping looks at them

        def on_epoch_end(self, trainer, epoch_info):
            epoch_info["val_loss"] = float(epoch_info["epoch"])

    stopper = EarlyStopping(patience=2)
    trainer = make(blobs, [WorseEveryEpoch(), stopper], epochs=10)
    trainer.fit()
    assert trainer.state == "finished" and trainer.epoch == 3
    assert "early stopping" in trainer.stop_reason and stopper.best_epoch == 0


def test_checkpoint_saves_best_and_every(tmp_path, blobs):
    best = Checkpoint(tmp_path / "best", monitor="val_loss")
    every = Checkpoint(tmp_path / "every", every=2)
    trainer = make(blobs, [best, every], epochs=4)
    trainer.fit()
    assert every.saved_epochs == [1, 3]
    assert best.saved_epochs and best.saved_epochs[0] == 0
    loaded = Trainer.load(tmp_path / "every", blobs)
    assert loaded.epoch == 4 and loaded.state == "finished"


def test_tensorboard_logger_writes_event_files(tmp_path, blobs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    make(blobs, [TensorBoardLogger(tmp_path / "tb")]).fit()
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/lr", "train/epoch_loss", "val/loss", "val/accuracy"} <= tags
    assert len(events.Scalars("train/loss")) == 6


def test_progress_tracker_reports_rate_and_eta(blobs):
    updates = []
    tracker = ProgressTracker(interval=0.0, on_update=updates.append)
    trainer = make(blobs, [tracker], epochs=3)
    trainer.fit()
    last = updates[-1]
    assert last["step"] == last["total_steps"] == 9 and last["fraction"] == 1.0
    assert last["state"] == "finished" and last["steps_per_second"] > 0
    assert updates[0]["eta_seconds"] is not None and updates[0]["eta_seconds"] > 0


def test_add_callback_joins_once(blobs):
    tracker = ProgressTracker()
    trainer = make(blobs, [])
    trainer.add_callback(tracker)
    trainer.add_callback(tracker)
    assert sum(cb is tracker for cb in trainer.callbacks) == 1
    trainer.fit()
    assert tracker.snapshot()["step"] == trainer.total_steps
