"""The run as a script: without dlstudio, in a fresh interpreter, it prints the run's losses,
and it passes ruff as written."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlstudio.playground import PlaygroundRun, PlaygroundSettings, read_csv
from dlstudio.playground.script import playground_script

REPO_ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")
# Runs the script as __main__ in an isolated interpreter where `import dlstudio` fails.
RUNNER = (
    "import runpy, sys\n"
    "sys.modules['dlstudio'] = None\n"
    "try:\n"
    "    import dlstudio\n"
    "except ImportError:\n"
    "    pass\n"
    "else:\n"
    "    raise SystemExit('dlstudio is importable')\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)
LINE = re.compile(r"epoch (\d+): training loss (\d+\.\d{3}), test loss (\d+\.\d{3})")


def csv_text() -> str:
    rows = ["height,weight,kind"]
    for i in range(60):
        h, w = 150 + (i * 37) % 50, 40 + (i * 53) % 60
        rows.append(f"{h},{w / 3:.6f},{'tall' if h + w / 3 > 185 else 'short'}")
    return "\n".join(rows) + "\n"


def built_in_run() -> PlaygroundRun:
    settings = PlaygroundSettings(
        dataset="spiral", sinX=True, networkShape=[5, 3], batchSize=7, noise=10, seed="script"
    )
    run = PlaygroundRun(settings)
    run.step(12)
    return run


def csv_run() -> PlaygroundRun:
    found = read_csv(csv_text(), "people.csv")
    assert found.classification
    settings = PlaygroundSettings(
        dataset="custom", networkShape=[3], activation="relu", percTrainData=70, seed="csv"
    )
    run = PlaygroundRun(settings, custom=found.points)
    run.step(11)
    return run


def regression_run() -> PlaygroundRun:
    settings = PlaygroundSettings(
        problem="regression", regDataset="reg-gauss", networkShape=[4], regularization="L1",
        regularizationRate=0.1, learningRate=0.1, percTrainData=30, seed="reg",
    )  # fmt: skip
    run = PlaygroundRun(settings)
    run.step(10)
    assert any(d.any() for d in run.dead)
    return run


RUNS = {"built-in": built_in_run, "csv": csv_run, "regression": regression_run}


def write(run: PlaygroundRun, folder: Path) -> Path:
    path = folder / "playground.py"
    path.write_text(playground_script(run), encoding="utf-8")
    return path


def isolated_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.mark.parametrize("name", RUNS)
def test_script_prints_the_runs_losses_without_dlstudio(name, tmp_path):
    run = RUNS[name]()
    path = write(run, tmp_path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"collections", "numpy", "torch", "typing", "__future__"}, imported
    done = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(path)],
        cwd=tmp_path,
        env=isolated_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [LINE.fullmatch(line) for line in done.stdout.strip().splitlines()]
    assert all(lines), done.stdout
    printed = {int(m[1]): (m[2], m[3]) for m in lines}
    assert max(printed) == run.epoch
    expected = {int(e): (f"{train:.3f}", f"{test:.3f}") for e, train, test in run.history}
    for epoch, losses in printed.items():
        assert losses == expected[epoch], (epoch, losses, expected[epoch])


def test_script_trains_100_epochs_from_epoch_0():
    source = playground_script(PlaygroundRun(PlaygroundSettings(seed="fresh")))
    assert "EPOCHS = 100\n" in source
    assert "def classify_circle(" in source and "class PlaygroundNet(nn.Module):" in source


@pytest.mark.parametrize(
    "name",
    [
        "built-in",
        "csv",
        "regression",
    ],
)
def test_script_passes_ruff(name, tmp_path):
    path = write(RUNS[name](), tmp_path)
    config = ["--config", str(REPO_ROOT / "pyproject.toml")]
    for command in (["check", *config, str(path)], ["format", "--check", *config, str(path)]):
        done = subprocess.run(
            [str(RUFF), *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
