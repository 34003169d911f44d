"""Statistics, histograms and capture: compared with torch computed directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from inspect_models import small_cnn
from torch import nn

from dlstudio.inspect import Capture, capture_batch, heatmap_over_steps, stats, tracked_layers
from dlstudio.inspect.stats import BINS, RECORD_SIZE, TensorStats, records, tensor_record


def stats_of(x: torch.Tensor) -> TensorStats:
    return TensorStats.from_record(tuple(x.shape), tensor_record(x).cpu().numpy())


def test_stats_match_torch() -> None:
    torch.manual_seed(1)
    x = torch.randn(7, 33) * 3 + 1
    x[0, :5] = 0
    s = stats_of(x)
    assert s.shape == (7, 33)
    assert s.mean == pytest.approx(x.mean().item(), rel=1e-5)
    assert s.std == pytest.approx(x.std().item(), rel=1e-5)
    assert s.min == x.min().item() and s.max == x.max().item()
    assert s.zeros == pytest.approx((x == 0).float().mean().item())
    assert s.norm == pytest.approx(x.norm().item(), rel=1e-5)
    assert s.nans == 0 and s.infs == 0 and s.finite
    assert s.histogram.counts.sum() == x.numel()
    expected, _ = np.histogram(x.numpy(), bins=BINS, range=(s.min, s.max))
    # Bin edges are computed in float32 on the device: values on an edge may move by one bin.
    assert np.abs(s.histogram.counts - expected).sum() <= 2


def test_the_spread_of_values_close_together_survives() -> None:
    torch.manual_seed(3)
    x = 1.0 + 1e-4 * torch.randn(5000)  # a LayerNorm weight after some training
    assert stats_of(x).std == pytest.approx(x.double().std().item(), rel=1e-3)


def test_nonfinite_values_are_counted_and_left_out() -> None:
    x = torch.tensor([1.0, 2.0, math.nan, math.inf, -math.inf, 3.0])
    s = stats_of(x)
    assert (s.nans, s.infs) == (1, 2)
    assert s.mean == pytest.approx(2.0) and s.min == 1.0 and s.max == 3.0
    assert s.histogram.counts.sum() == 3  # the finite values
    assert not s.finite
    assert stats_of(torch.tensor([math.nan, math.nan])).nans == 2


def test_capture_matches_a_direct_forward_and_backward() -> None:
    model = small_cnn()
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
    report = capture_batch(model, x, y)

    # The same numbers, computed by hand.
    conv_out = model[0](x)
    relu_out = F.relu(conv_out)
    logits = model[1:](conv_out)
    loss = F.cross_entropy(logits, y)
    grads = torch.autograd.grad(loss, [model[0].weight, conv_out], retain_graph=True)

    conv = report.layers["0"]
    assert conv.output.shape == (16, 4, 8, 8)
    assert conv.output.mean == pytest.approx(conv_out.mean().item(), rel=1e-4, abs=1e-6)
    assert conv.output.std == pytest.approx(conv_out.std().item(), rel=1e-4)
    assert conv.params["weight"].grad.norm == pytest.approx(grads[0].norm().item(), rel=1e-4)
    assert conv.grad.norm == pytest.approx(grads[1].norm().item(), rel=1e-4)
    relu = report.layers["1"]
    dead = (~(relu_out.transpose(0, 1).reshape(4, -1) > 0).any(1)).float().mean().item()
    assert relu.dead_fraction == pytest.approx(dead)
    assert report.loss == pytest.approx(loss.item(), rel=1e-5)
    # Forward order for layers, backward order for gradients; .grad left untouched.
    # Flatten (3) is skipped: its output holds the same values as its input.
    assert list(report.layers) == ["0", "1", "2", "4"]
    assert report.backward_order == ["4", "2", "1", "0"]
    assert all(p.grad is None for p in model.parameters())
    assert report.first_nonfinite() is None


def test_the_device_path_agrees_and_never_reads_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    # The path a GPU takes (segment reductions, masks for NaN/Inf) run here on the CPU.
    torch.manual_seed(2)
    tensors = [torch.randn(40, 7), torch.rand(300) * 5, torch.zeros(3), torch.randn(1)]
    broken = [*tensors, torch.tensor([1.0, math.nan, -math.inf, 4.0])]
    fast, masked = records(tensors).numpy(), records(broken).numpy()  # both CPU branches
    monkeypatch.setattr(stats, "CPU_FAST_PATH", False)
    monkeypatch.setattr(torch.Tensor, "item", lambda self: pytest.fail("read a number"))
    monkeypatch.setattr(torch.Tensor, "__float__", lambda self: pytest.fail("read a number"))
    np.testing.assert_allclose(records(tensors).numpy(), fast, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(records(broken).numpy(), masked, rtol=1e-5, atol=1e-6)


def test_capture_copies_to_the_host_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every statistic stays on the device until collect(), which makes exactly one copy. On
    # the CPU one number per group of tensors is read to pick the fast path (no device there
    # to synchronise with); nothing is read per layer.
    copies: list[tuple[int, ...]] = []
    reads: list[tuple[int, ...]] = []
    cpu, item = torch.Tensor.cpu, torch.Tensor.item

    def counting_cpu(self: torch.Tensor, *args, **kwargs):
        copies.append(tuple(self.shape))
        return cpu(self, *args, **kwargs)

    def counting_item(self: torch.Tensor):
        reads.append(tuple(self.shape))
        return item(self)

    model = small_cnn()
    capture = Capture(model).attach()
    loss = F.cross_entropy(model(torch.randn(4, 1, 8, 8)), torch.tensor([1, 2, 3, 4]))
    loss.backward()
    monkeypatch.setattr(torch.Tensor, "cpu", counting_cpu)
    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    capture.record_params()
    report = capture.collect(step=3, loss=loss)
    assert len(copies) == 1 and copies[0][0] > 10 * RECORD_SIZE
    assert len(reads) <= 1
    assert report.step == 3 and len(report.layers) == 4


def test_tracked_layers_skip_containers_and_keep_a_bare_module() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.ModuleList([nn.ReLU()]))
    assert list(tracked_layers(model)) == ["0.0", "1.0"]
    assert list(tracked_layers(nn.Linear(2, 2))) == ["model"]
    report = capture_batch(nn.Linear(3, 2), torch.randn(5, 3))
    assert report.layers["model"].params["weight"].grad is not None


def test_histograms_over_time_share_one_range() -> None:
    model = small_cnn()
    reports = []
    for step, scale in enumerate([1.0, 2.0, 4.0], start=1):
        report = capture_batch(model, torch.randn(8, 1, 8, 8) * scale)
        report.step = step * 50
        reports.append(report)
    heat = heatmap_over_steps(reports, "0", "output", bins=20)
    assert heat.steps == [50, 100, 150]
    assert heat.counts.shape == (3, 20) and heat.edges.shape == (21,)
    assert heat.counts.sum(axis=1) == pytest.approx([8 * 4 * 64] * 3)
    assert heat.edges[0] <= reports[2].layers["0"].output.min
    assert heat.normalised().sum(axis=1) == pytest.approx([1, 1, 1])
    weights = heatmap_over_steps(reports, "0", "weight_grad")
    assert len(weights.steps) == 3
    with pytest.raises(ValueError, match="kind must be one of"):
        heatmap_over_steps(reports, "0", "activations")
