"""explain() gives exactly what Captum gives when called directly on the same model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from captum.attr import (
    DeepLift,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from explain_models import cnn, images, tabular
from torch import nn

from dlstudio.explain import (
    ExplainCancelled,
    ExplainError,
    explain,
    internal_batch_size,
    methods,
)


def seed(value: int) -> None:
    # GradientShap draws noise from torch's global generator and path points from numpy's.
    torch.manual_seed(value)
    np.random.seed(value)


DIRECT = {
    "saliency": Saliency,
    "input_x_gradient": InputXGradient,
    "integrated_gradients": IntegratedGradients,
    "gradient_shap": GradientShap,
    "deeplift": DeepLift,
    "occlusion": Occlusion,
}


@pytest.mark.parametrize("method", list(DIRECT))
def test_identical_to_captum_called_directly(method: str) -> None:
    _, model = cnn()
    x = images()
    seed(5)
    ours = explain(model, x, method=method)
    assert ours.attributions.shape == x.shape
    target = model(x).argmax(dim=1)
    assert torch.equal(ours.target, target)

    seed(5)
    options = dict(ours.options)
    result = DIRECT[method](model).attribute(x, target=target, **options)
    expected, delta = result if options.get("return_convergence_delta") else (result, None)
    assert torch.equal(ours.attributions, expected)
    if delta is None:
        assert ours.delta is None
    else:
        assert torch.equal(ours.delta, delta)
    assert torch.allclose(ours.probabilities, torch.softmax(model(x), dim=1))


def test_integrated_gradients_completeness_within_captums_delta() -> None:
    _, model = cnn()
    x = images(4)
    e = explain(model, x, method="integrated_gradients", n_steps=64)
    assert e.options["n_steps"] == 64 and e.options["internal_batch_size"] >= 64
    with torch.no_grad():
        change = (
            model(x).gather(1, e.target[:, None])[:, 0]
            - model(torch.zeros_like(x)).gather(1, e.target[:, None])[:, 0]
        )
    sums = e.attributions.reshape(4, -1).sum(dim=1)
    # Completeness: sum of attributions = f(x) − f(baseline), up to Captum's own delta.
    assert torch.allclose(sums - change, e.delta, atol=1e-5)
    assert (sums - change).abs().max() <= e.delta.abs().max() + 1e-5
    assert e.completeness["ok"]
    assert "add up to" in e.completeness_text and "they agree" in e.completeness_text
    # Two steps of a left Riemann sum are too few, and the check says so.
    coarse = explain(model, x, n_steps=2, integration="riemann_left")
    assert coarse.options["method"] == "riemann_left"
    assert not coarse.completeness["ok"] and "raise n_steps" in coarse.completeness_text


def test_grad_cam_on_a_node_id_a_module_name_and_a_module() -> None:
    graph, model = cnn()
    x = images(2)
    by_node = explain(model, x, method="grad_cam", layer="conv2d1", graph=graph)
    names = graph.module_names()
    assert by_node.layer == names["conv2d1"]
    assert by_node.layer_attributions.shape == (2, 1, 12, 12)
    assert by_node.attributions.shape == x.shape
    by_name = explain(model, x, method="grad_cam", layer=names["conv2d1"])
    module = dict(model.named_modules())[names["conv2d1"]]
    by_module = explain(model, x, method="grad_cam", layer=module)
    assert torch.equal(by_node.attributions, by_name.attributions)
    assert torch.equal(by_node.attributions, by_module.attributions)

    # The last convolution by default; its 12×12 map is compared with Captum's.
    last = explain(model, x, method="grad_cam")
    assert last.layer == names["conv2d2"]
    target = model(x).argmax(dim=1)
    conv2 = dict(model.named_modules())[names["conv2d2"]]
    raw = LayerGradCam(model, conv2).attribute(x, target=target, relu_attributions=True)
    assert torch.equal(last.layer_attributions, raw)
    up = LayerAttribution.interpolate(raw, (12, 12), "bilinear")
    assert torch.equal(last.attributions, up.expand_as(x))
    with pytest.raises(ExplainError, match="conv2d1, conv2d2"):
        explain(model, x, method="grad_cam", layer="relu1x", graph=graph)


def test_noise_tunnel_matches_captums_noise_tunnel() -> None:
    _, model = cnn()
    x = images(2)
    torch.manual_seed(3)
    ours = explain(model, x, method="saliency", noise_tunnel=True, nt_samples=4)
    torch.manual_seed(3)
    target = model(x).argmax(dim=1)
    expected = NoiseTunnel(Saliency(model)).attribute(
        x, target=target, nt_type="smoothgrad", nt_samples=4, stdevs=0.1
    )
    assert torch.equal(ours.attributions, expected)


def test_tabular_targets_and_token_inputs() -> None:
    model = tabular()
    x = torch.randn(6, 5)
    e = explain(model, x, target=2, method="deeplift")
    assert e.attributions.shape == (6, 5) and e.target.tolist() == [2] * 6

    torch.manual_seed(0)
    tokens = nn.Sequential(nn.Embedding(20, 8), nn.Flatten(), nn.Linear(5 * 8, 2)).eval()
    ids = torch.randint(0, 20, (3, 5))
    for method in ("integrated_gradients", "saliency", "input_x_gradient", "occlusion"):
        found = explain(tokens, ids, method=method)
        assert found.attributions.shape == ids.shape, method
    assert explain(tokens, ids).completeness["ok"]
    with pytest.raises(ExplainError, match="integer inputs"):
        explain(tokens, ids, method="deeplift")


def test_errors_name_the_fix() -> None:
    model = tabular()
    with pytest.raises(ExplainError, match="choose one of integrated_gradients"):
        explain(model, torch.randn(2, 5), method="lime")
    with pytest.raises(ExplainError, match="no convolution layer|has none"):
        explain(model, torch.randn(2, 5), method="grad_cam")
    assert {m["name"] for m in methods()} == {*DIRECT, "grad_cam"}


def test_cancel_stops_the_work_and_leaves_the_model_clean() -> None:
    _, model = cnn()
    cancel = threading.Event()
    calls = 0

    def stop_after_two(module, args):
        nonlocal calls
        calls += 1
        if calls == 2:
            cancel.set()

    handle = model.register_forward_pre_hook(stop_after_two)
    with pytest.raises(ExplainCancelled):
        explain(model, images(2), n_steps=200, internal_batch_size=20, cancel=cancel)
    handle.remove()
    # The request stopped the very pass it came in (our check runs after this hook): the
    # prediction ran, the first of 20 internal passes was cut short and no other pass ran.
    assert calls == 2
    assert not model._forward_pre_hooks and model.training is False
    assert explain(model, images(2)).attributions.shape == (2, 1, 12, 12)


def test_internal_batch_size_follows_the_input_size() -> None:
    assert internal_batch_size(torch.zeros(1, 3, 224, 224)) == 27
    assert internal_batch_size(torch.zeros(1, 10)) == (1 << 22) // 10
    big = explain(tabular(), torch.randn(2, 5))
    assert big.options["internal_batch_size"] == 100  # all 50 steps of both samples at once
