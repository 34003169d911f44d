"""The Session tab: save the Studio into a named folder and load it back.

What a session holds, its folder format and the atomic write are ``dlstudio.session``'s
``StudioSession``; this module only turns what the Studio shows into that value and back.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from dlstudio.paths import PathError, child
from dlstudio.session.folder import MANIFEST, SessionError, StudioSession

if TYPE_CHECKING:
    from dlstudio.ui.studio.studio import Studio


def session_of(studio: Studio) -> StudioSession:
    """What ``studio`` shows, as a session value (the run itself is saved beside it)."""
    spec = studio.data.spec
    if spec is None:
        raise ValueError("Choose a data set first (Data tab): a session starts from its data.")
    return StudioSession(
        spec, studio.train.settings(), studio.model.graph, studio.model.templates.value
    )


def save_session(studio: Studio, folder: str | os.PathLike[str]) -> Path:
    """Write ``studio``'s session into ``folder`` atomically; returns the folder.

    Example:
        >>> save_session(studio, "sessions/digits-lenet")  # doctest: +SKIP
    """
    return session_of(studio).save(folder, studio.train.trainer)


def load_session(studio: Studio, folder: str | os.PathLike[str]) -> None:
    """Show a session saved by ``save_session`` in ``studio``, all or nothing: every file is
    read and checked, the data loaded and the saved run rebuilt before anything on screen
    changes.

    Example:
        >>> load_session(studio, "sessions/digits-lenet")  # doctest: +SKIP
    """
    session = StudioSession.load(folder)
    bundle = session.data.load(studio.root)
    trainer = session.load_trainer(bundle)
    studio.restore(session.data, session.settings, session.graph, session.template, bundle)
    if trainer is not None:
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
        """The session folder for a name typed on the page (a plain name, inside the sessions
        folder)."""
        return child(self.root, name, "session")

    def _save(self) -> str:
        folder = save_session(self.studio, self.folder_for(self.name.value))
        self.refresh()
        return f"Saved to {folder}."

    def _load(self) -> str:
        if not self.saved.value:
            raise PathError("There is no saved session to load yet.")
        folder = self.folder_for(self.saved.value)
        try:
            load_session(self.studio, folder)
        except (ValueError, OSError, RuntimeError) as error:  # SessionError, GraphError, ...
            raise SessionError(f"{folder.name} was not loaded, nothing changed: {error}") from None
        return f"Loaded {folder.name}."

    def _act(self, action: Callable[[], str]) -> None:
        try:
            text, color = action(), "#2e7d32"
        except (ValueError, OSError, RuntimeError, KeyError) as error:
            text, color = f"{error}", "#b00020"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'
