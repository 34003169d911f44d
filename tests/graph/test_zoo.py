"""torchvision's architectures as graphs: every one the Studio's Import lists imports offline."""

from __future__ import annotations

import pytest
import torch

from dlstudio.graph import zoo
from dlstudio.graph.adapt import fit_to_data, freeze_all_but_head, head_layer
from dlstudio.graph.pretrained import ARCHITECTURES, empty_architecture


@pytest.mark.parametrize("arch", zoo.IMPORTABLE)
def test_every_listed_architecture_imports_with_its_parameter_count(arch: str) -> None:
    graph = zoo.import_architecture(arch)
    expected = sum(p.numel() for p in empty_architecture(arch).parameters())
    assert graph.param_count() == expected
    assert graph.analyze().ok and graph.metadata["title"] == arch


def test_the_list_leaves_out_only_what_cannot_be_traced() -> None:
    assert set(ARCHITECTURES) - set(zoo.IMPORTABLE) == {"swin_t"}
    with pytest.raises(KeyError, match="swin_t"):
        zoo.import_architecture("swin_t")


def test_an_imported_network_fitted_to_grey_digits_trains_only_its_head() -> None:
    graph = freeze_all_but_head(fit_to_data(zoo.import_architecture("resnet18"), (1, 8, 8), 10))
    assert head_layer(graph).id == "fc"
    weights = graph.analyze().weights
    assert {node.id for node in graph.nodes if weights.get(node.id) and not node.frozen} == {"fc"}
    model = graph.build()
    learning = {name for name, p in model.named_parameters() if p.requires_grad}
    assert learning == {"fc.weight", "fc.bias"}
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
