"""Generated sets: reproducible from the seed, and true to noise and n_samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlstudio import datasets
from dlstudio.datasets import generated

TOYS = ["moons", "circles", "spirals", "xor", "blobs", "sine"]


def features(dataset) -> torch.Tensor:
    return torch.stack([dataset[i][0] for i in range(len(dataset))])


@pytest.mark.parametrize("name", TOYS)
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    a = datasets.load(name, seed=3, n_samples=200)
    b = datasets.load(name, seed=3, n_samples=200)
    c = datasets.load(name, seed=4, n_samples=200)
    assert torch.equal(features(a.train), features(b.train))
    assert torch.equal(features(a.val), features(b.val))
    assert not torch.equal(features(a.train), features(c.train))


@pytest.mark.parametrize("name", TOYS)
def test_n_samples_sets_the_size(name: str) -> None:
    bundle = datasets.load(name, n_samples=250, val_fraction=0.2)
    assert (len(bundle.train), len(bundle.val)) == (200, 50)


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "xor", "blobs", "sine"])
@pytest.mark.parametrize("noise", [0.02, 0.2])
def test_noise_is_the_std_of_the_jitter(name: str, noise: float) -> None:
    make = getattr(generated, name)
    clean, labels = make(n_samples=2000, noise=0.0, seed=5)
    noisy, noisy_labels = make(n_samples=2000, noise=noise, seed=5)
    # Same seed: the same underlying points, so the difference is exactly the added noise.
    if name == "sine":  # the target is the next (noisy) measurement
        clean, noisy = np.append(clean.ravel(), labels), np.append(noisy.ravel(), noisy_labels)
    else:
        np.testing.assert_array_equal(labels, noisy_labels)
    assert np.std(noisy - clean) == pytest.approx(noise, rel=0.1)


def test_blobs_noise_is_the_cluster_spread() -> None:
    for noise in (0.1, 0.5):
        x, y = generated.blobs(n_samples=3000, noise=noise, seed=0)
        spread = np.mean([x[y == k].std(axis=0).mean() for k in range(3)])
        assert spread == pytest.approx(noise, rel=0.1)


def test_noise_option_reaches_the_generator() -> None:
    quiet = datasets.load("circles", noise=0.0, n_samples=400)
    loud = datasets.load("circles", noise=0.3, n_samples=400)

    def radius_spread(bundle) -> float:
        x = features(bundle.train)
        y = torch.stack([bundle.train[i][1] for i in range(len(bundle.train))])
        return max(float(x[y == k].norm(dim=1).std()) for k in (0, 1))

    # Noise-free circles keep (almost, after standardising) one radius per class.
    assert radius_spread(quiet) < 0.05
    assert radius_spread(loud) > 5 * radius_spread(quiet)


def test_spirals_and_xor_have_balanced_classes() -> None:
    for name in ("spirals", "xor"):
        _, y = getattr(generated, name)(n_samples=1000, seed=0)
        assert abs(int(np.sum(y)) - 500) < 60


def test_sine_windows_forecast_the_next_value() -> None:
    bundle = datasets.load("sine", n_samples=100, length=12, noise=0.0)
    x, y = bundle.train[0]
    assert x.shape == (12, 1) and y.shape == (1,) and y.dtype == torch.float32
    assert bundle.input_shape == (12, 1) and bundle.task == "regression"
    raw_x, raw_y = generated.sine(n_samples=10, length=12, noise=0.0)
    assert raw_x.shape == (10, 12, 1) and raw_y.shape == (10, 1)
    assert np.abs(raw_x).max() <= 1 and np.abs(raw_y).max() <= 1


def test_blobs_centers_option() -> None:
    bundle = datasets.load("blobs", centers=5, n_samples=500)
    assert bundle.num_classes == 5 and len(bundle.classes) == 5


@pytest.mark.parametrize(("option", "value"), [("n_samples", 1), ("noise", -1)])
def test_bad_generator_options_are_clear_errors(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        datasets.load("moons", **{option: value})
