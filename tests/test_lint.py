"""ruff's lint and format check over the whole repository, as part of the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    # `python -m ruff` uses the ruff of the interpreter running the tests, not one on PATH.
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (("check", "--output-format=concise"), "ruff check --fix ."),
        (("format", "--check"), "ruff format ."),
    ],
    ids=["lint", "format"],
)
def test_ruff_is_clean(args: tuple[str, ...], fix: str) -> None:
    result = _ruff(*args)
    assert result.returncode == 0, (
        f"`ruff {' '.join(args)}` found problems; fix them (many with `.venv/bin/{fix}`):\n"
        f"{result.stdout}{result.stderr}"
    )
