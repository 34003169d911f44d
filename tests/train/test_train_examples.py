"""Every shipped example graph trains on data of its kind (images, token ids)."""

from __future__ import annotations

import math

import pytest
import torch

from dlstudio import datasets
from dlstudio.graph import examples
from dlstudio.train import Trainer

DATA = {
    "mlp": lambda: datasets.load("digits"),
    "lenet5": lambda: datasets.from_tensors(torch.rand(80, 1, 28, 28), torch.randint(0, 10, (80,))),
    "resnet_small": lambda: datasets.from_tensors(
        torch.rand(40, 3, 32, 32), torch.randint(0, 10, (40,))
    ),
    "lstm_classifier": lambda: datasets.from_tensors(
        torch.randint(0, 100, (80, 20)), torch.randint(0, 2, (80,))
    ),
    "transformer_encoder": lambda: datasets.from_tensors(
        torch.randint(0, 100, (80, 16)), torch.randint(0, 2, (80,))
    ),
    "finetune": lambda: datasets.from_tensors(
        torch.rand(40, 3, 64, 64), torch.randint(0, 10, (40,))
    ),
}


def test_every_example_has_data_here():
    assert set(DATA) == set(examples.names())


@pytest.mark.parametrize("name", sorted(DATA))
def test_example_graph_trains_one_epoch(name):
    trainer = Trainer(examples.load(name), DATA[name](), epochs=1, batch_size=16, device="cpu")
    history = trainer.fit()
    assert trainer.state == "finished"
    assert all(math.isfinite(step["loss"]) for step in history.steps)
    assert 0.0 <= history.epochs[0]["val_accuracy"] <= 1.0
