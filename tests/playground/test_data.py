"""The Playground's data: the original's six data sets, the split, and your own points."""

from __future__ import annotations

import numpy as np
import pytest

from dlstudio.playground import PlaygroundError, PlaygroundSettings, Points, make_data, read_csv
from dlstudio.playground.data import (
    GAUSSIANS,
    MAX_POINTS,
    add_point,
    generate,
    seed_number,
    thumbnails,
)

CLASSIFY = ("circle", "xor", "gauss", "spiral")
REGRESS = ("reg-plane", "reg-gauss")


def both(data) -> Points:
    return Points(
        np.vstack([data.train.xy, data.test.xy]),
        np.concatenate([data.train.label, data.test.label]),
    )


@pytest.mark.parametrize("name", CLASSIFY)
def test_classification_sets_have_500_points_labelled_plus_minus_one(name):
    data = make_data(PlaygroundSettings(dataset=name, seed="1"))
    points = both(data)
    assert len(points) == 500 and points.xy.shape == (500, 2)
    assert set(points.label.tolist()) == {-1.0, 1.0}
    assert np.abs(points.xy).max() <= 6.0


@pytest.mark.parametrize(("name", "bound"), [("reg-plane", 1.2), ("reg-gauss", 1.0)])
def test_regression_sets_have_1200_points_with_bounded_labels(name, bound):
    # reg-plane's labels are (x1 + x2) / 10 on [-6, 6]^2: up to 1.2 at noise 0, as the
    # original's unclamped d3 scale gives them (its dataset.ts: domain [-10, 10] -> [-1, 1]).
    data = make_data(PlaygroundSettings(problem="regression", regDataset=name, seed="1"))
    points = both(data)
    assert len(points) == 1200
    assert points.label.min() >= -bound and points.label.max() <= bound
    assert len(set(points.label.tolist())) > 100


@pytest.mark.parametrize("percent", range(10, 100, 10))
def test_split_ratios(percent):
    data = make_data(PlaygroundSettings(dataset="xor", percTrainData=percent, seed="2"))
    assert len(data.train) == 500 * percent // 100
    assert len(data.test) == 500 - len(data.train)
    # Every point is in one of them, once.
    whole = make_data(PlaygroundSettings(dataset="xor", percTrainData=50, seed="2"))
    assert sorted(map(tuple, both(data).xy.tolist())) == sorted(map(tuple, both(whole).xy.tolist()))


def test_circle_at_noise_0():
    points = generate("circle", 500, 0.0, seed=3)
    radius = np.hypot(points.xy[:, 0], points.xy[:, 1])
    positive = points.label == 1
    assert positive.sum() == 250
    assert radius[positive].max() <= 2.5
    assert radius[~positive].min() >= 3.5 and radius[~positive].max() <= 5.0


def test_noise_flips_some_circle_labels():
    points = generate("circle", 500, 0.5, seed=3)
    radius = np.hypot(points.xy[:, 0], points.xy[:, 1])
    truth = np.where(radius < 2.5, 1.0, -1.0)
    flipped = (points.label != truth).sum()
    assert 20 < flipped < 250


def test_xor_at_noise_0():
    points = generate("xor", 500, 0.0, seed=4)
    x, y = points.xy[:, 0], points.xy[:, 1]
    assert (np.abs(x) >= 0.3).all() and (np.abs(y) >= 0.3).all()
    assert (np.abs(points.xy) <= 5.3).all()
    np.testing.assert_array_equal(points.label, np.where(x * y >= 0, 1.0, -1.0))
    assert 150 < (points.label == 1).sum() < 350


@pytest.mark.parametrize(("noise", "variance"), [(0.0, 0.5), (0.5, 4.0)])
def test_gauss_centres_and_variance(noise, variance):
    points = generate("gauss", 2000, noise, seed=5)
    for label, centre in ((1.0, 2.0), (-1.0, -2.0)):
        cloud = points.xy[points.label == label]
        assert len(cloud) == 1000
        np.testing.assert_allclose(cloud.mean(axis=0), [centre, centre], atol=0.2)
        np.testing.assert_allclose(cloud.var(axis=0, ddof=1), [variance, variance], rtol=0.15)


def test_spiral():
    points = generate("spiral", 500, 0.0, seed=6)
    radius = np.hypot(points.xy[:, 0], points.xy[:, 1])
    assert radius.max() <= 5.0 and radius.max() > 4.9
    assert (points.label == 1).sum() == 250
    # The second arm is the first turned by pi.
    np.testing.assert_allclose(points.xy[250:], -points.xy[:250], atol=1e-12)
    noisy = generate("spiral", 500, 0.5, seed=6)
    assert 0 < np.abs(noisy.xy - points.xy).max() <= 0.5


def test_plane_label_at_noise_0():
    points = generate("reg-plane", 1200, 0.0, seed=7)
    assert np.abs(points.xy).max() <= 6
    np.testing.assert_allclose(points.label, points.xy.sum(axis=1) / 10)
    noisy = generate("reg-plane", 1200, 0.3, seed=7)
    assert not np.allclose(noisy.label, noisy.xy.sum(axis=1) / 10)


def test_reg_gauss_labels():
    points = generate("reg-gauss", 1200, 0.0, seed=8)
    for cx, cy, sign in GAUSSIANS:
        near = np.hypot(points.xy[:, 0] - cx, points.xy[:, 1] - cy) < 0.3
        assert near.any()
        assert (np.sign(points.label[near]) == sign).all()
        assert (np.abs(points.label[near]) > 0.85).all()
    # Two or more from every centre: 0.
    centres = np.array([(cx, cy) for cx, cy, _ in GAUSSIANS])
    far = np.linalg.norm(points.xy[:, None, :] - centres[None], axis=2).min(axis=1)
    assert (far >= 2).any()
    assert (points.label[far >= 2] == 0).all()


def test_reg_gauss_at_a_positive_centre_is_one(monkeypatch):
    class Centre:
        """A generator whose uniform draws put the point at (-4, 2.5) and add no noise."""

        def __init__(self):
            self.calls = 0

        def uniform(self, low, high, n):
            self.calls += 1
            return np.full(n, [-4.0, 2.5, 0.0, 0.0][self.calls - 1])

    from dlstudio.playground.data import regress_gauss

    x, y, label = regress_gauss(1, 0.0, Centre())
    assert (x[0], y[0], label[0]) == (-4.0, 2.5, 1.0)


def test_same_seed_same_points_other_seed_other_points():
    for name in ("circle", "spiral"):
        a = make_data(PlaygroundSettings(dataset=name, noise=10, seed="0.11111"))
        b = make_data(PlaygroundSettings(dataset=name, noise=10, seed="0.11111"))
        c = make_data(PlaygroundSettings(dataset=name, noise=10, seed="0.22222"))
        np.testing.assert_array_equal(a.train.xy, b.train.xy)
        np.testing.assert_array_equal(a.test.label, b.test.label)
        assert not np.array_equal(a.train.xy, c.train.xy)
    assert seed_number("0.11111") == seed_number("0.11111") != seed_number("0.22222")


def test_thumbnails():
    pictures = thumbnails("classification")
    assert set(pictures) == set(CLASSIFY)
    assert all(len(p["x"]) == 200 for p in pictures.values())
    custom = Points(np.array([[1.0, 2.0]]), np.array([1.0]))
    assert set(thumbnails("regression", custom)) == {*REGRESS, "custom"}


def test_custom_points_split():
    points = Points(np.arange(20.0).reshape(10, 2) / 4, np.ones(10))
    data = make_data(PlaygroundSettings(dataset="custom", percTrainData=70, seed="1"), points)
    assert (len(data.train), len(data.test)) == (7, 3)
    empty = make_data(PlaygroundSettings(dataset="custom", seed="1"))
    assert (len(empty.train), len(empty.test)) == (0, 0)


# -- CSV files ----------------------------------------------------------------------------------


def test_csv_with_header_and_two_classes():
    found = read_csv("width,height,kind\n0,10,cat\n1,30,dog\n2,20,dog\n4,0,cat\n", "pets.csv")
    assert found.classification
    # The first in sorted order is -1: "cat" -1, "dog" +1, and the summary says so.
    assert found.points.label.tolist() == [-1.0, 1.0, 1.0, -1.0]
    assert "'cat' as -1" in found.summary and "'dog' as +1" in found.summary
    assert "pets.csv" in found.summary and "4 points" in found.summary
    xy = found.points.xy
    np.testing.assert_allclose(xy[:, 0], [-5, -2.5, 0, 5])
    np.testing.assert_allclose(xy[:, 1], [-1.6666666, 5, 1.6666666, -5], rtol=1e-6)


def test_csv_without_header_numeric_labels_scaled():
    found = read_csv("1,1,10\n2,3,20\n3,2,30\n4,4,50\n5,5,40\n")
    assert not found.classification
    np.testing.assert_allclose(found.points.label, [-1, -0.5, 0, 1, 0.5])
    assert found.points.xy.min() == -5 and found.points.xy.max() == 5
    assert "scaled onto [-1, 1]" in found.summary


def test_csv_numeric_two_values_is_classification_and_blank_lines_are_skipped():
    found = read_csv("a,b,c\n\n0,0,0\n1,1,1\n\n2,2,1\n3,3,0\n")
    assert found.classification
    assert found.points.label.tolist() == [-1.0, 1.0, 1.0, -1.0]


def test_csv_constant_feature_stays_on_the_plane():
    found = read_csv("0,7,a\n1,7,b\n2,7,a\n3,7,b\n")
    assert np.isfinite(found.points.xy).all()
    assert (np.abs(found.points.xy) <= 5).all()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a,b\n1,2\n3,4\n5,6\n7,8\n", "three columns"),
        ("a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n", "three columns"),
        ("1,2,3\n1,2\n1,2,3\n1,2,3\n1,2,3\n", "three columns"),
        ("a,b,c\n1,x,1\n2,3,0\n3,4,1\n4,5,0\n", "must hold numbers"),
        ("a,b,c\n1,inf,1\n2,3,0\n3,4,1\n4,5,0\n", "infinite"),
        ("a,b,c\n1,2,same\n2,3,same\n3,4,same\n4,5,same\n", "one value"),
        ("a,b,c\n1,2,x\n2,3,y\n3,4,z\n4,5,x\n", "different texts"),
        ("a,b,c\n1,2,0\n2,3,1\n3,4,0\n", "3 rows"),
        ("", "0 rows"),
    ],
)
def test_csv_errors(text, words):
    with pytest.raises(PlaygroundError, match=words) as caught:
        read_csv(text, "mine.csv")
    assert "mine.csv" in str(caught.value)


def test_csv_too_large_and_too_long():
    big = "a,b,c\n" + "1.000000001,2.000000001,1\n" * 80_000
    assert len(big) > 2_000_000
    with pytest.raises(PlaygroundError, match="larger than 2 MB"):
        read_csv(big, "big.csv")
    rows = "".join(f"{i},{i % 7},{i % 2}\n" for i in range(MAX_POINTS + 1))
    with pytest.raises(PlaygroundError, match="5,001 rows"):
        read_csv(rows, "long.csv")
    assert len(read_csv(rows.split("\n", 1)[1]).points) == MAX_POINTS


# -- drawn points -------------------------------------------------------------------------------


def test_add_point():
    points = add_point(Points(), 1.5, -6, 1, classification=True)
    points = add_point(points, "6", 0, -1.0, classification=True)
    assert points.xy.tolist() == [[1.5, -6.0], [6.0, 0.0]]
    assert points.label.tolist() == [1.0, -1.0]
    assert add_point(Points(), 0, 0, 0.25, classification=False).label.tolist() == [0.25]


@pytest.mark.parametrize(
    ("x", "y", "label", "classification", "words"),
    [
        (6.5, 0, 1, True, "on the plane"),
        (0, -7, 1, True, "on the plane"),
        (float("nan"), 0, 1, True, "on the plane"),
        (0, 0, 0.5, True, "class is -1 or 1"),
        (0, 0, 0, True, "class is -1 or 1"),
        (0, 0, 1.5, False, "between -1 and 1"),
        (0, 0, float("nan"), False, "between -1 and 1"),
        ("left", 0, 1, True, "x must be a number"),
        (0, None, 1, True, "y must be a number"),
        (0, 0, "blue", True, "label must be a number"),
    ],
)
def test_add_point_refusals(x, y, label, classification, words):
    with pytest.raises(PlaygroundError, match=words):
        add_point(Points(), x, y, label, classification)


def test_add_point_limit():
    full = Points(np.zeros((MAX_POINTS, 2)), np.ones(MAX_POINTS))
    with pytest.raises(PlaygroundError, match="at most 5000"):
        add_point(full, 0, 0, 1, classification=True)
