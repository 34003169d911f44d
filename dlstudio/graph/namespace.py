"""Safe, readable Python identifiers from user-chosen ids and labels (after torch.fx's Namespace)."""

from __future__ import annotations

import builtins
import functools
import keyword
import re

from torch import nn

_MODULE_ATTRIBUTES = frozenset(dir(nn.Module))
# ``l`` reads as ``1`` (pycodestyle's E741); identifiers here are lower-case, so it is the only one.
_RESERVED_LOCALS = frozenset({"self", "torch", "nn", "_", "l"})


@functools.lru_cache(maxsize=8192)  # the editor regenerates code after every edit
def to_identifier(text: str, fallback: str, max_length: int = 40) -> str:
    """Lower-case snake_case made only of ASCII letters, digits and underscores.

    Example:
        >>> to_identifier("Conv Block #1", "layer")
        'conv_block_1'
        >>> to_identifier("__import__('os')", "layer")
        'import_os'
    """
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()[:max_length].rstrip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"[:max_length].rstrip("_")
    return name


class Namespace:
    """Hands out unique identifiers, never a keyword, builtin or otherwise taken name.

    Example:
        >>> names = Namespace(kind="attribute")
        >>> names.create("forward", "layer"), names.create("fc", "layer"), names.create("fc", "layer")
        ('forward_', 'fc', 'fc_2')
    """

    def __init__(self, kind: str = "local", max_length: int = 40):
        self._taken: set[str] = set()
        self._max_length = max_length
        reserved = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
        reserved |= _MODULE_ATTRIBUTES if kind == "attribute" else _RESERVED_LOCALS
        self._reserved = frozenset(reserved)

    def create(self, text: str, fallback: str = "layer") -> str:
        base = to_identifier(text, fallback, self._max_length)
        if base in self._reserved or base.startswith("__"):
            base = f"{base}_"
        name, suffix = base, 2
        while name in self._taken:
            name = f"{base}_{suffix}"
            suffix += 1
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._taken.add(name)
