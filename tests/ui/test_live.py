"""The live training widgets' Python side: bounded history, batching, callbacks, controls and
results computations, with real Trainers on small data sets (no browser here)."""

from __future__ import annotations

import base64
import io
import math
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pytest
import torch
import traitlets
from PIL import Image
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import r2_score
from torch import nn

from dlstudio import datasets
from dlstudio.train import Callback, Trainer
from dlstudio.train.metrics import confusion_matrix
from dlstudio.ui.live import (
    ConfusionMatrix,
    DecisionBoundary,
    LossPlot,
    RegressionPlot,
    TrainingControls,
    _responsive,
    live,
    results_for,
)
from dlstudio.ui.live._batcher import Batcher
from dlstudio.ui.live._compute import boundary_grid, misclassified, png_data_url
from dlstudio.ui.live._series import Series
from dlstudio.ui.live._trainers import attach, validate_settings
from dlstudio.ui.live.progress import describe, format_seconds


class RecordingPlot(LossPlot):
    """A LossPlot that also keeps the custom messages it sends (the comm is a no-op here)."""

    def __init__(self, **kwargs: Any):
        self.sent: list[dict[str, Any]] = []
        super().__init__(**kwargs)

    def send(self, content: Any, buffers: Any = None) -> None:
        self.sent.append(content)
        super().send(content, buffers)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    # Tiny models on a busy two-core machine: torch's second thread only adds contention.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def moons() -> Any:
    return datasets.load("moons")


def mlp(inputs: int = 2, outputs: int = 2) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(inputs, 16), nn.ReLU(), nn.Linear(16, outputs))


# -- bounded history ---------------------------------------------------------------------------


def test_series_stays_bounded_evenly_covered_with_recent_points_exact() -> None:
    series = Series(capacity=2000)
    for step in range(1, 100_001):
        series.append(step, 1.0 / step)
    xs, ys = series.x, series.y
    assert len(series) == len(xs) <= 2000
    # The newest quarter is kept as it came.
    assert xs[-500:] == list(range(99_501, 100_001))
    assert ys[-1] == 1.0 / 100_000
    # The older part covers the whole run evenly: each point averages `stride` steps.
    assert xs[0] == series.stride and xs == sorted(xs)
    gaps = np.diff(xs[: len(xs) - 501])
    assert set(gaps.tolist()) == {series.stride}
    assert ys[0] == pytest.approx(np.mean([1.0 / s for s in range(1, series.stride + 1)]))


def test_series_means_keep_the_level_and_skip_non_finite_values() -> None:
    series = Series(capacity=8)
    for step in range(640):
        series.append(step, 5.0)
    assert all(y == 5.0 for y in series.y) and len(series) <= 8
    series = Series(capacity=8)
    for step, value in enumerate([1.0, math.nan, 3.0, 4.0, 5.0, 6.0]):
        series.append(step, value)
    # The two oldest points left the exact tail and share a bucket: NaN is skipped.
    assert series.to_json()["y"][0] == 1.0
    assert series.to_json()["y"][-2:] == [5.0, 6.0]
    with pytest.raises(ValueError, match="capacity"):
        Series(capacity=2)


def test_loss_plot_at_100000_steps_is_bounded_and_loses_no_point() -> None:
    plot = RecordingPlot(interval=0.05)
    start = time.monotonic()
    for step in range(1, 100_001):
        plot.log(step=step, loss=1.0 / step)
    plot.flush()
    elapsed = time.monotonic() - start
    data = plot.snapshot()
    assert len(data["series"]["loss"]["x"]) <= 2000
    assert data["series"]["loss"]["x"][-1] == 100_000
    messages = [m for m in plot.sent if m["type"] == "points"]
    sent_x = [x for m in messages for x in m["series"]["loss"]["x"]]
    assert sent_x == list(range(1, 100_001))  # every point sent once, in order
    # Batched: at most one message per interval (plus the final flush), not one per step.
    assert len(messages) <= elapsed / 0.05 + 2
    assert [m["seq"] for m in messages] == sorted({m["seq"] for m in messages})
    assert data["seq"] == messages[-1]["seq"]
    plot.close()


def test_batcher_flushes_at_most_once_per_interval_and_drains() -> None:
    flushes: list[float] = []
    batcher = Batcher(lambda: flushes.append(time.monotonic()), interval=0.1)
    end = time.monotonic() + 0.55
    while time.monotonic() < end:
        batcher.poke()
        time.sleep(0.001)
    assert batcher.drain()
    assert 2 <= len(flushes) <= 8
    gaps = np.diff(flushes)
    assert (gaps >= 0.099).all()
    batcher.poke()
    batcher.close()  # closing flushes what is pending
    assert len(flushes) >= 3
    with pytest.raises(ValueError, match="interval"):
        Batcher(lambda: None, interval=0)


def test_manual_logging_api_and_its_errors() -> None:
    plot = LossPlot()
    plot.log(loss=1.0)
    plot.log(loss=0.5, accuracy=0.6)
    plot.log_epoch(val_loss=0.7)
    data = plot.snapshot()
    assert data["series"]["loss"] == {"x": [1, 2], "y": [1.0, 0.5], "kind": "step", "panel": "loss"}
    assert data["series"]["accuracy"]["panel"] == "metric"
    assert data["series"]["val_loss"] == {"x": [2], "y": [0.7], "kind": "epoch", "panel": "loss"}
    with pytest.raises(ValueError, match="already plotted per step"):
        plot.log_epoch(loss=0.1)
    with pytest.raises(ValueError, match="at least one value"):
        plot.log(step=3)
    plot.log(loss=float("inf"))
    assert plot.snapshot()["series"]["loss"]["y"][-1] is None  # JSON has no infinity
    with pytest.raises(traitlets.TraitError, match="smoothing"):
        plot.smoothing = 1.5
    plot.clear()
    assert plot.data["series"] == {}
    plot.close()


def test_a_new_view_asking_hello_gets_the_full_history_at_once() -> None:
    plot = RecordingPlot(sync_interval=3600)  # no periodic sync: only the hello refreshes
    for step in range(1, 51):
        plot.log(step=step, loss=float(step))
    plot.flush()
    # Every point went out as a message, but `data` holds none yet: a view that appears now
    # draws nothing until its hello.
    assert [x for m in plot.sent for x in m["series"]["loss"]["x"]] == list(range(1, 51))
    assert plot.data["series"] == {}
    stale = plot.data
    plot._on_message(plot, {"type": "hello"}, [])
    assert plot.data["series"]["loss"]["x"] == list(range(1, 51))
    assert plot.data is not stale
    plot.close()


# -- callbacks in a real Trainer -------------------------------------------------------------


def test_loss_plot_receives_the_trainers_values(moons: Any) -> None:
    plot = LossPlot()
    trainer = Trainer(mlp(), moons, epochs=2, batch_size=100, callbacks=[plot])
    history = trainer.fit()
    data = plot.snapshot()["series"]
    assert data["loss"]["x"] == [s["step"] for s in history.steps]
    assert data["loss"]["y"] == pytest.approx([s["loss"] for s in history.steps])
    steps_per_epoch = trainer.steps_per_epoch
    assert data["val_loss"]["x"] == [steps_per_epoch, 2 * steps_per_epoch]
    assert data["val_loss"]["y"] == pytest.approx([e["val_loss"] for e in history.epochs])
    assert data["val_accuracy"]["y"] == pytest.approx([e["val_accuracy"] for e in history.epochs])
    assert data["epoch_loss"]["y"] == pytest.approx([e["loss"] for e in history.epochs])
    # A second trainer on the same plot continues the step axis.
    second = Trainer(mlp(), moons, epochs=1, batch_size=100, callbacks=[plot])
    second.fit()
    xs = plot.snapshot()["series"]["loss"]["x"]
    assert xs[-1] == 3 * steps_per_epoch and xs == sorted(xs)
    plot.close()


def test_progress_text_and_time_formats() -> None:
    assert format_seconds(5) == "5 s"
    assert format_seconds(3725) == "1 h 02 min"
    text = describe({"step": 10, "total_steps": 100, "steps_per_second": 0.0, "state": "running"})
    assert text == "step 10 / 100"


# -- controls --------------------------------------------------------------------------------


def test_settings_are_validated_with_clear_messages() -> None:
    ok = validate_settings({"epochs": "3", "batch_size": 8.0, "lr": "0.1", "optimizer": "SGD"})
    assert ok == {"epochs": 3, "batch_size": 8, "lr": 0.1, "optimizer": "sgd"}
    for bad, message in [
        ({"epochs": 0}, "number of epochs must be between 1"),
        ({"batch_size": 10**6}, "batch size must be between"),
        ({"lr": float("nan")}, "learning rate"),
        ({"lr": "fast"}, "must be a number"),
        ({"optimizer": "adagrad"}, "Unknown optimizer 'adagrad'"),
        ({"scheduler": "linear"}, "Unknown scheduler"),
        ({"loss": "hinge"}, "Unknown loss"),
        ({"momentum": 0.9}, "Unknown training setting"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate_settings(bad)


def test_controls_fields_clamp_and_refuse_values_from_the_page(moons: Any) -> None:
    controls = TrainingControls(Trainer(mlp(), moons, epochs=3, batch_size=32, lr=0.01))
    assert controls.settings == {
        "epochs": 3, "batch_size": 32, "lr": pytest.approx(0.01), "optimizer": "adam",
        "loss": "auto", "scheduler": "none",
    }  # fmt: skip
    controls.fields["epochs"].value = 10**9  # what a page could send: clamped to the range
    assert controls.settings["epochs"] == 10_000
    with pytest.raises(traitlets.TraitError):
        controls.fields["optimizer"].value = "evil"
    with pytest.raises(ValueError, match="learning rate"):
        controls.set(epochs=2, lr=1e9)
    assert controls.settings["epochs"] == 10_000  # nothing changed: the whole set was refused
    controls.set(epochs=2, optimizer="sgd")
    assert controls.settings["optimizer"] == "sgd"


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_buttons_drive_the_trainer_thread(moons: Any) -> None:
    plot = LossPlot()
    first = Trainer(mlp(), moons, epochs=50, batch_size=16)
    initial = {k: v.clone() for k, v in first.model.state_dict().items()}
    controls = TrainingControls(first, callbacks=[plot])
    buttons = controls.buttons
    assert controls.progress.state.value == "ready"
    assert not buttons["Train"].disabled and buttons["Stop"].disabled

    buttons["Train"].click()
    assert controls.trainer is first  # unchanged settings: the given trainer runs
    wait_for(lambda: first.step >= 5)
    assert controls.progress.state.value == "training"
    assert buttons["Train"].disabled and not buttons["Pause"].disabled
    assert all(field.disabled for field in controls.fields.values())

    buttons["Pause"].click()
    assert first.state == "paused" and controls.progress.state.value == "paused"
    paused_at = first.step
    time.sleep(0.1)
    assert first.step == paused_at
    assert not buttons["Resume"].disabled and buttons["Pause"].disabled

    buttons["Resume"].click()
    wait_for(lambda: first.step > paused_at)
    buttons["Stop"].click()
    assert first.state == "stopped" and controls.progress.state.value == "stopped"
    stopped_at = first.step

    # Train with new settings: a new trainer continues from the current weights.
    controls.set(epochs=1, lr=0.05, optimizer="sgd")
    buttons["Train"].click()
    second = controls.trainer
    assert second is not first and second is not None
    second.wait(60)
    assert second.state == "finished" and controls.progress.state.value == "finished"
    assert second.lr == pytest.approx(0.05) and type(second.optimizer).__name__ == "SGD"
    assert buttons["Train"].disabled is False and buttons["Resume"].disabled is True
    xs = plot.snapshot()["series"]["loss"]["x"]
    assert xs[-1] == stopped_at + second.steps_per_epoch  # the curve continues

    # Reset: back to the first weights, plot cleared, nothing running.
    buttons["Reset"].click()
    third = controls.trainer
    assert third is not second and third.state == "idle" and third.step == 0
    for key, value in third.model.state_dict().items():
        torch.testing.assert_close(value, initial[key])
    assert plot.data["series"] == {}
    assert controls.progress.state.value == "ready"
    plot.close()


def test_a_trainer_factory_and_setup_errors_shown_in_words() -> None:
    made: list[dict[str, Any]] = []
    diabetes = datasets.load("diabetes")

    def factory(**settings: Any) -> Trainer:
        made.append(settings)
        return Trainer(mlp(10, 1), diabetes, metrics=(), **settings)

    controls = TrainingControls(factory, settings={"epochs": 1, "batch_size": 200})
    assert controls.trainer is None
    assert controls.buttons["Reset"].disabled
    controls.set(loss="cross_entropy")  # wrong for regression: the page says why
    controls.buttons["Train"].click()
    assert "regression" in controls.message.value and controls.trainer is None
    controls.set(loss="auto")
    controls.buttons["Train"].click()
    assert controls.message.value == ""
    controls.trainer.wait(60)
    assert controls.trainer.state == "finished"
    assert made[-1] == {
        "epochs": 1, "batch_size": 200, "lr": pytest.approx(1e-3), "optimizer": "adam",
        "loss": "auto", "scheduler": None,
    }  # fmt: skip
    with pytest.raises(TypeError, match="Trainer or a function"):
        TrainingControls(42)  # type: ignore[arg-type]


# -- results ---------------------------------------------------------------------------------


def test_confusion_matrix_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    true = rng.integers(0, 5, 500)
    pred = np.where(rng.random(500) < 0.7, true, rng.integers(0, 5, 500))
    expected = sk_confusion_matrix(true, pred, labels=range(5))
    np.testing.assert_array_equal(confusion_matrix(true, pred, 5), expected)


def test_misclassified_are_the_most_confident_mistakes() -> None:
    true = np.array([0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.95, 0.05], [0.2, 0.8]])
    assert misclassified(true, probs, 2) == [(2, 1, 0, 0.95), (3, 0, 1, 0.8)]


def test_png_data_url_is_a_real_image() -> None:
    image = torch.linspace(0, 1, 12).reshape(3, 2, 2)
    url = png_data_url(image)
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.size == (2, 2) and decoded.mode == "RGB"


def test_confusion_view_on_digits_with_a_gallery_of_images() -> None:
    bundle = datasets.load("digits")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    trainer = Trainer(model, bundle, epochs=1, batch_size=64)
    view = ConfusionMatrix(gallery_size=6)
    assert view.payload == {"type": "confusion", "empty": True}
    payload = view.update(trainer)
    x = torch.stack([bundle.val[i][0] for i in range(len(bundle.val))])
    y = np.array([int(bundle.val[i][1]) for i in range(len(bundle.val))])
    pred = trainer.predict(x).argmax(1).numpy()
    np.testing.assert_array_equal(payload["matrix"], sk_confusion_matrix(y, pred, labels=range(10)))
    assert payload["accuracy"] == pytest.approx((pred == y).mean())
    assert len(payload["gallery"]) == 6
    item = payload["gallery"][0]
    assert item["src"].startswith("data:image/png;base64,") and item["true"] != item["pred"]
    view.clear()
    assert view.payload["empty"]


def test_regression_view_matches_sklearn_r2() -> None:
    bundle = datasets.load("diabetes")
    trainer = Trainer(mlp(10, 1), bundle, epochs=1, metrics=())
    payload = RegressionPlot().update(trainer)
    assert payload["r2"] == pytest.approx(r2_score(payload["true"], payload["pred"]), abs=1e-3)
    assert payload["samples"] == len(bundle.val)


def test_decision_boundary_grid_shape_and_values(moons: Any) -> None:
    trainer = Trainer(mlp(), moons, epochs=1, batch_size=64)
    view = DecisionBoundary(resolution=60)
    payload = view.update(trainer)
    assert len(payload["x"]) == len(payload["y"]) == 60
    assert len(payload["z"]) == 60 and all(len(row) == 60 for row in payload["z"])
    assert payload["binary"] and all(0 <= v <= 1 for row in payload["z"] for v in row)
    xs, ys = view.points["x"], view.points["y"]
    assert payload["x"][0] < min(xs) and payload["x"][-1] > max(xs)
    assert payload["y"][0] < min(ys) and payload["y"][-1] > max(ys)
    # z[row][col] is the model's P(class 1) at (x[col], y[row]).
    point = torch.tensor([[payload["x"][7], payload["y"][3]]])
    expected = torch.softmax(trainer.predict(point), 1)[0, 1].item()
    assert payload["z"][3][7] == pytest.approx(expected, abs=1e-3)


def test_decision_boundary_many_classes_and_wrong_data() -> None:
    grid = boundary_grid(lambda x: torch.stack([x[:, 0], x[:, 1], -x[:, 0]], 1), (-1, 1, -1, 1), 9)
    assert not grid["binary"] and {v for row in grid["z"] for v in row} <= {0.0, 1.0, 2.0}
    digits_trainer = Trainer(
        nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), datasets.load("digits")
    )
    with pytest.raises(ValueError, match="2 input features"):
        DecisionBoundary().update(digits_trainer)
    with pytest.raises(ValueError, match="resolution"):
        DecisionBoundary(resolution=1000)


def test_decision_boundary_redraws_while_training(moons: Any) -> None:
    view = DecisionBoundary(resolution=20, interval=0.0)
    trainer = Trainer(mlp(), moons, epochs=1, batch_size=100, callbacks=[view])
    seen: list[int] = []
    view.observe(lambda change: seen.append(change["new"].get("step", -1)), "payload")
    trainer.fit()
    # Redrawn during the epoch (as often as its ~2% time budget allows) and at the end.
    assert len(seen) >= 2 and seen == sorted(seen)
    assert seen[-1] == trainer.step


def test_results_for_picks_the_views_that_fit() -> None:
    names = lambda bundle: [type(v).__name__ for v in results_for(bundle)]  # noqa: E731
    assert names(datasets.load("moons")) == ["DecisionBoundary", "ConfusionMatrix"]
    assert names(datasets.load("digits")) == ["ConfusionMatrix"]
    assert names(datasets.load("diabetes")) == ["RegressionPlot"]


# -- live() ----------------------------------------------------------------------------------


def test_live_attaches_everything_to_the_trainer(moons: Any) -> None:
    trainer = Trainer(mlp(), moons, epochs=1, batch_size=100)
    view = live(trainer, display=False)
    attached = list(trainer.callbacks)
    assert view.plot in attached and all(r in attached for r in view.results)
    assert view.controls.progress.callback in attached
    assert view.trainer is trainer
    trainer.fit()
    assert view.plot.snapshot()["series"]["loss"]["x"][-1] == trainer.step
    assert view.controls.progress.state.value == "finished"
    assert not view.results[0].payload.get("empty")
    assert set(view.widget.children) >= {view.controls, view.plot}
    view.plot.close()


def test_gil_interval_and_torch_threads_change_only_while_a_controlled_run_is_active(
    moons: Any,
) -> None:
    before, threads_before = sys.getswitchinterval(), torch.get_num_threads()
    seen: list[tuple[float, int]] = []

    class Probe(Callback):
        def on_step_end(self, trainer: Trainer, step_info: dict[str, Any]) -> None:
            seen.append((sys.getswitchinterval(), torch.get_num_threads()))

    controls = TrainingControls(Trainer(mlp(), moons, epochs=1, batch_size=200))
    attach(controls.trainer, [Probe()])
    controls.train().wait(60)
    assert seen and max(interval for interval, _ in seen) <= 0.0005 < before
    # The training thread leaves a core to the page and the kernel's main thread.
    assert {threads for _, threads in seen} == {
        _responsive.training_threads(current=threads_before)
    }
    assert sys.getswitchinterval() == before
    assert torch.get_num_threads() == threads_before


def test_training_threads_leave_one_core_and_never_go_below_one() -> None:
    assert _responsive.training_threads(available=2, current=2) == 1
    assert _responsive.training_threads(available=8, current=4) == 4
    assert _responsive.training_threads(available=16, current=16) == 15
    assert _responsive.training_threads(available=1, current=1) == 1


def test_live_with_a_factory_adds_results_once_the_first_trainer_exists(moons: Any) -> None:
    view = live(lambda **s: Trainer(mlp(), moons, **s), display=False, epochs=1, batch_size=200)
    assert view.trainer is None and view.results == []
    view.controls.train().wait(60)
    assert [type(r).__name__ for r in view.results] == ["DecisionBoundary", "ConfusionMatrix"]
    assert all(r in list(view.trainer.callbacks) for r in view.results)
    results_box = view.widget.children[-1]
    assert list(results_box.children) == view.results
    view.plot.close()


def test_dlstudio_live_is_the_function_whatever_was_imported_first() -> None:
    # A fresh interpreter: the order of first imports is what used to change the answer.
    code = (
        "import dlstudio, dlstudio.ui.live, dlstudio.ui.live.view\n"
        "from dlstudio.ui import live as package\n"
        "from dlstudio import live\n"
        "assert dlstudio.live is live is dlstudio.ui.live.live is dlstudio.ui.live.view.live\n"
        "assert package is dlstudio.ui.live and not callable(package)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    "module",
    [
        "_series",
        "_batcher",
        "_compute",
        "_trainers",
        "progress",
        "loss_plot",
        "controls",
        "results",
        "view",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    found = importlib.import_module(f"dlstudio.ui.live.{module}")
    result = doctest.testmod(found, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_adopt_a_trained_trainer_show_its_history_and_forget_it(moons: Any) -> None:
    trained = Trainer(mlp(), moons, epochs=2, batch_size=100, lr=0.01)
    trained.fit()
    plot = LossPlot()
    plot.show_history(trained.history, trained.steps_per_epoch)
    live_plot = LossPlot()
    Trainer(mlp(), moons, epochs=2, batch_size=100, lr=0.01, callbacks=[live_plot]).fit()
    assert plot.snapshot()["series"] == live_plot.snapshot()["series"]

    controls = TrainingControls(lambda **s: Trainer(mlp(), moons, **s), callbacks=[plot])
    controls.adopt(trained)
    assert controls.trainer is trained and plot in list(trained.callbacks)
    assert controls.settings["epochs"] == 2 and controls.settings["lr"] == pytest.approx(0.01)
    assert controls.progress.state.value == "finished" and not controls.buttons["Train"].disabled
    controls.forget()
    assert controls.trainer is None and controls.buttons["Reset"].disabled
    plot.close()
    live_plot.close()


def test_live_offers_an_export_panel_for_the_trained_model(tmp_path) -> None:
    from dlstudio.graph import examples
    from dlstudio.ui.export_panel import ExportPanel

    trainer = Trainer(examples.load("mlp"), datasets.load("digits"), epochs=1, device="cpu")
    view = live(trainer, display=False, export_to=tmp_path / "exports")
    (panel,) = view.widget.children[-1].children
    assert isinstance(panel, ExportPanel)
    assert panel.run() == {} and "Train the model first" in panel.status.value
    trainer.fit()
    report = panel.run()["onnx"]
    assert report.folder == (tmp_path / "exports" / "onnx").resolve()
    assert report.accuracy_after == pytest.approx(report.accuracy_before)
