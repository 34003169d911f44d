"""Built-in data sets: shapes, dtypes, splits and train-only standardisation, all offline."""

from __future__ import annotations

import pytest
import torch

from dlstudio import datasets

# name: (samples, input shape, task, number of classes or None)
OFFLINE = {
    "digits": (1797, (1, 8, 8), "classification", 10),
    "iris": (150, (4,), "classification", 3),
    "wine": (178, (13,), "classification", 3),
    "breast_cancer": (569, (30,), "classification", 2),
    "diabetes": (442, (10,), "regression", None),
    "moons": (1000, (2,), "classification", 2),
    "circles": (1000, (2,), "classification", 2),
    "spirals": (1000, (2,), "classification", 2),
    "xor": (1000, (2,), "classification", 2),
    "blobs": (1000, (2,), "classification", 3),
    "sine": (1000, (20, 1), "regression", None),
}


def stack(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    items = [dataset[i] for i in range(len(dataset))]
    return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


@pytest.mark.parametrize("name", OFFLINE)
def test_builtin_loads_with_shapes_dtypes_and_split(name: str) -> None:
    n, shape, task, num_classes = OFFLINE[name]
    bundle = datasets.load(name)
    assert (bundle.name, bundle.input_shape, bundle.task) == (name, shape, task)
    assert bundle.num_classes == num_classes
    assert bundle.description == datasets.names()[name]
    n_val = round(n * 0.2)
    assert (len(bundle.train), len(bundle.val)) == (n - n_val, n_val)
    x, y = bundle.train[0]
    assert x.dtype == torch.float32 and tuple(x.shape) == shape
    if task == "classification":
        assert y.dtype == torch.int64 and y.shape == ()
        assert len(bundle.classes) == num_classes == bundle.output_size
        _, y_all = stack(bundle.train)
        assert set(y_all.tolist()) == set(range(num_classes))
    else:
        assert y.dtype == torch.float32 and y.shape == (1,)
        assert bundle.output_size == 1 and bundle.classes == []


@pytest.mark.parametrize("name", OFFLINE)
def test_features_standardised_with_train_statistics_only(name: str) -> None:
    bundle = datasets.load(name)
    x_train, _ = stack(bundle.train)
    x_val, _ = stack(bundle.val)
    # Per feature (tabular), per channel (images) or over time (sequences).
    dims = (0, 2, 3) if bundle.image else tuple(range(x_train.ndim - 1))
    train_mean = x_train.double().mean(dim=dims)
    train_std = x_train.double().std(dim=dims, unbiased=False)
    assert torch.allclose(train_mean, torch.zeros_like(train_mean), atol=1e-4)
    assert torch.allclose(train_std, torch.ones_like(train_std), atol=1e-3)
    # Statistics fitted on the validation split alone would make its mean exactly 0 (and fitted
    # on both splits, the train mean would not be): a random split leaves it small, not zero.
    val_mean = x_val.double().mean(dim=dims)
    assert val_mean.abs().max() > 1e-5
    assert torch.isfinite(x_val).all()


def test_digits_is_an_image_set_with_digit_names() -> None:
    bundle = datasets.load("digits")
    assert bundle.image and bundle.classes == [str(i) for i in range(10)]
    assert bundle.mean is not None and len(bundle.mean) == 1
    assert bundle.feature_names is None


def test_tabular_sets_name_their_features_and_species() -> None:
    iris = datasets.load("iris")
    assert iris.classes == ["setosa", "versicolor", "virginica"]
    assert iris.feature_names is not None and len(iris.feature_names) == 4
    assert not iris.image


def test_val_fraction_and_seed_change_the_split() -> None:
    a = datasets.load("iris", val_fraction=0.3, seed=1)
    assert (len(a.train), len(a.val)) == (105, 45)
    b = datasets.load("iris", val_fraction=0.3, seed=2)
    assert not torch.equal(stack(a.val)[0], stack(b.val)[0])
    c = datasets.load("iris", val_fraction=0.3, seed=1)
    assert torch.equal(stack(a.val)[0], stack(c.val)[0])


def test_classification_splits_are_stratified() -> None:
    bundle = datasets.load("iris")
    _, y_val = stack(bundle.val)
    assert torch.bincount(y_val).tolist() == [10, 10, 10]


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5])
def test_bad_val_fraction_is_a_clear_error(bad: float) -> None:
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        datasets.load("iris", val_fraction=bad)


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(ValueError, match="Did you mean 'digits'"):
        datasets.load("digit")


def test_unknown_option_lists_the_accepted_ones() -> None:
    with pytest.raises(TypeError, match="iris does not take option.*noise.*val_fraction"):
        datasets.load("iris", noise=0.1)


def test_names_and_catalog_describe_every_builtin() -> None:
    names = datasets.names()
    assert set(OFFLINE) | {"mnist", "fashion_mnist", "cifar10"} == set(names)
    assert all(isinstance(text, str) and text for text in names.values())
    catalog = {entry["name"]: entry for entry in datasets.catalog()}
    assert catalog["moons"]["options"]["n_samples"] == 1000
    assert catalog["mnist"]["offline"] is False and catalog["iris"]["offline"] is True
    assert catalog["diabetes"]["task"] == "regression"


def test_bundle_repr_is_a_short_summary() -> None:
    assert repr(datasets.load("iris")) == (
        "DataBundle('iris': 120 train / 30 val, input (4,), 3 classes)"
    )
