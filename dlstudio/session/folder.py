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

from dlstudio.graph import Graph
from dlstudio.session.data import DataSpec
from dlstudio.train import Trainer
from dlstudio.train.settings import TrainingSettings
from dlstudio.train.state_files import write_folder_atomically

FORMAT = 1
MANIFEST = "studio.json"
GRAPH = "graph.json"
TRAINER = "trainer"


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

        Raises FileNotFoundError, SessionError, SettingsError or GraphError, naming what is
        wrong, before anything could change on screen.
        """
        folder = Path(folder).expanduser().resolve()
        manifest = _read_json(folder / MANIFEST, "a saved Studio session")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SessionError(f"{folder / MANIFEST} is not a Studio session of format {FORMAT}.")
        data = DataSpec.from_dict(manifest.get("data"))
        settings = TrainingSettings.from_dict(manifest.get("settings"))
        graph = Graph.from_json((folder / GRAPH).read_text(encoding="utf-8"))
        run = folder / TRAINER
        if run.exists() and not run.is_dir():
            raise SessionError(f"{run} should be the folder of the saved training run.")
        template = manifest.get("template")
        return cls(
            data,
            settings,
            graph,
            template if isinstance(template, str) else None,
            run if run.exists() else None,
        )

    def load_trainer(self, bundle: Any) -> Trainer | None:
        """The saved run, ready to continue on ``bundle`` (None when nothing was trained)."""
        return None if self.trainer_dir is None else Trainer.load(self.trainer_dir, bundle)

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


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent} is not {what} (no {path.name}).")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SessionError(f"{path} is not readable JSON: {error}.") from None


def _save_run(trainer: Trainer, folder: Path) -> None:
    running = trainer.state == "running"
    if running:
        trainer.pause(timeout=30.0)
    try:
        trainer.save(folder)
    finally:
        if running:
            trainer.resume()
