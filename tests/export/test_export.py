"""Every model format, written, read back by its own runtime and measured; refusals are
sentences that name the layer and leave no file behind; a changed file fails the check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper
from safetensors.torch import load_file, save_file
from torch import nn

from dlstudio import Trainer, datasets
from dlstudio.cli import main as cli
from dlstudio.export import FORMATS, ExportError, export, verify
from dlstudio.graph import examples
from dlstudio.graph.adapt import fit_to_data
from dlstudio.session import DataSpec, StudioSession
from dlstudio.train.settings import TrainingSettings

MODEL_FORMATS = ("python", "torchscript", "pt2", "onnx", "quantized", "pruned", "executorch")
EXACT = {"python": 0.0, "torchscript": 1e-5, "pt2": 1e-5, "onnx": 1e-4, "executorch": 1e-4}


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    """LeNet-5 on 8x8 digits after one epoch: a trained convolutional model."""
    graph = fit_to_data(examples.load("lenet5"), (1, 8, 8), 10)
    trained = Trainer(graph, datasets.load("digits"), epochs=1, device="cpu")
    trained.fit()
    return trained


@pytest.mark.parametrize("format", MODEL_FORMATS)
def test_each_format_is_read_back_measured_and_usable_without_dlstudio(
    trainer: Trainer, format: str, tmp_path: Path
) -> None:
    report = export(trainer, tmp_path / format, format)
    folder = tmp_path / format
    assert report.folder == folder.resolve() and report.file.is_file()
    assert {"README.md", "predict.py", "export.json", report.file.name} <= {
        p.name for p in folder.iterdir()
    }
    assert report.size_bytes > 0
    if format in EXACT:
        assert report.max_abs_diff <= EXACT[format]
        assert report.accuracy_after == pytest.approx(report.accuracy_before)
    else:  # int8 and pruned weights change the outputs; the report says by how much
        assert 0 < report.max_abs_diff < 5
        assert abs(report.accuracy_after - report.accuracy_before) < 0.25
    assert set(report.latency_ms) == set(report.eager_latency_ms) == {1, 64}
    assert report.latency_ratio(64) > 0
    saved = json.loads((folder / "export.json").read_text())
    assert saved["format"] == format and saved["file"] == report.file.name
    assert "How it was checked" in (folder / "README.md").read_text()
    torch.save(torch.rand(5, 1, 8, 8), folder / "inputs.pt")
    done = subprocess.run(  # a fresh interpreter, its own runtime, in the folder
        [sys.executable, "predict.py", "inputs.pt"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == 5
    assert set(done.stdout.split()) <= {str(digit) for digit in range(10)}


def test_format_details_say_what_was_done(trainer: Trainer, tmp_path: Path) -> None:
    assert export(trainer, tmp_path / "ts", "torchscript").details["method"] == "scripted"
    assert export(trainer, tmp_path / "onnx", "onnx", opset=18).details["opset"] == 18
    quantized = export(trainer, tmp_path / "q", "quantized")
    assert quantized.details["quantization"].startswith("static int8, calibrated on 8 batch")
    pruned = export(trainer, tmp_path / "p", "pruned", sparsity=0.7)
    assert pruned.details["sparsity"].startswith("70.0%")
    weights = load_file(str(tmp_path / "p" / "weights.safetensors"))
    conv = weights["features.0.weight"]
    assert 0 < float((conv == 0).float().mean()) < 1


def test_linear_and_lstm_models_are_quantized_dynamically(tmp_path: Path) -> None:
    mlp = fit_to_data(examples.load("mlp"), (1, 8, 8), 10)
    report = export(mlp, tmp_path / "mlp", "quantized")
    assert report.details["quantization"].startswith("dynamic int8 (Linear layers")
    float_size = export(mlp, tmp_path / "float", "torchscript").size_bytes
    assert report.size_bytes < 0.7 * float_size  # int8 weights: a smaller file
    lstm = examples.load("lstm_classifier")
    details = export(lstm, tmp_path / "lstm", "quantized").details
    assert details["quantization"].startswith("dynamic int8 (LSTM, Linear layers")


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) if x.sum() > 0 else -x


class Eigen(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pairs = x.reshape(-1, 2, 2)
        return torch.linalg.eigh(pairs @ pairs.transpose(-1, -2))[0].reshape(x.shape[0], -1)


class Wrapper(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.gate = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate(self.stem(x))


@pytest.mark.parametrize(
    ("inner", "format", "words"),
    [
        (Branchy(), "onnx", "layer gate decides what to compute from the values in its input"),
        (Branchy(), "pt2", "layer gate decides what to compute from the values in its input"),
        (Eigen(), "onnx", r"layer gate \(Eigen\) uses linalg_eigh, which ONNX has no operator"),
    ],
)
def test_a_model_a_format_cannot_hold_is_refused_in_words_and_leaves_nothing(
    inner: nn.Module, format: str, words: str, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=words):
        export(Wrapper(inner), tmp_path / "out", format, example_input=torch.randn(3, 4))
    assert list(tmp_path.iterdir()) == []  # no folder, no staging leftovers
    # TorchScript keeps Python's if: the same model exports there.
    report = export(
        Wrapper(Branchy()), tmp_path / "ts", "torchscript", example_input=torch.randn(3, 4)
    )
    assert report.details["method"] == "scripted"


def test_a_module_without_a_graph_has_no_python_code(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="has none: choose torchscript, pt2 or onnx"):
        export(nn.Linear(4, 2), tmp_path / "py", "python", example_input=torch.randn(1, 4))
    with pytest.raises(ExportError, match="needs an example input"):
        export(nn.Linear(4, 2), tmp_path / "onnx", "onnx")
    with pytest.raises(ExportError, match="no export format 'tflite'"):
        export(nn.Linear(4, 2), tmp_path / "x", "tflite", example_input=torch.randn(1, 4))


def test_a_changed_weight_fails_the_check(trainer: Trainer, tmp_path: Path) -> None:
    verify(export(trainer, tmp_path / "onnx", "onnx").folder, trainer)  # untouched: passes
    path = tmp_path / "onnx" / "model.onnx"
    model = onnx.load(str(path))
    tensor = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    values = numpy_helper.to_array(tensor).copy()
    values.flat[0] += 1.0
    tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    onnx.save(model, str(path))
    with pytest.raises(ExportError, match="does not compute what the model computes"):
        verify(tmp_path / "onnx", trainer)

    export(trainer, tmp_path / "python", "python")
    weights = tmp_path / "python" / "weights.safetensors"
    state = load_file(str(weights))
    state["classifier.5.bias"][3] += 1.0
    save_file(state, str(weights))
    with pytest.raises(ExportError, match="does not compute what the model computes"):
        verify(tmp_path / "python", trainer)


def test_a_folder_of_other_files_is_never_replaced(trainer: Trainer, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="choose an empty or new folder"):
        export(trainer, tmp_path, "onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    export(trainer, tmp_path / "again", "onnx")
    export(trainer, tmp_path / "again", "pt2")  # an earlier export is replaced
    assert (tmp_path / "again" / "model.pt2").is_file()
    assert not (tmp_path / "again" / "model.onnx").exists()


def test_every_format_is_listed() -> None:
    assert set(FORMATS) == {*MODEL_FORMATS, "script", "ddp"}


def test_a_saved_session_exports_from_the_command_line(
    trainer: Trainer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = StudioSession(
        DataSpec("builtin", "digits"), TrainingSettings(epochs=1), trainer.graph
    )
    folder = session.save(tmp_path / "dlstudio-sessions" / "run", trainer)
    out = tmp_path / "exported"
    argv = ["export", str(folder), "--format", "onnx", "--format", "quantized", "--out", str(out)]
    assert cli(argv) == 0
    printed = capsys.readouterr().out
    assert "largest difference from the model" in printed and "validation accuracy" in printed
    assert (out / "onnx" / "model.onnx").is_file() and (out / "quantized" / "model.pt").is_file()
    report = export(folder, tmp_path / "again", "onnx")
    assert report.accuracy_after == pytest.approx(report.accuracy_before)
    assert cli(["export", str(folder), "--format", "tflite", "--out", str(tmp_path / "t")]) == 1
    assert "no export format 'tflite'" in capsys.readouterr().err


def test_options_and_sources_a_format_cannot_take_are_refused(
    trainer: Trainer, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="Sparsity must be between 0 and 1"):
        export(trainer, tmp_path / "p", "pruned", sparsity=1.5)
    with pytest.raises(ExportError, match="mode 'int4' is not one of auto, dynamic, static"):
        export(trainer, tmp_path / "q", "quantized", mode="int4")
    with pytest.raises(ExportError, match="export a saved Studio session"):
        export(trainer, tmp_path / "s", "script")  # a Trainer knows its data, not its choice
    with pytest.raises(ExportError, match="is not a saved Studio session"):
        export("not a folder", tmp_path / "x", "onnx")
    assert list(tmp_path.iterdir()) == []
