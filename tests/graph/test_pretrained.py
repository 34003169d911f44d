"""The Pretrained node: a torchvision (or timm) backbone with weights from a local file, frozen by default,
and a head of one's own that is the only part training changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import timm
import torch
import torchvision
from safetensors.torch import save_file

from dlstudio import Graph, Trainer, datasets
from dlstudio.graph.pretrained import ARCHITECTURES, TIMM_ARCHITECTURES, meta_backbone
from tests.graph.test_codegen_style import assert_clean
from tests.train.test_freezing import _image_folder


def transfer_graph(weights: str | None, arch: str = "resnet18", size: int = 32) -> Graph:
    graph = Graph()
    x = graph.add("Input", shape=[3, size, size])
    params = {"arch": arch, "features_only": True} | ({"weights": weights} if weights else {})
    backbone = graph.add("Pretrained", id="backbone", after=x, **params)
    head = graph.add("Linear", id="head", after=backbone, out_features=2)
    graph.add("Output", after=head)
    return graph


def test_every_offered_architecture_is_in_torchvision() -> None:
    assert set(ARCHITECTURES) <= set(torchvision.models.list_models(module=torchvision.models))


@pytest.mark.parametrize(
    ("arch", "features"), [("resnet18", 512), ("mobilenet_v3_small", 1024), ("vit_b_16", 768)]
)
def test_features_only_gives_the_features_before_the_last_linear(arch: str, features: int) -> None:
    size = 224 if arch == "vit_b_16" else 64
    graph = transfer_graph(None, arch, size)
    assert graph.infer_shapes()["backbone"] == (None, features)
    model = graph.build().eval()
    assert model(torch.randn(1, 3, size, size)).shape == (1, 2)


def test_the_code_loads_the_file_freezes_the_backbone_and_reads_like_a_person_wrote_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # paths relative to the notebook, as people give them
    original = torchvision.models.resnet18()
    weights = "resnet18.safetensors"
    save_file(original.state_dict(), weights)
    graph = transfer_graph(weights)
    code = graph.to_code()
    assert_clean(code)
    assert "self.backbone = models.resnet18()" in code
    assert f'self.backbone.load_state_dict(load_file("{weights}"))' in code
    assert "self.backbone.fc = nn.Identity()" in code
    assert "self.backbone.requires_grad_(False)" in code
    model = graph.build()
    torch.testing.assert_close(model.backbone.conv1.weight, original.conv1.weight)
    torch.save(original.state_dict(), "resnet18.pth")
    from_pth = transfer_graph("resnet18.pth")
    assert "weights_only=True" in from_pth.to_code()
    torch.testing.assert_close(from_pth.build().backbone.conv1.weight, original.conv1.weight)


def test_weights_that_cannot_be_found_are_a_problem_on_the_node(tmp_path: Path) -> None:
    missing = transfer_graph(str(tmp_path / "nowhere.safetensors")).analyze()
    assert "there is no such file" in missing.problems[0].message
    graph = transfer_graph("IMAGENET1K_V1")
    if graph.analyze().ok:  # the file happens to be downloaded on this machine
        pytest.skip("resnet18's ImageNet weights are in the local cache here")
    assert "not in the local cache" in graph.analyze().problems[0].message
    small = transfer_graph(None, arch="alexnet", size=16).analyze()
    assert "cannot run alexnet on its input (N, 3, 16, 16)" in small.problems[0].message


def test_fine_tuning_changes_only_the_head_and_keeps_the_statistics(tmp_path: Path) -> None:
    original = torchvision.models.resnet18()
    with torch.no_grad():
        original.bn1.running_mean.uniform_(0.2, 0.8)
    weights = tmp_path / "resnet18.safetensors"
    save_file(original.state_dict(), str(weights))
    data = datasets.from_folder(_image_folder(tmp_path / "images"), image_size=32)
    trainer = Trainer(transfer_graph(str(weights)), data, epochs=1, batch_size=8, device="cpu")
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    after = trainer.model.state_dict()
    changed = {key for key in before if not torch.equal(before[key], after[key])}
    assert changed == {"head.weight", "head.bias"}
    torch.testing.assert_close(after["backbone.bn1.running_mean"], original.bn1.running_mean)


def test_a_cached_torchvision_weights_name_loads_the_cache_and_keeps_features_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    original = torchvision.models.resnet18()
    url = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url
    (tmp_path / "checkpoints").mkdir()
    torch.save(original.state_dict(), tmp_path / "checkpoints" / url.rsplit("/", 1)[1])
    graph = transfer_graph("IMAGENET1K_V1")
    assert graph.analyze().ok
    code = graph.to_code()
    assert 'self.backbone = models.resnet18(weights="IMAGENET1K_V1")' in code
    assert "self.backbone.fc = nn.Identity()" in code
    model = graph.build()
    torch.testing.assert_close(model.backbone.conv1.weight, original.conv1.weight)


@pytest.mark.parametrize("arch", TIMM_ARCHITECTURES)
def test_every_offered_timm_network_gives_its_features(arch: str) -> None:
    size = 224 if "patch16_224" in arch else 64
    graph = transfer_graph(None, arch, size)
    with torch.device("meta"):
        reference = timm.create_model(arch.removeprefix("timm/"), num_classes=0)
        features = reference(torch.empty(1, 3, size, size)).shape[1]
    assert graph.infer_shapes()["backbone"] == (None, features)
    head = 2 * (features + 1)
    assert graph.param_count() == sum(p.numel() for p in reference.parameters()) + head


def test_a_timm_backbone_loads_its_file_and_reads_like_timm_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    original = timm.create_model("resnet18")
    save_file(original.state_dict(), "timm_resnet18.safetensors")
    graph = transfer_graph("timm_resnet18.safetensors", arch="timm/resnet18")
    code = graph.to_code()
    assert_clean(code)
    assert code.startswith("import timm\n")
    assert 'self.backbone = timm.create_model("resnet18")' in code
    assert "self.backbone.reset_classifier(0)  # the features, without its head" in code
    model = graph.build().eval()
    original.reset_classifier(0)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(x), original.eval()(x))
    named = transfer_graph("IMAGENET1K_V1", arch="timm/resnet18").analyze()
    assert "only torchvision's networks have weights names" in named.problems[0].message


def test_without_timm_a_timm_backbone_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "timm", None)  # what Python does when it is not installed
    meta_backbone.cache_clear()
    try:
        problems = transfer_graph(None, arch="timm/efficientvit_b0").analyze().problems
    finally:
        meta_backbone.cache_clear()
    assert "timm is not installed" in problems[0].message
    assert problems[0].hint == "Install it: pip install timm."
