"""The seeded, stratified train/validation split, and the digits file read without sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudio.datasets.builtin import _digits_arrays
from dlstudio.datasets.memory import split_indices


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(2, 40), min_size=2, max_size=6),
    val_fraction=st.floats(0.05, 0.5),
    seed=st.integers(0, 1000),
)
def test_split_is_a_stratified_partition(counts: list[int], val_fraction: float, seed: int):
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    n = len(labels)
    n_val = int(round(n * val_fraction))
    if n_val < len(counts) or n - n_val < len(counts):
        return  # too small to stratify: covered by the unstratified test below
    train, val = split_indices(n, val_fraction, seed, labels)
    assert len(val) == n_val
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    for cls, count in enumerate(counts):
        in_val = int((labels[val] == cls).sum())
        assert abs(in_val - count * n_val / n) < 1 + 1e-9  # proportional, to one sample
        assert int((labels[train] == cls).sum()) >= 1  # every class is trained on


def test_split_is_seeded() -> None:
    labels = np.array([0, 1, 2] * 30)
    first = split_indices(90, 0.2, seed=3, labels=labels)
    again = split_indices(90, 0.2, seed=3, labels=labels)
    other = split_indices(90, 0.2, seed=4, labels=labels)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])
    assert np.bincount(labels[first[1]]).tolist() == [6, 6, 6]


def test_split_without_enough_members_per_class_is_plain_random() -> None:
    labels = np.array([0] * 19 + [1])  # one member of class 1: cannot stratify
    train, val = split_indices(20, 0.25, seed=0, labels=labels)
    assert len(train) == 15 and len(val) == 5


def test_split_refuses_an_empty_side() -> None:
    with pytest.raises(ValueError, match="both splits need at least one sample"):
        split_indices(3, 0.1, seed=0)


def test_digits_file_read_without_sklearn_equals_load_digits() -> None:
    from sklearn.datasets import load_digits

    images, labels = _digits_arrays()
    reference = load_digits()
    assert np.array_equal(images, reference.images)
    assert np.array_equal(labels, reference.target)
