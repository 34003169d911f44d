"""Diagnoses point at the right layers: broken designs trained for real, and node badges."""

from __future__ import annotations

import pytest
import torch
from inspect_models import Overflow, deep_sigmoid, small_cnn
from torch import nn

from dlstudio import Graph, datasets
from dlstudio.inspect import (
    InspectionCallback,
    attention_weights,
    capture_batch,
    conv_layers,
    diagnose,
    diagnoses_by_node,
    feature_maps,
    layer_of,
    node_health,
    node_of,
)
from dlstudio.train import Trainer


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def kinds_by_layer(diagnoses) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for d in diagnoses:
        found.setdefault(d.layer, set()).add(d.kind)
    return found


def test_deep_sigmoid_with_a_huge_learning_rate(digits) -> None:
    model = deep_sigmoid(depth=10)
    inspection = InspectionCallback(every=10)
    Trainer(model, digits, optimizer="sgd", lr=50.0, epochs=1, callbacks=[inspection]).fit()
    assert [r.step for r in inspection.reports][:3] == [1, 10, 20]
    found = kinds_by_layer(inspection.diagnoses)
    linears = [str(i) for i in range(1, 21, 2)]
    sigmoids = [str(i) for i in range(2, 21, 2)]
    # The first layers' gradients vanish, the last sigmoids are saturated; the output layer,
    # which gets the loss's gradient directly, is not called vanishing.
    assert {"0", "1", "3"} & set(found) == {"1", "3"}
    assert all("vanishing_gradient" in found[name] for name in linears[:3])
    assert "vanishing_gradient" not in found.get("21", set())
    assert all("saturated" in found[name] for name in sigmoids[-3:])
    assert not any("saturated" in found.get(name, ()) for name in linears)
    message = next(d.message for d in inspection.diagnoses if d.layer == "20")
    assert "'20' (Sigmoid)" in message and "saturated" in message


def test_a_healthy_model_gets_no_diagnosis(digits) -> None:
    model = small_cnn()
    model[4] = nn.Linear(4 * 4 * 4, 10)
    inspection = InspectionCallback(every=5)
    Trainer(model, digits, lr=1e-3, epochs=1, callbacks=[inspection]).fit()
    assert inspection.diagnoses == []
    # The heatmap over steps covers every capture.
    assert len(inspection.heatmap("0", "weight").steps) == len(inspection.reports)


def test_dead_relus_and_frozen_weights_point_at_their_layers() -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every unit of the ReLU after it is off
    report = capture_batch(model, torch.randn(32, 8), torch.randint(0, 3, (32,)))
    dead = [d for d in diagnose(report) if d.kind == "dead_relu"]
    assert [(d.layer, d.severity) for d in dead] == [("1", "bad")]
    assert "100% of its units never fired" in dead[0].message

    frozen = InspectionCallback(every=1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    model[1].weight.requires_grad_(False)
    model[1].bias.requires_grad_(False)
    Trainer(model, datasets.load("digits"), epochs=1, callbacks=[frozen]).fit()
    assert [d.layer for d in frozen.diagnoses if d.kind == "frozen_weights"] == ["1"]


def test_nan_is_traced_to_the_layer_where_it_first_appeared() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), Overflow(), nn.Linear(4, 2), nn.Tanh())
    report = capture_batch(model, torch.ones(3, 4), torch.tensor([0, 1, 0]))
    assert report.first_nonfinite() == ("2", "output")
    bad = diagnose(report)[0]
    assert (bad.kind, bad.layer, bad.severity) == ("nonfinite", "2", "bad")
    assert "'2' (Overflow) produced the first NaN/Inf" in bad.message


def test_a_failed_run_still_reports_where_it_broke(digits) -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), Overflow(), nn.Linear(8, 10))
    inspection = InspectionCallback(every=1)
    trainer = Trainer(model, digits, epochs=1, callbacks=[inspection])
    with pytest.raises(Exception, match="diverged"):
        trainer.fit()
    assert inspection.diagnoses[0].kind == "nonfinite"
    assert inspection.diagnoses[0].layer == "2"
    # No hook is left behind on the model.
    assert all(not m._forward_hooks for m in model.modules())


def test_node_health_and_lookups_by_node_id(digits) -> None:
    graph = Graph()
    x = graph.add("Input", shape=[1, 8, 8])
    x = graph.add("Flatten", after=x)
    hidden = graph.add("Linear", after=x, out_features=16)
    relu = graph.add("ReLU", after=hidden)
    x = graph.add("Linear", after=relu, out_features=10)
    graph.add("Output", after=x)
    names = graph.module_names()
    inspection = InspectionCallback(every=1)
    assert inspection.health() == {}
    trainer = Trainer(graph, digits, epochs=1, callbacks=[inspection])
    with torch.no_grad():  # every unit of the ReLU after the hidden layer is off
        dict(trainer.model.named_modules())[layer_of(hidden, graph)].bias.fill_(-100.0)
    trainer.fit()
    report = inspection.reports[0]
    assert inspection.health()[relu] == "bad"  # the badges of the trained graph's nodes
    health = node_health(report, graph)
    assert set(health) == set(names)
    relu_node = node_of(names[relu], graph)
    assert relu_node == relu and health[relu] == "bad"
    assert sorted(set(health.values())) == ["bad", "ok"]
    assert relu in diagnoses_by_node(diagnose(report), graph)
    with pytest.raises(KeyError, match="Input, Output"):
        layer_of("nope", graph)


def test_feature_maps_and_attention_weights() -> None:
    model = small_cnn()
    assert conv_layers(model) == ["0"]
    maps = feature_maps(model, torch.randn(2, 1, 8, 8), "0")
    assert maps.shape == (4, 8, 8)
    with pytest.raises(KeyError, match="no layer named"):
        feature_maps(model, torch.randn(1, 1, 8, 8), "conv9")

    torch.manual_seed(0)
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True),
        num_layers=2,
        enable_nested_tensor=False,
    )
    weights = attention_weights(encoder, torch.randn(3, 5, 16))
    assert list(weights) == ["layers.0.self_attn", "layers.1.self_attn"]
    assert weights["layers.0.self_attn"].shape == (4, 5, 5)
    assert torch.allclose(weights["layers.0.self_attn"].sum(-1), torch.ones(4, 5), atol=1e-5)


def test_a_budget_spaces_out_captures_that_cost_more_than_it_allows(digits) -> None:
    import time

    def slow_capture(report) -> None:
        if report.step == 5:
            time.sleep(0.2)  # listeners run inside the capture: it costs at least 0.2 s

    # 0.2 s at a 1 % budget: no further capture for 20 s, far longer than this run of 23 steps.
    # (Step 1 is always captured, and never counted: no plain step was timed before it.)
    spaced = InspectionCallback(every=5, budget=0.01)
    spaced.on_capture(slow_capture)
    Trainer(small_cnn(), digits, epochs=1, callbacks=[spaced]).fit()
    assert [r.step for r in spaced.reports] == [1, 5]

    unlimited = InspectionCallback(every=5)
    unlimited.on_capture(slow_capture)
    trainer = Trainer(small_cnn(), digits, epochs=1, callbacks=[unlimited])
    trainer.fit()
    assert [r.step for r in unlimited.reports] == [1, *range(5, trainer.step + 1, 5)]
    with pytest.raises(ValueError, match="share of the training time"):
        InspectionCallback(budget=2)


def test_a_parameter_that_starts_at_zero_has_no_update_ratio(digits) -> None:
    # BatchNorm's bias starts at exactly 0: one step cannot be compared with its size.
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(),
                          nn.Linear(32, 10))  # fmt: skip
    inspection = InspectionCallback(every=1000)
    Trainer(model, digits, epochs=1, callbacks=[inspection]).fit()
    first = inspection.reports[0]
    assert first.step == 1
    norm = first.layers["2"].params
    assert norm["bias"].update_ratio is None
    assert norm["weight"].update_ratio is not None and 0 < norm["weight"].update_ratio < 1
    assert not any(d.kind == "large_updates" for d in diagnose(first))
