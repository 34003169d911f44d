"""A Trainer's run folder: ``Trainer.save`` writes one and ``Trainer.load`` continues from it at
the same step (the ``Checkpoint`` callback calls ``save`` during a run).

Folder layout: ``trainer.json`` (settings, counters, history, and the JSON skeleton of the
optimizer/scheduler state), ``model.safetensors`` (weights), ``state.safetensors`` (optimizer,
scheduler and RNG tensors) and ``graph.json`` when the model came from a graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load_file, load_model, save_file, save_model

from dlstudio.train.errors import TrainingSetupError
from dlstudio.train.history import History
from dlstudio.train.metrics import Metric
from dlstudio.train.optim import spec_as_json
from dlstudio.train.state_files import (
    MANIFEST,
    join_state,
    read_json,
    split_state,
    write_folder_atomically,
    write_json,
)

if TYPE_CHECKING:
    from dlstudio.train.trainer import Trainer

FORMAT = 1


def _metric_names(trainer: Trainer) -> list[str] | None:
    specs = trainer.config["metrics"]
    if any(isinstance(m, Metric) for m in specs):
        return None
    return list(specs)


def save_trainer(trainer: Trainer, directory: Path) -> Path:
    """Write ``trainer`` into ``directory`` atomically (see the module docstring)."""
    tensors: dict[str, torch.Tensor] = {}
    rng = {"torch": split_state(trainer.current_rng_state(), tensors, "rng.torch")}
    if trainer.device.type == "cuda":
        rng["cuda"] = split_state(torch.cuda.get_rng_state(trainer.device), tensors, "rng.cuda")
    scaler = trainer.precision.scaler
    config = trainer.config
    manifest = {
        "format": FORMAT,
        "settings": {
            "loss": spec_as_json(config["loss"]),
            "optimizer": spec_as_json(config["optimizer"]),
            "scheduler": spec_as_json(config["scheduler"]),
            "scheduler_is_code": config["scheduler"] is not None
            and spec_as_json(config["scheduler"]) is None,
            "metrics": _metric_names(trainer),
            "lr": trainer.lr,
            "epochs": trainer.epochs,
            "batch_size": trainer.batch_size,
            "seed": trainer.seed,
            "mixed_precision": config["mixed_precision"],
        },
        "progress": {
            "step": trainer.step,
            "epoch": trainer.epoch,
            "batch_index": trainer._batch_index,
            "epoch_loss": trainer._epoch_loss,
            "epoch_samples": trainer._epoch_samples,
            "epoch_started": trainer._epoch_started,
            "seconds": trainer.seconds,
            "state": trainer.state,
        },
        "optimizer_state": split_state(trainer.optimizer.state_dict(), tensors, "optimizer"),
        "scheduler_state": None
        if trainer.schedule is None
        else split_state(trainer.schedule.state_dict(), tensors, "scheduler"),
        "scaler_state": None
        if scaler is None
        else split_state(scaler.state_dict(), tensors, "scaler"),
        "rng": rng,
        "model_class": type(trainer.model).__name__,
        "history": trainer.history.to_dict(),
    }

    def fill(folder: Path) -> None:
        if trainer.graph is not None:
            (folder / "graph.json").write_text(trainer.graph.to_json(), encoding="utf-8")
        save_model(trainer.model, str(folder / "model.safetensors"))
        save_file(tensors, str(folder / "state.safetensors"))
        write_json(folder / MANIFEST, manifest)  # last: its presence marks a complete folder

    return write_folder_atomically(directory, fill)


def _settings_with(saved: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    settings = {k: v for k, v in saved.items() if k != "scheduler_is_code"}
    for key in ("loss", "optimizer", "metrics"):
        if settings[key] is None and key not in overrides:
            raise TrainingSetupError(
                f"This checkpoint was trained with a custom {key} that cannot be saved as data; "
                f"pass it again: Trainer.load(folder, data, {key}=...)."
            )
    if saved.get("scheduler_is_code") and "scheduler" not in overrides:
        raise TrainingSetupError(
            "This checkpoint was trained with a custom scheduler factory; pass it again: "
            "Trainer.load(folder, data, scheduler=...)."
        )
    settings.update(overrides)
    return settings


def _load_graph(directory: Path) -> Any:
    from dlstudio.graph import Graph

    return Graph.from_json((directory / "graph.json").read_text(encoding="utf-8"))


def load_trainer(
    cls: type[Trainer], directory: Path, data: Any, overrides: dict[str, Any]
) -> Trainer:
    """Rebuild a trainer from ``save_trainer``'s folder."""
    if not (directory / MANIFEST).is_file():
        raise FileNotFoundError(
            f"{directory} is not a dlstudio checkpoint (no {MANIFEST}); save one with t.save(folder)."
        )
    manifest = read_json(directory / MANIFEST)
    if manifest.get("format") != FORMAT:
        raise ValueError(
            f"{directory} uses checkpoint format {manifest.get('format')}, not {FORMAT}."
        )
    overrides = dict(overrides)
    model = overrides.pop("model", None)
    if model is None:
        if not (directory / "graph.json").is_file():
            raise TrainingSetupError(
                f"This checkpoint holds the weights of a {manifest['model_class']} but not its "
                "code: pass the model again, Trainer.load(folder, data, model=MyModel())."
            )
        model = _load_graph(directory)
    trainer = cls(model, data, **_settings_with(manifest["settings"], overrides))

    load_model(trainer.model, str(directory / "model.safetensors"), device=str(trainer.device))
    tensors = load_file(str(directory / "state.safetensors"))
    trainer.optimizer.load_state_dict(join_state(manifest["optimizer_state"], tensors))
    if "lr" in overrides:  # the saved param groups carry the old rate; the caller asked for another
        for group in trainer.optimizer.param_groups:
            group["lr"] = trainer.lr
    if trainer.schedule is not None and manifest["scheduler_state"] is not None:
        trainer.schedule.load_state_dict(join_state(manifest["scheduler_state"], tensors))
    if trainer.precision.scaler is not None and manifest["scaler_state"] is not None:
        trainer.precision.scaler.load_state_dict(join_state(manifest["scaler_state"], tensors))
    rng = join_state(manifest["rng"], tensors)
    trainer._rng_state = rng["torch"]
    if "cuda" in rng and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], trainer.device)

    progress = manifest["progress"]
    trainer.step = progress["step"]
    trainer.epoch = progress["epoch"]
    trainer._batch_index = progress["batch_index"]
    trainer._epoch_loss = progress["epoch_loss"]
    trainer._epoch_samples = progress["epoch_samples"]
    trainer._epoch_started = progress["epoch_started"]
    trainer._elapsed = progress["seconds"]
    trainer.history = History.from_dict(manifest["history"])
    done = trainer.epoch >= trainer.epochs
    trainer._control.state = "finished" if done else ("stopped" if trainer.step else "idle")
    return trainer
