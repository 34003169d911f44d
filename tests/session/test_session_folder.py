"""Saving a Studio session: atomic, and never over a folder that is not a session."""

from __future__ import annotations

import pytest

from dlstudio.graph import examples
from dlstudio.session.data import DataSpec
from dlstudio.session.folder import StudioSession
from dlstudio.train.settings import TrainingSettings


def _session(epochs: int) -> StudioSession:
    return StudioSession(DataSpec(), TrainingSettings(epochs=epochs), examples.load("mlp"))


def test_a_save_replaces_an_earlier_session_and_leaves_nothing_beside_it(tmp_path):
    folder = tmp_path / "run"
    _session(3).save(folder)
    _session(4).save(folder)
    assert StudioSession.load(folder).settings.epochs == 4
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_folder_of_other_files_is_refused_and_kept(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="pick a new folder name for the session"):
        _session(3).save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
