"""Fixtures for the training tests (helpers live in train_helpers.py)."""

from __future__ import annotations

import pytest
import torch
from train_helpers import blob_bundle, regression_bundle

from dlstudio.datasets import DataBundle


@pytest.fixture(autouse=True)
def one_thread():
    # Two cores shared with other test processes: more threads only add contention.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def blobs() -> DataBundle:
    return blob_bundle()


@pytest.fixture
def regression() -> DataBundle:
    return regression_bundle()
