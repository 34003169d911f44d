"""The examples in dlstudio.datasets' docstrings run and say what they claim."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dlstudio.datasets
from dlstudio._moved import MOVED

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(dlstudio.datasets.__path__, prefix="dlstudio.datasets.")
    if info.name not in MOVED  # aliases of modules tested under their new names
)


@pytest.mark.parametrize("name", ["dlstudio.datasets", *MODULES])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
