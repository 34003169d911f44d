"""The exported training script runs on its own and reaches exactly what the Trainer reaches.

One script runs as a real `python script.py` subprocess; the variants (schedulers, optimizers,
losses, CSV data, regression) run their generated `main()` in-process to keep the module fast.
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

from dlstudio.export.script import SCHEDULER_CALLS, optimizer_call, training_script
from dlstudio.graph import GraphError, examples
from dlstudio.graph.adapt import fit_to_data
from dlstudio.paths import PathError, inside
from dlstudio.session import DataSpec
from dlstudio.train import SettingsError, Trainer
from dlstudio.train.settings import TrainingSettings, choices

REPO_ROOT = Path(__file__).resolve().parents[2]
FINAL = re.compile(r"final val_(accuracy|mae): ([0-9.]+)")


def _graph(template: str, bundle):
    return fit_to_data(
        examples.load(template), tuple(bundle.input_shape), bundle.output_size, bundle.input_dtype
    )


def _trainer_result(graph, spec: DataSpec, settings: TrainingSettings, root: Path = REPO_ROOT):
    bundle = spec.load(root)
    history = Trainer(graph, bundle, **settings.trainer_kwargs()).fit()
    last = history.epochs[-1]
    return last.get("val_accuracy", last.get("val_mae"))


def _run_in_process(source: str, tmp_path: Path) -> float:
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    namespace = {"__name__": "exported", "__file__": str(path)}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(path), "exec"), namespace)  # our own generated test script
        namespace["main"]()
    match = FINAL.search(out.getvalue())
    assert match, out.getvalue()
    return float(match.group(2))


def test_script_runs_alone_and_matches_the_trainer(tmp_path: Path) -> None:
    spec, settings = DataSpec("builtin", "digits"), TrainingSettings(epochs=2, batch_size=64)
    bundle = spec.load()
    graph = _graph("lenet5", bundle)
    source = training_script(graph, spec, settings)
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 2/2:" in done.stdout
    accuracy = float(FINAL.search(done.stdout).group(2))
    assert accuracy == pytest.approx(_trainer_result(graph, spec, settings), abs=5e-5)


def test_script_is_clean_python_that_names_everything(tmp_path: Path) -> None:
    bundle = DataSpec().load()
    source = training_script(_graph("mlp", bundle), DataSpec(), TrainingSettings(seed=7, lr=0.01))
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--select", "E,F,W,I", "--isolated",
         "--line-length", "100", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    for expected in ("SEED = 7", "LR = 0.01", "class Net(nn.Module)", "torch.manual_seed(SEED)",
                     "datasets.load('digits'", 'if __name__ == "__main__":'):  # fmt: skip
        assert expected in source
    assert "import pickle" not in source and "torch.load" not in source


@pytest.mark.parametrize(
    ("optimizer", "scheduler", "loss"),
    [
        ("sgd", "step", "auto"),
        ("adamw", "cosine", "cross_entropy"),
        ("rmsprop", "onecycle", "auto"),
        ("adam", "plateau", "bce"),
    ],
)
def test_variants_match_the_trainer(optimizer, scheduler, loss, tmp_path: Path) -> None:
    spec = DataSpec("builtin", "iris")
    settings = TrainingSettings(
        epochs=4, batch_size=16, lr=0.01, optimizer=optimizer, scheduler=scheduler, loss=loss
    )
    graph = _graph("mlp", spec.load())
    source = training_script(graph, spec, settings)
    assert _run_in_process(source, tmp_path) == pytest.approx(
        _trainer_result(graph, spec, settings), abs=5e-5
    )


def test_binary_one_logit_and_regression(tmp_path: Path) -> None:
    moons = DataSpec("builtin", "moons")
    bundle = moons.load()
    graph = fit_to_data(examples.load("mlp"), tuple(bundle.input_shape), 1)  # one logit
    settings = TrainingSettings(epochs=2, batch_size=50)
    source = training_script(graph, moons, settings)
    assert "(output.reshape(-1) > 0).long()" in source
    assert _run_in_process(source, tmp_path) == pytest.approx(
        _trainer_result(graph, moons, settings), abs=5e-5
    )

    diabetes = DataSpec("builtin", "diabetes")
    graph = _graph("mlp", diabetes.load())
    source = training_script(graph, diabetes, settings)
    assert "final val_mae" in source
    result = _run_in_process(source, tmp_path)
    assert np.isfinite(result) and result > 0


def test_csv_data_is_read_from_the_data_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    rows = ["a,b,c,label"] + [
        f"{a:.4f},{b:.4f},{c:.4f},{'yes' if a + b > 0 else 'no'}" for a, b, c in x
    ]
    (tmp_path / "points.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = DataSpec("csv", path="points.csv", target="label")
    settings = TrainingSettings(epochs=3, batch_size=16, lr=0.01)
    graph = _graph("mlp", spec.load(tmp_path))
    source = training_script(graph, spec, settings, data_dir=tmp_path)
    assert f"DATA_DIR = Path({tmp_path.resolve().as_posix()!r})" in source
    assert "datasets.from_csv(DATA_DIR / 'points.csv', target='label'" in source
    assert _run_in_process(source, tmp_path) == pytest.approx(
        _trainer_result(graph, spec, settings, tmp_path), abs=5e-5
    )


def test_a_graph_with_problems_gives_no_script() -> None:
    broken = examples.load("lenet5")  # 28x28 input, but digits are 8x8 and 10 classes fit
    broken.node("fc3").params["out_features"] = 0
    with pytest.raises(GraphError):
        training_script(
            broken, DataSpec(), TrainingSettings(), task="classification", num_classes=10
        )


def test_specs_refuse_what_the_page_must_not_send(tmp_path: Path) -> None:
    with pytest.raises(PathError, match="outside the data folder"):
        inside(tmp_path, "../secrets.csv")
    with pytest.raises(PathError, match="outside the data folder"):
        inside(tmp_path, "/etc/passwd")
    with pytest.raises(SettingsError, match="learning rate must be between"):
        TrainingSettings(lr=float("nan"))
    with pytest.raises(SettingsError, match="epochs must be between"):
        TrainingSettings(epochs=0)
    with pytest.raises(SettingsError, match="Unknown optimizer"):
        TrainingSettings(optimizer="__import__('os')")
    with pytest.raises(SettingsError, match="Unknown data set 'no-such-set'"):
        DataSpec("builtin", "no-such-set")
    with pytest.raises(SettingsError, match="unknown fields"):
        DataSpec.from_dict({"source": "builtin", "name": "digits", "code": "print(1)"})
    with pytest.raises(SettingsError, match="needs the name of the column"):
        DataSpec("csv", path="a.csv")
    with pytest.raises(SettingsError, match="Unknown augmentation 'blur'"):
        DataSpec("builtin", "digits", augment=("blur",))
    spec = DataSpec("builtin", "digits", augment=("rotation",))
    assert DataSpec.from_dict(spec.to_dict()) == spec
    settings = TrainingSettings(epochs=3, scheduler="cosine")
    assert TrainingSettings.from_dict(settings.to_dict()) == settings


def test_the_script_offers_every_choice_the_trainer_has() -> None:
    assert set(SCHEDULER_CALLS) == set(choices()["scheduler"]) - {"none"}
    assert optimizer_call("adamw") == (
        "torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)"
    )
    for name in choices()["optimizer"]:
        assert optimizer_call(name).startswith("torch.optim.")


def test_the_old_export_spec_names_still_work_with_a_warning(tmp_path: Path) -> None:
    import dlstudio.export.spec as old

    with pytest.warns(DeprecationWarning, match="moved to dlstudio.train.settings"):
        assert old.TrainSettings is TrainingSettings
    with pytest.warns(DeprecationWarning, match="moved to dlstudio.session.DataSpec"):
        assert old.DataSpec is DataSpec
    with pytest.warns(DeprecationWarning):
        spec_error = old.SpecError
    with pytest.warns(DeprecationWarning, match="dlstudio.paths.inside"):
        old_inside = old.inside
    with pytest.raises(spec_error, match="outside the data folder"):
        old_inside(tmp_path, "../x")
    with pytest.warns(DeprecationWarning):
        assert choices()["optimizer"] == old.OPTIMIZERS
    with pytest.raises(AttributeError):
        old.NO_SUCH_NAME  # noqa: B018
