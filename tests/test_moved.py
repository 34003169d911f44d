"""Modules that moved (issue 10) still import from their old paths, with a DeprecationWarning."""

from __future__ import annotations

import subprocess
import sys

from dlstudio._moved import MOVED

# Run in a fresh interpreter: a module imports (and warns) only once per process.
CHECK = """
import importlib, sys, warnings
from dlstudio._moved import MOVED
for old, new in MOVED.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(f"import {old}")
    found = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(found) == 1 and new in str(found[0].message), (old, caught)
    assert found[0].filename == "<string>", f"{old}: the warning should name the importer"
    assert sys.modules[old] is importlib.import_module(new), old
print(len(MOVED))
"""


def test_moved_modules_still_import_with_a_warning() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(MOVED))]
