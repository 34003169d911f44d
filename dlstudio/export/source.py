"""What an export starts from, made uniform: a model in evaluation mode on the CPU, a batch it
takes, and (when data are known) validation samples to measure it on.

A source is a ``Graph`` (fresh weights), a ``Trainer`` (its trained weights and data), a saved
Studio session folder, or an ``nn.Module`` with an example input.

Example:
    >>> from dlstudio.graph import examples
    >>> item = resolve(examples.load("mlp"))
    >>> tuple(item.example.shape), item.inputs is None
    ((2, 1, 8, 8), True)
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from dlstudio.graph import Graph
from dlstudio.session import DataSpec, StudioSession, is_session
from dlstudio.train.settings import TrainingSettings

VALIDATION_SAMPLES = 256
"""How many validation samples an export is measured on."""

CALIBRATION_BATCHES = 8
"""Training batches that calibrate static quantization."""

_EXAMPLE_BATCH = 2  # more than one, so that exporters keep the batch size free


class ExportError(ValueError):
    """A model that cannot be exported in a format, or a file that does not compute what the
    model computes, said in one sentence with what to do."""


@dataclass
class Exportable:
    """A model ready to be written out, and what it is measured on."""

    model: nn.Module
    example: Tensor
    graph: Graph | None = None
    inputs: Tensor | None = None
    targets: Tensor | None = None
    task: str | None = None
    calibration: list[Tensor] = field(default_factory=list)
    data: DataSpec | None = None
    settings: TrainingSettings | None = None
    data_dir: Path | None = None
    num_classes: int | None = None
    classes: list[str] = field(default_factory=list)
    trained: bool = False


def resolve(
    source: Any,
    example_input: Tensor | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> Exportable:
    """``source`` as an ``Exportable``; ``example_input`` is needed for an ``nn.Module``,
    ``data_dir`` is where a session's CSV files and image folders live (by default the folder
    that holds its ``dlstudio-sessions`` folder).

    Raises ExportError for a source of another kind.
    """
    if isinstance(source, Graph):
        return _from_graph(source)
    if isinstance(source, str | os.PathLike):
        return _from_session(Path(source), data_dir)
    if hasattr(source, "model") and hasattr(source, "data") and hasattr(source, "graph"):
        return _from_trainer(source)
    if isinstance(source, nn.Module):
        if example_input is None:
            raise ExportError(
                "An nn.Module needs an example input to be exported: "
                "export(model, path, format, example_input=torch.randn(1, 3, 32, 32))."
            )
        return Exportable(_ready(source), _batch_of(example_input))
    raise ExportError(
        f"Cannot export a {type(source).__name__}: give a Graph, a Trainer, a Studio session "
        "folder or an nn.Module with an example input."
    )


def _ready(model: nn.Module) -> nn.Module:
    """A copy on the CPU in evaluation mode: exporting never changes the model being trained."""
    return copy.deepcopy(model).cpu().eval()


def _batch_of(example: Tensor) -> Tensor:
    example = example.detach().cpu()
    if example.shape[0] >= _EXAMPLE_BATCH:
        return example[:_EXAMPLE_BATCH]
    return example.expand(_EXAMPLE_BATCH, *example.shape[1:]).clone()


def _from_graph(graph: Graph) -> Exportable:
    inputs = [node for node in graph.nodes if node.op == "Input"]
    if len(inputs) != 1:
        raise ExportError(f"Export takes a model with one Input; this one has {len(inputs)}.")
    spec = graph.analyze().specs[inputs[0].id]
    shape = (_EXAMPLE_BATCH, *spec.features)
    example = torch.zeros(shape, dtype=torch.long) if spec.dtype == "long" else torch.randn(shape)
    return Exportable(graph.build().eval(), example, graph=graph)


def _from_trainer(trainer: Any) -> Exportable:
    model = _ready(trainer.model)
    item = Exportable(model, torch.empty(0), graph=trainer.graph, trained=trainer.step > 0)
    return with_data(item, trainer.data, trainer.batch_size, trainer.seed)


def with_data(item: Exportable, bundle: Any, batch_size: int = 64, seed: int = 0) -> Exportable:
    """``item`` measured on ``bundle``'s validation samples and calibrated on its training
    batches; returns ``item``."""
    item.inputs, item.targets = _stack(bundle.val, VALIDATION_SAMPLES)
    item.example = _batch_of(item.inputs)
    item.task, item.num_classes = bundle.task, bundle.num_classes
    item.classes = [str(name) for name in getattr(bundle, "classes", [])]
    item.calibration = []
    for x, _y in bundle.loaders(batch_size=batch_size, seed=seed)[0]:
        item.calibration.append(x.cpu())
        if len(item.calibration) == CALIBRATION_BATCHES:
            break
    return item


def _stack(dataset: Any, limit: int) -> tuple[Tensor, Tensor]:
    items = [dataset[i] for i in range(min(len(dataset), limit))]
    inputs = torch.stack([torch.as_tensor(item[0]) for item in items])
    targets = torch.stack([torch.as_tensor(item[1]) for item in items])
    return inputs, targets


def _from_session(folder: Path, data_dir: str | os.PathLike[str] | None) -> Exportable:
    if not is_session(folder):
        raise ExportError(f"{folder} is not a saved Studio session (it has no studio.json).")
    session = StudioSession.load(folder)
    root = Path(data_dir) if data_dir else _data_root_of(folder.resolve())
    bundle = session.data.load(root)
    trainer = session.load_trainer(bundle)
    if trainer is None:
        from dlstudio.train import Trainer

        settings = session.settings
        trainer = Trainer(session.graph, bundle, batch_size=settings.batch_size, seed=settings.seed)
    item = _from_trainer(trainer)
    item.data, item.settings, item.data_dir = session.data, session.settings, root
    return item


def _data_root_of(session: Path) -> Path:
    """The Studio saves sessions in ``<data root>/dlstudio-sessions/<name>``."""
    parent = session.parent
    return parent.parent if parent.name == "dlstudio-sessions" else Path.cwd()
