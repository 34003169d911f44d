"""Save the Studio to a folder and load it back: data choice, settings, graph, weights, history.

Layout: ``studio.json`` (format, data choice, training settings, template), ``graph.json``
and, once something was trained, ``trainer/`` (the Trainer's own checkpoint: safetensors
weights, optimizer state and history). The folder is written next to its final place and
swapped in at the end, so a crash never leaves half a session; nothing is unpickled on load.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from dlstudio.export.spec import DataSpec, SpecError, TrainSettings, inside
from dlstudio.graph import Graph

if TYPE_CHECKING:
    from dlstudio.ui.studio.studio import Studio

FORMAT = 1
MANIFEST = "studio.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def save_session(studio: Studio, folder: str | os.PathLike) -> Path:
    """Write ``studio``'s session into ``folder`` atomically; returns the folder.

    A running run is paused while its weights are written. An existing ``folder`` is replaced
    only if it is empty or an earlier session.

    Example:
        >>> save_session(studio, "sessions/digits-lenet")  # doctest: +SKIP
    """
    target = Path(folder).expanduser().resolve()
    if target.exists() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise FileExistsError(
            f"{target} already holds other files; pick a new folder name for the session."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    trainer = studio.train.trainer
    manifest = {
        "format": FORMAT,
        "data": studio.data.spec.to_dict(),
        "settings": studio.train.settings().to_dict(),
        "template": studio.model.templates.value,
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / "graph.json").write_text(studio.model.graph.to_json(), encoding="utf-8")
        if trainer is not None and trainer.step:
            running = trainer.state == "running"
            if running:
                trainer.pause(timeout=30.0)
            try:
                trainer.save(staging / "trainer")
            finally:
                if running:
                    trainer.resume()
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_in(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The checked ``studio.json`` of a session folder."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a saved Studio session (no {MANIFEST}).")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SpecError(f"{path} is not a Studio session of format {FORMAT}.")
    return manifest


def load_session(studio: Studio, folder: str | os.PathLike) -> None:
    """Restore a session saved by ``save_session`` into ``studio``.

    Everything is checked before the Studio changes: the data choice and settings by their
    specs, the graph by the core; weights come from safetensors files.

    Example:
        >>> load_session(studio, "sessions/digits-lenet")  # doctest: +SKIP
    """
    folder = Path(folder).expanduser().resolve()
    manifest = read_manifest(folder)
    spec = DataSpec.from_dict(manifest.get("data"))
    settings = TrainSettings.from_dict(manifest.get("settings"))
    graph = Graph.from_json((folder / "graph.json").read_text(encoding="utf-8"))
    template = manifest.get("template")
    studio.restore(spec, settings, graph, template if isinstance(template, str) else None)
    if (folder / "trainer").is_dir():
        from dlstudio.train import Trainer

        trainer = Trainer.load(folder / "trainer", studio.data.bundle)
        studio.train.adopt(trainer)


class SessionPanel(w.VBox):
    """Save and load sessions by name, inside the sessions folder only."""

    def __init__(self, studio: Studio, root: Path, **kwargs: Any) -> None:
        self.studio = studio
        self.root = root
        self.name = w.Text("my-session", description="Name", placeholder="letters, digits, - _ .")
        self.save = w.Button(description="Save session", button_style="primary")
        self.saved = w.Dropdown(options=[], description="Saved")
        self.load = w.Button(description="Load session")
        self.message = w.HTML()
        self.message.add_class("dls-session-message")
        self.save.on_click(lambda _: self._act(self._save))
        self.load.on_click(lambda _: self._act(self._load))
        super().__init__(
            [
                w.HTML(f"<small>Sessions are folders in {html.escape(str(root))}.</small>"),
                w.HBox([self.name, self.save]),
                w.HBox([self.saved, self.load]),
                self.message,
            ],
            **kwargs,
        )
        self.add_class("dls-session-panel")
        self.refresh()

    def refresh(self) -> None:
        """List the saved sessions."""
        found = sorted(p.parent.name for p in self.root.glob(f"*/{MANIFEST}"))
        current = self.saved.value
        self.saved.options = found
        self.saved.value = current if current in found else (found[0] if found else None)

    def folder_for(self, name: str) -> Path:
        """The session folder for a name typed on the page (checked: a plain name inside the
        sessions folder)."""
        if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
            raise SpecError(
                f"{name!r} is not a usable session name: use up to 64 letters, digits, '-', '_' "
                "or '.', starting with a letter or digit."
            )
        return inside(self.root, name)

    def _save(self) -> str:
        folder = save_session(self.studio, self.folder_for(self.name.value))
        self.refresh()
        return f"Saved to {folder}."

    def _load(self) -> str:
        if not self.saved.value:
            raise SpecError("There is no saved session to load yet.")
        folder = self.folder_for(self.saved.value)
        load_session(self.studio, folder)
        return f"Loaded {folder.name}."

    def _act(self, action: Any) -> None:
        try:
            text, color = action(), "#2e7d32"
        except (SpecError, ValueError, OSError, RuntimeError, KeyError) as error:
            text, color = f"{error}", "#b00020"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'
