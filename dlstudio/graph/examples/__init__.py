"""Example graphs shipped with dlstudio; the editor's and the Studio's templates.

Example:
    >>> from dlstudio.graph import examples
    >>> examples.load("lenet5").param_count()
    61706
"""

from __future__ import annotations

from importlib import resources

from dlstudio.graph.graph import Graph

TEMPLATES = (
    "mlp", "lenet5", "resnet_small", "lstm_classifier", "transformer_encoder", "finetune",
)  # fmt: skip


def names() -> list[str]:
    """The shipped example graphs, simplest first."""
    return list(TEMPLATES)


def load(name: str) -> Graph:
    """A fresh copy of an example graph by name."""
    if name not in TEMPLATES:
        raise KeyError(f"No example graph named {name!r}; choose one of {', '.join(TEMPLATES)}.")
    text = resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8")
    return Graph.from_json(text)


def starter() -> Graph:
    """An empty canvas: one Input node (28×28 grey images by default), what a new builder or a
    new graph document starts from.

    Example:
        >>> [node.op for node in starter().nodes]
        ['Input']
    """
    graph = Graph()
    graph.add("Input", id="input")
    graph.node("input").position = {"x": 40.0, "y": 40.0}
    return graph


def describe() -> list[dict[str, str]]:
    """Name, title and description of each example, for template pickers."""
    items = []
    for name in TEMPLATES:
        graph = load(name)
        items.append({"name": name, **graph.metadata})
    return items
