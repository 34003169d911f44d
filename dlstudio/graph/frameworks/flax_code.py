"""Flax NNX source for a graph: an ``nnx.Module`` whose ``__init__`` makes the layers with an
explicit ``rngs`` and whose ``__call__`` computes, channels last (NHWC), with each line's shape
in that layout; a module class of its own for each named block.

Example:
    >>> from dlstudio.graph import examples
    >>> 'class Net(nnx.Module):' in flax_code(examples.load("mlp"))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dlstudio.graph.codegen import numbered_name
from dlstudio.graph.frameworks.common import NoCounterpart
from dlstudio.graph.frameworks.flax_layers import FlaxPiece, flax_piece
from dlstudio.graph.frameworks.keras_code import INDENT, shape_comment
from dlstudio.graph.frameworks.lines import comment_lines, names_used, statement
from dlstudio.graph.frameworks.program import Program, Step, Value
from dlstudio.graph.frameworks.support import support_classes
from dlstudio.graph.frameworks.variables import variables

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph


@dataclass
class FlaxCode:
    """The source, the sentences of the layers it could not write (empty: it runs), and the
    name of each block use's class."""

    source: str
    missing: list[str] = field(default_factory=list)
    class_name: str = "Net"


def flax_code(graph: Graph, class_name: str = "Net") -> str:
    """The Flax NNX source of ``graph`` (see ``FlaxCode`` for what it could not write)."""
    return write_flax(graph, class_name).source


def write_flax(graph: Graph, class_name: str = "Net") -> FlaxCode:
    program = Program.of(graph)
    missing: list[str] = []
    blocks: dict[str, list[str]] = {}
    names: dict[int, str] = {}
    _write_blocks(program, blocks, missing, names)
    classes = [
        *support_classes(program, "flax"),
        *(line for text in blocks.values() for line in text),
        *_module(class_name, program, missing, "The model", names),
    ]
    used = names_used("\n".join(classes))
    note = (
        f"\nIt does not run as it is: {len(missing)} layer(s) have no counterpart in Flax (the "
        "comments\nsay what to write instead).\n"
        if missing
        else ""
    )
    header = [
        f'"""{class_name} in Flax NNX, written by dlstudio from the graph of the PyTorch code.',
        "",
        "Channels last: images are (N, H, W, C), as Flax expects; the comments give each",
        "line's output shape in that layout. Dropout and BatchNorm follow model.train() and",
        f"model.eval().{note}",
        '"""',
        "",
        *(["import jax"] if "jax" in used else []),
        *(["import jax.numpy as jnp"] if "jnp" in used else []),
        "from flax import nnx",
    ]
    return FlaxCode("\n".join([*header, *classes]).rstrip() + "\n", missing, class_name)


def _write_blocks(
    program: Program, written: dict[str, list[str]], missing: list[str], names: dict[int, str]
) -> None:
    """One class per distinct block body: a block used at two widths gets two classes
    (``DenseLayer``, ``DenseLayer2``), because an NNX module's layers are made for one width."""
    for step in program.steps:
        if step.block is None:
            continue
        _write_blocks(step.block, written, missing, names)
        suffix = 1
        while True:
            name = numbered_name(step.block_class, suffix)
            found: list[str] = []
            text = _module(name, step.block, found, f"The block {step.block_class}", names)
            if written.get(name, text) == text:
                break
            suffix += 1
        if name not in written:
            written[name] = text
            missing += found
        names[id(step)] = name


def _module(
    name: str, program: Program, missing: list[str], what: str, names: dict[int, str]
) -> list[str]:
    holders = variables(program, "x")
    init: list[str] = []
    body: list[str] = []
    inside = 2 * len(INDENT)
    for step in program.steps:
        if step.node.op in ("Input", "Output"):
            continue
        target = holders[step.node.id]
        sources = [holders[s] for s in step.inputs]
        comment = shape_comment(program.values[step.node.id].shape)
        if step.block is not None:
            block_class = names.get(id(step), step.block_class)
            init += statement(inside, f"self.{step.name} = ", f"{block_class}(rngs)")
            called = f"self.{step.name}({', '.join(sources)})"
            body += statement(inside, f"{target} = ", called, comment=comment)
            continue
        piece = _piece(step, program, missing)
        if piece is None:
            body += comment_lines(inside, missing[-1])
            continue
        if piece.module is not None:
            init += statement(inside, f"self.{step.name} = ", piece.module)
        expression = piece.expression.format(
            x=sources[0] if sources else "x",
            y=sources[1] if len(sources) > 1 else (sources[0] if sources else "x"),
            inputs=", ".join(sources),
            sum=" + ".join(sources),
            product=" * ".join(sources),
            layer=f"self.{step.name}",
        )
        if expression != target:
            body += statement(inside, f"{target} = ", expression, comment=comment)
    inputs = [holders[i] for i in program.inputs]
    result = holders[program.outputs[0]] if program.outputs else inputs[0]
    first = program.values[program.inputs[0]].shape if program.inputs else ()
    return [
        "",
        "",
        f"class {name}(nnx.Module):",
        f'{INDENT}"""{what}: its layers are made once in __init__, then called in __call__."""',
        "",
        f"{INDENT}def __init__(self, rngs: nnx.Rngs):",
        *(init or [f"{INDENT * 2}pass"]),
        "",
        f"{INDENT}def __call__({', '.join(['self', *inputs])}):",
        f"{INDENT * 2}# {inputs[0] if inputs else 'x'}: {shape_comment(first)}",
        *body,
        f"{INDENT * 2}return {result}",
    ]


def _piece(step: Step, program: Program, missing: list[str]) -> FlaxPiece | None:
    source = program.values[step.inputs[0]] if step.inputs else Value((), ())
    try:
        return flax_piece(step, source, program.values[step.node.id])
    except NoCounterpart as error:
        missing.append(str(error))
        return None
