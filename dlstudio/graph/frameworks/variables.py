"""Which variable holds each value in a functional ``call``/``__call__`` body: ``x`` along the
main path, and a name of its own for a value read again later (a residual's input).

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.frameworks.program import Program
    >>> block = Program.of(examples.load("resnet_small")).steps[4].block
    >>> holders = variables(block, "x")
    >>> holders["in1"], holders["conv1"], holders["add"]
    ('x', 'out', 'out')
"""

from __future__ import annotations

from dlstudio.graph.frameworks.program import Program

RUNNING = ("x", "out")


def variables(program: Program, first: str) -> dict[str, str]:
    """The variable of each node's output; the (single) input arrives in ``first``."""
    last_read: dict[str, int] = {}
    for index, step in enumerate(program.steps):
        for source in step.inputs:
            last_read[source] = index
    holder: dict[str, str] = {}
    # ``first`` is reused only when it is a running variable: Keras's `inputs` must stay.
    holding: dict[str, str | None] = dict.fromkeys(RUNNING)
    taken = {first, *RUNNING}
    for index, step in enumerate(program.steps):
        node = step.node.id
        if step.node.op == "Input":
            name = first if not holder else _own(step.name, taken)
        elif step.node.op == "Output":
            name = holder[step.inputs[0]] if step.inputs else first
        else:
            preferred = holder[step.inputs[0]] if step.inputs else None
            name = _free(holding, last_read, index, preferred) or _own(step.name, taken)
        holder[node] = name
        if name in holding:
            holding[name] = node
    return holder


def _free(
    holding: dict[str, str | None], last_read: dict[str, int], index: int, preferred: str | None
) -> str | None:
    """A running variable whose value nobody reads after step ``index``, the input's first."""
    order = [preferred] if preferred in holding else []
    order += [name for name in holding if name not in order]
    for name in order:
        held = holding[name]
        if held is None or last_read.get(held, -1) <= index:
            return name
    return None


def _own(name: str, taken: set[str]) -> str:
    base, number = name, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name
