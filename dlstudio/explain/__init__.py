"""Why did the model decide that? Attributions from Captum behind one verb, ``explain``.

Pure Python (no Jupyter): ``explain`` lives in ``attribute.py``; one method per module, each a
small ``Method`` subclass naming the Captum class that does the work.

Example:
    >>> from dlstudio.explain import explain
    >>> e = explain(model, x[:8])  # doctest: +SKIP
    >>> e.attributions.shape == x[:8].shape  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dlstudio.explain.attribute import METHODS, explain, methods, resolve_layer
from dlstudio.explain.base import (
    ExplainCancelled,
    ExplainError,
    Explanation,
    Method,
    internal_batch_size,
)
from dlstudio.train.outputs import class_probabilities as probabilities

__all__ = [
    "METHODS",
    "ExplainCancelled",
    "ExplainError",
    "Explanation",
    "Method",
    "explain",
    "internal_batch_size",
    "methods",
    "probabilities",
    "resolve_layer",
]
