"""from_tensors: task from the targets, shapes from x, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlstudio import datasets


def test_integer_labels_make_classification() -> None:
    x, y = torch.randn(100, 3), torch.arange(100) % 4
    bundle = datasets.from_tensors(x, y, name="mine", classes=["a", "b", "c", "d"])
    assert (bundle.name, bundle.task, bundle.num_classes) == ("mine", "classification", 4)
    assert bundle.classes == ["a", "b", "c", "d"] and bundle.input_shape == (3,)
    assert (len(bundle.train), len(bundle.val)) == (80, 20)
    assert bundle.train[0][1].dtype == torch.int64


def test_float_targets_make_regression_and_task_overrides() -> None:
    x, y = np.random.default_rng(0).normal(size=(40, 2)), np.linspace(0, 1, 40)
    bundle = datasets.from_tensors(x, y)
    assert bundle.task == "regression" and bundle.output_size == 1
    assert bundle.train[0][1].shape == (1,) and bundle.train[0][0].dtype == torch.float32
    as_classes = datasets.from_tensors(x, np.arange(40) % 2 * 1.0, task="classification")
    assert as_classes.task == "classification" and as_classes.num_classes == 2
    as_numbers = datasets.from_tensors(x, np.arange(40) % 3, task="regression")
    assert as_numbers.task == "regression"


def test_text_labels_become_named_classes() -> None:
    y = np.array(["cat", "dog", "cat", "bird"] * 10)
    bundle = datasets.from_tensors(np.random.rand(40, 5), y)
    assert bundle.classes == ["bird", "cat", "dog"]


def test_images_and_sequences_keep_their_shapes() -> None:
    images = torch.randint(0, 256, (30, 3, 8, 8), dtype=torch.uint8)
    bundle = datasets.from_tensors(images, torch.arange(30) % 3, augment=["flip"])
    assert bundle.image and bundle.input_shape == (3, 8, 8) and bundle.augment == {"flip": {}}
    assert bundle.train[0][0].dtype == torch.float32
    sequences = datasets.from_tensors(torch.randn(30, 7, 2), torch.randn(30, 2))
    assert sequences.input_shape == (7, 2) and sequences.output_size == 2


def test_token_ids_are_left_as_integers() -> None:
    tokens = torch.randint(0, 100, (30, 12))
    bundle = datasets.from_tensors(tokens, torch.arange(30) % 2)
    assert bundle.input_dtype == "long"
    x = torch.stack([bundle.train[i][0] for i in range(len(bundle.train))])
    # Not standardised: every training row is one of the original rows, unchanged.
    assert x.dtype == torch.long
    assert all((tokens == row).all(dim=1).any() for row in x)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (torch.randn(10, 2), torch.arange(9), "x has 10 samples but y has 9"),
        (torch.tensor([[float("nan"), 1.0]] * 10), torch.arange(10) % 2, "x holds NaN"),
        (torch.randn(10, 2), torch.tensor([0.5] * 9 + [float("inf")]), "y holds NaN or inf"),
        (np.array([["a", "b"]] * 10), torch.arange(10) % 2, "x must be numeric"),
        (torch.zeros(0, 2), torch.zeros(0), "x is empty"),
    ],
)
def test_bad_inputs_are_clear_errors(x, y, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        datasets.from_tensors(x, y)


def test_task_mismatches_are_clear_errors() -> None:
    x = torch.randn(10, 2)
    with pytest.raises(ValueError, match="text labels"):
        datasets.from_tensors(x, np.array(["a", "b"] * 5), task="regression")
    with pytest.raises(ValueError, match="class indices"):
        datasets.from_tensors(x, torch.linspace(0, 1, 10), task="classification")
    with pytest.raises(ValueError, match="one name per class"):
        datasets.from_tensors(x, torch.arange(10) % 3, classes=["a", "b"])
    with pytest.raises(ValueError, match="not images"):
        datasets.from_tensors(x, torch.arange(10) % 2, augment=["flip"])
