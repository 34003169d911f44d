"""The file format under a run folder: JSON for structure, safetensors for every tensor, and
folders written atomically.

Optimizer and scheduler states are nested dicts of numbers and tensors. ``split_state`` moves the
tensors into a flat dict for safetensors and leaves a JSON skeleton with references, so nothing is
ever unpickled when a checkpoint is loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import Tensor

MANIFEST = "trainer.json"


def split_state(obj: Any, tensors: dict[str, Tensor], prefix: str = "") -> Any:
    """Replace each tensor in ``obj`` by ``{"__tensor__": key}`` and put it in ``tensors``.

    Example:
        >>> import torch
        >>> found = {}
        >>> split_state({"state": {0: {"step": torch.tensor(3.0)}}}, found, "opt")
        {'state': {'__items__': [[0, {'step': {'__tensor__': 'opt.state.0.step'}}]]}}
    """
    if isinstance(obj, Tensor):
        key = prefix or "tensor"
        tensors[key] = obj.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: split_state(v, tensors, f"{prefix}.{k}") for k, v in obj.items()}
        # JSON turns int keys (optimizer state is keyed by parameter index) into strings.
        return {
            "__items__": [[k, split_state(v, tensors, f"{prefix}.{k}")] for k, v in obj.items()]
        }
    if isinstance(obj, tuple):
        return {"__tuple__": [split_state(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [split_state(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"Cannot save a {type(obj).__name__} in a checkpoint (at {prefix!r}).")


def join_state(obj: Any, tensors: dict[str, Tensor]) -> Any:
    """Undo :func:`split_state`."""
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            return tensors[obj["__tensor__"]]
        if set(obj) == {"__items__"}:
            return {k: join_state(v, tensors) for k, v in obj["__items__"]}
        if set(obj) == {"__tuple__"}:
            return tuple(join_state(v, tensors) for v in obj["__tuple__"])
        return {k: join_state(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_state(v, tensors) for v in obj]
    return obj


def write_json(path: Path, data: Any) -> None:
    """Write JSON (NaN and Infinity allowed: a plateau scheduler's best starts at inf)."""
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_folder_atomically(
    directory: str | os.PathLike[str],
    fill: Callable[[Path], None],
    *,
    manifest: str = MANIFEST,
    not_ours: str = "already holds files that are not a dlstudio checkpoint; choose an empty or "
    "new folder.",
) -> Path:
    """Let ``fill`` write files into a fresh folder, then swap it in place of ``directory``.

    An existing ``directory`` is replaced only if it is empty or an earlier folder of the same
    kind (it holds ``manifest``), so a wrong path never wipes unrelated files; otherwise
    FileExistsError says ``not_ours`` after the path.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "ckpt"
        >>> _ = write_folder_atomically(target, lambda d: write_json(d / MANIFEST, {}))
        >>> sorted(p.name for p in target.iterdir())
        ['trainer.json']
    """
    target = Path(directory).resolve()
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{target} is a file; save needs a folder path.")
        if any(target.iterdir()) and not (target / manifest).exists():
            raise FileExistsError(f"{target} {not_ours}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        fill(staging)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "previous")
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
