"""The distributed script runs under torchrun on CPUs (gloo): the ranks end with the same
weights, and two processes reach what one process reaches."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dlstudio.export.ddp import ddp_script
from dlstudio.graph import examples
from dlstudio.graph.adapt import fit_to_data
from dlstudio.session import DataSpec
from dlstudio.train.settings import TrainingSettings

FINAL = re.compile(r"final val_accuracy: ([0-9.]+)")
FINGERPRINT = re.compile(r"rank (\d+) parameters ([0-9a-f]+)")
SPEC = DataSpec("builtin", "digits")
SETTINGS = TrainingSettings(epochs=3, batch_size=32, lr=0.003, scheduler="cosine")


def _graph():
    bundle = SPEC.load()
    return fit_to_data(examples.load("mlp"), tuple(bundle.input_shape), bundle.output_size)


def _source(fsdp: bool) -> str:
    return ddp_script(_graph(), SPEC, SETTINGS, fsdp=fsdp)


def _torchrun(source: str, processes: int, folder: Path) -> tuple[float, dict[int, str]]:
    folder.mkdir()
    (folder / "train_ddp.py").write_text(source, encoding="utf-8")
    shim = folder / "no_dlstudio" / "dlstudio"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("dlstudio must not be needed")\n')
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         f"--nproc_per_node={processes}", "train_ddp.py"],
        capture_output=True, text=True, cwd=folder, timeout=300,
        env={"PYTHONPATH": str(shim.parent), "PATH": "/usr/bin:/bin", "HOME": str(folder),
             "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    fingerprints = {int(rank): digest for rank, digest in FINGERPRINT.findall(done.stdout)}
    assert sorted(fingerprints) == list(range(processes)), done.stdout
    assert done.stdout.count("final val_accuracy") == 1  # rank 0 alone reports
    return float(FINAL.search(done.stdout).group(1)), fingerprints


def test_two_processes_agree_and_learn_as_one_does(tmp_path: Path) -> None:
    source = _source(fsdp=False)
    for expected in ("DistributedDataParallel(model", "dist.destroy_process_group()",
                     'dist.init_process_group("nccl" if CUDA else "gloo")', "os.replace("):  # fmt: skip
        assert expected in source
    assert "import dlstudio" not in source and "dlstudio import" not in source
    alone, _ = _torchrun(source, 1, tmp_path / "one")
    together, fingerprints = _torchrun(source, 2, tmp_path / "two")
    assert fingerprints[0] == fingerprints[1]
    assert together >= alone - 0.05
    weights = torch.load(tmp_path / "two" / "checkpoint.pt", weights_only=True)
    assert all(not name.startswith("module.") for name in weights)
    assert not (tmp_path / "two" / "checkpoint.pt.tmp").exists()


def test_fsdp_shards_the_model_on_cpu_processes(tmp_path: Path) -> None:
    source = _source(fsdp=True)
    assert "fully_shard(model)" in source and "DistributedDataParallel" not in source
    accuracy, fingerprints = _torchrun(source, 2, tmp_path / "fsdp")
    assert fingerprints[0] == fingerprints[1]
    assert accuracy > 0.5
    weights = torch.load(tmp_path / "fsdp" / "checkpoint.pt", weights_only=True)
    assert set(weights) == set(_graph().build().state_dict())


@pytest.mark.parametrize("fsdp", [False, True])
def test_the_distributed_script_is_clean_python(fsdp: bool, tmp_path: Path) -> None:
    path = tmp_path / "train_ddp.py"
    path.write_text(_source(fsdp), encoding="utf-8")
    ruff = str(Path(sys.executable).parent / "ruff")
    lint = subprocess.run(
        [ruff, "check", "--select", "E,F,W,I,B,UP,SIM", "--isolated", "--line-length", "100",
         str(path)], capture_output=True, text=True,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    formatted = subprocess.run(
        [ruff, "format", "--isolated", "--line-length", "100", "--diff", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert formatted.returncode == 0, formatted.stdout
