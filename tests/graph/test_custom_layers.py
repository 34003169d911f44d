"""Custom layers: registered modules get shapes from the meta device and appear in the code."""

from __future__ import annotations

import pytest
import torch

from dlstudio import Graph, GraphError, layers
from dlstudio.graph.params import Param
from tests.graph.custom_layers import PairSum, Scale


@pytest.fixture(autouse=True)
def custom_layers():
    """Registered for each test only, so the catalog other tests see stays the built-in one."""
    layers.register(
        Scale, params=(Param("features", "int", 4, min=1), Param("start", "float", 1.0))
    )
    layers.register(PairSum, inputs=2)
    yield
    layers.unregister("Scale")
    layers.unregister("PairSum")


def test_custom_layer_shapes_weights_and_code():
    graph = Graph()
    x = graph.add("Input", shape=[6])
    x = graph.add("Scale", after=x, features=6, start=0.5)
    graph.add("Output", after=x)
    assert graph.infer_shapes()["scale1"] == (None, 6)
    assert graph.param_count() == 6
    code = graph.to_code()
    assert "from tests.graph.custom_layers import Scale" in code
    assert "self.scale1 = Scale(features=6, start=0.5)" in code
    model = graph.build()
    assert torch.equal(model(torch.ones(2, 6)), torch.full((2, 6), 0.5))


def test_custom_layer_with_two_inputs():
    graph = Graph()
    a = graph.add("Input", id="a", shape=[3])
    b = graph.add("Input", id="b", shape=[3])
    pair = graph.add("PairSum")
    graph.connect(a, pair, 0)
    graph.connect(b, pair, 1)
    graph.add("Output", after=pair)
    assert "x = self.pairsum1(a, b)" in graph.to_code()
    assert torch.equal(graph.build()(torch.ones(1, 3), torch.ones(1, 3)), torch.full((1, 3), 4.0))


def test_custom_layer_failure_is_a_problem_on_its_node():
    graph = Graph()
    x = graph.add("Input", shape=[5])
    x = graph.add("Scale", after=x, features=6)
    graph.add("Output", after=x)
    with pytest.raises(GraphError) as caught:
        graph.validate()
    [problem] = caught.value.problems
    assert problem.node_id == "scale1" and "cannot run on its input (N, 5)" in problem.message


def test_builtin_names_cannot_be_replaced_or_removed():
    with pytest.raises(ValueError, match="built-in"):
        layers.register(Scale, name="Linear")
    with pytest.raises(ValueError, match="not a registered custom layer"):
        layers.unregister("Linear")


def test_custom_layers_join_the_catalog():
    entry = next(e for e in layers.catalog() if e["name"] == "Scale")
    assert entry["category"] == "custom" and entry["params"][0]["name"] == "features"
