"""The Keras and Flax training scripts: each runs on its own (no dlstudio), on the very samples
the PyTorch script trains on, and reaches the PyTorch script's validation accuracy within 2
points for the MLP and LeNet-5 templates.

The frameworks start from their own default initialisers, so the runs are compared within
noise: a cosine schedule settles each run's last epochs, which keeps one run's final accuracy
close to its expectation (without it LeNet-5 runs on 359 validation samples scatter by ~3
points). Six short training runs in fresh interpreters: about a minute on 2 cores.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dlstudio.export.script import training_script
from dlstudio.frameworks import flax_script, keras_script
from dlstudio.frameworks.scripts import FLAX_OPTIMIZERS, KERAS_OPTIMIZERS
from dlstudio.graph import Graph, examples
from dlstudio.graph.adapt import fit_to_data
from dlstudio.session import DataSpec
from dlstudio.train.optim import optimizer_choices, optimizer_recipe
from dlstudio.train.settings import TrainingSettings

pytest.importorskip("keras")
pytest.importorskip("flax")

FINAL = re.compile(r"final val_accuracy: ([0-9.]+)\s*$")
WRITERS = {"keras": keras_script, "flax": flax_script}


def _digits_graph(template: str) -> Graph:
    return fit_to_data(examples.load(template), (1, 8, 8), 10)


def _blocked_env(tmp_path: Path) -> dict[str, str]:
    """An environment where ``import dlstudio`` fails (the venv still gives the frameworks): a
    package of that name first on the path, which refuses to load."""
    shim = tmp_path / "no_dlstudio" / "dlstudio"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "__init__.py").write_text('raise ImportError("dlstudio must not be needed")\n')
    return {"PYTHONPATH": str(shim.parent), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
            "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}  # fmt: skip


def _run(source: str, name: str, tmp_path: Path) -> float:
    script = tmp_path / name
    script.write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=_blocked_env(tmp_path), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    match = FINAL.search(done.stdout)
    assert match, done.stdout[-2000:]
    return float(match.group(1))


@pytest.mark.parametrize(
    ("template", "settings"),
    [
        ("mlp", TrainingSettings(epochs=10, batch_size=32, scheduler="cosine")),
        ("lenet5", TrainingSettings(epochs=15, batch_size=32, lr=5e-3, scheduler="cosine")),
    ],
)
def test_keras_and_flax_reach_the_pytorch_scripts_accuracy(
    template: str, settings: TrainingSettings, tmp_path: Path
) -> None:
    refused = subprocess.run([sys.executable, "-c", "import dlstudio"], capture_output=True,
                             text=True, env=_blocked_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert "dlstudio must not be needed" in refused.stderr
    graph = _digits_graph(template)
    pytorch = _run(training_script(graph, DataSpec(), settings), "train.py", tmp_path)
    keras = _run(keras_script(graph, settings), "train_keras.py", tmp_path)
    flax = _run(flax_script(graph, settings), "train_flax.py", tmp_path)
    assert pytorch > 0.9, pytorch
    assert keras == pytest.approx(pytorch, abs=0.02), (pytorch, keras, flax)
    assert flax == pytest.approx(pytorch, abs=0.02), (pytorch, keras, flax)


def test_the_scripts_load_the_samples_the_pytorch_script_trains_on() -> None:
    source = flax_script(_digits_graph("lenet5"))
    namespace = {"__name__": "exported"}
    exec(compile(source, "train_flax.py", "exec"), namespace)  # our own generated script
    (x_train, y_train), (x_val, y_val) = namespace["load_data"]()
    bundle = DataSpec().load()
    assert x_train.shape == (len(bundle.train), 8, 8, 1) and x_val.shape[1:] == (8, 8, 1)
    for x, y, ours in ((x_train, y_train, bundle.train), (x_val, y_val, bundle.val)):
        images, targets = ours[torch.arange(len(ours))]
        expected = images.permute(0, 2, 3, 1).numpy()  # channels last
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(y, targets.numpy())
    mlp = {"__name__": "exported"}
    exec(compile(keras_script(_digits_graph("mlp")), "train_keras.py", "exec"), mlp)
    assert mlp["load_data"]()[0][0].shape[1:] == (1, 8, 8)  # the MLP flattens PyTorch's layout


def test_scripts_are_clean_readable_python(tmp_path: Path) -> None:
    settings = TrainingSettings(epochs=3, seed=7, lr=0.01, optimizer="sgd", scheduler="step")
    for template in ("mlp", "lenet5"):
        graph = _digits_graph(template)
        for framework, write in WRITERS.items():
            (tmp_path / f"{template}_{framework}.py").write_text(write(graph, settings))
    ruff = str(Path(sys.executable).parent / "ruff")
    lint = subprocess.run([ruff, "check", "--select", "E,F,W,I", "--isolated", "--line-length",
                           "100", str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    layout = subprocess.run([ruff, "format", "--check", "--isolated", "--line-length", "100",
                             str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert layout.returncode == 0, layout.stdout
    keras = (tmp_path / "lenet5_keras.py").read_text()
    flax = (tmp_path / "lenet5_flax.py").read_text()
    for source in (keras, flax):
        assert "import dlstudio" not in source and "dlstudio import" not in source
        for expected in ("SEED = 7", "EPOCHS = 3", "LR = 0.01", "raw = load_digits()",
                         "split_indices(len(images), VAL_FRACTION, DATA_SEED, labels)",
                         "own default initialisers", 'if __name__ == "__main__":'):  # fmt: skip
            assert expected in source, expected
    assert "KERAS_BACKEND=torch python train_keras.py" in keras
    assert "keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)" in keras
    assert "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)" in keras
    assert "history = model.fit(" in keras and "validation_data=(x_val, y_val)" in keras
    assert "tx = optax.sgd(schedule, momentum=0.9)" in flax and "@nnx.jit" in flax
    assert "nnx.value_and_grad(loss_fn)" in flax and "nnx.Optimizer(model, tx" in flax
    assert "model.eval()" in flax and "model.train()" in flax
    assert "import jax\n" not in flax  # the model's unused imports are left out


def test_every_optimizer_has_pytorchs_options_in_both_frameworks() -> None:
    for name in optimizer_choices():
        _, options = optimizer_recipe(name)
        for table in (KERAS_OPTIMIZERS, FLAX_OPTIMIZERS):
            assert name in table
            for key, value in options.items():
                assert f"{key}={value!r}" in table[name], (name, table[name])


@pytest.mark.parametrize("framework", ["keras", "flax"])
def test_a_short_run_with_batchnorm_blocks_and_a_schedule(framework: str) -> None:
    """resnet_small (BatchNorm in named blocks) for one epoch in this process: train and eval
    modes, the step schedule and AdamW all run."""
    settings = TrainingSettings(epochs=1, batch_size=128, optimizer="adamw", scheduler="step")
    source = WRITERS[framework](_digits_graph("resnet_small"), settings)
    namespace = {"__name__": "exported"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"train_{framework}.py", "exec"), namespace)  # our own script
        namespace["main"]()
    match = FINAL.search(out.getvalue())
    assert match and 0 <= float(match.group(1)) <= 1, out.getvalue()[-2000:]


def test_what_the_scripts_cannot_follow_is_refused_with_a_sentence() -> None:
    pooled = Graph()
    pooled.add("Input", id="input", shape=[1, 8, 8])
    pooled.add("LPPool2d", id="pool", after="input", norm_type=2, kernel_size=2)
    pooled.add("Flatten", id="flatten", after="pool")
    pooled.add("Linear", id="fc", after="flatten", out_features=10)
    pooled.add("Output", id="output", after="fc")
    mlp = _digits_graph("mlp")
    for write in WRITERS.values():
        with pytest.raises(ValueError, match="layer 'pool' \\(LPPool2d\\)"):
            write(pooled)
        with pytest.raises(ValueError, match="fit the graph to the data"):
            write(examples.load("lenet5"))  # 32x32 images in, not digits
        with pytest.raises(ValueError, match="cross-entropy"):
            write(mlp, {"loss": "mse"})
        with pytest.raises(ValueError, match="'onecycle' learning-rate schedule"):
            write(mlp, TrainingSettings(scheduler="onecycle"))
        with pytest.raises(ValueError, match="digits"):
            write(mlp, data=DataSpec("builtin", "iris"))


def test_the_module_examples_run() -> None:
    import doctest

    from dlstudio.frameworks import scripts

    assert doctest.testmod(scripts, optionflags=doctest.ELLIPSIS).failed == 0
