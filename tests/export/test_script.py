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
import torch

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
                     "raw = load_digits()", 'if __name__ == "__main__":'):  # fmt: skip
        assert expected in source
    assert "import pickle" not in source and "torch.load" not in source
    assert "dlstudio import" not in source and "import dlstudio" not in source


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
    assert f'DATA_DIR = Path("{tmp_path.resolve().as_posix()}")' in source
    assert 'DATA_DIR / "points.csv"' in source and 'TARGET = "label"' in source
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


# ---- the script needs torch and the data's libraries, not dlstudio ---------------------------


def _blocked_env(tmp_path: Path) -> dict[str, str]:
    """An environment where ``import dlstudio`` fails (the venv still gives torch & co.): a
    package of that name first on the path, which refuses to load."""
    shim = tmp_path / "no_dlstudio" / "dlstudio"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "__init__.py").write_text('raise ImportError("dlstudio must not be needed")\n')
    return {"PYTHONPATH": str(shim.parent), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}


def _run_without_dlstudio(source: str, tmp_path: Path) -> float:
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    env = _blocked_env(tmp_path)
    refused = subprocess.run([sys.executable, "-c", "import dlstudio"], env=env, cwd=tmp_path,
                             capture_output=True, text=True)  # fmt: skip
    assert "dlstudio must not be needed" in refused.stderr
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return float(FINAL.search(done.stdout).group(2))


def _write_csv(folder: Path) -> None:
    rng = np.random.default_rng(1)
    rows = ["size,colour,weight,label"]
    for i, (a, b) in enumerate(rng.normal(size=(150, 2))):
        colour = ["red", "green", " blue", ""][i % 4]  # a padded value, a missing one
        weight = "?" if i % 17 == 0 else f"{b:.3f}"  # numbers with a gap marker
        rows.append(f"{a:.3f},{colour},{weight},{'big' if a + 0.5 * b > 0 else 'small'}")
    (folder / "things.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _write_images(folder: Path, per_class: int = 12) -> None:
    from PIL import Image

    rng = np.random.default_rng(2)
    for label, shade in (("dark", 60), ("light", 190)):
        (folder / label).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(shade, 40, size=(10, 12, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / label / f"{i}.png")
    (folder / "dark" / "broken.png").write_bytes(b"not an image")  # left out, in both


@pytest.mark.parametrize(
    "kind",
    ["digits", "csv", "folder"],
)
def test_the_script_runs_where_dlstudio_cannot_be_imported(kind: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if kind == "digits":
        spec, template = DataSpec("builtin", "digits"), "lenet5"
    elif kind == "csv":
        _write_csv(data_dir)
        spec, template = DataSpec("csv", path="things.csv", target="label", seed=3), "mlp"
    else:
        _write_images(data_dir / "shades")
        spec = DataSpec("folder", path="shades", image_size=8, augment=("flip",), seed=1)
        template = "mlp"
    settings = TrainingSettings(epochs=2, batch_size=16, lr=0.01)
    graph = _graph(template, spec.load(data_dir))
    source = training_script(graph, spec, settings, data_dir=data_dir)
    assert "dlstudio import" not in source and "import dlstudio" not in source
    expected = _trainer_result(graph, spec, settings, data_dir)
    assert _run_without_dlstudio(source, tmp_path) == pytest.approx(expected, abs=5e-5)


def test_augmented_images_match_the_trainer(tmp_path: Path) -> None:
    spec = DataSpec("builtin", "digits", augment=("rotation", "noise", "crop"), val_fraction=0.3)
    settings = TrainingSettings(epochs=1, batch_size=128)
    graph = _graph("lenet5", spec.load())
    source = training_script(graph, spec, settings)
    assert "v2.RandomRotation(15)" in source
    assert _run_in_process(source, tmp_path) == pytest.approx(
        _trainer_result(graph, spec, settings), abs=5e-5
    )


def test_written_augmentations_are_dlstudios_own() -> None:
    from torchvision.transforms import v2

    from dlstudio.datasets import augmentations
    from dlstudio.datasets.augment import build_transform
    from dlstudio.export.data_source import augment_source

    names = list(augmentations())
    for shape in ((1, 8, 8), (3, 32, 24)):
        written = eval(augment_source(names, shape), {"v2": v2})  # our own generated text
        assert repr(written) == repr(build_transform(names, shape))


def _fake_mnist(root: Path, n: int = 120) -> None:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        header = np.array([2051, n, 28, 28], dtype=">i4").tobytes()
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        header = np.array([2049, n], dtype=">i4").tobytes()
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(header + labels.tobytes())


@pytest.mark.parametrize(
    "spec",
    [DataSpec("builtin", name) for name in ("iris", "wine", "breast_cancer", "diabetes", "moons",
                                            "circles", "spirals", "xor", "blobs", "sine")]
    + [DataSpec("builtin", "digits", augment=("flip",), seed=4), DataSpec("builtin", "mnist"),
       DataSpec("csv", path="things.csv", target="weight", val_fraction=0.3),
       DataSpec("folder", path="shades", image_size=6, grayscale=True)],
    ids=lambda spec: spec.name if spec.source == "builtin" else spec.path,
)  # fmt: skip
def test_written_data_equals_the_bundle(spec: DataSpec, tmp_path: Path, monkeypatch) -> None:
    _write_csv(tmp_path)
    _write_images(tmp_path / "shades")
    _fake_mnist(tmp_path / "downloads")
    monkeypatch.setenv("DLSTUDIO_DATA", str(tmp_path / "downloads"))
    bundle = spec.load(tmp_path)
    graph = _graph("mlp", bundle)
    source = training_script(graph, spec, TrainingSettings(), data_dir=tmp_path)
    namespace = {"__name__": "exported", "__file__": str(tmp_path / "train.py")}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "train.py", "exec"), namespace)  # our own generated script
        train, val = namespace["load_data"]()
    for written, ours in ((train, bundle.train), (val, bundle.val)):
        assert len(written) == len(ours)
        for i in range(len(ours)):
            if spec.augment:
                assert torch.equal(written.raw(i), ours.raw(i))
                assert (written.transform is None) == (ours.transform is None)
                assert torch.equal(written.mean, ours.mean) and torch.equal(written.std, ours.std)
            else:
                assert torch.equal(written[i][0], ours[i][0]), i
            assert torch.equal(written[i][1], ours[i][1]), i
