"""Statements of the Keras and Flax code laid out as ``ruff format`` writes them, within 100
columns, so the code reads as if a person wrote it and a formatted project sees no diff.

The layer writers give each statement as flat text (``nnx.Conv(3, 16, kernel_size=(3, 3), ...)``);
``statement`` reads the brackets back out of it and hands them to the PyTorch writer's
``codegen_layout.layout``: a call that does not fit keeps its arguments on one indented line, or
one per line with a trailing comma, and a shape comment stays on the line that closes the call.

Example:
    >>> statement(8, "self.fc = ", "nnx.Linear(4, 2, rngs=rngs)", comment="(N, 2)")
    ['        self.fc = nnx.Linear(4, 2, rngs=rngs)  # (N, 2)']
    >>> statement(0, "x = ", f"f({'a' * 50}, {'b' * 50})")[0::3]
    ['x = f(', ')']
"""

from __future__ import annotations

import io
import re
import textwrap
import tokenize
from collections.abc import Iterator

from dlstudio.graph.codegen_layout import INDENT, LINE_LENGTH, Brackets, Expr, flat, layout

_OPENING = {"(": ")", "[": "]", "{": "}"}
_INPUTS = re.compile(r"[\w\s,\[\]]*")
"""A call's arguments that are only the values it reads (``x``, ``[x, y]``)."""


def statement(indent: int, head: str, text: str, tail: str = "", comment: str = "") -> list[str]:
    """Lines for ``head + text + tail`` at ``indent`` columns with ``  # comment`` at the end,
    split as ``ruff format`` splits it when it is too long.

    Where ruff would split only the call on the inputs (``layers.Dense(...)(`` / ``x`` /
    ``)  # (N, 10)``), the comment goes above the line instead, as in the PyTorch code.

    Example:
        >>> statement(4, "x = ", 'layers.Dense(10, name="fc")(x)', comment="(N, 10)")
        ['    x = layers.Dense(10, name="fc")(x)  # (N, 10)']
    """
    pad = " " * indent
    suffix = f"  # {comment}" if comment else ""
    line = f"{pad}{head}{text}{tail}"
    if len(line) + len(suffix) <= LINE_LENGTH:
        return [line + suffix]
    links = _chain_links(text)
    if len(links) > 2:  # a fluent chain of method calls: one per line in parentheses
        lines = [f"{pad}{head}("]
        for link in links:
            lines += layout(indent + len(INDENT), "", parse(link))
        return [*lines, f"{pad}){tail}{suffix}"]
    expr = parse(text)
    if not isinstance(expr, Brackets):
        return [line + suffix]
    callee = expr.opening[:-1]
    if len(pad + head + expr.opening) > LINE_LENGTH and _spans(callee):
        # ``make(...)(x)`` whose ``make(...)(`` does not fit: ruff splits make's arguments.
        return statement(indent, head, callee, flat(expr)[len(callee) :] + tail, comment)
    inputs_only = all(_INPUTS.fullmatch(flat(item)) for item in expr.items)
    if suffix and len(line) <= LINE_LENGTH and inputs_only:
        return [f"{pad}# {comment}", line]
    return layout(indent, head, expr, tail + suffix)


def comment_lines(indent: int, text: str) -> list[str]:
    """``# text`` wrapped to fit in 100 columns at ``indent``.

    Example:
        >>> [len(line) for line in comment_lines(4, "word " * 30)]
        [100, 60]
    """
    width = LINE_LENGTH - indent - 2
    wrapped = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    return [f"{' ' * indent}# {line}" for line in wrapped or [""]]


def parse(text: str) -> Expr:
    """``text`` as ``Brackets`` when it ends with brackets that hold items (each read the same
    way), else as it is.

    Example:
        >>> parse("nnx.Conv(3, 4, kernel_size=(3, 3))").items
        ('3', '4', Brackets(opening='kernel_size=(', items=('3', '3'), closing=')', operator=None, bare=False, hug=True))
        >>> parse("x.reshape(-1)"), parse("(3,)")
        (Brackets(opening='x.reshape(', items=('-1',), closing=')', operator=None, bare=False, hug=True), '(3,)')
    """
    spans = _spans(text)
    if not spans or spans[-1][1] != len(text) - 1:
        return text
    start, end = spans[-1]
    inside = text[start + 1 : end].strip()
    if not inside or inside.endswith(","):  # nothing to split, or a one-item tuple: kept whole
        return text
    items = _split(inside)
    return Brackets(text[: start + 1], tuple(parse(item) for item in items), text[end])


def _code_chars(text: str) -> Iterator[tuple[int, str, int]]:
    """(offset, character, bracket depth before it) for each character of ``text`` outside a
    string literal: the one scanner both helpers below read."""
    depth = 0
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
            continue
        yield index, char, depth
        if char in _OPENING:
            depth += 1
        elif char in ")]}":
            depth -= 1


def _spans(text: str) -> list[tuple[int, int]]:
    """The (opening, closing) offsets of the brackets at the top level of ``text``."""
    spans = []
    start = 0
    for index, char, depth in _code_chars(text):
        if char in _OPENING and depth == 0:
            start = index
        elif char in ")]}" and depth == 1:
            spans.append((start, index))
    return spans


def _split(inside: str) -> list[str]:
    """The comma-separated items of a bracket's contents (commas inside brackets and strings
    belong to their item)."""
    items = []
    begin = 0
    for index, char, depth in _code_chars(inside):
        if char == "," and depth == 0:
            items.append(inside[begin:index].strip())
            begin = index + 1
    items.append(inside[begin:].strip())
    return items


def _chain_links(text: str) -> list[str]:
    """``x.reshape(...).transpose(...)`` cut before each method called on a call's result:
    ``["x.reshape(...)", ".transpose(...)"]``."""
    cuts = [end + 1 for _, end in _spans(text) if text[end + 1 : end + 2] == "."]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def names_used(source: str) -> set[str]:
    """The names ``source`` reads an attribute of (``jnp`` in ``jnp.tanh(x)``), comments and
    strings left out: the modules its imports must bring in.

    Example:
        >>> sorted(names_used("y = jnp.tanh(x)  # not jax.nn"))
        ['jnp']
    """
    skipped = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    tokens = [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in skipped
    ]
    return {
        name
        for before, name, after in zip(["", *tokens], tokens, [*tokens[1:], ""], strict=False)
        if after == "." and before != "." and name.isidentifier()
    }
