"""Loading a damaged session folder: every file of a real saved session (digits, an MLP, one
short run saved with its weights) truncated, corrupted, swapped for another kind of file or
linked out of the folder. The load through the Session panel either shows everything the
folder holds or changes nothing and says why; no exception escapes."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio.session import StudioSession
from dlstudio.ui.studio import Studio, save_session

FILES = (
    "studio.json",
    "graph.json",
    "trainer",
    "trainer/trainer.json",
    "trainer/model.safetensors",
    "trainer/state.safetensors",
    "trainer/graph.json",
)
MUTATIONS = (
    "truncate", "corrupt", "empty", "pickle", "directory", "pipe", "json_type", "link_outside",
    "remove",
)  # fmt: skip
WRONG_JSON = ("[]", "null", "1", '"text"', "{}", '{"format": 1}', "[[[[[[[[[[]]]]]]]]]]")

_names = itertools.count()


class Saved(tuple):
    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"Saved({self[0]})"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Studio]:
    """The saved session (its folder) and a Studio showing something else (iris)."""
    root = tmp_path_factory.mktemp("fuzz")
    studio = Studio(data_dir=root)
    studio.train.controls.set(epochs=1, batch_size=256)
    trainer = studio.train.controls.train()
    trainer.wait(timeout=300)
    assert trainer.state == "finished", trainer.error
    folder = save_session(studio, root / "dlstudio-sessions" / "base")
    studio.close()
    return Saved((folder, Studio(data="iris", data_dir=root)))


def _mutate(path: Path, mutation: str, draw: Any, outside: Path) -> None:
    """Apply ``mutation`` to ``path`` (a file or the run folder) of a session copy."""
    if mutation == "remove" or mutation in ("directory", "pipe", "link_outside"):
        moved = outside / f"{next(_names)}-{path.name}"
        os.replace(path, moved)  # a file or the whole run folder, kept for the link
        if mutation == "directory":
            path.mkdir()
        elif mutation == "pipe":
            os.mkfifo(path)
        elif mutation == "link_outside":
            path.symlink_to(moved, target_is_directory=moved.is_dir())
        return
    if path.is_dir():  # the run folder: the mutation goes to one of its files
        path = path / draw(st.sampled_from(sorted(p.name for p in path.iterdir())))
    raw = path.read_bytes()
    if mutation == "truncate":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif mutation == "corrupt":
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        raw = bytes(data)
    elif mutation == "empty":
        raw = b""
    elif mutation == "pickle":  # what torch.save writes: it must never be unpickled
        raw = pickle.dumps({"weight": [1.0, 2.0]})
    elif mutation == "json_type":
        raw = draw(st.sampled_from(WRONG_JSON)).encode()
    path.write_bytes(raw)


def _shown(studio: Studio) -> tuple[Any, ...]:
    return (
        studio.data.spec,
        studio.train.settings(),
        json.dumps(studio.graph.to_dict(), sort_keys=True),
        studio.model.templates.value,
        studio.trainer,
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(FILES), mutation=st.sampled_from(MUTATIONS), draw=st.data())
def test_a_damaged_session_loads_whole_or_not_at_all(
    saved: tuple[Path, Studio], tmp_path: Path, name: str, mutation: str, draw: st.DataObject
) -> None:
    base, studio = saved
    panel = studio.session
    case = f"case-{next(_names)}"
    folder = base.parent / case
    outside = tmp_path / f"outside-{case}"
    outside.mkdir()
    shutil.copytree(base, folder)
    try:
        _mutate(folder / name, mutation, draw.draw, outside)
        panel.refresh()
        if case not in panel.saved.options:  # listed before it lost its manifest
            panel.saved.options = [*panel.saved.options, case]
        panel.saved.value = case
        before = _shown(studio)
        panel._act(panel._load)  # what the Load button does; nothing may escape it
        message = panel.message.value
        if f"Loaded {case}." in message:
            session = StudioSession.load(folder)  # everything it holds is on screen
            assert studio.data.spec == session.data
            assert studio.train.settings() == session.settings
            assert studio.graph.to_dict() == session.graph.to_dict()
            assert (studio.trainer is None) == (session.trainer_dir is None)
        else:
            assert f"{case} was not loaded, nothing changed: " in message, message
            assert _shown(studio) == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.is_symlink():
            folder.unlink()


def test_the_undamaged_session_loads_whole(saved: tuple[Path, Studio]) -> None:
    base, studio = saved
    studio.session.refresh()
    studio.session.saved.value = base.name
    studio.session._act(studio.session._load)
    assert "Loaded base." in studio.session.message.value
    assert studio.data.spec.name == "digits" and studio.trainer is not None
    assert studio.trainer.history.epochs
