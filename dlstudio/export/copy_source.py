"""dlstudio's own functions as source text for an exported script, so that the script does
exactly what dlstudio does without importing it, and there is one copy of each rule to keep.

The copy keeps the code and comments as written, shortens the docstring to its first paragraph
(the examples run against dlstudio), drops the argument checks named in ``drop`` (the values
come from a checked DataSpec) and renames private helpers to public names.

Example:
    >>> from dlstudio.datasets.memory import stats_from_sums
    >>> print(function_source(stats_from_sums).splitlines()[4])
        mean = total / count
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterable
from typing import Any


def function_source(fn: Callable[..., Any], drop: Iterable[str] = ()) -> str:
    """The source of ``fn`` with a one-paragraph docstring, without the statements that call
    a function named in ``drop``, and with every ``_private`` name made public.

    Example:
        >>> from dlstudio.datasets.generated import spirals
        >>> source = function_source(spirals, drop=["_check"])
        >>> "_check" in source, "Example" in source
        (False, False)
    """
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    function = ast.parse("\n".join(lines)).body[0]
    assert isinstance(function, ast.FunctionDef | ast.ClassDef)
    removed: set[int] = set()
    dropped = set(drop)
    for statement in function.body:
        calls = {
            node.func.id
            for node in ast.walk(statement)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        if calls & dropped:
            removed.update(range(statement.lineno - 1, statement.end_lineno or statement.lineno))
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        start, end = first.lineno - 1, (first.end_lineno or first.lineno) - 1
        blank = next((i for i in range(start + 1, end) if not lines[i].strip()), None)
        if blank is not None:
            removed.update(range(blank, end + 1))
            lines[blank - 1] += '"""'
    kept = [line for i, line in enumerate(lines) if i not in removed]
    return re.sub(r"\b_([A-Za-z]\w*)", r"\1", "\n".join(kept))


def functions_source(functions: Iterable[Callable[..., Any]], drop: Iterable[str] = ()) -> str:
    """Several functions' sources, two blank lines apart (see ``function_source``)."""
    drop = tuple(drop)
    return "\n\n\n".join(function_source(fn, drop) for fn in functions)
