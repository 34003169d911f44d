"""Templates fitted to a data set's input shape and output size."""

from __future__ import annotations

import torch

from dlstudio.graph import examples
from dlstudio.graph.adapt import fit_to_data


def test_lenet_fits_8x8_digits_with_ten_outputs():
    graph = fit_to_data(examples.load("lenet5"), (1, 8, 8), 10)
    assert graph.infer_shapes()["output"] == (None, 10)
    assert graph.node("conv2").params["padding"] == "same"
    assert graph.build()(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_mlp_fits_tabular_and_image_data():
    assert fit_to_data(examples.load("mlp"), (2,), 2).infer_shapes()["output"] == (None, 2)
    assert fit_to_data(examples.load("mlp"), (3, 32, 32), 7).infer_shapes()["output"] == (None, 7)


def test_recurrent_template_drops_embedding_for_float_sequences():
    graph = fit_to_data(examples.load("lstm_classifier"), (20, 1), 1)
    assert "embedding" not in {node.id for node in graph.nodes}
    assert graph.infer_shapes()["output"] == (None, 1)


def test_unfittable_combination_is_left_as_a_problem_on_the_node():
    graph = fit_to_data(examples.load("lenet5"), (4,), 3)
    [problem] = graph.analyze().problems
    assert problem.node_id == "conv1" and "expects images" in problem.message


def test_original_template_is_not_modified():
    template = examples.load("lenet5")
    before = template.to_dict()
    fit_to_data(template, (1, 8, 8), 10)
    assert template.to_dict() == before


def test_grey_images_reach_a_pretrained_backbone_through_a_learned_colour_mapping():
    graph = fit_to_data(examples.load("finetune"), (1, 8, 8), 4)
    shapes = graph.infer_shapes()
    (to_rgb,) = [node for node in graph.nodes if node.op == "Conv2d"]
    assert shapes[to_rgb.id] == (None, 3, 8, 8) and shapes["output"] == (None, 4)
    assert graph.build()(torch.zeros(2, 1, 8, 8)).shape == (2, 4)
    rgb = fit_to_data(examples.load("finetune"), (3, 32, 32), 4)
    assert [node.op for node in rgb.nodes] == [node.op for node in examples.load("finetune").nodes]
