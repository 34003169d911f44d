"""Losses, optimizers, schedules and metrics by name, and the errors a learner meets first."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.metrics import f1_score, mean_absolute_error, r2_score
from torch import nn
from train_helpers import blob_bundle, cnn_graph, mlp_graph

from dlstudio import datasets
from dlstudio.train import Trainer, TrainingSetupError, loss_names


def quick(bundle, model=None, **kwargs):
    settings = {"epochs": 3, "batch_size": 32, "device": "cpu", "lr": 1e-2}
    features, outputs = bundle.input_shape[0], bundle.output_size
    model = model if model is not None else mlp_graph(features, 16, outputs)
    return Trainer(model, bundle, **{**settings, **kwargs})


@pytest.mark.parametrize(
    "optimizer",
    ["sgd", "adam", "adamw", "rmsprop", {"name": "sgd", "momentum": 0.5}, torch.optim.Adagrad],
)
def test_every_optimizer_lowers_the_loss(blobs, optimizer):
    history = quick(blobs, optimizer=optimizer, lr=1e-2 if optimizer != "rmsprop" else 1e-3).fit()
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]


def test_optimizer_options_reach_torch(blobs):
    trainer = quick(blobs, optimizer={"name": "sgd", "momentum": 0.5, "weight_decay": 1e-4})
    assert isinstance(trainer.optimizer, torch.optim.SGD)
    assert trainer.optimizer.defaults["momentum"] == 0.5
    assert trainer.optimizer.defaults["weight_decay"] == 1e-4


def epoch_lrs(trainer):
    return [e["lr"] for e in trainer.history.epochs]


def step_lrs(trainer):
    return [s["lr"] for s in trainer.history.steps]


def test_step_schedule_divides_the_rate_per_epoch(blobs):
    trainer = quick(blobs, scheduler={"name": "step", "step_size": 1, "gamma": 0.5})
    trainer.fit()
    assert epoch_lrs(trainer) == pytest.approx([1e-2, 5e-3, 2.5e-3])


def test_cosine_schedule_decays_each_step(blobs):
    trainer = quick(blobs, scheduler="cosine")
    trainer.fit()
    lrs = step_lrs(trainer)
    assert lrs[0] == pytest.approx(1e-2)
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False)) and lrs[-1] < 1e-3


def test_one_cycle_rises_then_falls(blobs):
    trainer = quick(blobs, scheduler="onecycle", epochs=4)
    trainer.fit()
    lrs = step_lrs(trainer)
    peak = lrs.index(max(lrs))
    assert 0 < peak < len(lrs) - 1
    assert max(lrs) == pytest.approx(1e-2, rel=0.05) and lrs[-1] < lrs[0]


def test_plateau_schedule_cuts_the_rate_when_validation_stalls(blobs):
    # At lr 1e-6 val_loss barely moves: after `patience` flat epochs the rate is cut tenfold.
    plateau = {"name": "plateau", "patience": 0}
    trainer = quick(blobs, optimizer="sgd", lr=1e-6, scheduler=plateau, epochs=3)
    trainer.fit()
    assert epoch_lrs(trainer) == pytest.approx([1e-6, 1e-6, 1e-7])


def test_unknown_names_are_refused_with_the_choices(blobs):
    with pytest.raises(TrainingSetupError, match="Unknown loss 'hinge'.*cross_entropy"):
        quick(blobs, loss="hinge")
    with pytest.raises(TrainingSetupError, match="Unknown optimizer 'lion'.*adamw"):
        quick(blobs, optimizer="lion")
    with pytest.raises(TrainingSetupError, match="Unknown scheduler 'warmup'.*onecycle"):
        quick(blobs, scheduler="warmup")
    with pytest.raises(TrainingSetupError, match="Unknown metric 'auc'.*accuracy"):
        quick(blobs, metrics=["auc"])


@pytest.mark.parametrize("loss", loss_names())
def test_every_loss_trains_a_classifier(blobs, loss):
    trainer = quick(blobs, loss=loss, epochs=4)
    history = trainer.fit()
    assert trainer.loss_fn.name == loss
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]
    assert history.epochs[-1]["val_accuracy"] > 0.8


@pytest.mark.parametrize("loss", ["mse", "l1", "huber", "auto"])
def test_regression_losses_and_default_metrics(regression, loss):
    trainer = quick(regression, model=nn.Linear(3, 1), loss=loss, epochs=8, lr=0.05)
    history = trainer.fit()
    assert trainer.loss_fn.name == ("mse" if loss == "auto" else loss)
    last = history.epochs[-1]
    assert set(last) >= {"val_loss", "val_mae", "val_r2"}  # the default became mae and r2
    assert last["val_r2"] > 0.9


def test_auto_loss_for_one_logit_binary_classifier():
    bundle = blob_bundle(classes=2)
    trainer = quick(bundle, model=nn.Linear(4, 1), metrics=["accuracy", "f1"], epochs=5)
    assert trainer.loss_fn.name == "bce"
    assert trainer.fit().epochs[-1]["val_accuracy"] > 0.9


def test_metrics_match_scikit_learn(blobs):
    trainer = quick(blobs, metrics=["accuracy", "top2", "f1"])
    trainer.fit()
    x, y = blobs.val.tensors
    predicted = trainer.predict(x).argmax(1)
    result = trainer.evaluate()
    assert result["accuracy"] == pytest.approx((predicted == y).float().mean().item())
    assert result["f1"] == pytest.approx(f1_score(y, predicted, average="macro"))
    top2 = trainer.predict(x).topk(2, dim=1).indices
    assert result["top2"] == pytest.approx((top2 == y[:, None]).any(1).float().mean().item())
    assert result["top2"] >= result["accuracy"]


def test_regression_metrics_match_scikit_learn(regression):
    trainer = quick(regression, model=nn.Linear(3, 1), metrics=["mae", "r2"])
    trainer.fit()
    x, y = regression.val.tensors
    predicted = trainer.predict(x)
    result = trainer.evaluate()
    assert result["mae"] == pytest.approx(mean_absolute_error(y, predicted), rel=1e-5)
    assert result["r2"] == pytest.approx(r2_score(y.double(), predicted.double()), rel=1e-6)


def test_output_size_must_match_the_number_of_classes(blobs):
    with pytest.raises(TrainingSetupError, match="gives 5 output.*3 classes.*to 3"):
        Trainer(nn.Linear(4, 5), blobs, device="cpu")


def test_cross_entropy_refuses_regression_targets(regression):
    with pytest.raises(TrainingSetupError, match="Cross-entropy needs class labels.*regression"):
        Trainer(nn.Linear(3, 1), regression, loss="cross_entropy", device="cpu")
    with pytest.raises(TrainingSetupError, match="Cross-entropy"):
        Trainer(nn.Linear(3, 1), regression, loss=nn.CrossEntropyLoss(), device="cpu")


def test_classification_metric_on_regression_is_refused(regression):
    with pytest.raises(TrainingSetupError, match="'accuracy' is for classification"):
        Trainer(nn.Linear(3, 1), regression, metrics=["accuracy", "mae"], device="cpu")


def test_graph_input_shape_must_match_the_data():
    bundle = datasets.load("digits")
    graph = cnn_graph(shape=(1, 28, 28))
    with pytest.raises(TrainingSetupError) as caught:
        Trainer(graph, bundle, device="cpu")
    message = str(caught.value)
    assert "Input node 'in'" in message and "(1, 28, 28)" in message and "(1, 8, 8)" in message


def test_module_that_cannot_take_the_data_is_explained(blobs):
    with pytest.raises(TrainingSetupError, match=r"could not run on this data.*\(4,\)"):
        Trainer(nn.Linear(7, 3), blobs, device="cpu")


def test_data_must_be_a_bundle():
    with pytest.raises(TrainingSetupError, match="DataBundle"):
        Trainer(nn.Linear(2, 2), [(torch.zeros(2), 0)])


def test_find_lr_suggests_a_sane_rate_and_leaves_the_model_alone(blobs):
    trainer = quick(blobs, epochs=1, batch_size=16)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.find_lr()
    assert 1e-4 <= result.suggestion <= 0.3
    assert len(result.lrs) == len(result.losses) > 20
    assert all(math.isfinite(v) for v in result.losses)
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, before[key])
    assert trainer.step == 0 and trainer.state == "idle"


def test_device_auto_resolves_here(blobs):
    trainer = Trainer(nn.Linear(4, 3), blobs)
    expected = "cuda" if torch.cuda.is_available() else trainer.device.type
    assert trainer.device.type == expected
    assert trainer.precision.enabled == (trainer.device.type == "cuda")


def test_output_size_error_names_the_graph_node(blobs):
    with pytest.raises(TrainingSetupError, match="3 classes.*graph node 'fc3'"):
        Trainer(mlp_graph(4, 8, 5), blobs, device="cpu")
