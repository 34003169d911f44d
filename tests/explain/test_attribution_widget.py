"""AttributionPanel without a browser: runs in a thread, draws the right picture per data kind."""

from __future__ import annotations

import threading

import torch
from explain_models import cnn
from torch import nn

from dlstudio import datasets
from dlstudio.ui.attribution import AttributionPanel


def test_image_panel_in_a_thread_with_grad_cam_by_node() -> None:
    graph, model = cnn()
    x, y = torch.randn(20, 1, 12, 12), torch.randint(0, 4, (20,))
    panel = AttributionPanel(model, (x, y), graph=graph, classes=["a", "b", "c", "d"])
    assert [label for label, _ in panel.layer.options] == ["conv2d2", "conv2d1"]
    panel.sample.value = 3
    panel.run()
    assert panel._thread is not None and panel._thread is not threading.current_thread()
    result = panel.wait(60)
    assert result.attributions.shape == (1, 1, 12, 12)
    assert bytes(panel.heatmap.value).startswith(b"\x89PNG") and panel.input_image.value
    assert "add up to" in panel.completeness.value
    assert "Sample #3" in panel.status.value and not panel.run_button.disabled

    panel.method.value, panel.layer.value, panel.target.value = (
        "grad_cam",
        panel.layer.options[1][1],
        2,
    )
    panel.run()
    result = panel.wait(60)
    assert result.layer == graph.module_names()["conv2d1"] and result.target.tolist() == [2]
    assert panel.completeness.value == ""
    assert "<b>c</b>" in panel.probs.value  # the explained class is highlighted


def test_cancel_from_another_thread() -> None:
    _, model = cnn()
    panel = AttributionPanel(model, (torch.randn(4, 1, 12, 12), torch.zeros(4).long()))
    inside = threading.Event()

    def hold(module, args):
        # The explanation's first forward pass waits here until the Cancel arrives.
        inside.set()
        panel._cancel.wait(30)

    model.register_forward_pre_hook(hold)
    panel.method.value = "occlusion"
    panel.run()
    assert inside.wait(30) and panel.running and not panel.cancel_button.disabled
    panel.cancel_button.click()
    assert panel.wait(30) is None
    assert panel.status.value == "Cancelled." and not panel.running
    assert panel.cancel_button.disabled and not panel.run_button.disabled


def test_tabular_bars_and_token_colours() -> None:
    bundle = datasets.load("iris")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    panel = AttributionPanel(model, bundle)
    assert "grad_cam" not in [value for _, value in panel.method.options]
    panel.method.value = "saliency"
    panel.run()
    panel.wait(60)
    assert all(name in panel.features.value for name in bundle.feature_names)
    assert panel.heatmap.layout.display == "none"

    tokens = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(24, 2))
    ids = torch.randint(0, 10, (5, 6))
    panel = AttributionPanel(
        tokens, (ids, torch.zeros(5).long()), vocab=[f"w{i}" for i in range(10)]
    )
    assert [v for _, v in panel.method.options] == [
        "integrated_gradients", "saliency", "input_x_gradient", "occlusion"
    ]  # fmt: skip
    panel.run()
    panel.wait(60)
    assert panel.features.value.count("<span") == 6 and f"w{int(ids[0, 0])}" in panel.features.value


def test_regression_shows_values_not_probabilities() -> None:
    bundle = datasets.load("diabetes")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 8), nn.Tanh(), nn.Linear(8, 1))
    panel = AttributionPanel(model, bundle)
    assert [label for label, _ in panel.target.options] == ["prediction"]
    true_value = float(bundle.val[0][1])
    # true value → model's value
    assert panel.sample.options[0][0].startswith(f"#0 · {true_value:.0f} → ")
    panel.run()
    panel.wait(60)
    assert "model output" in panel.probs.value
    assert "the model&#x27;s output went from" in panel.completeness.value
