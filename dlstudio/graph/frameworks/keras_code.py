"""Keras 3 source for a graph: the Sequential API for a chain of layers, the functional API where
it branches, a ``layers.Layer`` subclass for each named block; channels last, with each line's
shape in that layout.

Example:
    >>> from dlstudio.graph import examples
    >>> 'keras.Sequential(' in keras_code(examples.load("mlp"))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dlstudio.graph.frameworks.common import NoCounterpart, call, literal
from dlstudio.graph.frameworks.keras_layers import Piece, keras_piece
from dlstudio.graph.frameworks.lines import comment_lines, names_used, statement
from dlstudio.graph.frameworks.program import Program, Step, Value
from dlstudio.graph.frameworks.support import support_classes
from dlstudio.graph.frameworks.variables import variables
from dlstudio.graph.namespace import to_identifier

if TYPE_CHECKING:
    from dlstudio.graph.graph import Graph

INDENT = "    "


def shape_comment(shape: tuple[int | None, ...]) -> str:
    """``(N, 28, 28, 6)``: the text of a line's shape comment."""
    sizes = ["N" if size is None else str(size) for size in shape]
    return f"({', '.join(sizes)})"


@dataclass
class KerasCode:
    """The source, and the sentences of the layers it could not write (empty: it builds)."""

    source: str
    missing: list[str] = field(default_factory=list)
    function: str = "build_net"


def keras_code(graph: Graph, class_name: str = "Net") -> str:
    """The Keras 3 source of ``graph`` (see ``KerasCode`` for what it could not write)."""
    return write_keras(graph, class_name).source


def write_keras(graph: Graph, class_name: str = "Net") -> KerasCode:
    program = Program.of(graph)
    missing: list[str] = []
    blocks = [*support_classes(program, "keras"), *_block_classes(program, missing)]
    function = f"build_{to_identifier(class_name, 'net')}"
    if program.is_chain() and not _has_expressions(program):
        body = _sequential(program, class_name, missing)
    else:
        body = _functional(program, class_name, missing)
    note = (
        f"\nIt does not build as it is: {len(missing)} layer(s) have no counterpart in Keras (the "
        "comments\nsay what to write instead).\n"
        if missing
        else ""
    )
    code = [*blocks, "", "", f"def {function}() -> keras.Model:", *body]
    used = names_used("\n".join(code))
    header = [
        f'"""{class_name} in Keras 3, written by dlstudio from the graph of the PyTorch code.',
        "",
        "Channels last: images are (N, H, W, C), as Keras expects; the comments give each",
        f"layer's output shape in that layout.{note}",
        '"""',
        "",
        *(["import keras"] if "keras" in used else []),
        *(["from keras import layers"] if "layers" in used else []),
    ]
    lines = [*header, *code]
    return KerasCode("\n".join(lines).rstrip() + "\n", missing, function)


def _sequential(program: Program, class_name: str, missing: list[str]) -> list[str]:
    items = []
    inner = 3 * len(INDENT)
    for step in program.steps:
        value = program.values[step.node.id]
        if step.node.op == "Input":
            made = call("keras.Input", shape=value.shape[1:], name=step.label)
            items += statement(inner, "", made, ",")
        elif step.node.op != "Output":
            piece = _piece(step, program, missing)
            if piece is None:
                items += comment_lines(inner, missing[-1])
                continue
            for index, layer in enumerate(piece.layers):
                last = index == len(piece.layers) - 1
                items += statement(
                    inner, "", layer, ",", shape_comment(value.shape) if last else ""
                )
    return [
        f'{INDENT}"""A keras.Sequential model: each layer reads the one before it."""',
        f"{INDENT}return keras.Sequential(",
        f"{INDENT * 2}[",
        *items,
        f"{INDENT * 2}],",
        f"{INDENT * 2}name={literal(class_name)},",
        f"{INDENT})",
    ]


def _functional(program: Program, class_name: str, missing: list[str]) -> list[str]:
    holders = variables(program, "inputs")
    lines = [f'{INDENT}"""A functional keras.Model: layers are called on the values they read."""']
    inputs: list[str] = []
    outputs: list[str] = []
    for step in program.steps:
        value = program.values[step.node.id]
        target = holders[step.node.id]
        if step.node.op == "Input":
            made = call("keras.Input", shape=value.shape[1:], name=step.label)
            lines += statement(len(INDENT), f"{target} = ", made)
            inputs.append(target)
            continue
        if step.node.op == "Output":
            outputs.append(target)
            continue
        sources = [holders[s] for s in step.inputs]
        lines += _statements(step, program, sources, target, missing, "", len(INDENT))
    ins = inputs[0] if len(inputs) == 1 else f"[{', '.join(inputs)}]"
    outs = outputs[0] if len(outputs) == 1 else f"[{', '.join(outputs)}]"
    model = f"keras.Model({ins}, {outs}, name={literal(class_name)})"
    return [*lines, *statement(len(INDENT), "return ", model)]


def _statements(
    step: Step,
    program: Program,
    sources: list[str],
    target: str,
    missing: list[str],
    owner: str,
    indent: int,
) -> list[str]:
    """The lines, at ``indent`` columns, that compute ``step`` into ``target``; ``owner`` is
    ``self.`` inside a block."""
    value = program.values[step.node.id]
    comment = shape_comment(value.shape)
    head = f"{target} = "
    if step.block is not None:
        layer = f"self.{step.name}" if owner else call(step.block_class, name=step.label)
        return statement(indent, head, f"{layer}({', '.join(sources)})", comment=comment)
    piece = _piece(step, program, missing)
    if piece is None:
        return comment_lines(indent, missing[-1])
    if piece.expression is not None:
        second = sources[1] if len(sources) > 1 else sources[0]
        expression = piece.expression.format(x=sources[0], y=second)
        return statement(indent, head, expression, comment=comment)
    argument = f"[{', '.join(sources)}]" if piece.merge else sources[0]
    if piece.arguments is not None:
        argument = piece.arguments.format(x=sources[0])
    lines = []
    for index, layer in enumerate(piece.layers):
        made = f"self.{_attribute(step, layer)}" if owner else layer
        last = index == len(piece.layers) - 1
        lines += statement(indent, head, f"{made}({argument})", comment=comment if last else "")
        argument = target
    return lines


def _attribute(step: Step, layer: str) -> str:
    """The attribute a block holds ``layer`` in: the step's name, with the suffix of the
    layer's own name when it is a part (``conv1_pad`` for the padding before ``conv1``)."""
    suffix = layer.rpartition(f'name="{step.label}')[2]
    return step.name + suffix.removesuffix('")')


def _piece(step: Step, program: Program, missing: list[str]) -> Piece | None:
    source = program.values[step.inputs[0]] if step.inputs else Value((), ())
    try:
        return keras_piece(step, source, program.values[step.node.id])
    except NoCounterpart as error:
        missing.append(str(error))
        return None


def _has_expressions(program: Program) -> bool:
    """Whether a layer is written as an expression on its input (indexing) or called on more
    than its input (self-attention), which only the functional API can hold."""
    pieces = (
        _piece(step, program, [])
        for step in program.steps
        if step.node.op not in ("Input", "Output")
    )
    return any(
        piece is not None and (piece.expression is not None or piece.arguments is not None)
        for piece in pieces
    )


def _block_classes(program: Program, missing: list[str]) -> list[str]:
    """One ``layers.Layer`` subclass per named block, written from its first use."""
    written: dict[str, Program] = {}
    _collect(program, written)
    lines: list[str] = []
    for name, block in written.items():
        lines += ["", "", *_block_class(name, block, missing)]
    return lines


def _collect(program: Program, written: dict[str, Program]) -> None:
    for step in program.steps:
        if step.block is not None and step.block_class not in written:
            _collect(step.block, written)
            written[step.block_class] = step.block


def _block_class(name: str, block: Program, missing: list[str]) -> list[str]:
    holders = variables(block, "x")
    inputs = [holders[i] for i in block.inputs]
    constructors = []
    body = []
    for step in block.steps:
        if step.node.op in ("Input", "Output"):
            continue
        if step.block is not None:
            made = call(step.block_class, name=step.label)
            constructors += statement(2 * len(INDENT), f"self.{step.name} = ", made)
        else:
            piece = _piece(step, block, [])
            if piece is not None:
                for layer in piece.layers:
                    attribute = f"self.{_attribute(step, layer)} = "
                    constructors += statement(2 * len(INDENT), attribute, layer)
        sources = [holders[s] for s in step.inputs]
        target = holders[step.node.id]
        body += _statements(step, block, sources, target, missing, "self.", 2 * len(INDENT))
    result = holders[block.outputs[0]] if block.outputs else inputs[0]
    return [
        f"class {name}(layers.Layer):",
        f'{INDENT}"""The block {name}: its layers are made once, then called in ``call``."""',
        "",
        f"{INDENT}def __init__(self, **kwargs):",
        f"{INDENT * 2}super().__init__(**kwargs)",
        *constructors,
        "",
        f"{INDENT}def call({', '.join(['self', *inputs])}):",
        *body,
        f"{INDENT * 2}return {result}",
    ]
