"""The examples in dlstudio.train's docstrings run and say what they claim."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dlstudio.train

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(dlstudio.train.__path__, prefix="dlstudio.train.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
