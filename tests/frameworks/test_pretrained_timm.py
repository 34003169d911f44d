"""timm's networks in Keras 3 and Flax NNX: a ``Pretrained`` node whose network traces into
layers with a counterpart is written out layer by layer, holds PyTorch's weights and computes
PyTorch's outputs; the others are refused with the layer that stops them."""

from __future__ import annotations

import pytest

from dlstudio import frameworks
from dlstudio.graph import Graph
from dlstudio.graph.frameworks.program import expandable, not_expandable
from dlstudio.graph.pretrained import TIMM_ARCHITECTURES, TIMM_TRACEABLE, TIMM_UNTRACEABLE
from tests.frameworks.test_frameworks import perturbed

pytest.importorskip("timm")
pytest.importorskip("keras")
pytest.importorskip("flax")

IMAGE = [3, 64, 64]
CLASS_LINE = {"keras": "class {}(layers.Layer):", "flax": "class {}(nnx.Module):"}


def backbone(arch: str, features_only: bool) -> Graph:
    """Input -> Pretrained -> Output, or with ``features_only`` a Linear head after it."""
    graph = Graph()
    graph.add("Input", id="input", shape=IMAGE)
    graph.add("Pretrained", id="net", after="input", arch=arch, features_only=features_only)
    last = "net"
    if features_only:
        last = graph.add("Linear", id="head", after="net", out_features=5)
    graph.add("Output", id="output", after=last)
    assert graph.analyze().ok, graph.analyze().problems
    return graph


@pytest.mark.parametrize("framework", ["keras", "flax"])
@pytest.mark.parametrize(
    ("arch", "features_only", "class_name"),
    [
        ("timm/resnet18", False, "TimmResnet18"),
        # timm's BatchNormAct2d, squeeze-and-excitation, hard-swish, its own Linear
        ("timm/mobilenetv3_small_100", True, "TimmMobilenetv3Small100"),
    ],
)
def test_a_timm_network_is_written_out_with_pytorchs_weights_and_outputs(
    framework: str, arch: str, features_only: bool, class_name: str
) -> None:
    graph = backbone(arch, features_only)
    code = graph.to_code(framework=framework)
    assert CLASS_LINE[framework].format(class_name) in code and "does not write" not in code
    check = frameworks.verify(graph, framework, module=perturbed(graph), samples=2)
    assert check.ok and check.params[0] == check.params[1], str(check)


def test_a_timm_network_that_does_not_trace_is_refused_naming_the_layer() -> None:
    graph = backbone("timm/mobilevit_s", features_only=False)
    params = graph.node("net").params
    assert not expandable(params)
    assert "MobileVitBlock (stages.2.1)" in str(not_expandable(params))
    for framework in ("keras", "flax"):  # the written code names the layer that stops it
        code = " ".join(graph.to_code(framework=framework).split())
        assert "# layer 'net' (Pretrained) has no counterpart" in code
        assert "MobileVitBlock (stages.2.1)" in code.replace("# ", "")
    for framework in ("keras", "flax"):
        with pytest.raises(ValueError, match="Pretrained"):
            frameworks.verify(graph, framework)


def test_every_offered_timm_network_is_written_out_or_says_why_not() -> None:
    assert set(TIMM_TRACEABLE) | set(TIMM_UNTRACEABLE) == set(TIMM_ARCHITECTURES)
    assert not set(TIMM_TRACEABLE) & set(TIMM_UNTRACEABLE)
    for arch in TIMM_UNTRACEABLE:
        sentence = not_expandable({"arch": arch})
        assert sentence and sentence.count(". ") == 0 and sentence.endswith("."), sentence
