"""Generated code is clean Python: ruff finds nothing, the formatter changes nothing, 100 columns.

Checked on every example and on random valid graphs (both code styles), with the project's own
ruff configuration plus the line-length rule that the project leaves to the formatter.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from ruff import find_ruff_bin

from dlstudio import Graph, layers
from dlstudio.graph import examples
from dlstudio.graph.codegen_layout import LINE_LENGTH
from dlstudio.graph.params import Param
from tests.graph.custom_layers import Scale
from tests.graph.random_graphs import graphs

ROOT = Path(__file__).resolve().parents[2]
RUFF = find_ruff_bin()  # the binary itself: `python -m ruff` costs a Python start per call


def _ruff(*args: str, source: str) -> subprocess.CompletedProcess[str]:
    # The stdin file name sits in the project root, so ruff reads pyproject.toml's settings.
    return subprocess.run(
        [RUFF, *args, "--stdin-filename", str(ROOT / "generated.py"), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def assert_clean(source: str) -> None:
    """Lines fit, ``ruff check`` reports nothing and ``ruff format`` leaves the text as it is."""
    long = [line for line in source.splitlines() if len(line) > LINE_LENGTH]
    assert not long, f"lines over {LINE_LENGTH} columns: {long}\n{source}"
    check = _ruff("check", "--extend-select", "E501", "--output-format", "concise", source=source)
    assert check.returncode == 0, f"{check.stdout}{check.stderr}\n{source}"
    formatted = _ruff("format", source=source)
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout == source, f"ruff format would change:\n{source}"


@pytest.mark.parametrize("sequential", [True, False])
@pytest.mark.parametrize("name", examples.names())
def test_examples_generate_code_ruff_accepts_unchanged(name: str, sequential: bool) -> None:
    assert_clean(examples.load(name).to_code(sequential=sequential))


def _sample(graph: Graph) -> list[torch.Tensor]:
    analysis = graph.analyze()
    inputs = [node for node in graph.nodes if node.op == "Input"]
    specs = [analysis.specs[node.id] for node in inputs]
    return [
        torch.randint(0, 50, (2, *spec.shape[1:]))
        if spec.dtype == "long"
        else torch.randn(2, *spec.shape[1:])
        for spec in specs
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_generate_clean_code_that_runs(graph: Graph) -> None:
    analysis = graph.analyze()
    assert analysis.ok, analysis.problems
    for sequential in (True, False):
        assert_clean(graph.to_code(sequential=sequential))
    names = graph.module_names()
    model = graph.build().eval()
    for qualified in names.values():
        model.get_submodule(qualified)
    with torch.no_grad():
        out = model(*_sample(graph))
    outputs = [node.id for node in graph.nodes if node.op == "Output"]
    results = out if isinstance(out, tuple) else (out,)
    assert len(results) == len(outputs)
    for node_id, result in zip(outputs, results, strict=True):
        assert tuple(result.shape[1:]) == analysis.specs[node_id].shape[1:]


def _long_labels_graph() -> Graph:
    """Every name as long as a label can make it: statements must wrap, comments move up."""
    long = "a label typed by someone who likes to describe each layer in full detail"
    graph = Graph()
    tokens = graph.add("Input", shape=[6], dtype="long")
    extra = graph.add("Input", shape=[6, 16])
    x = graph.add("Embedding", after=tokens, num_embeddings=100, embedding_dim=16)
    attention = graph.add("MultiheadAttention", after=x, num_heads=4)
    both = graph.add("Add")
    graph.connect(attention, both, 0)
    graph.connect(extra, both, 1)
    joined = graph.add("Concat", inputs=4, dim=2)
    for port, source in enumerate([both, attention, extra, x]):
        graph.connect(source, joined, port)
    encoder = graph.add(
        "TransformerEncoderLayer", after=joined, nhead=4, dim_feedforward=32, dropout=0.25,
        activation="gelu", norm_first=True, bias=False,
    )  # fmt: skip
    lstm = graph.add("LSTM", after=encoder, hidden_size=8, num_layers=2, dropout=0.1,
                     bidirectional=True, output="last")  # fmt: skip
    shaped = graph.add("Reshape", after=lstm, shape=[4, 4])
    graph.add("Output", after=shaped)
    graph.add("Output", after=lstm)
    for number, node in enumerate(graph.nodes):
        node.label = f"{long} {number}"
    return graph


@pytest.mark.parametrize("sequential", [True, False])
def test_long_labels_wrap_like_the_formatter(sequential: bool) -> None:
    graph = _long_labels_graph()
    code = graph.to_code(sequential=sequential)
    assert_clean(code)
    assert "torch.cat(" in code and "\n        )" in code  # something had to wrap
    tokens, extra = torch.randint(0, 100, (2, 6)), torch.randn(2, 6, 16)
    shaped, last = graph.build(sequential=sequential).eval()(tokens, extra)
    assert shaped.shape == (2, 4, 4) and last.shape == (2, 16)


def test_custom_layers_are_imported_in_a_section_of_their_own() -> None:
    layers.register(Scale, params=(Param("features", "int", 4, min=1),))
    try:
        graph = Graph()
        x = graph.add("Input", shape=[6])
        x = graph.add("Scale", after=x, features=6)
        graph.add("Output", after=x)
        code = graph.to_code()
    finally:
        layers.unregister("Scale")
    assert code.startswith("from torch import nn\n\nfrom tests.graph.custom_layers import Scale\n")
    assert_clean(code)
