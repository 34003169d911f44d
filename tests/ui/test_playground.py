"""The Playground widget's Python side (no browser): every request of
docs/playground-protocol.md through ``_on_request``, and hostile requests that must change
nothing and execute nothing."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlstudio.graph import Graph
from dlstudio.playground import PlaygroundSettings
from dlstudio.playground.script import playground_script
from dlstudio.ui.playground import Playground
from tests.playground.test_settings import ORIGINAL_LINK

# The page's bundle may be unbuilt in this checkout: the widget then warns and still works.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def pg() -> Iterator[Playground]:
    widget = Playground("seed=widget&networkShape=3,2", draw_interval=0.02)
    yield widget
    widget.pause()
    widget.close()


def send(widget: Playground, content: Any) -> str:
    """Send one request as the page does; returns the widget's ``error`` afterwards."""
    widget._on_request(None, content, None)
    return widget.error


def state_of(widget: Playground) -> tuple:
    """Everything a request could change."""
    return (
        widget.share,
        widget.hidden,
        widget.epoch,
        widget.run.epoch,
        [w.tolist() for w in widget.run.weights()],
        [b.tolist() for b in widget.run.biases()],
        widget.run.data.train.xy.tolist(),
        widget.points,
        widget.focus,
        widget.code,
        widget.status,
        widget.playing,
    )


# -- every request does what the protocol says ------------------------------------------------


def test_starts_from_a_shared_state(pg):
    assert pg.state.networkShape == [3, 2] and pg.state.seed == "widget"
    assert pg.share == pg.state.to_share()
    assert pg.epoch == 0 and pg.error == "" and not pg.playing
    assert pg.network["shape"] == [3, 2] and pg.network["inputs"] == ["x", "y"]
    assert [np.shape(w) for w in pg.network["weights"]] == [(3, 2), (2, 3), (1, 2)]
    assert len(pg.maps) == (2 + 3 + 2 + 1) * pg.map_size**2
    assert len(pg.big_map) == pg.big_size**2
    assert len(pg.points["train"]["x"]) + len(pg.points["test"]["x"]) == 500
    assert pg.options["max_layers"] == 6
    assert set(pg.thumbnails) == {"circle", "xor", "gauss", "spiral"}


def test_settings_trait_holds_the_settings(pg):
    assert pg.settings["networkShape"] == [3, 2]
    send(pg, {"type": "set", "name": "noise", "value": 10})
    assert pg.settings["noise"] == 10


def test_set(pg):
    assert send(pg, {"type": "set", "name": "learningRate", "value": 0.1}) == ""
    assert pg.state.learningRate == 0.1 and "learningRate=0.1" in pg.share.split("&")
    assert send(pg, {"type": "set", "name": "dataset", "value": "xor"}) == ""
    assert pg.state.dataset == "xor"
    assert send(pg, {"type": "set", "name": "sinX", "value": True}) == ""
    assert pg.network["inputs"] == ["x", "y", "sinX"]
    assert "def classify_xor(" in pg.code


def test_play_and_pause(pg):
    assert send(pg, {"type": "play"}) == ""
    assert pg.playing
    deadline = time.monotonic() + 30
    while pg.run.epoch < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert send(pg, {"type": "pause"}) == ""
    assert not pg.playing and pg._thread is None
    stopped = pg.run.epoch
    assert stopped >= 3
    assert pg.epoch == stopped  # the last picture shows where it stopped
    time.sleep(0.2)
    assert pg.run.epoch == stopped
    assert f"EPOCHS = {stopped}\n" in pg.code


def test_step(pg):
    weights = pg.run.weights()
    assert send(pg, {"type": "step"}) == ""
    assert pg.epoch == pg.run.epoch == 1
    assert not np.array_equal(pg.run.weights()[0], weights[0])
    assert len(pg.history) == 2


def test_reset(pg):
    send(pg, {"type": "step"})
    weights = pg.run.weights()
    assert send(pg, {"type": "reset"}) == ""
    assert pg.epoch == pg.run.epoch == 0
    assert not np.array_equal(pg.run.weights()[0], weights[0])
    assert [np.shape(w) for w in pg.run.weights()] == [np.shape(w) for w in weights]


def test_regenerate(pg):
    seed, points, weights = pg.state.seed, pg.points, pg.run.weights()
    assert send(pg, {"type": "regenerate"}) == ""
    assert pg.state.seed != seed and f"seed={pg.state.seed}" in pg.share
    assert pg.points != points
    # The network keeps its weights, as in the original.
    for a, b in zip(pg.run.weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_layers_and_neurons_within_limits(pg):
    for expected in ([3, 2, 2], [3, 2, 2, 2], [3, 2, 2, 2, 2], [3, 2, 2, 2, 2, 2]):
        assert send(pg, {"type": "add_layer"}) == ""
        assert pg.state.networkShape == expected
    assert "at most 6" in send(pg, {"type": "add_layer"})
    assert pg.state.networkShape == [3, 2, 2, 2, 2, 2]
    for _ in range(6):
        assert send(pg, {"type": "remove_layer"}) == ""
    assert pg.state.networkShape == [] and pg.network["weights"][0] == pg.run.weights()[0].tolist()
    assert "no hidden layer" in send(pg, {"type": "remove_layer"})
    assert send(pg, {"type": "add_layer"}) == ""  # [2]
    for size in range(3, 9):
        assert send(pg, {"type": "add_neuron", "layer": 1}) == ""
        assert pg.state.networkShape == [size]
    assert "1 to 8" in send(pg, {"type": "add_neuron", "layer": 1})
    for size in range(7, 0, -1):
        assert send(pg, {"type": "remove_neuron", "layer": 1}) == ""
        assert pg.state.networkShape == [size]
    assert "1 to 8" in send(pg, {"type": "remove_neuron", "layer": 1})
    assert "no hidden layer 2" in send(pg, {"type": "add_neuron", "layer": 2})
    assert "no hidden layer 0" in send(pg, {"type": "remove_neuron", "layer": 0})
    assert pg.state.networkShape == [1]


def test_set_weight_and_set_bias(pg):
    maps = pg.maps
    request = {"type": "set_weight", "layer": 1, "to": 2, "from": 1, "value": 1.75}
    assert send(pg, request) == ""
    assert pg.network["weights"][0][2][1] == 1.75
    assert pg.maps != maps
    assert send(pg, {"type": "set_bias", "layer": 3, "node": 0, "value": -0.5}) == ""
    assert pg.network["biases"][2] == [-0.5]
    assert "layer 4" in send(pg, {**request, "layer": 4})
    assert "from must be" in send(pg, {**request, "from": 2})


def test_dead_links_are_shown_and_revived(pg):
    send(pg, {"type": "set", "name": "regularization", "value": "L1"})
    send(pg, {"type": "set", "name": "regularizationRate", "value": 3.0})
    send(pg, {"type": "step"})
    assert pg.network["dead"], "L1 at rate 3 kills links in one epoch"
    layer, to, source = pg.network["dead"][0]
    assert (
        send(pg, {"type": "set_weight", "layer": layer, "to": to, "from": source, "value": 0.3})
        == ""
    )
    assert [layer, to, source] not in pg.network["dead"]


def test_focus(pg):
    big = pg.big_map
    assert send(pg, {"type": "focus", "node": "h1_0"}) == ""
    assert pg.focus == "h1_0" and pg.big_map != big
    assert send(pg, {"type": "focus", "node": "x"}) == ""
    assert pg.big_map != big
    assert "no node 'h9_0'" in send(pg, {"type": "focus", "node": "h9_0"})
    assert pg.focus == "x"
    assert send(pg, {"type": "focus", "node": "output"}) == ""
    assert pg.big_map == big


def test_add_point_and_clear_points(pg):
    assert send(pg, {"type": "add_point", "x": 1.25, "y": -2.5, "label": 1}) == ""
    assert pg.state.dataset == "custom" and "dataset=custom" in pg.share
    points = pg.points
    xs = points["train"]["x"] + points["test"]["x"]
    ys = points["train"]["y"] + points["test"]["y"]
    assert len(xs) == 501  # the built-in set became your own, plus the point
    assert (1.25, -2.5) in set(zip(xs, ys, strict=True))
    assert "custom" in pg.thumbnails
    assert "POINTS = np.array(" in pg.code
    assert send(pg, {"type": "add_point", "x": 0, "y": 0, "label": -1}) == ""
    assert len(pg.run.custom) == 502
    assert send(pg, {"type": "clear_points"}) == ""
    assert pg.points["train"]["x"] == [] and pg.points["test"]["x"] == []
    assert send(pg, {"type": "add_point", "x": 0.5, "y": 0.5, "label": 1}) == ""
    assert len(pg.run.custom) == 1


def test_load_csv(pg):
    text = "a,b,kind\n" + "".join(
        f"{i},{(i * 7) % 11},{'yes' if i % 3 else 'no'}\n" for i in range(40)
    )
    assert send(pg, {"type": "load_csv", "name": "mine.csv", "text": text}) == ""
    assert pg.status.startswith("Loaded mine.csv: 40 points")
    assert "'no' as -1" in pg.status
    assert pg.state.dataset == "custom" and len(pg.run.custom) == 40
    regression = "".join(f"{i},{i % 5},{i * 0.5}\n" for i in range(20))
    assert send(pg, {"type": "load_csv", "name": "", "text": regression}) == ""
    assert pg.state.problem == "regression" and pg.state.regDataset == "custom"
    assert "data.csv" in pg.status and "scaled onto [-1, 1]" in pg.status


def test_hide(pg):
    assert send(pg, {"type": "hide", "control": "noise", "hidden": True}) == ""
    assert pg.hidden == ["noise"] and "noise_hide=true" in pg.share.split("&")
    assert send(pg, {"type": "hide", "control": "code", "hidden": True}) == ""
    assert "code_hide=true" in pg.share.split("&")
    assert send(pg, {"type": "hide", "control": "noise", "hidden": False}) == ""
    assert pg.hidden == ["code"] and "noise_hide=true" not in pg.share


def test_load_share(pg):
    send(pg, {"type": "step"})
    assert send(pg, {"type": "load_share", "text": ORIGINAL_LINK}) == ""
    assert pg.state == PlaygroundSettings.from_share(ORIGINAL_LINK)
    assert pg.state.networkShape == [6, 3] and pg.hidden == ["noise"]
    assert pg.network["inputs"] == ["x", "xTimesY", "sinX"]
    assert pg.epoch == 0


def test_open_builder_needs_a_callback(pg):
    assert not pg.can_open_builder
    assert "ModelBuilder" in send(pg, {"type": "open_builder"})
    received: list[Any] = []
    widget = Playground("seed=b&networkShape=2", on_open_builder=received.append)
    try:
        assert widget.can_open_builder
        assert send(widget, {"type": "open_builder"}) == ""
        assert len(received) == 1 and isinstance(received[0], Graph)
        assert [n.op for n in received[0].nodes] == [
            "Input",
            "Linear",
            "Tanh",
            "Linear",
            "Tanh",
            "Output",
        ]
        assert "builder" in widget.status
    finally:
        widget.close()


def test_playground_from_an_original_link():
    widget = Playground(state=ORIGINAL_LINK)
    try:
        s = widget.state
        assert (s.activation, s.batchSize, s.dataset, s.learningRate) == (
            "relu",
            17,
            "spiral",
            0.01,
        )
        assert (s.noise, s.networkShape, s.seed, s.percTrainData) == (15, [6, 3], "0.43109", 70)
        assert widget.hidden == ["noise"] and "noise_hide=true" in widget.share
        assert len(widget.points["train"]["x"]) == 350
    finally:
        widget.close()


def test_code_is_the_script_and_compiles(pg):
    send(pg, {"type": "step"})
    assert pg.code == playground_script(pg.run)
    compile(pg.code, "playground.py", "exec")
    assert "import dlstudio" not in pg.code and "from dlstudio" not in pg.code


# -- hostile requests change nothing and run nothing --------------------------------------------

MARKER = "pwned"
EVIL = f"__import__('pathlib').Path('{MARKER}').touch()"

HOSTILE = [
    None,
    "step",
    42,
    ["step"],
    {},
    {"type": None},
    {"type": "eval"},
    {"type": "__class__"},
    {"type": "set"},
    {"type": "set", "name": "noise"},
    {"type": "set", "value": 10},
    {"type": "set", "name": "noise", "value": 7},
    {"type": "set", "name": "noise", "value": [10]},
    {"type": "set", "name": "learningRate", "value": "0.03; import os"},
    {"type": "set", "name": "networkShape", "value": [9]},
    {"type": "set", "name": "networkShape", "value": "4,2"},
    {"type": "set", "name": "seed", "value": "a&b=c"},
    {"type": "set", "name": "seed", "value": "s" * 1_000_000},
    {"type": "set", "name": "x", "value": "false"},
    {"type": "set", "name": "hidden", "value": ["noise"]},
    {"type": "set", "name": "run", "value": None},
    {"type": "set", "name": EVIL, "value": 1},
    {"type": "set", "name": "activation", "value": EVIL},
    {"type": "set", "name": "dataset", "value": EVIL},
    {"type": "add_neuron"},
    {"type": "add_neuron", "layer": "one"},
    {"type": "add_neuron", "layer": [1]},
    {"type": "add_neuron", "layer": None},
    {"type": "remove_neuron", "layer": 3},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0},
    {"type": "set_weight", "layer": 1, "to": 0, "value": 1},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": math.nan},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": math.inf},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": -math.inf},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": 1e300},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": "NaN"},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": {"v": 1}},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": EVIL},
    {"type": "set_weight", "layer": EVIL, "to": 0, "from": 0, "value": 1},
    {"type": "set_weight", "layer": 1, "to": -1, "from": 0, "value": 1},
    {"type": "set_weight", "layer": 1, "to": 0, "from": 99, "value": 1},
    {"type": "set_bias", "layer": 1, "node": 0, "value": math.nan},
    {"type": "set_bias", "layer": 1, "node": 5, "value": 1},
    {"type": "set_bias", "layer": 9, "node": 0, "value": 1},
    {"type": "focus"},
    {"type": "focus", "node": EVIL},
    {"type": "focus", "node": ["output"]},
    {"type": "focus", "node": None},
    {"type": "add_point", "x": 1, "y": 1},
    {"type": "add_point", "x": 7, "y": 1, "label": 1},
    {"type": "add_point", "x": math.nan, "y": 1, "label": 1},
    {"type": "add_point", "x": 1, "y": 1, "label": 0.5},
    {"type": "add_point", "x": EVIL, "y": 1, "label": 1},
    {"type": "load_csv"},
    {"type": "load_csv", "name": "big.csv", "text": "1,2,1\n" * 400_000},
    {"type": "load_csv", "name": EVIL, "text": "1,2\n3,4\n"},
    {"type": "load_csv", "name": "x.csv", "text": EVIL},
    {"type": "hide"},
    {"type": "hide", "control": "noise"},
    {"type": "hide", "control": EVIL, "hidden": True},
    {"type": "hide", "control": "hidden", "hidden": True},
    {"type": "load_share"},
    {"type": "load_share", "text": "noise=7&dataset=xor"},
    {"type": "load_share", "text": f"dataset={EVIL}"},
    {"type": "load_share", "text": "networkShape=1,1,1,1,1,1,1"},
    {"type": "load_share", "text": "seed=" + "s" * 100_000},
    {"type": "open_builder"},
]


@pytest.mark.parametrize("content", HOSTILE, ids=lambda c: repr(c)[:60])
def test_hostile_requests_change_nothing(pg, content, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = state_of(pg)
    error = send(pg, content)
    assert error, "a refused request says why"
    assert state_of(pg) == before
    assert not (tmp_path / MARKER).exists()
    assert not Path(MARKER).exists()
    # And the widget still works.
    assert send(pg, {"type": "step"}) == "" and pg.epoch == 1


@pytest.mark.parametrize("kind", [["set"], {"a": 1}], ids=["list", "dict"])
def test_unhashable_request_type_is_refused(pg, kind):
    before = state_of(pg)
    assert send(pg, {"type": kind})
    assert state_of(pg) == before


@pytest.mark.parametrize("name", ["seed", "activation", "dataset"])
def test_errors_stay_one_short_sentence_for_huge_values(pg, name):
    error = send(pg, {"type": "set", "name": name, "value": "&" * 1_000_000})
    assert error and len(error) < 1_000


def test_an_error_clears_on_the_next_good_request(pg):
    assert send(pg, {"type": "nope"})
    assert send(pg, {"type": "set", "name": "noise", "value": 5}) == ""


def test_hostile_requests_while_playing_leave_it_playing(pg):
    send(pg, {"type": "play"})
    try:
        assert send(pg, {"type": "set_weight", "layer": 1, "to": 0, "from": 0, "value": math.nan})
        assert send(pg, {"type": "focus", "node": EVIL})
        assert pg.playing and pg._thread is not None and pg._thread.is_alive()
    finally:
        send(pg, {"type": "pause"})
    assert not pg.playing


def test_a_new_learning_rate_takes_effect_while_playing(pg):
    send(pg, {"type": "play"})
    try:
        assert send(pg, {"type": "set", "name": "learningRate", "value": 0.1}) == ""
        assert pg.playing and pg.state.learningRate == 0.1
        epoch = pg.run.epoch
        deadline = time.monotonic() + 10
        while pg.run.epoch <= epoch + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pg.run.epoch > epoch + 2  # still training, not reset
        assert send(pg, {"type": "set", "name": "activation", "value": "relu"}) == ""
        assert not pg.playing and pg.epoch == 0  # a new network: paused and reset
    finally:
        send(pg, {"type": "pause"})
