"""A path sandbox: names sent by a page or read from a file stay inside one allowed folder.

Example:
    >>> inside("/data", "iris.csv").as_posix()
    '/data/iris.csv'
    >>> inside("/data", "../etc/passwd")
    Traceback (most recent call last):
    ...
    dlstudio.paths.PathError: '../etc/passwd' is outside the data folder /data; pick a file inside it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["PathError", "child", "inside"]

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # fullmatch: "$" allows a final "\n"


class PathError(ValueError):
    """A path that leaves its allowed folder, or a name that is not a plain folder name."""


def inside(root: str | os.PathLike[str], name: str | os.PathLike[str]) -> Path:
    """``root / name`` resolved, refusing anything that leaves ``root`` (``..``, links, /abs).

    Example:
        >>> inside("/data", "sub/../iris.csv").as_posix()
        '/data/iris.csv'
    """
    base = Path(root).expanduser().resolve()
    path = (base / name).resolve()
    if path != base and base not in path.parents:
        raise PathError(f"{str(name)!r} is outside the data folder {base}; pick a file inside it.")
    return path


def child(root: str | os.PathLike[str], name: object, what: str = "session") -> Path:
    """The folder ``root / name`` for a name typed on a page: up to 64 letters, digits, ``-``,
    ``_`` or ``.``, starting with a letter or digit (no separators, nothing hidden).

    Example:
        >>> child("/sessions", "digits-1").as_posix()
        '/sessions/digits-1'
        >>> child("/sessions", "../x")
        Traceback (most recent call last):
        ...
        dlstudio.paths.PathError: '../x' is not a usable session name: use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.
    """
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name):
        raise PathError(
            f"{name!r} is not a usable {what} name: use up to 64 letters, digits, '-', '_' "
            "or '.', starting with a letter or digit."
        )
    return inside(root, name)
