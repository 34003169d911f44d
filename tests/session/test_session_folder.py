"""Saving a Studio session: atomic, and never over a folder that is not a session."""

from __future__ import annotations

import json

import pytest

from dlstudio.graph import examples
from dlstudio.session.data import DataSpec
from dlstudio.session.folder import SessionError, StudioSession
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


@pytest.mark.parametrize(
    "data",
    [
        {"source": "builtin", "name": "digits", "path": "../../../../etc/passwd"},
        {"source": "csv", "path": "../../../../etc/passwd", "target": "root"},
        {"source": "csv", "path": "/etc/passwd", "target": "root"},
        {"source": "folder", "path": "photos/../../secrets"},
    ],
)
def test_a_data_path_out_of_the_data_folder_is_refused_at_load(tmp_path, data):
    folder = _session(3).save(tmp_path / "one")
    manifest = json.loads((folder / "studio.json").read_text(encoding="utf-8"))
    manifest["data"] = data
    (folder / "studio.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValueError, match="outside the data folder|takes no path"):
        StudioSession.load(folder)


def test_a_file_linked_out_of_the_session_is_refused(tmp_path):
    folder = _session(3).save(tmp_path / "one")
    outside = tmp_path / "elsewhere.json"
    (folder / "graph.json").rename(outside)
    (folder / "graph.json").symlink_to(outside)
    with pytest.raises(SessionError, match="links to a file outside"):
        StudioSession.load(folder)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("studio.json", b"[]", "not a Studio session"),
        ("studio.json", b"\xff\xfe", "not readable JSON"),
        ("graph.json", b"", "graph|JSON"),
    ],
)
def test_broken_session_files_are_said_in_a_sentence(tmp_path, name, content, message):
    folder = _session(3).save(tmp_path / "one")
    (folder / name).write_bytes(content)
    with pytest.raises(ValueError, match=message):
        StudioSession.load(folder)
