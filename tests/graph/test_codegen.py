"""Generated code reads like hand-written PyTorch and runs on its own, without dlstudio."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

from dlstudio import Graph
from dlstudio.graph import codegen, codegen_layout, codegen_plan, examples, namespace
from tests.graph.helpers import flat_resnet

BLOCK1_IDS = ["block1_conv1", "block1_bn1", "block1_relu1", "block1_conv2", "block1_bn2",
              "block1_add", "block1_relu2"]  # fmt: skip

SAMPLE_INPUTS = {
    "mlp": ("float", [1, 8, 8]),
    "lenet5": ("float", [1, 28, 28]),
    "resnet_small": ("float", [3, 32, 32]),
    "lstm_classifier": ("long", [20]),
    "transformer_encoder": ("long", [16]),
    "finetune": ("float", [3, 64, 64]),
}


def _sample(dtype: str, shape: list[int], batch: int = 3) -> torch.Tensor:
    if dtype == "long":
        return torch.randint(0, 1000, (batch, *shape))
    return torch.randn(batch, *shape)


def test_generated_code_runs_in_a_fresh_interpreter_like_build(tmp_path):
    """Each example's source, run by a plain `python` without dlstudio, gives the same module."""
    expected = {}
    for name in examples.names():
        graph = examples.load(name)
        for sequential in (True, False):
            key = f"{name}_{int(sequential)}"
            (tmp_path / f"{key}.py").write_text(graph.to_code("Net", sequential=sequential))
            model = graph.build(sequential=sequential).eval()
            dtype, shape = SAMPLE_INPUTS[name]
            with torch.no_grad():
                out = model(_sample(dtype, shape))
            expected[key] = [
                sum(p.numel() for p in model.parameters()),
                list(out.shape),
                dtype,
                shape,
            ]
    script = textwrap.dedent(
        """
        import importlib, json, sys, torch
        sys.path.insert(0, sys.argv[1])
        cases = json.loads(sys.argv[2])
        found = {}
        for key, (_, _, dtype, shape) in cases.items():
            model = importlib.import_module(key).Net().eval()
            x = torch.randint(0, 1000, (3, *shape)) if dtype == "long" else torch.randn(3, *shape)
            with torch.no_grad():
                out = model(x)
            found[key] = [sum(p.numel() for p in model.parameters()), list(out.shape)]
        assert "dlstudio" not in sys.modules
        print(json.dumps(found))
        """
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), json.dumps(expected)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tmp_path,
    )
    found = json.loads(result.stdout)
    assert found == {key: value[:2] for key, value in expected.items()}


def test_build_runs_exactly_the_source_to_code_returns():
    graph = examples.load("lenet5")
    model = graph.build("LeNet")
    import inspect

    assert inspect.getsource(type(model)) in graph.to_code("LeNet")


def test_code_has_shape_comments_and_sequential_blocks():
    code = examples.load("lenet5").to_code("LeNet5")
    assert "class LeNet5(nn.Module):" in code
    assert "self.features = nn.Sequential(" in code
    assert "x = self.features(x)  # (N, 16, 5, 5)" in code
    assert "nn.Conv2d(1, 6, 5, padding=2),  # conv1: (N, 6, 28, 28)" in code
    assert "# x: (N, 1, 28, 28)" in code
    assert "dlstudio" not in code.split('"""')[0] + code.split('"""')[-1]


def test_plain_style_has_one_line_per_layer_with_shapes():
    code = examples.load("lenet5").to_code(sequential=False)
    assert "self.conv1 = nn.Conv2d(1, 6, 5, padding=2)" in code
    assert "x = self.pool2(x)  # (N, 16, 5, 5)" in code
    assert "x = self.fc1(x)  # (N, 120)" in code


def test_residual_branches_keep_their_values_named():
    graph = flat_resnet()
    code = graph.to_code()
    assert "features = self.features(x)  # (N, 16, 32, 32)" in code  # named for what it holds
    assert "x = x + features  # (N, 16, 32, 32)" in code
    assert "block1_relu2 = self.block1_relu2(x)" in code
    assert "x = x + block1_relu2  # (N, 16, 32, 32)" in code
    torch.manual_seed(0)
    assert graph.build().eval()(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_resnet_uses_one_residual_block_class_like_torchvision():
    code = examples.load("resnet_small").to_code()
    assert code.count("class ResBlock(nn.Module):") == 1
    block = code.split("class Net")[0]
    for line in (
        "self.conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)",
        "self.bn1 = nn.BatchNorm2d(16)",
        "self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)",
        "self.bn2 = nn.BatchNorm2d(16)",
        "out = self.conv1(x)  # (N, 16, 32, 32)",
        "out = out + x  # (N, 16, 32, 32)",
        "return out",
    ):
        assert line in block
    assert "block1" not in block  # generic member names, not the instance's
    for line in ("self.block1 = ResBlock()", "self.block2 = ResBlock()", "x = self.stem(x)"):
        assert line in code
    assert "stem_relu =" not in code


def test_block_members_are_named_by_kind_unless_labelled():
    graph = flat_resnet()
    graph.node("block1_conv2").label = "expand"
    graph.group(BLOCK1_IDS, "Basic")
    code = graph.to_code()
    for line in (
        "self.conv = nn.Conv2d(",
        "self.expand = nn.Conv2d(",
        "self.bn1 = ",
        "self.relu2 = ",
    ):
        assert line in code


def test_identical_encoder_layers_stack_like_torch_documents_them():
    graph = examples.load("transformer_encoder")
    code = graph.to_code()
    assert "self.embedding = nn.Embedding(1000, 64)" in code
    assert (
        "encoder_layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, batch_first=True)"
        in code
    )
    assert "self.encoder = nn.TransformerEncoder(encoder_layer, num_layers=2)" in code
    assert "x = self.encoder(x)  # (N, 16, 64)" in code
    names = graph.module_names()
    assert names["encoder1"] == "encoder.layers.0" and names["encoder2"] == "encoder.layers.1"
    model = graph.build()
    assert isinstance(model.get_submodule(names["encoder2"]), torch.nn.TransformerEncoderLayer)
    assert graph.module_names(sequential=False)["encoder2"] == "encoder2"  # plain: one per node


def _encoder_chain(*params: dict) -> Graph:
    graph = Graph()
    x = graph.add("Input", shape=[5, 8])
    for each in params:
        x = graph.add("TransformerEncoderLayer", after=x, nhead=2, **each)
    graph.add("Output", after=x)
    return graph


def test_only_runs_of_identical_encoder_layers_stack():
    same = _encoder_chain({}, {}, {}, {"dim_feedforward": 32})
    code = same.to_code()
    assert "nn.TransformerEncoder(encoder_layer, num_layers=3)" in code
    assert "dim_feedforward=32" in code and "transformerencoderlayer4" in code
    assert same.module_names()["transformerencoderlayer3"] == "encoder.layers.2"
    alternating = _encoder_chain({}, {"dropout": 0.2}, {})
    assert "TransformerEncoder(" not in alternating.to_code()
    # norm_first has no nested-tensor fast path; saying so keeps torch from warning.
    pre_norm = _encoder_chain({"norm_first": True}, {"norm_first": True}).to_code()
    assert "num_layers=2, enable_nested_tensor=False" in pre_norm
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _encoder_chain({"norm_first": True}, {"norm_first": True}).build()


def test_torch_is_imported_only_where_the_code_uses_it():
    for name in examples.names():
        assert "import torch\n" not in examples.load(name).to_code()
    graph = Graph()
    a, b = graph.add("Input", shape=[4]), graph.add("Input", shape=[4])
    joined = graph.add("Concat")
    graph.connect(a, joined, 0)
    graph.connect(b, joined, 1)
    graph.add("Output", after=joined)
    assert graph.to_code().startswith("import torch\nfrom torch import nn\n")


def test_module_names_point_at_real_submodules():
    graph = examples.load("lenet5")
    model = graph.build()
    names = graph.module_names()
    assert names["conv1"] == "features.0"
    for qualified in names.values():
        assert isinstance(model.get_submodule(qualified), torch.nn.Module)


def test_hostile_ids_and_labels_become_plain_identifiers():
    hostile = "x'); __import__('os').system('touch /tmp/pwned') #"
    graph = Graph.from_dict(
        {
            "version": 1,
            "nodes": [
                {"id": "in", "op": "Input", "params": {"shape": [4]}, "label": "self"},
                {
                    "id": hostile,
                    "op": "Linear",
                    "params": {"out_features": 2},
                    "label": "\nimport os",
                },
                {"id": "forward", "op": "ReLU"},
                {"id": "class", "op": "Output"},
            ],
            "edges": [
                {"source": "in", "target": hostile},
                {"source": hostile, "target": "forward"},
                {"source": "forward", "target": "class"},
            ],
        }
    )
    code = graph.to_code(class_name="Bad Name; import os")
    assert "import os" not in code and "__import__" not in code and "system" not in code
    assert "self.forward_ = nn.ReLU()" in code or "forward_" in code
    assert graph.build()(torch.zeros(1, 4)).shape == (1, 2)


def test_multiple_inputs_and_outputs():
    graph = Graph()
    image = graph.add("Input", id="image", shape=[8])
    extra = graph.add("Input", id="extra", shape=[4])
    joined = graph.add("Concat")
    graph.connect(image, joined, 0)
    graph.connect(extra, joined, 1)
    head = graph.add("Linear", after=joined, out_features=3)
    graph.add("Output", after=head)
    graph.add("Output", after=joined)
    code = graph.to_code()
    assert "def forward(self, image, extra):" in code
    assert "torch.cat([image, extra], dim=1)" in code
    scores, features = graph.build()(torch.zeros(2, 8), torch.zeros(2, 4))
    assert scores.shape == (2, 3) and features.shape == (2, 12)


@pytest.mark.parametrize("name", examples.names())
def test_examples_round_trip_through_json(name, tmp_path):
    graph = examples.load(name)
    path = tmp_path / f"{name}.json"
    graph.save(path)
    again = Graph.load(path)
    assert again == graph
    assert again.to_code() == graph.to_code()


@pytest.mark.parametrize("module", [codegen, codegen_layout, codegen_plan, namespace])
def test_docstring_examples(module) -> None:
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0
