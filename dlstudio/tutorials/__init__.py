"""The tutorial notebooks that ship with dlstudio, and the ``check`` their exercises call.

``dlstudio tutorials`` copies the notebooks into a folder of the learner's (never over a copy
they edited) and opens JupyterLab there.

Example:
    >>> check(2 + 2 == 4, "four it is.", "add again.")
    Right: four it is.
    True
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "notebooks"  # where the wheel puts them
_CHECKOUT = Path(__file__).resolve().parents[2] / "tutorials"  # a source checkout


def check(condition: bool, right: str, wrong: str) -> bool:
    """Say in one sentence whether an exercise is solved, and why; returns ``condition``."""
    print(f"Right: {right}" if condition else f"Not yet: {wrong}")
    return bool(condition)


def notebooks_dir() -> Path:
    """The folder holding the tutorial notebooks (in the package, or in a source checkout)."""
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def notebooks() -> list[Path]:
    """The tutorial notebooks, in the order of the series."""
    return sorted(notebooks_dir().glob("*.ipynb"))


def copy_tutorials(target: str | os.PathLike[str]) -> list[Path]:
    """Copy the notebooks into ``target`` (made if missing); a notebook already there, which the
    learner may have edited, is kept as it is. Returns the notebooks copied now.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> len(copy_tutorials(folder)) == len(notebooks()), copy_tutorials(folder)
        (True, [])
    """
    folder = Path(target).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in notebooks():
        destination = folder / source.name
        if not destination.exists():
            shutil.copyfile(source, destination)
            copied.append(destination)
    return copied
