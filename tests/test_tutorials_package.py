"""The tutorials as a learner gets them: shipped with the package, copied by `dlstudio
tutorials` without touching an edited copy, `check` for the exercises, and a Binder
environment that installs what pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from dlstudio import tutorials
from dlstudio.cli import main as cli

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_check_says_in_a_sentence_whether_an_exercise_is_solved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert tutorials.check(True, "the shapes agree.", "look at the batch axis.") is True
    assert tutorials.check(False, "the shapes agree.", "look at the batch axis.") is False
    assert capsys.readouterr().out.splitlines() == [
        "Right: the shapes agree.",
        "Not yet: look at the batch axis.",
    ]


def test_the_notebooks_ship_in_the_wheel_where_the_package_looks_for_them() -> None:
    include = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["tutorials"] == "dlstudio/tutorials/notebooks"
    assert [p.name for p in tutorials.notebooks()] == sorted(
        p.name for p in (REPO / "tutorials").glob("*.ipynb")
    )


def test_the_command_copies_the_tutorials_and_keeps_an_edited_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "learn"
    assert cli(["tutorials", "--dir", str(folder), "--copy-only"]) == 0
    names = [p.name for p in tutorials.notebooks()]
    assert sorted(p.name for p in folder.iterdir()) == names
    assert f"{len(names)} copied, 0 already there" in capsys.readouterr().out
    edited = folder / names[0]
    edited.write_text('{"my": "notes"}', encoding="utf-8")
    (folder / names[1]).unlink()
    assert cli(["tutorials", "--dir", str(folder), "--copy-only"]) == 0
    assert edited.read_text(encoding="utf-8") == '{"my": "notes"}'
    assert (folder / names[1]).is_file()
    assert f"1 copied, {len(names) - 1} already there" in capsys.readouterr().out


def test_the_binder_environment_installs_what_the_package_declares() -> None:
    environment = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert sorted(pip) == sorted(PYPROJECT["project"]["dependencies"])
    python = next(d for d in environment["dependencies"] if str(d).startswith("python="))
    assert PYPROJECT["project"]["requires-python"] == ">=3.11" and python == "python=3.11"
    assert "pip install" in (REPO / "binder" / "postBuild").read_text()


def test_the_readme_badge_launches_this_repository_on_the_tutorials() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"\(https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/HEAD\?urlpath=lab/tree/(\w+)\)", readme
    )
    assert match, "README.md has no Binder launch badge"
    repository, folder = match.groups()
    assert PYPROJECT["project"]["urls"]["Repository"] == f"https://github.com/{repository}"
    assert folder == "tutorials" and any((REPO / folder).glob("01_*.ipynb"))
    assert (REPO / "binder" / "environment.yml").is_file()
