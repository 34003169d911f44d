"""A NaN or infinite loss fails the run and names the layer where it started."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from train_helpers import mlp_graph

from dlstudio.train import DivergenceError, Trainer
from dlstudio.train.divergence import locate_divergence


class Log(nn.Module):
    """log(x): NaN for negative inputs, which is how a real model goes wrong."""

    def forward(self, x):
        return x.log()


def model_with_log():
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("encoder", nn.Linear(4, 8))
    model.add_module("log", Log())
    model.add_module("head", nn.Linear(8, 3))
    return model


def test_nan_from_a_layer_fails_the_run_and_names_it(blobs):
    model = model_with_log()
    trainer = Trainer(model, blobs, epochs=2, device="cpu")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(DivergenceError) as caught:
        trainer.fit()
    error = caught.value
    assert trainer.state == "failed" and trainer.error is error
    assert error.layer == "log" and error.where == "output" and error.step == 1
    assert "layer 'log' (Log)" in str(error) and "lower learning rate" in str(error)
    # The bad batch never reached the optimizer: the weights are those before it.
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    assert trainer.history.steps == []


def test_exploding_learning_rate_names_a_graph_node(blobs):
    trainer = Trainer(mlp_graph(4, 32, 3), blobs, optimizer="sgd", lr=1e4, epochs=5, device="cpu")
    trainer.start().wait()
    assert trainer.state == "failed"
    error = trainer.error
    assert isinstance(error, DivergenceError)
    assert error.layer in {"fc1", "act1", "fc2", "act2", "fc3"}  # graph node ids, not module paths
    assert f"graph node '{error.layer}'" in str(error) or f"layer '{error.layer}'" in str(error)
    # Every recorded step before the failure had a finite loss.
    assert all(math.isfinite(s["loss"]) for s in trainer.history.steps)


def test_nan_in_the_data_is_blamed_on_the_input(blobs):
    blobs.train.tensors[0][3, 1] = float("nan")
    trainer = Trainer(nn.Linear(4, 3), blobs, epochs=1, batch_size=500, device="cpu")
    with pytest.raises(DivergenceError, match="input batch itself") as caught:
        trainer.fit()
    assert caught.value.where == "input" and caught.value.layer is None


class RootAbs(nn.Module):
    """sqrt(|x|): finite at 0, but its gradient there is not."""

    def forward(self, x):
        return x.abs().sqrt()


def test_locate_divergence_finds_a_non_finite_gradient():
    model = nn.Sequential()
    model.add_module("encoder", nn.Linear(4, 4))
    model.add_module("root", RootAbs())
    model.add_module("head", nn.Linear(4, 1))
    with torch.no_grad():
        model.encoder.weight.zero_()
        model.encoder.bias.zero_()
    found = locate_divergence(model, torch.ones(2, 4), torch.ones(2, 1), nn.MSELoss())
    assert found.where == "gradient" and found.layer == "encoder"
    assert all(p.grad is None for p in model.parameters())  # the probe leaves no gradients


def test_non_finite_weights_are_reported_as_such():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1))
    with torch.no_grad():
        model[1].weight[0, 0] = float("inf")
    found = locate_divergence(model, torch.ones(2, 4), torch.ones(2, 1), nn.MSELoss())
    assert found.where == "weights" and found.layer == "1"
    assert "no longer finite" in found.description
