"""TensorInspector without a browser: layers, selection by node id, live updates from training."""

from __future__ import annotations

import pytest
import torch
from inspect_models import small_cnn

from dlstudio import datasets
from dlstudio.graph import examples
from dlstudio.inspect import InspectionCallback
from dlstudio.train import Trainer
from dlstudio.ui.inspector import TensorInspector


def test_click_a_node_see_its_statistics() -> None:
    graph = examples.load("lenet5")
    model = graph.build()
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    inspector = TensorInspector(model, (x, y), graph=graph)
    labels = [label for label, _ in inspector.layer_list.options]
    assert labels[0] == "● conv1 (features.0) · Conv2d" and len(labels) == 11  # Flatten is skipped
    seen: list[str] = []
    inspector.on_select(seen.append)
    inspector.select("conv2")
    assert inspector.selected == "features.3" and seen == ["features.3"]
    assert "conv2 (features.3)" in inspector.stats.value
    assert "8×16×10×10" in inspector.stats.value  # the output's shape
    assert bytes(inspector.pictures.value).startswith(b"\x89PNG")  # 16 feature maps
    assert "16 channels" in inspector.pictures_title.value
    inspector.kind.value = "weight_grad"
    assert bytes(inspector.histogram.value).startswith(b"\x89PNG")
    inspector.select("fc1")
    assert inspector.pictures.layout.display == "none"
    with pytest.raises(KeyError, match="conv1 \\(features.0\\)"):
        inspector.select("nothing")


def test_follows_a_training_run() -> None:
    inspection = InspectionCallback(every=5)
    model = small_cnn()
    bundle = datasets.load("digits")
    inspector = TensorInspector(model, bundle, callback=inspection)
    assert inspector.inputs.shape == (64, 1, 8, 8)  # the first validation samples
    assert inspector.report.step is None  # nothing captured yet: it inspected the batch itself
    Trainer(model, bundle, epochs=1, callbacks=[inspection]).fit()
    assert inspector.report is inspection.last_report
    assert f"step {inspection.last_report.step}" in inspector.summary.value
    inspector.select("0")
    assert inspector.over_steps.layout.display is None
    assert bytes(inspector.over_steps.value).startswith(b"\x89PNG")
    assert "Over time: steps 1 to" in inspector.histogram_caption.value
    # A closed inspector no longer follows the run.
    shown = inspector.report
    inspector.close()
    Trainer(model, bundle, epochs=1, callbacks=[inspection]).fit()
    assert inspection.last_report is not shown and inspector.report is shown
