"""Line layout for generated code: every statement fits in 100 columns, as ``ruff format`` lays it out.

The code generator describes each statement as a head (``x = ``), an expression and a tail; the
expression is either plain text or ``Brackets`` (a call's arguments, a list, a sum). ``layout``
then writes it the way the formatter would, so generated code passes ``ruff format --check``
unchanged and a user who pastes it into a formatted project sees no diff.
"""

from __future__ import annotations

from dataclasses import dataclass

LINE_LENGTH = 100
INDENT = "    "


@dataclass(slots=True)  # not frozen: a 1,000-node graph makes thousands, and frozen is slower
class Brackets:
    """``opening item, item closing``, e.g. ``nn.Conv2d(`` ``1, 6, 5`` ``)``.

    Example:
        >>> flat(Brackets("nn.Linear(", ("4", "2")))
        'nn.Linear(4, 2)'
        >>> flat(Brackets("(", ("a", "b"), operator=" + ", bare=True))
        'a + b'
    """

    opening: str
    items: tuple[Expr, ...]
    closing: str = ")"
    operator: str | None = None
    """Items joined by this operator (`` + ``) instead of commas."""
    bare: bool = False
    """Written without the brackets while it fits on one line (a sum, a returned tuple)."""
    hug: bool = True
    """May keep all items on one indented line; a returned tuple goes one item per line."""


Expr = str | Brackets


def attribute_path(module_name: str) -> str:
    """``features.0`` -> ``self.features[0]``: a module's place written as Python reads it.

    Example:
        >>> attribute_path("backbone.classifier.3")
        'self.backbone.classifier[3]'
    """
    parts = [f"[{part}]" if part.isdigit() else f".{part}" for part in module_name.split(".")]
    return "self" + "".join(parts)


def flat(expr: Expr) -> str:
    """The expression on one line.

    Example:
        >>> flat(Brackets("torch.cat(", (Brackets("[", ("a", "b"), "]"), "dim=1")))
        'torch.cat([a, b], dim=1)'
    """
    if isinstance(expr, str):
        return expr
    return _flat_items(expr) if expr.bare else f"{expr.opening}{_flat_items(expr)}{expr.closing}"


def _flat_items(expr: Brackets) -> str:
    separator = expr.operator or ", "
    try:
        return separator.join(expr.items)  # type: ignore[arg-type]  # nearly always plain text
    except TypeError:
        return separator.join([flat(item) for item in expr.items])


def layout(indent: int, head: str, expr: Expr, tail: str = "") -> list[str]:
    """Lines for ``head + expr + tail`` at ``indent`` columns, split only when too long.

    Example:
        >>> layout(8, "self.fc = ", Brackets("nn.Linear(", ("4", "2")))
        ['        self.fc = nn.Linear(4, 2)']
        >>> layout(0, "x = ", Brackets("f(", ("a" * 60, "b" * 60)))[0::3]
        ['x = f(', ')']
    """
    pad = " " * indent
    line = f"{pad}{head}{flat(expr)}{tail}"
    if len(line) <= LINE_LENGTH or isinstance(expr, str):
        return [line]
    inner = indent + len(INDENT)
    body = _flat_items(expr)
    lines = [f"{pad}{head}{expr.opening}"]
    if expr.hug and inner + len(body) <= LINE_LENGTH:
        lines.append(" " * inner + body)
    elif expr.operator:
        first, *rest = expr.items
        lines += layout(inner, "", first)
        for item in rest:
            lines += layout(inner, expr.operator.lstrip(), item)
    else:
        for item in expr.items:
            lines += layout(inner, "", item, ",")
    lines.append(f"{pad}{expr.closing}{tail}")
    return lines


def statement(indent: int, head: str, expr: Expr, tail: str = "", comment: str = "") -> list[str]:
    """``layout`` with an end-of-line comment, moved above the code when the line is too long.

    The formatter would split the code to make room for the comment; a comment of its own
    reads better than ``x = self.fc(`` / ``x`` / ``)  # (N, 10)``.

    Example:
        >>> statement(8, "x = ", Brackets("self.fc(", ("x",)), comment="(N, 10)")
        ['        x = self.fc(x)  # (N, 10)']
    """
    if not comment:
        return layout(indent, head, expr, tail)
    line = f"{' ' * indent}{head}{flat(expr)}{tail}  # {comment}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{' ' * indent}# {comment}", *layout(indent, head, expr, tail)]
