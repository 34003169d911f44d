"""Old module paths that keep working for one release, with a DeprecationWarning.

A module that moved leaves a two-line shim at its old path; importing it warns once and hands
back the new module itself (``sys.modules`` points the old name at it), so every name, private
ones included, stays reachable and nothing is defined twice. ``MOVED`` lists them all: delete
an entry with its shim when the release after the move comes out.
"""

from __future__ import annotations

import sys
import warnings
from importlib import import_module
from types import ModuleType

MOVED: dict[str, str] = {
    "dlstudio.datasets.loaders": "dlstudio.datasets.batches",
    "dlstudio.train.batches": "dlstudio.datasets.batches",
    "dlstudio.train.checkpoint": "dlstudio.train.run_folder",
    "dlstudio.train.saving": "dlstudio.train.state_files",
    "dlstudio.train.setup": "dlstudio.train.assembly",
}
"""Old module path -> where it lives now."""


def moved(old: str) -> ModuleType:
    """Make the module being imported as ``old`` an alias of its new home, warning the importer.

    Example (the whole shim left at the old path)::

        from dlstudio._moved import moved

        moved(__name__)
    """
    new = MOVED[old]
    # stacklevel 3 is the importer's line: warnings skips the import machinery's own frames.
    warnings.warn(
        f"{old} moved to {new}; import it from there (the old path goes in the next release).",
        DeprecationWarning,
        stacklevel=3,
    )
    module = import_module(new)
    sys.modules[old] = module
    return module
