"""Freezing: frozen nodes stay as they are while training, and a pretrained backbone keeps both
its weights and its BatchNorm statistics while a new head learns (transfer learning)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file
from torch import nn

from dlstudio import Graph, Trainer, datasets
from dlstudio.graph import examples
from dlstudio.train.errors import TrainingSetupError


def _image_folder(root: Path, classes: int = 2, per_class: int = 12) -> Path:
    rng = np.random.default_rng(0)
    for label in range(classes):
        folder = root / f"class{label}"
        folder.mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 80, (16, 16, 3)) + label * 120
            Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{index}.png")
    return root


class Backbone(nn.Module):
    """A small 'pretrained' network: features, then a head for 5 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flatten(self.pool(self.relu(self.bn(self.conv(x))))))


def test_frozen_nodes_are_written_in_the_code_and_survive_the_document() -> None:
    graph = examples.load("resnet_small")
    graph.node("stem_bn").frozen = True
    again = Graph.from_json(graph.to_json())
    assert again.node("stem_bn").frozen and not again.node("fc").frozen
    assert again.structure_key() != examples.load("resnet_small").structure_key()
    code = graph.to_code()
    assert "self.stem[1].requires_grad_(False)  # frozen: not trained" in code
    assert "def train(self, mode=True):" in code
    model = graph.build().train()
    assert not model.stem[1].training and model.stem[0].training
    assert not any(p.requires_grad for p in model.stem[1].parameters())


def test_a_document_with_a_malformed_frozen_flag_is_refused() -> None:
    doc = examples.load("mlp").to_dict()
    doc["nodes"][1]["frozen"] = "yes"
    with pytest.raises(ValueError, match="'frozen' must be true or false"):
        Graph.from_dict(doc)


def test_fine_tuning_a_pretrained_backbone_changes_only_the_new_head(tmp_path: Path) -> None:
    torch.manual_seed(0)
    pretrained = Backbone()
    with torch.no_grad():  # "pretrained" statistics, different from a fresh BatchNorm's
        pretrained.bn.running_mean.uniform_(0.2, 0.8)
        pretrained.bn.running_var.uniform_(1.5, 2.5)
    weights = tmp_path / "backbone.safetensors"
    save_file(pretrained.state_dict(), str(weights))

    graph = Graph.from_module(pretrained, torch.randn(1, 3, 16, 16))
    for node in graph.nodes:
        node.frozen = node.op not in ("Input", "Output", "Linear")
    graph.node("fc").params["out_features"] = 2  # a new head for our two classes
    model = graph.build(weights=weights, strict=False)  # the head keeps fresh weights
    before = {k: v.clone() for k, v in model.state_dict().items()}

    data = datasets.from_folder(_image_folder(tmp_path / "images"), image_size=16)
    trainer = Trainer(model, data, epochs=2, batch_size=8, lr=0.05, device="cpu")
    trainer.fit()

    after = model.state_dict()
    changed = {key for key in before if not torch.equal(before[key], after[key])}
    head = graph.module_names()["fc"]
    assert changed == {f"{head}.weight", f"{head}.bias"}
    assert len(trainer.optimizer.param_groups[0]["params"]) == 2


def test_a_model_with_every_layer_frozen_says_there_is_nothing_to_train() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).requires_grad_(False)
    with pytest.raises(ValueError, match="Every layer of this model is frozen"):
        Trainer(model, datasets.load("digits"), epochs=1)


def test_import_marks_modules_whose_weights_do_not_learn_as_frozen() -> None:
    model = Backbone()
    model.conv.requires_grad_(False)
    graph = Graph.from_module(model, torch.randn(1, 3, 16, 16))
    assert graph.node("conv").frozen and not graph.node("fc").frozen


def test_the_inspector_names_a_frozen_batchnorm_whose_statistics_move() -> None:
    from dlstudio.inspect.capture import capture_batch
    from dlstudio.inspect.diagnose import diagnose

    model = Backbone()
    model.bn.requires_grad_(False)  # frozen by hand, but model.train() puts it back in training
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    found = {d.kind: d for d in diagnose(capture_batch(model.train(), x, y))}
    assert "running statistics" in found["frozen_batchnorm"].message
    model.bn.eval()  # frozen as dlstudio's code freezes it: not a fault to report
    kinds = {d.kind for d in diagnose(capture_batch(model, x, y)) if d.layer == "bn"}
    assert not kinds & {"frozen_batchnorm", "frozen_weights"}


def test_a_frozen_batchnorm_is_named_when_the_batch_runs_in_training_mode() -> None:
    from dlstudio.inspect.capture import capture_batch
    from dlstudio.inspect.diagnose import diagnose

    model = Backbone().eval()  # a model left in eval, captured in training mode
    model.bn.requires_grad_(False)
    x, y = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3])
    report = capture_batch(model, x, y, train_mode=True)
    assert "frozen_batchnorm" in {d.kind for d in diagnose(report)}
    assert not model.training and not model.bn.training  # the model's modes come back

    class KeepsStatistics(Backbone):
        def train(self, mode: bool = True) -> KeepsStatistics:
            super().train(mode)
            self.bn.eval()  # what dlstudio's generated code does for a frozen BatchNorm
            return self

    fixed = KeepsStatistics().train()
    fixed.bn.requires_grad_(False)
    kinds = {d.kind for d in diagnose(capture_batch(fixed, x, y, train_mode=True))}
    assert "frozen_batchnorm" not in kinds


def test_a_graph_trains_from_the_weights_of_the_module_it_was_imported_from() -> None:
    torch.manual_seed(0)
    pretrained = Backbone()
    graph = Graph.from_module(pretrained, torch.randn(1, 3, 16, 16))
    graph.node("fc").params["out_features"] = 2  # a new head for two classes
    for node in graph.nodes:
        node.frozen = node.id != "fc" and graph.analyze().weights.get(node.id, 0) > 0
    data = datasets.from_tensors(torch.randn(24, 3, 16, 16), torch.randint(0, 2, (24,)))
    trainer = Trainer(graph, data, epochs=1, batch_size=8, device="cpu", weights=pretrained)
    conv = graph.module_names()["conv"]
    torch.testing.assert_close(trainer.model.get_submodule(conv).weight, pretrained.conv.weight)
    assert trainer.node_ids  # the graph's node ids name the layers in reports
    trainer.fit()
    torch.testing.assert_close(trainer.model.get_submodule(conv).weight, pretrained.conv.weight)
    with pytest.raises(TrainingSetupError, match="weights= fills a Graph's layers"):
        Trainer(pretrained, data, weights=pretrained)
