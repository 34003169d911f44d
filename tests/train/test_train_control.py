"""Running in a thread, pause/resume/stop, and exact resumption from a checkpoint."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn
from train_helpers import blob_bundle, chain

from dlstudio.train import Callback, CancelFit, Trainer


def dropout_mlp():
    # Dropout makes the run depend on the random state, which a resume must restore exactly.
    return chain(
        {"id": "in", "op": "Input", "params": {"shape": [4]}},
        {"id": "fc1", "op": "Linear", "params": {"out_features": 16}},
        {"id": "act", "op": "ReLU"},
        {"id": "drop", "op": "Dropout", "params": {"p": 0.3}},
        {"id": "fc2", "op": "Linear", "params": {"out_features": 3}},
        {"id": "out", "op": "Output"},
    )


class StopAt(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, trainer, step_info):
        if step_info["step"] == self.step:
            trainer.stop()


def make_trainer(bundle, **kwargs):
    settings = {"epochs": 3, "batch_size": 16, "seed": 7, "device": "cpu", "lr": 1e-2}
    return Trainer(dropout_mlp(), bundle, **{**settings, **kwargs})


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(p, q), name


@pytest.mark.parametrize("scheduler", [None, "onecycle", "plateau"])
def test_stop_save_load_resume_equals_uninterrupted_run(tmp_path, blobs, scheduler):
    full = make_trainer(blobs, scheduler=scheduler, optimizer="adamw")
    full.fit()

    stop_step = full.steps_per_epoch + 3  # in the middle of the second epoch
    part = make_trainer(
        blobs, scheduler=scheduler, optimizer="adamw", callbacks=[StopAt(stop_step)]
    )
    part.fit()
    assert part.state == "stopped" and part.step == stop_step
    assert len(part.history.steps) == stop_step and len(part.history.epochs) == 1
    part.save(tmp_path / "ckpt")

    resumed = Trainer.load(tmp_path / "ckpt", blobs)
    assert resumed.step == stop_step and resumed.state == "stopped"
    resumed.fit()

    assert resumed.state == "finished"
    assert_same_weights(full.model, resumed.model)
    full_losses = [s["loss"] for s in full.history.steps]
    assert [s["loss"] for s in resumed.history.steps] == full_losses
    assert [e["val_loss"] for e in resumed.history.epochs] == [
        e["val_loss"] for e in full.history.epochs
    ]


def test_stop_then_fit_again_in_memory_matches_too(blobs):
    full = make_trainer(blobs)
    full.fit()
    part = make_trainer(blobs, callbacks=[StopAt(5)])
    part.fit()
    torch.rand(100)  # the user draws random numbers between the two halves
    part.fit()
    assert_same_weights(full.model, part.model)


def test_same_seed_same_result_other_seed_differs(blobs):
    a, b, c = make_trainer(blobs), make_trainer(blobs), make_trainer(blobs, seed=8)
    for t in (a, b, c):
        t.fit()
    assert_same_weights(a.model, b.model)
    first = next(iter(a.model.state_dict()))
    assert not torch.equal(a.model.state_dict()[first], c.model.state_dict()[first])


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_background_run_pause_resume_stop(tmp_path, blobs):
    trainer = make_trainer(blobs, epochs=500)
    assert trainer.state == "idle"
    trainer.start()
    assert trainer.state == "running"
    wait_for(lambda: trainer.step >= 5)

    trainer.pause()
    assert trainer.state == "paused"
    paused_at = trainer.step
    time.sleep(0.05)
    assert trainer.step == paused_at
    assert len(trainer.history.steps) == paused_at
    # While paused the model is usable: evaluate, predict and save.
    assert 0 <= trainer.evaluate()["accuracy"] <= 1
    assert trainer.predict(torch.zeros(4)).shape == (3,)
    trainer.save(tmp_path / "paused")

    trainer.resume()
    wait_for(lambda: trainer.step > paused_at + 3)
    trainer.stop()
    assert trainer.state == "stopped"
    stopped_at = trainer.step
    time.sleep(0.05)
    assert trainer.step == stopped_at  # the stop took effect within the step
    assert len(trainer.history.steps) == stopped_at

    trainer.resume()  # a stopped run continues in the background
    wait_for(lambda: trainer.step > stopped_at)
    trainer.stop()
    assert trainer.state == "stopped"

    loaded = Trainer.load(tmp_path / "paused", blobs)
    assert loaded.step == paused_at


def test_wait_returns_history_and_failures_are_kept(blobs):
    trainer = make_trainer(blobs, epochs=1)
    assert trainer.start().wait() is trainer.history
    assert trainer.state == "finished" and trainer.error is None

    class Boom(Callback):
        def on_step_end(self, trainer, step_info):
            if step_info["step"] == 2:
                raise ValueError("boom")

    failing = make_trainer(blobs, callbacks=[Boom()])
    failing.start().wait()
    assert failing.state == "failed"
    assert isinstance(failing.error, ValueError)
    assert failing.step == 2  # model and history kept
    with pytest.raises(ValueError, match="boom"):
        make_trainer(blobs, callbacks=[Boom()]).fit()  # blocking runs raise the error
    failing.fit()  # a failed run can be continued once the cause is gone (step 2 is past)
    assert failing.state == "finished"


def test_second_start_while_running_is_refused(blobs):
    trainer = make_trainer(blobs, epochs=500)
    trainer.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            trainer.fit()
        with pytest.raises(RuntimeError, match="Pause or stop"):
            trainer.save("unused")
    finally:
        trainer.stop()


def test_module_checkpoint_needs_the_model_back(tmp_path, blobs):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    trainer = Trainer(model, blobs, epochs=1, device="cpu")
    trainer.fit()
    trainer.save(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="model=MyModel"):
        Trainer.load(tmp_path / "ckpt", blobs)
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    loaded = Trainer.load(tmp_path / "ckpt", blobs, model=fresh, epochs=2, lr=5e-4)
    assert_same_weights(trainer.model, loaded.model)
    assert loaded.lr_now == 5e-4
    assert loaded.state == "stopped" and loaded.epoch == 1
    loaded.fit()
    assert loaded.epoch == 2 and len(loaded.history.epochs) == 2


def test_checkpoint_folder_is_written_atomically_and_never_over_other_files(tmp_path, blobs):
    trainer = make_trainer(blobs, epochs=1)
    trainer.fit()
    folder = trainer.save(tmp_path / "ckpt")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["graph.json", "model.safetensors", "state.safetensors", "trainer.json"]
    trainer.save(tmp_path / "ckpt")  # replacing an earlier checkpoint is fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no temp folders left

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="not a dlstudio checkpoint"):
        trainer.save(tmp_path / "notes")
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "precious"


def test_predict_single_sample_and_batch(blobs):
    trainer = make_trainer(blobs, epochs=1)
    x = blob_bundle().val.tensors[0]
    assert trainer.predict(x).shape == (len(x), 3)
    assert trainer.predict(x[0].tolist()).shape == (3,)


def test_stop_during_validation_revalidates_on_resume(blobs):
    class StopAtFirstValidation(Callback):
        def __init__(self):
            self.fired = False

        def on_validation_end(self, trainer, metrics):
            if not self.fired:
                self.fired = True
                raise CancelFit("stopped before the epoch was recorded")

    full = make_trainer(blobs)
    full.fit()
    part = make_trainer(blobs, callbacks=[StopAtFirstValidation()])
    part.fit()
    assert part.state == "stopped" and part.epoch == 0 and part.history.epochs == []
    assert part.step == part.steps_per_epoch  # training of epoch 0 is done, validation is not
    part.fit()
    assert_same_weights(full.model, part.model)
    assert [e["val_loss"] for e in part.history.epochs] == [
        e["val_loss"] for e in full.history.epochs
    ]


def test_the_graph_is_snapshotted_when_training_starts(tmp_path, blobs):
    graph = dropout_mlp()
    trainer = Trainer(graph, blobs, epochs=1, device="cpu")
    graph.remove("drop")  # the editor keeps changing the graph while training runs
    trainer.fit()
    trainer.save(tmp_path / "ckpt")
    assert '"drop"' in (tmp_path / "ckpt" / "graph.json").read_text()
    assert_same_weights(trainer.model, Trainer.load(tmp_path / "ckpt", blobs).model)


def test_quick_stop_and_resume_never_overlap_two_loops(blobs):
    class Overlap(Callback):
        def __init__(self):
            self.running = 0
            self.most = 0

        def on_fit_start(self, trainer):
            self.running += 1
            self.most = max(self.most, self.running)

        def on_fit_end(self, trainer):
            time.sleep(0.05)  # slow end-of-run work, e.g. a widget redrawing
            self.running -= 1

    overlap = Overlap()
    trainer = make_trainer(blobs, epochs=500, callbacks=[overlap])
    for _ in range(5):
        trainer.resume()
        wait_for(lambda: trainer.step > 0)
        trainer.stop()
        assert trainer.state == "stopped"
    trainer.wait()
    assert overlap.most == 1 and overlap.running == 0


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("model_pickle", "model.safetensors is not a safetensors file .*header too large"),
        ("manifest_list", "trainer.json must be a JSON object, not list"),
        ("manifest_truncated", "trainer.json is not readable JSON"),
        ("progress_text", "progress 'step' must be a whole number"),
        ("history_numbers", "history 'steps' must be a list of records"),
        ("state_missing", "state.safetensors is missing"),
        ("rng_list", "malformed|random state"),
    ],
)
def test_a_broken_run_folder_is_refused_naming_the_file(tmp_path, blobs, broken, message):
    import json
    import pickle

    trainer = Trainer(dropout_mlp(), blobs, epochs=1, device="cpu")
    trainer.fit()
    folder = trainer.save(tmp_path / "ckpt")
    manifest = json.loads((folder / "trainer.json").read_text(encoding="utf-8"))
    if broken == "model_pickle":  # what torch.save writes: a pickle is never unpickled
        (folder / "model.safetensors").write_bytes(pickle.dumps(trainer.model.state_dict()))
    elif broken == "manifest_list":
        (folder / "trainer.json").write_text("[]", encoding="utf-8")
    elif broken == "manifest_truncated":
        text = (folder / "trainer.json").read_text(encoding="utf-8")
        (folder / "trainer.json").write_text(text[: len(text) // 2], encoding="utf-8")
    elif broken == "state_missing":
        (folder / "state.safetensors").unlink()
    else:
        if broken == "progress_text":
            manifest["progress"]["step"] = "ten"
        elif broken == "history_numbers":
            manifest["history"]["steps"] = [1, 2, 3]
        else:
            manifest["rng"]["torch"] = [1, 2]
        (folder / "trainer.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        Trainer.load(folder, blobs)


def test_a_run_folder_file_linked_out_of_the_folder_is_refused(tmp_path, blobs):
    trainer = Trainer(dropout_mlp(), blobs, epochs=1, device="cpu")
    trainer.fit()
    folder = trainer.save(tmp_path / "ckpt")
    outside = tmp_path / "elsewhere.safetensors"
    (folder / "model.safetensors").rename(outside)
    (folder / "model.safetensors").symlink_to(outside)
    with pytest.raises(ValueError, match="links to a file outside"):
        Trainer.load(folder, blobs)
