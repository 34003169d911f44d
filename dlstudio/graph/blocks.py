"""Deprecated: the block schema moved to ``document``, grouping to ``editing`` (issue 10).

``from dlstudio.graph.blocks import group`` keeps working for one release, with a
DeprecationWarning naming the new home; nothing in dlstudio imports this module.
"""

from __future__ import annotations

import warnings
from importlib import import_module
from typing import Any

_MOVED = {
    "BLOCK_NAME": "dlstudio.graph.document",
    "MAX_BLOCKS": "dlstudio.graph.document",
    "BlockDefinition": "dlstudio.graph.document",
    "block_problems": "dlstudio.graph.document",
    "instance_nodes": "dlstudio.graph.analysis",
    "group": "dlstudio.graph.editing",
    "ungroup": "dlstudio.graph.editing",
}


def read_blocks(raw: Any, reader: Any) -> Any:
    """Deprecated: use ``DocumentReader.blocks``."""
    warnings.warn(
        "dlstudio.graph.blocks.read_blocks is deprecated; use DocumentReader.blocks "
        "(dlstudio.graph.document).",
        DeprecationWarning,
        stacklevel=2,
    )
    return reader.blocks(raw)


def __getattr__(name: str) -> Any:
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"dlstudio.graph.blocks.{name} is deprecated; import it from {home}.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(import_module(home), name)


__all__ = [*_MOVED, "read_blocks"]
