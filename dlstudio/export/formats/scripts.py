"""``script`` and ``ddp``: training scripts that need only torch and the data's own libraries.

``script`` writes ``train.py`` (one process, the Studio run's settings and seed); ``ddp`` writes
``train_ddp.py`` for ``torchrun --nproc_per_node=N`` (``fsdp=True`` shards the model with
``fully_shard``). Both need the data choice and settings, which a Studio session holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlstudio.export.formats import Written
from dlstudio.export.source import Exportable, ExportError

IMPORTS: list[str] = []
PREDICT = ""
RUNTIME = "python (torch and the data's own libraries; dlstudio is not needed)"


def _arguments(item: Exportable) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """What both script writers take, from ``item``; refused without a data choice."""
    if item.graph is None or item.data is None or item.settings is None:
        raise ExportError(
            "A training script needs the model's graph, its data choice and its settings: "
            "export a saved Studio session (or from the Studio's Export tab)."
        )
    options = {"data_dir": item.data_dir, "task": item.task, "num_classes": item.num_classes}
    return (item.graph, item.data, item.settings), options


def write_script(item: Exportable, folder: Path) -> Written:
    from dlstudio.export.script import training_script

    args, options = _arguments(item)
    (folder / "train.py").write_text(training_script(*args, **options), encoding="utf-8")
    return Written("train.py", measured=False, details={"run": "python train.py"})


def write_ddp(item: Exportable, folder: Path, fsdp: bool = False) -> Written:
    from dlstudio.export.ddp import ddp_script

    args, options = _arguments(item)
    source = ddp_script(*args, **options, fsdp=fsdp)
    (folder / "train_ddp.py").write_text(source, encoding="utf-8")
    run = "torchrun --nproc_per_node=2 train_ddp.py"
    return Written("train_ddp.py", measured=False, details={"run": run, "fsdp": fsdp})
