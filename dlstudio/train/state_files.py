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
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from torch import Tensor

MANIFEST = "trainer.json"
# Far above a real run's trainer.json (its history takes about 120 bytes a step), low enough
# that a hostile file cannot take the kernel's memory.
MAX_JSON_BYTES = 256 * 2**20
_TENSOR_FILES = ("model.safetensors", "state.safetensors")


class StateFileError(ValueError):
    """A file of a run folder that cannot be read back, said in one sentence."""


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


def regular_file(path: Path, folder: Path | None = None) -> Path:
    """``path`` if it is a regular file (not a folder, pipe or device) and, with ``folder``,
    lies inside it once links are followed; else StateFileError (FileNotFoundError if absent).

    Example:
        >>> regular_file(Path("/dev/null"))
        Traceback (most recent call last):
        ...
        dlstudio.train.state_files.StateFileError: /dev/null is not a regular file.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing.") from None
    if not stat.S_ISREG(mode):
        raise StateFileError(f"{path} is not a regular file.")
    if folder is not None:
        base = folder.resolve()
        if base not in path.resolve().parents:
            raise StateFileError(f"{path} links to a file outside {base}.")
    return path


def read_json(path: Path, folder: Path | None = None, limit: int = MAX_JSON_BYTES) -> Any:
    """The JSON in ``path`` (a regular file, inside ``folder`` if given, at most ``limit``
    bytes), or StateFileError saying why not."""
    regular_file(path, folder)
    with open(path, "rb") as file:
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise StateFileError(f"{path} is larger than {limit // 2**20} MB.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise StateFileError(f"{path} is not readable JSON ({error}).") from None


def tensor_headers(path: Path, folder: Path | None = None) -> dict[str, tuple[str, list[int]]]:
    """{name: (dtype, shape)} from a safetensors file's header, or StateFileError (a pickle,
    a truncated file, a header that claims more than the file holds).

    Example:
        >>> tensor_headers(Path("/dev/null"))
        Traceback (most recent call last):
        ...
        dlstudio.train.state_files.StateFileError: /dev/null is not a regular file.
    """
    regular_file(path, folder)
    try:
        with safe_open(str(path), framework="pt") as file:
            names = file.keys()  # a safe_open handle is not iterable
            return {
                key: (file.get_slice(key).get_dtype(), list(file.get_slice(key).get_shape()))
                for key in names
            }
    except (SafetensorError, OSError) as error:
        raise StateFileError(f"{path} is not a safetensors file ({error}).") from None


def check_run_folder(directory: Path) -> dict[str, Any]:
    """Read and check every file of a run folder (``Trainer.save``'s) without building
    anything: ``trainer.json``'s structure and types, both safetensors headers, and that every
    tensor the JSON names is in ``state.safetensors``. Returns the manifest.

    Raises FileNotFoundError or StateFileError naming the file and what is wrong.
    """
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise FileNotFoundError(
            f"{directory} is not a dlstudio checkpoint (no {MANIFEST}); save one with t.save(folder)."
        )
    manifest = read_json(manifest_path, directory)
    where = f"{manifest_path}"
    _expect(manifest, dict, where, "a JSON object")
    for key, kind in (("settings", dict), ("progress", dict), ("optimizer_state", dict),
                      ("rng", dict), ("history", dict), ("model_class", str)):  # fmt: skip
        _expect(manifest.get(key), kind, f"{where}: {key!r}", f"a {_KIND_NAMES[kind]}")
    for key in ("scheduler_state", "scaler_state"):
        if manifest.get(key) is not None:
            _expect(manifest[key], dict, f"{where}: {key!r}", "a JSON object or null")
    settings = manifest["settings"]
    # Passed to Trainer(...) as keywords: three are read directly, the others have defaults.
    missing = [key for key in ("loss", "optimizer", "metrics") if key not in settings]
    if missing:
        raise StateFileError(f"{where}: the settings lack {', '.join(map(repr, missing))}.")
    unknown = sorted(set(settings) - set(_RUN_SETTINGS))
    if unknown:
        raise StateFileError(f"{where}: the settings hold unknown names: {', '.join(unknown)}.")
    metrics = settings["metrics"]
    if metrics is not None and not (
        isinstance(metrics, list) and all(isinstance(m, str) for m in metrics)
    ):
        raise StateFileError(f"{where}: 'metrics' must be a list of metric names.")
    if settings.get("mixed_precision") not in (None, True, False):
        raise StateFileError(f"{where}: 'mixed_precision' must be true, false or null.")
    progress = manifest["progress"]
    for key in ("step", "epoch", "batch_index", "epoch_samples"):
        value = progress.get(key)
        if not _is_int(value) or value < 0:
            raise StateFileError(f"{where}: progress {key!r} must be a whole number >= 0.")
    for key in ("epoch_loss", "epoch_started", "seconds"):
        if not _is_number(progress.get(key)):
            raise StateFileError(f"{where}: progress {key!r} must be a number.")
    history = manifest["history"]
    for key, needed in (("steps", ("step", "loss")), ("epochs", ("epoch", "loss"))):
        records = history.get(key, [])
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and all(_is_number(r.get(n)) for n in needed) for r in records
        ):
            raise StateFileError(
                f"{where}: history {key!r} must be a list of records with "
                f"{' and '.join(map(repr, needed))}."
            )
    tensors = {}
    for name in _TENSOR_FILES:
        path = directory / name
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(f"{path} is missing: the run folder is incomplete.")
        tensors[name] = tensor_headers(path, directory)
    graph = directory / "graph.json"
    if graph.exists() or graph.is_symlink():
        regular_file(graph, directory)  # parsed by Graph.from_json when the trainer is built
    state = tensors["state.safetensors"]
    for part in ("optimizer_state", "scheduler_state", "scaler_state", "rng"):
        for ref in _tensor_refs(manifest.get(part), f"{where}: {part!r}"):
            if ref not in state:
                raise StateFileError(
                    f"{where} names a tensor {ref!r} that state.safetensors lacks."
                )
    rng = manifest["rng"].get("torch")
    rng_key = rng.get("__tensor__") if isinstance(rng, dict) else None
    expected = ("U8", list(torch.get_rng_state().shape))
    if not isinstance(rng_key, str) or state.get(rng_key) != expected:
        raise StateFileError(f"{where}: the random state is not the saved generator's state.")
    checked: dict[str, Any] = manifest
    return checked


_KIND_NAMES = {dict: "JSON object", str: "string"}
_RUN_SETTINGS = ("loss", "optimizer", "scheduler", "scheduler_is_code", "metrics", "lr", "epochs",
                 "batch_size", "seed", "mixed_precision")  # fmt: skip


def _expect(value: Any, kind: type, where: str, what: str) -> None:
    if not isinstance(value, kind):
        raise StateFileError(f"{where} must be {what}, not {type(value).__name__}.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    # NaN and infinities are written on purpose (a diverged loss, a plateau's best).
    return isinstance(value, int | float) and not isinstance(value, bool)


def _tensor_refs(obj: Any, where: str, depth: int = 0) -> list[str]:
    """The tensor names a JSON skeleton (``split_state``'s) refers to; StateFileError when it
    is not one."""
    if depth > 64:
        raise StateFileError(f"{where} is nested too deeply.")
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            if set(obj) != {"__tensor__"} or not isinstance(obj["__tensor__"], str):
                raise StateFileError(f"{where} holds a malformed tensor reference.")
            return [obj["__tensor__"]]
        if "__items__" in obj:
            items = obj["__items__"]
            if (
                set(obj) != {"__items__"}
                or not isinstance(items, list)
                or not all(
                    isinstance(i, list) and len(i) == 2 and isinstance(i[0], int | str)
                    for i in items
                )
            ):
                raise StateFileError(f"{where} holds a malformed list of items.")
            return [r for _, v in items for r in _tensor_refs(v, where, depth + 1)]
        if "__tuple__" in obj:
            if set(obj) != {"__tuple__"} or not isinstance(obj["__tuple__"], list):
                raise StateFileError(f"{where} holds a malformed tuple.")
            return [r for v in obj["__tuple__"] for r in _tensor_refs(v, where, depth + 1)]
        return [r for v in obj.values() for r in _tensor_refs(v, where, depth + 1)]
    if isinstance(obj, list):
        return [r for v in obj for r in _tensor_refs(v, where, depth + 1)]
    return []


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
