"""The examples in dlstudio.train's docstrings run and say what they claim."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dlstudio.train
from dlstudio._moved import MOVED

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(dlstudio.train.__path__, prefix="dlstudio.train.")
    if info.name not in MOVED  # aliases of modules tested under their new names
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
