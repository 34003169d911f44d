"""What each node computes over the plane: ids, the grid's orientation, the byte encoding, and
pictures of a network whose weights are set by hand."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dlstudio.playground import PlaygroundRun, PlaygroundSettings
from dlstudio.playground.pictures import (
    BIG_SIZE,
    MAP_SIZE,
    Painter,
    grid,
    node_ids,
    shrink,
    to_bytes,
)

STEP = 1 / 127.5  # one byte of the encoding


def decode(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8) / 127.5 - 1


def test_node_ids_order():
    settings = PlaygroundSettings(networkShape=[3, 1], sinY=True, xTimesY=True, x=False)
    assert node_ids(settings) == ["y", "xTimesY", "sinY", "h1_0", "h1_1", "h1_2", "h2_0", "output"]
    assert node_ids(PlaygroundSettings(networkShape=[])) == ["x", "y", "output"]


def test_grid_runs_from_the_top_left_row_by_row():
    points = grid(5)
    assert points.shape == (25, 2)
    assert points[0].tolist() == [-6.0, 6.0]  # top left
    assert points[4].tolist() == [6.0, 6.0]  # top right: x1 grows along a row
    assert points[5].tolist() == [-6.0, 3.0]  # the next row is lower
    assert points[-1].tolist() == [6.0, -6.0]  # bottom right
    big = grid()
    assert big.shape == (BIG_SIZE**2, 2)
    assert big[0].tolist() == [-6.0, 6.0]


def test_to_bytes_clamps_and_rounds():
    values = np.array([-5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1e9, -np.inf])
    assert list(to_bytes(values)) == [0, 0, 64, 128, 191, 255, 255, 0]
    ramp = np.linspace(-1, 1, 50)
    np.testing.assert_allclose(decode(to_bytes(ramp)), ramp, atol=STEP / 2 + 1e-12)


def test_shrink_averages_blocks():
    picture = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(shrink(picture, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert shrink(np.ones((100, 100)), 20).shape == (20, 20)
    np.testing.assert_array_equal(shrink(picture, 4), picture)


def hand_set_run(activation: str = "tanh") -> PlaygroundRun:
    """x, y -> one hidden neuron = act(x1) (weights [1, 0], bias 0) -> output tanh(2 h)."""
    run = PlaygroundRun(PlaygroundSettings(networkShape=[1], activation=activation, seed="hand"))
    run.set_weight(1, 0, 0, 1.0)
    run.set_weight(1, 0, 1, 0.0)
    run.set_bias(1, 0, 0.0)
    run.set_weight(2, 0, 0, 2.0)
    run.set_bias(2, 0, 0.0)
    return run


def test_a_hand_set_neuron_draws_tanh_of_x1():
    run = hand_set_run()
    painter = Painter()
    frame = painter.draw(run.snapshot(), run.settings, focus="h1_0")
    assert frame.focus == "h1_0"
    x1 = grid()[:, 0]
    np.testing.assert_allclose(decode(frame.big_map), np.tanh(x1), atol=STEP / 2 + 1e-9)
    ids = node_ids(run.settings)
    assert ids == ["x", "y", "h1_0", "output"]
    assert len(frame.maps) == len(ids) * MAP_SIZE**2
    maps = {
        n: decode(frame.maps[i * MAP_SIZE**2 : (i + 1) * MAP_SIZE**2]) for i, n in enumerate(ids)
    }
    small_x1 = shrink(x1.reshape(BIG_SIZE, BIG_SIZE), MAP_SIZE)
    small_x2 = shrink(grid()[:, 1].reshape(BIG_SIZE, BIG_SIZE), MAP_SIZE)
    tanh_x1 = shrink(np.tanh(x1).reshape(BIG_SIZE, BIG_SIZE), MAP_SIZE)
    output = shrink(np.tanh(2 * np.tanh(x1)).reshape(BIG_SIZE, BIG_SIZE), MAP_SIZE)
    tolerance = STEP / 2 + 1e-9
    np.testing.assert_allclose(maps["x"], np.clip(small_x1, -1, 1).ravel(), atol=tolerance)
    np.testing.assert_allclose(maps["y"], np.clip(small_x2, -1, 1).ravel(), atol=tolerance)
    np.testing.assert_allclose(maps["h1_0"], tanh_x1.ravel(), atol=tolerance)
    np.testing.assert_allclose(maps["output"], output.ravel(), atol=tolerance)
    # Left is negative, right positive; every row alike (the neuron ignores x2).
    picture = maps["h1_0"].reshape(MAP_SIZE, MAP_SIZE)
    assert picture[0, 0] < -0.9 and picture[0, -1] > 0.9
    assert (picture == picture[0]).all()
    # The input x2's picture: +1 at the top, -1 at the bottom.
    assert maps["y"].reshape(MAP_SIZE, MAP_SIZE)[0, 0] == 1
    assert maps["y"].reshape(MAP_SIZE, MAP_SIZE)[-1, 0] == -1


def test_the_output_is_the_default_focus_and_unknown_focus_falls_back():
    run = hand_set_run()
    painter = Painter()
    expected = to_bytes(np.tanh(2 * np.tanh(grid()[:, 0])))
    for focus in ("output", "h9_9"):
        frame = painter.draw(run.snapshot(), run.settings, focus=focus)
        assert frame.focus == "output"
        np.testing.assert_allclose(decode(frame.big_map), decode(expected), atol=STEP + 1e-9)


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_other_activations_draw_their_neuron(activation):
    run = hand_set_run(activation)
    run.set_weight(1, 0, 0, 0.1)
    frame = Painter().draw(run.snapshot(), run.settings, focus="h1_0")
    x1 = grid()[:, 0]
    expected = 0.1 * x1 if activation == "linear" else np.maximum(0.1 * x1, 0)
    np.testing.assert_allclose(decode(frame.big_map), expected, atol=STEP / 2 + 1e-9)


def test_regression_output_is_linear_and_clamped():
    run = PlaygroundRun(
        PlaygroundSettings(problem="regression", networkShape=[1], activation="linear", seed="r")
    )
    run.set_weight(1, 0, 0, 1.0)
    run.set_weight(1, 0, 1, 0.0)
    run.set_bias(1, 0, 0.0)
    run.set_weight(2, 0, 0, 0.5)
    run.set_bias(2, 0, 0.0)
    frame = Painter().draw(run.snapshot(), run.settings)
    expected = np.clip(0.5 * grid()[:, 0], -1, 1)
    np.testing.assert_allclose(decode(frame.big_map), expected, atol=STEP / 2 + 1e-9)


def test_the_painter_draws_with_a_module_of_its_own():
    run = PlaygroundRun(PlaygroundSettings(networkShape=[3], seed="own"))
    painter = Painter()
    painter.draw(run.snapshot(), run.settings)
    assert painter._model is not None and painter._model is not run.model
    assert not {id(p) for p in painter._model.parameters()} & {
        id(p) for p in run.model.parameters()
    }
    before = run.weights()
    painter.draw(run.snapshot(), run.settings)
    for a, b in zip(run.weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_drawing_while_another_thread_trains_never_raises():
    run = PlaygroundRun(PlaygroundSettings(dataset="xor", networkShape=[4, 3], seed="threads"))
    painter = Painter()
    errors: list[BaseException] = []
    stop = threading.Event()

    def train():
        try:
            while not stop.is_set():
                run.step(1)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    thread = threading.Thread(target=train, daemon=True)
    thread.start()
    frames = 0
    deadline = time.monotonic() + 30
    try:
        # At least five pictures drawn while at least five epochs ran beside them.
        while (frames < 5 or run.epoch < 5) and time.monotonic() < deadline:
            frame = painter.draw(run.snapshot(), run.settings, focus="h2_1")
            assert len(frame.big_map) == BIG_SIZE**2
            frames += 1
    finally:
        stop.set()
        thread.join(10)
    assert not errors, errors
    assert frames >= 5 and run.epoch >= 5, (frames, run.epoch)
