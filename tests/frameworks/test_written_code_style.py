"""The Keras and Flax code reads as if a person wrote it: every template and every single-layer
case, in both frameworks, passes ``ruff check`` (long lines, pyflakes, import order) and
``ruff format --check`` at 100 columns, as the PyTorch code does. The writers lay the lines out
themselves; ruff, a tool of the project's development, only checks them here."""

from __future__ import annotations

import doctest
import subprocess
from pathlib import Path

import pytest
from ruff import find_ruff_bin

from dlstudio.graph import examples
from dlstudio.graph.frameworks import lines, write_flax, write_keras
from tests.frameworks.test_frameworks import CASES, NOT_IN, one_layer

RUFF = find_ruff_bin()  # the venv's binary, as tests/graph/test_codegen_style.py runs it
WRITERS = {"keras": write_keras, "flax": write_flax}


def written(framework: str, folder: Path) -> list[Path]:
    """Every template and every CASES row the framework has a counterpart for, written into
    ``folder`` (its name, like the files', is no module ruff could take for keras or flax)."""
    write = WRITERS[framework]
    sources = {f"template_{name}": write(examples.load(name)) for name in examples.names()}
    for index, (op, params, shape) in enumerate(CASES):
        if (op, framework) not in NOT_IN:
            code = write(one_layer(op, params, shape))
            if not code.missing:
                sources[f"case{index:02d}_{op.lower()}"] = code
    paths = []
    for name, code in sources.items():
        path = folder / f"{name}.py"
        path.write_text(code.source)
        paths.append(path)
    return paths


def ruff(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(RUFF), *arguments, "--isolated", "--line-length", "100", "--no-cache", "."]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("framework", ["keras", "flax"])
def test_the_written_code_passes_ruff_check_and_format(framework: str, tmp_path: Path) -> None:
    folder = tmp_path / "written"
    folder.mkdir()
    paths = written(framework, folder)
    assert len(paths) > len(examples.names()) + 50  # the cases are there, not only templates
    checked = ruff(folder, "check", "--select", "E501,F,I", "--output-format", "concise")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    formatted = ruff(folder, "format", "--check", "--diff")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_the_layout_examples_hold() -> None:
    assert doctest.testmod(lines).failed == 0


def test_a_shape_comment_stays_where_ruff_keeps_it() -> None:
    # Arguments that do not fit: the comment closes the call, as ruff format leaves it.
    layer = 'TransformerEncoderLayer(64, 4, 128, dropout=0.1, activation="relu", name="encoder1")'
    assert lines.statement(12, "", layer, ",", "(N, 16, 64)") == [
        "            TransformerEncoderLayer(",
        '                64, 4, 128, dropout=0.1, activation="relu", name="encoder1"',
        "            ),  # (N, 16, 64)",
    ]
    # Only the call on the input would split: the comment goes above, as in the PyTorch code.
    layer = 'layers.Conv2D(16, 3, padding="same", use_bias=False, name="stem_conv")'
    assert lines.statement(4, "x = ", f"{layer}(inputs)", comment="(N, 32, 32, 16)") == [
        "    # (N, 32, 32, 16)",
        f"    x = {layer}(inputs)",
    ]


def test_only_the_modules_the_code_uses_are_imported() -> None:
    mlp = write_flax(examples.load("mlp")).source
    assert "import jax\n" in mlp and "jnp" not in mlp
    mean = write_keras(one_layer("Mean", {"dim": [2, 3]}, (3, 10, 10))).source
    assert "import keras\n" in mean and "from keras import layers" not in mean
