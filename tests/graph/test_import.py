"""Graph.from_module: models nobody here wrote come in with their weights and compute the same.

Each model is traced, built from the generated code with the original weights, and compared
with the original in eval mode; parameter counts must be equal. The round trip
``from_module(g.build())`` gives back ``g`` for every example, and the code of an imported model
is clean and runs without dlstudio.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
import torchvision
from hypothesis import HealthCheck, given, settings
from safetensors.torch import save_file
from torch import nn

from dlstudio import Graph, GraphError, layers
from dlstudio.cli import main as cli
from dlstudio.graph import examples
from dlstudio.graph.document import BlockDefinition
from tests.graph.random_graphs import graphs
from tests.graph.test_codegen_style import assert_clean

# Small inputs keep the suite fast; the architectures are unchanged by the image size.
TORCHVISION = {
    "resnet18": (2, 3, 64, 64),
    "resnet50": (2, 3, 64, 64),
    "mobilenet_v3_small": (2, 3, 64, 64),
    "efficientnet_b0": (2, 3, 64, 64),
    "vgg11_bn": (2, 3, 32, 32),
    "squeezenet1_1": (2, 3, 64, 64),
    "densenet121": (2, 3, 32, 32),
    "vit_b_16": (1, 3, 224, 224),
    "convnext_tiny": (2, 3, 32, 32),
}


@pytest.fixture(autouse=True)
def _forget_opaque_layers() -> Iterator[None]:
    """Opaque nodes register their classes as custom layers; other tests see the catalog."""
    before = set(layers.names())
    yield
    for name in set(layers.names()) - before:
        layers.unregister(name)


def assert_same_model(original: nn.Module, example: torch.Tensor, graph: Graph) -> nn.Module:
    original.eval()
    copy = graph.build(weights=original).eval()
    with torch.no_grad():
        torch.testing.assert_close(copy(example), original(example))
    assert graph.param_count() == sum(p.numel() for p in original.parameters())
    return copy


def opaque_ops(graph: Graph) -> set[str]:
    nodes = [*graph.nodes, *(node for block in graph.blocks.values() for node in block.nodes)]
    return {node.op for node in nodes if "." in node.op}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_models_import_and_compute_the_same(name: str) -> None:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    example = torch.randn(TORCHVISION[name])
    graph = Graph.from_module(model, example)
    assert_same_model(model, example, graph)
    assert graph.metadata["title"] == type(model).__name__
    # Opaque nodes only for what the catalog cannot say (recorded in the note).
    assert opaque_ops(graph) <= {
        "torchvision.ops.stochastic_depth.StochasticDepth",
        "torchvision.models.convnext.LayerNorm2d",
    }


def test_resnet18_reads_as_a_stem_eight_basic_blocks_and_a_head() -> None:
    model = torchvision.models.resnet18()
    graph = Graph.from_module(model, torch.randn(1, 3, 64, 64))
    ops = [node.op for node in graph.nodes]
    blocks = [op for op in ops if op in graph.blocks]
    assert len(blocks) == 8 and all(op.startswith("BasicBlock") for op in blocks)
    assert ops[:5] == ["Input", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert ops[-4:] == ["AdaptiveAvgPool2d", "Flatten", "Linear", "Output"]
    assert graph.node("layer1.0").op == "BasicBlock"
    inner = [node.id for node in graph.blocks["BasicBlock"].nodes]
    assert inner[:3] == ["in1", "conv1", "bn1"]
    code = graph.to_code("ResNet18")
    assert "class BasicBlock(nn.Module):" in code and "self.conv1 = nn.Conv2d(" in code
    flat = Graph.from_module(model, torch.randn(1, 3, 64, 64), blocks="none")
    assert not flat.blocks and len(flat.nodes) > 60


class QuickstartNetwork(nn.Module):
    """PyTorch's quickstart tutorial model."""

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_relu_stack(self.flatten(x))


class CifarNet(nn.Module):
    """The CIFAR-10 tutorial's Net: functional relu and pooling, torch.flatten."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class LSTMTagger(nn.Module):
    """The sequence-models tutorial's tagger, batch first."""

    def __init__(self, vocab_size: int = 20, tagset_size: int = 5) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, 6)
        self.lstm = nn.LSTM(6, 6, batch_first=True)
        self.hidden2tag = nn.Linear(6, tagset_size)

    def forward(self, sentence: torch.Tensor) -> torch.Tensor:
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds)
        tag_space = self.hidden2tag(lstm_out)
        return F.log_softmax(tag_space, dim=2)


TUTORIAL = {
    "quickstart": (QuickstartNetwork, torch.randn(2, 1, 28, 28)),
    "cifar_net": (CifarNet, torch.randn(2, 3, 32, 32)),
    "lstm_tagger": (LSTMTagger, torch.randint(0, 20, (2, 7))),
}


@pytest.mark.parametrize("name", sorted(TUTORIAL))
def test_tutorial_models_import_without_opaque_nodes(name: str) -> None:
    model_class, example = TUTORIAL[name]
    model = model_class()
    graph = Graph.from_module(model, example)
    assert_same_model(model, example, graph)
    assert not opaque_ops(graph)
    assert_clean(graph.to_code())


def test_functions_become_catalog_nodes() -> None:
    graph = Graph.from_module(CifarNet(), torch.randn(1, 3, 32, 32))
    ops = Counter(node.op for node in graph.nodes)
    assert ops["ReLU"] == 4 and ops["Flatten"] == 1 and ops["MaxPool2d"] == 2
    # Arguments the shapes imply are left to inference, as a person would leave them.
    assert graph.node("fc1").params == {"out_features": 120}
    assert graph.node("conv1").params == {"out_channels": 6, "kernel_size": 5}


class Attention(nn.Module):
    """Methods and operators between layers: view, transpose, matmul, softmax, indexing."""

    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.cls = nn.Parameter(torch.randn(1, 1, 8))
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        qkv = self.qkv(x)
        q, k, v = qkv[..., :8], qkv[:, :, 8:16], qkv[:, :, 16:]
        scores = (q @ k.transpose(1, 2)).softmax(dim=-1)
        mixed = (scores @ v).permute(0, 2, 1).contiguous().mean(dim=2)
        return self.out(mixed.view(x.size(0), -1))


def test_methods_operators_and_a_learned_token_become_nodes() -> None:
    model = Attention()
    example = torch.randn(3, 5, 8)
    graph = Graph.from_module(model, example)
    ops = Counter(node.op for node in graph.nodes)
    for op in ("Parameter", "Expand", "Concat", "Index", "Transpose", "MatMul", "Permute"):
        assert ops[op] >= 1, op
    assert ops["Mean"] == 1 and ops["Softmax"] == 1
    assert_same_model(model, example, graph)
    assert_clean(graph.to_code())


class GatedParts(nn.Module):
    """A gated unit and an uneven split: chunk and split along the features, one part unused."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.fc(x).chunk(2, dim=-1)
        first, _middle, last = torch.split(x, [2, 4, 2], dim=1)
        return torch.cat([value * torch.sigmoid(gate), first, last], dim=1)


def test_chunk_and_split_parts_become_index_ranges() -> None:
    model = GatedParts()
    example = torch.randn(3, 8)
    graph = Graph.from_module(model, example)
    ranges = sorted((n.params["start"], n.params["stop"]) for n in graph.nodes if n.op == "Index")
    assert ranges == [(0, 2), (0, 6), (6, 8), (6, 12)]
    assert_same_model(model, example, graph)
    assert_clean(graph.to_code())


class Clamp(nn.Module):
    """A layer the catalog has no node for: it stays one opaque node of this class."""

    def __init__(self, low: float, high: float = 1.0) -> None:
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, self.low, self.high)


def test_a_module_the_catalog_cannot_express_stays_one_node_of_its_class() -> None:
    model = nn.Sequential(nn.Linear(4, 4), Clamp(-0.5, 0.5), nn.Linear(4, 2))
    graph = Graph.from_module(model, torch.randn(2, 4))
    node = graph.node("1")
    assert node.op == f"{__name__}.Clamp" and node.params == {"low": -0.5, "high": 0.5}
    assert f"from {__name__} import Clamp" in graph.to_code()
    assert_same_model(model, torch.randn(2, 4) * 3, graph)


class Branches(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return x
        return -x


def test_data_dependent_control_flow_names_the_module_and_line() -> None:
    model = nn.Sequential(nn.Linear(4, 4), Branches())
    with pytest.raises(GraphError) as caught:
        Graph.from_module(model, torch.randn(2, 4))
    problem = caught.value.problems[0]
    assert "Branches (1) cannot be traced" in problem.message
    assert "test_import.py" in problem.message and "if x.sum() > 0:" in problem.message
    assert problem.hint and "register" in problem.hint


def test_weights_come_from_files_and_a_misfit_names_the_layer(tmp_path: Path) -> None:
    model = CifarNet()
    graph = Graph.from_module(model, torch.randn(1, 3, 32, 32))
    example = torch.randn(2, 3, 32, 32)
    save_file(model.state_dict(), str(tmp_path / "net.safetensors"))
    torch.save(model.state_dict(), tmp_path / "net.pt")
    for name in ("net.safetensors", "net.pt"):
        copy = graph.build(weights=tmp_path / name).eval()
        torch.testing.assert_close(copy(example), model.eval()(example))
    wrong = model.state_dict()
    wrong["fc2.weight"] = torch.zeros(80, 120)
    with pytest.raises(GraphError, match=r"'fc2.weight' have shape \(80, 120\).*'fc2'"):
        graph.build(weights=wrong)
    missing = {k: v for k, v in model.state_dict().items() if not k.startswith("fc3")}
    with pytest.raises(GraphError, match="get no weights"):
        graph.build(weights=missing)
    graph.build(weights=missing, strict=False)  # new layers keep fresh weights
    (tmp_path / "evil.pt").write_bytes(b"not a state dict")
    with pytest.raises(GraphError, match="cannot be read as weights"):
        graph.build(weights=tmp_path / "evil.pt")


def _sample(graph: Graph) -> list[torch.Tensor]:
    analysis = graph.analyze()
    samples = []
    for node in graph.nodes:
        if node.op == "Input":
            spec = analysis.specs[node.id]
            shape = (2, *spec.shape[1:])
            long = spec.dtype == "long"
            samples.append(torch.randint(0, 20, shape) if long else torch.randn(shape))
    return samples


def _meaning(op: str, params: dict) -> list:
    """A node's parameters without what the catalog implies (defaults, inferred sizes)."""
    spec = layers.get(op)
    if spec is None:
        return sorted(params.items())
    kept = []
    for name, value in sorted(params.items()):
        param = spec.param(name)
        plain = value[0] if isinstance(value, list) and len(set(value)) == 1 else value
        if param is None or not (param.inferred or plain == param.default):
            kept.append((name, value))
    return kept


def _canonical(graph: Graph) -> tuple[Counter, Counter]:
    """Nodes and edges up to ids: each node as (op, params), each edge by its two ends."""

    def key(node_id: str) -> str:
        node = graph.node(node_id)
        return f"{node.op}{_meaning(node.op, node.params)}"

    nodes = Counter(key(node.id) for node in graph.nodes)
    edges = Counter((key(e.source), key(e.target), e.target_port) for e in graph.edges)
    return nodes, edges


@pytest.mark.parametrize("name", [n for n in examples.names() if n != "finetune"])
def test_round_trip_gives_back_the_graph(name: str) -> None:
    graph = examples.load(name)
    again = Graph.from_module(graph.build(), tuple(_sample(graph)))
    assert _canonical(again) == _canonical(graph)
    assert again.param_count() == graph.param_count()
    assert sorted(map(_canonical_block, again.blocks.values())) == sorted(
        map(_canonical_block, graph.blocks.values())
    )


def test_a_pretrained_node_comes_back_as_the_layers_of_its_network() -> None:
    """Import opens every module, the backbone too; the weights and outputs stay the same."""
    graph = examples.load("finetune")
    model = graph.build().eval()
    x = torch.randn(2, 3, 64, 64)
    again = Graph.from_module(model, x)
    assert "Pretrained" not in {node.op for node in again.nodes}
    assert again.param_count() == graph.param_count()
    with torch.no_grad():
        torch.testing.assert_close(again.build(weights=model).eval()(x), model(x))
    assert {again.node(name).frozen for name in ("backbone.conv1", "head")} == {True, False}


def _canonical_block(block: BlockDefinition) -> str:
    nodes, edges = _canonical(Graph(block.nodes, block.edges))
    return repr((sorted(nodes.items()), sorted(edges.items())))


def test_cli_imports_a_torchvision_model_with_its_weights(tmp_path: Path) -> None:
    model = torchvision.models.squeezenet1_1()
    weights = tmp_path / "squeeze.safetensors"
    save_file(model.state_dict(), str(weights))
    out = tmp_path / "graph.json"
    argv = ["import", "torchvision.models:squeezenet1_1", "--input", "3,64,64", "-o", str(out)]
    assert cli([*argv, "--weights", str(weights)]) == 0
    graph = Graph.load(out)
    example = torch.randn(1, 3, 64, 64)
    copy = graph.build(weights=out.with_suffix(".safetensors")).eval()
    torch.testing.assert_close(copy(example), model.eval()(example))


def test_imported_code_runs_without_dlstudio(tmp_path: Path) -> None:
    graph = Graph.from_module(torchvision.models.resnet18(), torch.randn(1, 3, 64, 64))
    code = graph.to_code("ResNet18")
    assert_clean(code)
    script = tmp_path / "resnet18.py"
    script.write_text(
        code + "\n\nimport sys\nassert 'dlstudio' not in sys.modules\n"
        "import torch\nprint(tuple(ResNet18()(torch.randn(1, 3, 64, 64)).shape))\n"
    )
    env_path = {"PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-I", str(script)], capture_output=True, text=True, env=env_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 1000)"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_round_trip_of_random_graphs(graph: Graph) -> None:
    again = Graph.from_module(graph.build(), tuple(_sample(graph)))
    assert _canonical(again) == _canonical(graph)
    assert again.param_count() == graph.param_count()


def test_a_model_in_training_mode_imports_from_a_batch_of_one() -> None:
    model = torchvision.models.resnet18().train()
    graph = Graph.from_module(model, torch.randn(1, 3, 32, 32))
    assert graph.node("layer1.0").op == "BasicBlock"
    assert model.training and model.layer1[0].bn1.training  # its modes are left as they were


def test_an_input_the_model_refuses_is_named_in_one_sentence() -> None:
    with pytest.raises(
        GraphError, match="fails on the example input: RuntimeError: .*same reduction dim"
    ):
        Graph.from_module(nn.Linear(4, 2), torch.randn(1, 5))


class TutorialTagger(LSTMTagger):
    """The tutorial's own tagger reads the sentence length with len(), which fx cannot trace."""

    def forward(self, sentence: torch.Tensor) -> torch.Tensor:
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        return F.log_softmax(self.hidden2tag(lstm_out.view(len(sentence), -1)), dim=1)


def test_len_of_a_tensor_is_named_with_what_to_write_instead() -> None:
    with pytest.raises(GraphError, match=r"TutorialTagger .*calls len\(\).*x.size\(0\)"):
        Graph.from_module(TutorialTagger(), torch.tensor([0, 1, 2]))


def test_a_graph_with_opaque_torchvision_layers_opens_in_a_fresh_python(tmp_path: Path) -> None:
    from torchvision.models.convnext import LayerNorm2d
    from torchvision.ops import StochasticDepth

    model = nn.Sequential(
        nn.Conv2d(3, 8, 3), LayerNorm2d(8, eps=1e-5), StochasticDepth(0.1, "row"), nn.Flatten()
    ).eval()
    example = torch.randn(2, 3, 6, 6)
    graph = Graph.from_module(model, example)
    assert opaque_ops(graph) == {
        "torchvision.models.convnext.LayerNorm2d",
        "torchvision.ops.stochastic_depth.StochasticDepth",
    }
    graph.save(tmp_path / "model.json")
    save_file(model.state_dict(), str(tmp_path / "model.safetensors"))
    save_file({"x": example, "y": model(example).detach()}, str(tmp_path / "io.safetensors"))
    script = (
        "import torch; from safetensors.torch import load_file; from dlstudio import Graph\n"
        "g = Graph.load('model.json')\n"
        "m = g.build(weights='model.safetensors').eval()\n"
        "io = load_file('io.safetensors')\n"
        "torch.testing.assert_close(m(io['x']), io['y']); print('same')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"
    doc = graph.to_dict()
    doc["nodes"][1]["op"] = "os.system"
    with pytest.raises(GraphError, match="os.system"):
        Graph.from_dict(doc).validate()
