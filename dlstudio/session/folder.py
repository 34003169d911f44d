"""A Studio session as a plain value, saved to a folder and loaded back.

Layout: ``studio.json`` (format, data choice, training settings, template), ``graph.json``
and, once something was trained, ``trainer/`` (the Trainer's own run folder: safetensors
weights, optimizer state and history). The folder is written next to its final place and
swapped in at the end, so a crash never leaves half a session; nothing is unpickled on load.

Example:
    >>> from dlstudio.graph import examples
    >>> session = StudioSession(DataSpec(), TrainingSettings(epochs=3), examples.load("mlp"))
    >>> import tempfile; folder = Path(tempfile.mkdtemp()) / "one"
    >>> StudioSession.load(session.save(folder)).settings.epochs
    3
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from dlstudio.graph import Graph
from dlstudio.session.data import DataSpec
from dlstudio.train import Trainer
from dlstudio.train.settings import TrainingSettings
from dlstudio.train.state_files import (
    StateFileError,
    check_run_folder,
    read_json,
    regular_file,
    write_folder_atomically,
)

FORMAT = 1
MANIFEST = "studio.json"
GRAPH = "graph.json"
TRAINER = "trainer"
MAX_FILE_BYTES = 50_000_000  # studio.json and graph.json: what Graph.load reads at most


class SessionError(ValueError):
    """A folder that is not a readable Studio session, said in one sentence."""


@dataclass(frozen=True)
class StudioSession:
    """What the Studio shows, as one value: data choice, settings, model and its template.

    ``trainer_dir`` is the saved run of a loaded session (None when nothing was trained);
    ``load_trainer`` continues it on the data.
    """

    data: DataSpec
    settings: TrainingSettings
    graph: Graph = field(compare=False)
    template: str | None = None
    trainer_dir: Path | None = None

    def save(self, folder: str | os.PathLike[str], trainer: Trainer | None = None) -> Path:
        """Write the session into ``folder`` atomically, with ``trainer``'s run when it has
        trained (a running run is paused while its weights are written); returns the folder.

        An existing ``folder`` is replaced only if it is empty or an earlier session.
        """

        def fill(staging: Path) -> None:
            (staging / GRAPH).write_text(self.graph.to_json(), encoding="utf-8")
            if trainer is not None and trainer.step:
                _save_run(trainer, staging / TRAINER)
            # The manifest last: a folder without one is never taken for a session.
            (staging / MANIFEST).write_text(json.dumps(self._manifest(), indent=1), "utf-8")

        return write_folder_atomically(
            Path(folder).expanduser(),
            fill,
            manifest=MANIFEST,
            not_ours="already holds other files; pick a new folder name for the session.",
        )

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> StudioSession:
        """Read and check every file of a saved session; nothing is shown or trained yet.

        Every file must be a regular file inside the folder (a link out of it is refused),
        the saved run's files are checked too (``state_files.check_run_folder``). Raises
        FileNotFoundError, SessionError, SettingsError, PathError or GraphError (all but the
        first are ValueErrors), naming what is wrong, before anything could change on screen.
        """
        folder = Path(folder).expanduser().resolve()
        manifest = _read_json(folder / MANIFEST, folder, "a saved Studio session")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SessionError(f"{folder / MANIFEST} is not a Studio session of format {FORMAT}.")
        unknown = sorted(set(manifest) - {"format", "data", "settings", "template"})
        if unknown:
            raise SessionError(f"{folder / MANIFEST} has unknown fields: {', '.join(unknown)}.")
        data = DataSpec.from_dict(manifest.get("data"))
        settings = TrainingSettings.from_dict(manifest.get("settings"))
        graph = Graph.from_json(_read_text(folder / GRAPH, folder))
        template = manifest.get("template")
        if template is not None and not isinstance(template, str):
            raise SessionError(f"{folder / MANIFEST}: the template must be a name or null.")
        run = folder / TRAINER
        if run.is_symlink() or (run.exists() and not run.is_dir()):
            raise SessionError(f"{run} should be the folder of the saved training run.")
        if run.exists():
            try:
                check_run_folder(run)
            except (StateFileError, FileNotFoundError) as error:
                raise SessionError(f"The saved training run is broken: {error}") from None
        return cls(data, settings, graph, template, run if run.exists() else None)

    def load_trainer(self, bundle: Any) -> Trainer | None:
        """The saved run, ready to continue on ``bundle`` (None when nothing was trained).

        Raises SessionError when the run's files, checked by ``load``, still do not make a
        trainer for this model and data (weights of other shapes, an optimizer state of
        another model, settings out of range).
        """
        if self.trainer_dir is None:
            return None
        try:
            return Trainer.load(self.trainer_dir, bundle)
        except FileNotFoundError as error:
            raise SessionError(f"The saved training run is incomplete: {error}") from None
        except (SafetensorError, ValueError, KeyError, TypeError, RuntimeError) as error:
            # What torch and safetensors raise for weights or states that do not fit the model
            # (load_state_dict: RuntimeError, ValueError, KeyError), said as one sentence.
            raise SessionError(
                f"The saved training run does not fit this model and data: {error}"
            ) from None

    def _manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "data": self.data.to_dict(),
            "settings": self.settings.to_dict(),
            "template": self.template,
        }


def is_session(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds a saved session (its manifest).

    Example:
        >>> is_session(Path.cwd() / "no-such-folder")
        False
    """
    return (Path(folder) / MANIFEST).is_file()


def _read_json(path: Path, folder: Path, what: str) -> Any:
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"{path.parent} is not {what} (no {path.name}).")
    try:
        return read_json(path, folder, MAX_FILE_BYTES)
    except StateFileError as error:
        raise SessionError(str(error)) from None


def _read_text(path: Path, folder: Path) -> str:
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"{path} is missing: the session is incomplete.")
    try:
        regular_file(path, folder)
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except StateFileError as error:
        raise SessionError(str(error)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SessionError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SessionError(f"{path} is not text ({error}).") from None


def _save_run(trainer: Trainer, folder: Path) -> None:
    running = trainer.state == "running"
    if running:
        trainer.pause(timeout=30.0)
    try:
        trainer.save(folder)
    finally:
        if running:
            trainer.resume()
