"""PlaygroundSettings: the original's defaults, its link form both ways, and every refusal."""

from __future__ import annotations

import pytest

from dlstudio.playground import PlaygroundError, PlaygroundSettings
from dlstudio.playground.settings import HIDABLE, SETTING_NAMES, changed, from_mapping, options

ORIGINAL_LINK = (
    "https://playground.tensorflow.org/#activation=relu&batchSize=17&dataset=spiral"
    "&regDataset=reg-plane&learningRate=0.01&regularizationRate=0.003&noise=15"
    "&networkShape=6,3&seed=0.43109&showTestData=true&discretize=false&percTrainData=70"
    "&x=true&y=false&xTimesY=true&xSquared=false&ySquared=false&cosX=false&sinX=true"
    "&cosY=false&sinY=false&collectStats=false&problem=classification&initZero=false"
    "&hideText=false&noise_hide=true"
)


def test_defaults_are_the_originals():
    s = PlaygroundSettings()
    assert s.learningRate == 0.03
    assert s.networkShape == [4, 2]
    assert s.activation == "tanh"
    assert s.batchSize == 10
    assert s.percTrainData == 50
    assert s.noise == 0
    assert s.x is True and s.y is True
    assert not any((s.xSquared, s.ySquared, s.xTimesY, s.sinX, s.sinY))
    assert (s.problem, s.dataset, s.regDataset) == ("classification", "circle", "reg-plane")
    assert (s.regularization, s.regularizationRate) == ("none", 0.0)
    assert (s.showTestData, s.discretize, s.initZero, s.hidden) == (False, False, False, [])
    assert s.feature_names() == ["x", "y"]
    # A fresh seed in the original's form: "0.ddddd".
    assert s.seed.startswith("0.") and len(s.seed) == 7


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dataset": "spiral", "networkShape": [8, 8, 8, 8, 8, 8], "sinX": True, "sinY": True},
        {"problem": "regression", "regDataset": "reg-gauss", "activation": "linear"},
        {"networkShape": [], "xSquared": True, "ySquared": True, "xTimesY": True, "x": False},
        {"regularization": "L1", "regularizationRate": 0.3, "learningRate": 0.00001},
        {"regularization": "L2", "regularizationRate": 10.0, "learningRate": 10.0},
        {"noise": 50, "percTrainData": 90, "batchSize": 30, "seed": "my seed 1"},
        {"noise": 5, "percTrainData": 10, "batchSize": 1, "initZero": True},
        {"showTestData": True, "discretize": True, "dataset": "custom"},
        {"hidden": ["noise", "learningRate", "sinY", "code", "yourData"]},
        {"hidden": list(HIDABLE), "activation": "sigmoid", "dataset": "gauss"},
    ],
)
def test_share_round_trip(changes):
    settings = PlaygroundSettings(**{"seed": "0.12345", **changes})
    text = settings.to_share()
    assert PlaygroundSettings.from_share(text) == settings
    assert PlaygroundSettings.from_share("#" + text) == settings
    assert PlaygroundSettings.from_share("https://example.org/playground/#" + text) == settings
    for name in settings.hidden:
        assert f"{name}_hide=true" in text.split("&")


def test_share_text_is_the_originals_form():
    text = PlaygroundSettings(seed="0.5", networkShape=[3, 2], hidden=["noise"]).to_share()
    parts = text.split("&")
    assert "networkShape=3,2" in parts and "x=true" in parts and "sinX=false" in parts
    assert "learningRate=0.03" in parts and "seed=0.5" in parts
    assert parts[-1] == "noise_hide=true"
    assert not any(p.startswith("hidden=") for p in parts)


def test_an_original_link_opens_with_the_same_values():
    s = PlaygroundSettings.from_share(ORIGINAL_LINK)
    assert s.activation == "relu"
    assert s.batchSize == 17
    assert s.dataset == "spiral" and s.regDataset == "reg-plane"
    assert s.learningRate == 0.01 and s.regularizationRate == 0.003
    assert s.noise == 15
    assert s.networkShape == [6, 3]
    assert s.seed == "0.43109"
    assert s.showTestData is True and s.discretize is False
    assert s.percTrainData == 70
    assert s.problem == "classification" and s.initZero is False
    assert s.feature_names() == ["x", "xTimesY", "sinX"]
    # cosX, cosY, collectStats and hideText are the original's own: ignored.
    assert s.hidden == ["noise"]
    # And it goes round again unchanged.
    assert PlaygroundSettings.from_share(s.to_share()) == s


def test_share_ignores_what_it_does_not_know():
    s = PlaygroundSettings.from_share(
        "dataset=xor&tutorial=dp-neuron&cosX=true&made_up=1&&=&nothing&bogus_hide=true"
        "&noise_hide=false&learningRate_hide=true"
    )
    assert s.dataset == "xor" and s.hidden == ["learningRate"]
    assert PlaygroundSettings.from_share("").networkShape == [4, 2]
    assert PlaygroundSettings.from_share("networkShape=").networkShape == []


def test_replace_checks_and_refuses_unknown_names():
    s = PlaygroundSettings(seed="1")
    assert s.replace(learningRate="0.1").learningRate == 0.1
    assert s.replace(networkShape=("3", 2.0)).networkShape == [3, 2]
    with pytest.raises(PlaygroundError, match="colour"):
        s.replace(colour="red")
    with pytest.raises(PlaygroundError, match="colour"):
        from_mapping({"colour": "red"})
    assert changed(s, s.replace(noise=10, sinX=True)) == {"noise", "sinX"}


def test_options_offer_the_same_choices_the_checks_take():
    o = options()
    for rate in o["learning_rates"]:
        assert PlaygroundSettings(learningRate=rate).learningRate == rate
    for rate in o["regularization_rates"]:
        assert PlaygroundSettings(regularizationRate=rate).regularizationRate == rate
    assert {h["name"] for h in o["hidable"]} == set(HIDABLE)
    assert (o["max_layers"], o["max_neurons"], o["domain"]) == (6, 8, [-6.0, 6.0])


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"noise": 7}, "noise"),
        ({"noise": 55}, "noise"),
        ({"noise": "loud"}, "noise"),
        ({"learningRate": 0.5}, "learningRate"),
        ({"learningRate": "fast"}, "learningRate"),
        ({"regularizationRate": 0.2}, "regularizationRate"),
        ({"networkShape": [1, 1, 1, 1, 1, 1, 1]}, "networkShape"),
        ({"networkShape": [9]}, "networkShape (layer 1)"),
        ({"networkShape": [4, 0]}, "networkShape (layer 2)"),
        ({"networkShape": [2.5]}, "networkShape (layer 1)"),
        ({"networkShape": "4,2"}, "networkShape"),
        ({"dataset": "moons"}, "dataset"),
        ({"dataset": "reg-plane"}, "dataset"),
        ({"regDataset": "circle"}, "regDataset"),
        ({"problem": "clustering"}, "problem"),
        ({"activation": "gelu"}, "activation"),
        ({"regularization": "L3"}, "regularization"),
        ({"percTrainData": 95}, "percTrainData"),
        ({"percTrainData": 55}, "percTrainData"),
        ({"batchSize": 0}, "batchSize"),
        ({"batchSize": 31}, "batchSize"),
        ({"batchSize": float("nan")}, "batchSize"),
        ({"seed": "a&b=c"}, "seed"),
        ({"seed": "a#b"}, "seed"),
        ({"seed": ""}, "seed"),
        ({"seed": "x" * 41}, "seed"),
        ({"seed": "line\nbreak"}, "seed"),
        ({"hidden": ["noise", "selfDestruct"]}, "selfDestruct"),
        ({"hidden": "noise"}, "hidden"),
        ({"x": "yes"}, "x"),
        ({"sinY": 1}, "sinY"),
        ({"showTestData": None}, "showTestData"),
    ],
)
def test_invalid_values_are_refused_by_name(changes, name):
    with pytest.raises(PlaygroundError) as caught:
        PlaygroundSettings(**changes)
    assert name in str(caught.value)
    with pytest.raises(PlaygroundError):
        PlaygroundSettings(seed="1").replace(**changes)


@pytest.mark.parametrize(
    ("share", "name"),
    [
        ("noise=7", "noise"),
        ("learningRate=0.5", "learningRate"),
        ("networkShape=1,1,1,1,1,1,1", "networkShape"),
        ("networkShape=9", "networkShape"),
        ("networkShape=0", "networkShape"),
        ("dataset=moons", "dataset"),
        ("batchSize=abc", "batchSize"),
        ("activation=__import__('os')", "activation"),
    ],
)
def test_invalid_shared_values_are_refused_by_name(share, name):
    with pytest.raises(PlaygroundError, match=name):
        PlaygroundSettings.from_share(share)


def test_every_setting_has_a_share_name():
    text = PlaygroundSettings(seed="1", hidden=["noise"]).to_share()
    names = {part.split("=")[0] for part in text.split("&")}
    assert names == (set(SETTING_NAMES) - {"hidden"}) | {"noise_hide"}


def test_text_without_any_setting_is_refused_not_taken_as_defaults() -> None:
    with pytest.raises(PlaygroundError, match="holds no Playground settings"):
        PlaygroundSettings.from_share("hello world")
    assert PlaygroundSettings.from_share("").networkShape == [4, 2]
    # The original's own names that dlstudio reads past still make a link.
    assert PlaygroundSettings.from_share("collectStats=false&tutorial=x").dataset == "circle"
