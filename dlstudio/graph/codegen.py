"""PyTorch source from an analysed graph: one nn.Module that reads like hand-written code.

Every identifier comes from a Namespace and every argument is a checked literal, so nothing the
user typed reaches the source as code. Which nodes share an attribute is decided in
``codegen_plan``; how long statements wrap, in ``codegen_layout``.

Example:
    >>> from dlstudio.graph import examples
    >>> print(examples.load("lstm_classifier").to_code("Classifier"))  # doctest: +ELLIPSIS
    from torch import nn
    <BLANKLINE>
    <BLANKLINE>
    class Classifier(nn.Module):
    ...
            x, _ = self.lstm(x)  # (N, 20, 64)
            x = x[:, -1]  # (N, 64)
            x = self.fc(x)  # (N, 2)
            return x
    <BLANKLINE>
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from dlstudio.graph import builtin_ops, layers, pretrained
from dlstudio.graph.analysis import Analysis
from dlstudio.graph.codegen_layout import INDENT, Brackets, Expr, attribute_path, flat, statement
from dlstudio.graph.codegen_plan import (
    MIN_SEQUENTIAL,
    STACKED_OP,
    Step,
    Wiring,
    generic_names,
    instance_names,
    member_kind,
    plan,
)
from dlstudio.graph.document import Node
from dlstudio.graph.layer_spec import LayerSpec
from dlstudio.graph.namespace import Namespace, to_identifier
from dlstudio.graph.tensors import format_shape

__all__ = ["MIN_SEQUENTIAL", "Generated", "constructor", "generate", "torch_default"]

NAME_LENGTH = 32
"""Longest identifier taken from a label, so that every statement's first line fits."""

BODY = 2 * len(INDENT)
"""Columns before a statement inside a method."""

_TORCH_CALL = re.compile(r"(?<![\w.])torch\.")

RUNNING = ("x", "out")
"""Variables reused along the main path: ``x`` as in torch's examples, ``out`` beside it."""

_NO_DEFAULT = object()
# Constructors whose signature is *args/**kwargs, or whose default is not a literal.
_TORCH_DEFAULTS: dict[str, dict[str, Any]] = {
    name: {
        "num_layers": 1,
        "bias": True,
        "dropout": 0.0,
        "bidirectional": False,
        "nonlinearity": "tanh",
    }
    for name in ("RNN", "LSTM", "GRU")
}
_TORCH_DEFAULTS["TransformerEncoderLayer"] = {"activation": "relu"}
_TORCH_DEFAULTS["TransformerDecoderLayer"] = {"activation": "relu"}


def torch_default(op: str, name: str) -> Any:
    """The default torch's constructor uses for an argument (``_NO_DEFAULT`` if required).

    Example:
        >>> torch_default("Conv2d", "stride"), torch_default("LSTM", "num_layers")
        (1, 1)
    """
    if name in _TORCH_DEFAULTS.get(op, {}):
        return _TORCH_DEFAULTS[op][name]
    spec = layers.get(op)
    target = spec.module_class if spec and spec.module_class else getattr(nn, op)
    return _signature_default(target, name)


@functools.cache
def _signature_default(target: type, name: str) -> Any:
    parameter = inspect.signature(target).parameters.get(name)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return _NO_DEFAULT
    return parameter.default


def _literal(value: Any) -> str:
    """A checked value as the formatter writes it: double quotes, ``1e16`` not ``1e+16``."""
    if type(value) is int or value is None or type(value) is bool:
        return repr(value)
    if isinstance(value, str) and value.isprintable() and not set(value) & {'"', "\\"}:
        return f'"{value}"'
    if isinstance(value, float):
        return repr(value).replace("e+", "e")
    if isinstance(value, tuple | list):
        items = [_literal(item) for item in value]
        if isinstance(value, list):
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)


# Each spec's keyword arguments and torch's defaults for them, looked up once: the editor asks
# for the code of a 1,000-node graph after every edit. Holding the spec keeps its id unique.
_KEYWORDS: dict[int, tuple[LayerSpec, tuple[tuple[str, Any], ...]]] = {}


def _keywords(spec: LayerSpec) -> tuple[tuple[str, Any], ...]:
    known = _KEYWORDS.get(id(spec))
    if known is None:
        names = [p.name for p in spec.params if p.torch_arg and p.name not in spec.positional]
        known = _KEYWORDS[id(spec)] = (spec, tuple((n, torch_default(spec.name, n)) for n in names))
    return known[1]


def constructor_call(node_op: str, params: dict[str, Any]) -> Brackets:
    """The constructor call for a node's resolved parameters, ready for ``layout``."""
    spec = layers.get(node_op)
    assert spec is not None and spec.torch is not None
    args = [_literal(params[name]) for name in spec.positional]
    for name, default in _keywords(spec):
        value = params[name]
        if default is _NO_DEFAULT or value != default:
            args.append(f"{name}={_literal(value)}")
    args += [f"{name}={_literal(value)}" for name, value in spec.fixed]
    return Brackets(f"{spec.torch}(", tuple(args))


def constructor(node_op: str, params: dict[str, Any]) -> str:
    """``nn.Conv2d(1, 6, 5, padding=2)`` for a node's resolved parameters.

    Example:
        >>> constructor("Linear", {"in_features": 4, "out_features": 2, "bias": False})
        'nn.Linear(4, 2, bias=False)'
    """
    return flat(constructor_call(node_op, params))


def _stack_call(layer: str, params: dict[str, Any], count: int) -> Brackets:
    """``nn.TransformerEncoder(layer, num_layers=2)``, quiet where nested tensors cannot help."""
    args = [layer, f"num_layers={count}"]
    # torch warns at construction when its nested-tensor fast path cannot apply to the layer.
    if params["norm_first"] or not params["bias"] or params["nhead"] % 2:
        args.append("enable_nested_tensor=False")
    return Brackets("nn.TransformerEncoder(", tuple(args))


@dataclass
class Generated:
    """Source code plus where each node's module lives in the built model."""

    source: str
    class_name: str
    module_names: dict[str, str] = field(default_factory=dict)


class Values:
    """Which variable holds each node's output while ``forward`` runs.

    The main path reuses ``x`` (and ``out`` while ``x`` is still needed, as in torchvision's
    BasicBlock); a value read by several layers gets a name of its own.
    """

    def __init__(self, wiring: Wiring, steps: list[Step]):
        self.wiring = wiring
        # The last step that reads each value; a returned value is read after every step.
        self.last_read: dict[str, int] = {}
        for index, step in enumerate(steps):
            for node in step.nodes:
                for source in wiring.inputs[node]:
                    self.last_read[source] = index
        for node, op in wiring.ops.items():
            if op == "Output":
                for source in wiring.inputs.get(node, ()):
                    self.last_read[source] = len(steps)
        self.names = Namespace("local", NAME_LENGTH)
        for name in RUNNING:
            self.names.reserve(name)
        self.holding: dict[str, str | None] = dict.fromkeys(RUNNING)
        self.of: dict[str, str] = {}

    def argument(self, node_id: str, name: str) -> None:
        self.of[node_id] = name
        if name in self.holding:
            self.holding[name] = node_id

    def _take(self, name: str, index: int, produced: str) -> bool:
        """Let step ``index`` write ``produced`` into running variable ``name`` if it is free."""
        held = self.holding.get(name, produced)
        if held == produced or (held is not None and self.last_read.get(held, -1) > index):
            return False
        self.holding[name] = produced
        self.of[produced] = name
        return True

    def assign(self, index: int, step: Step, hint: Callable[[], str]) -> str:
        """The variable that receives ``step``'s output (its inputs are already read)."""
        produced = step.last
        if len(self.wiring.consumers[produced]) == 1:
            # Stay on the variable the main input came in, so `out = out + x` keeps `out`.
            sources = self.wiring.inputs[step.first]
            if sources and self._take(self.of[sources[0]], index, produced):
                return self.of[produced]
            if any(self._take(name, index, produced) for name in RUNNING):
                return self.of[produced]
        self.of[produced] = self.names.create(hint(), "value")
        return self.of[produced]


class CodeWriter:
    """Writes one nn.Module class (and the classes of the blocks it uses) for an analysed graph."""

    def __init__(
        self,
        nodes: list[Node],
        analysis: Analysis,
        class_name: str,
        sequential: bool,
        is_block: bool = False,
        classes: dict[str, str] | None = None,
    ):
        self.wiring = Wiring(nodes, analysis)
        self.analysis = analysis
        self.class_name = class_name
        self.sequential = sequential
        self.is_block = is_block
        self.classes = {} if classes is None else classes
        """Block classes written so far, by class name (shared with the blocks' writers)."""
        self.steps = plan(self.wiring, grouping=sequential, chains=sequential and not is_block)
        self.values = Values(self.wiring, self.steps)
        self.attributes = self._name_attributes()
        self.init_locals = Namespace("local", NAME_LENGTH)
        self.init_lines: list[str] = []
        self.forward_lines: list[str] = []
        self.train_lines: list[str] = []
        self.module_names: dict[str, str] = {}
        self.class_text = ""

    def _has_module(self, step: Step) -> bool:
        if step.kind != "node":
            return True
        op = self.wiring.ops[step.first]
        spec = layers.get(op)
        return spec is None or spec.torch is not None or op == "Parameter"  # None: a block

    def _name_attributes(self) -> list[str | None]:
        """Each step's attribute name, None for a functional step (``x + y``)."""
        owners = [step for step in self.steps if self._has_module(step)]
        names = Namespace("attribute", NAME_LENGTH)
        naming = generic_names if self.is_block else instance_names
        chosen = naming(self.wiring, owners, names)
        return [chosen.get(step) for step in self.steps]

    def _value_hint(self, index: int) -> str:
        """What a kept value is called: its attribute's name, or what the node is."""
        attribute = self.attributes[index]
        if attribute is not None:
            return attribute
        node = self.wiring.nodes[self.steps[index].first]
        kind = member_kind(node.op)
        return kind if self.is_block else (node.label or node.id or kind)

    # -- writing --------------------------------------------------------------------------

    def write(self) -> Generated:
        args = self._arguments()
        for index, step in enumerate(self.steps):
            self._write_step(index, step)
        self._write_return()
        self._write_freezing()
        self.class_text = self._class_text(args)
        return Generated(self._assemble(), self.class_name, self.module_names)

    def _arguments(self) -> list[str]:
        wiring = self.wiring
        inputs = [n for n in wiring.document_order if wiring.ops[n] == "Input"]
        inputs = [n for n in inputs if n in self.analysis.specs]
        args = []
        for node_id in inputs:
            node = wiring.nodes[node_id]
            single = len(inputs) == 1
            name = "x" if single else self.values.names.create(node.label or node.id, "inputs")
            self.values.argument(node_id, name)
            spec = self.analysis.specs[node_id]
            kind = " token ids (long)" if spec.dtype == "long" else ""
            self.forward_lines.append(f"{' ' * BODY}# {name}: {format_shape(spec.shape)}{kind}")
            args.append(name)
        return args

    def _write_step(self, index: int, step: Step) -> None:
        sources = [self.values.of[s] for s in self.wiring.inputs[step.first]]
        attribute = self.attributes[index]
        if attribute is not None:
            self._write_init(step, attribute)
        target = self.values.assign(index, step, lambda: self._value_hint(index))
        emit = self.wiring.emits[step.first] if step.kind == "node" else "module"
        call = f"self.{attribute}" if attribute is not None else ""
        params = self.analysis.params[step.first]
        lines = _FORWARD_WRITERS.get(emit, _module_call)(call, sources, target, params)
        comments = self._shape_comments(step, len(lines))
        for (head, expr), comment in zip(lines, comments, strict=True):
            self.forward_lines += statement(BODY, head, expr, comment=comment)

    def _shape_comments(self, step: Step, count: int) -> list[str]:
        """The output shape on the last line; an RNN that keeps only its last step returned
        a whole sequence on the line before, and that shape is worth seeing too."""
        comments = [""] * count
        comments[-1] = format_shape(self.analysis.specs[step.last].shape)
        if count > 1:
            source = self.analysis.specs[self.wiring.inputs[step.first][0]]
            sequence = (*source.shape[:2], self.analysis.specs[step.last].shape[-1])
            comments[0] = format_shape(sequence)
        return comments

    def _write_return(self) -> None:
        outputs = [n for n in self.wiring.document_order if self.wiring.ops[n] == "Output"]
        outputs = [n for n in outputs if n in self.analysis.inputs]
        returned = tuple(self.values.of[self.wiring.inputs[o][0]] for o in outputs)
        value = returned[0] if len(returned) == 1 else Brackets("(", returned, bare=True, hug=False)
        self.forward_lines += statement(BODY, "return ", value)

    # -- __init__ ---------------------------------------------------------------------------

    def _write_init(self, step: Step, attribute: str) -> None:
        if step.kind == "sequential":
            self._init_sequential(step, attribute)
        elif step.kind == "stack":
            self._init_stack(step, attribute)
        elif step.first in self.analysis.blocks:
            self._init_block(step.first, attribute)
        elif self.wiring.ops[step.first] == "Pretrained":
            params = self.analysis.params[step.first]
            for head, expr, comment in pretrained.init_statements(attribute, params):
                self.init_lines += statement(BODY, head, expr, comment=comment)
            self.module_names[step.first] = attribute
        elif self.wiring.ops[step.first] == "Parameter":
            sizes = ", ".join(map(str, self.analysis.params[step.first]["shape"]))
            zeros = Brackets("nn.Parameter(", (f"torch.zeros({sizes})",))
            self.init_lines += statement(BODY, f"self.{attribute} = ", zeros)
            self.module_names[step.first] = attribute
        else:
            node_id = step.first
            call = constructor_call(self.wiring.ops[node_id], self.analysis.params[node_id])
            self.init_lines += statement(BODY, f"self.{attribute} = ", call)
            self.module_names[node_id] = attribute

    def _init_sequential(self, step: Step, attribute: str) -> None:
        self.init_lines.append(f"{' ' * BODY}self.{attribute} = nn.Sequential(")
        for index, node_id in enumerate(step.nodes):
            node = self.wiring.nodes[node_id]
            shape = format_shape(self.analysis.specs[node_id].shape)
            label = to_identifier(node.label or node.id, member_kind(node.op))
            call = constructor_call(node.op, self.analysis.params[node_id])
            self.init_lines += statement(BODY + 4, "", call, ",", f"{label}: {shape}")
            self.module_names[node_id] = f"{attribute}.{index}"
        self.init_lines.append(f"{' ' * BODY})")

    def _init_stack(self, step: Step, attribute: str) -> None:
        """``nn.TransformerEncoder(layer, num_layers=N)``, as torch's own documentation writes."""
        params = self.analysis.params[step.first]
        layer = self.init_locals.create(f"{attribute}_layer")
        self.init_lines += statement(BODY, f"{layer} = ", constructor_call(STACKED_OP, params))
        stack = _stack_call(layer, params, len(step.nodes))
        self.init_lines += statement(BODY, f"self.{attribute} = ", stack)
        for index, node_id in enumerate(step.nodes):
            self.module_names[node_id] = f"{attribute}.layers.{index}"

    def _init_block(self, node_id: str, attribute: str) -> None:
        """``self.block1 = ResBlock()``; one class per distinct block body."""
        use = self.analysis.blocks[node_id]
        suffix = 1
        while True:
            class_name = numbered_name(use.block, suffix)
            inner = CodeWriter(
                use.nodes, use.analysis, class_name, self.sequential, True, self.classes
            )
            generated = inner.write()
            known = self.classes.get(class_name)
            if known is None or known == inner.class_text:
                break
            suffix += 1
        self.classes[class_name] = inner.class_text
        self.module_names[node_id] = attribute
        for inner_id, inner_name in generated.module_names.items():
            self.module_names[f"{node_id}/{inner_id}"] = f"{attribute}.{inner_name}"
        self.init_lines.append(f"{' ' * BODY}self.{attribute} = {class_name}()")

    def _frozen(self, node_id: str) -> bool:
        if self.wiring.nodes[node_id].frozen:
            return True
        params = self.analysis.params.get(node_id, {})
        return self.wiring.ops[node_id] == "Pretrained" and not params.get("trainable", True)

    def _write_freezing(self) -> None:
        """Frozen nodes: no gradients, and (in ``train()``) run as in evaluation, so that a
        frozen BatchNorm keeps the statistics it came with."""
        frozen = [
            n for n in self.wiring.document_order if self._frozen(n) and n in self.module_names
        ]
        if not frozen:
            return
        places = {n: attribute_path(self.module_names[n]) for n in frozen}
        self.init_lines += _for_each(
            list(places.values()), "requires_grad_(False)", "frozen: not trained"
        )
        # A Parameter has no mode; only modules are kept in evaluation.
        modules = [place for n, place in places.items() if self.wiring.ops[n] != "Parameter"]
        if modules:
            self.train_lines = [
                f"{INDENT}def train(self, mode=True):",
                f"{' ' * BODY}super().train(mode)",
                *_for_each(modules, "eval()", "frozen: BatchNorm keeps its statistics"),
                f"{' ' * BODY}return self",
            ]

    # -- assembling -------------------------------------------------------------------------

    def _class_text(self, args: list[str]) -> str:
        count = self.analysis.param_count
        what = "block" if self.is_block else "graph"
        signature = Brackets("(", ("self", *args))
        body = [
            f"class {self.class_name}(nn.Module):",
            f'    """Generated by dlstudio from a {what} of {len(self.analysis.order)} nodes, '
            f'{count:,} parameters."""',
            "",
            "    def __init__(self):",
            "        super().__init__()",
            *self.init_lines,
            "",
            *statement(len(INDENT), "def forward", signature, ":"),
            *self.forward_lines,
        ]
        if self.train_lines:
            body += ["", *self.train_lines]
        return "\n".join(body) + "\n"

    def _assemble(self) -> str:
        classes = [*self.classes.values(), self.class_text]
        uses_torch = any("torch." in text and _TORCH_CALL.search(text) for text in classes)
        text = "".join(classes)
        header = ["import timm"] if "timm.create_model(" in text else []
        header += ["import torch"] if uses_torch else []
        if "load_file(" in text:
            header.append("from safetensors.torch import load_file")
        header.append("from torch import nn")
        if " = models." in text:
            header.append("from torchvision import models")
        custom = self._custom_imports()
        if custom:  # your own layers are first-party code: a section of their own
            header += ["", *custom]
        return "\n".join(header) + "\n" + "".join(f"\n\n{text}" for text in classes)

    def _custom_imports(self) -> list[str]:
        """``from mypackage.layers import Scale`` for each registered custom layer in use."""
        lines = set()
        for node in self._all_nodes():
            spec = layers.get(node.op)
            if spec is not None and spec.module_class is not None:
                cls = spec.module_class
                lines.add(f"from {cls.__module__} import {cls.__name__}")
        return sorted(lines)

    def _all_nodes(self) -> list[Node]:
        nodes = list(self.wiring.nodes.values())
        for use in self.analysis.blocks.values():
            nodes += use.nodes
        return nodes


def _for_each(places: list[str], call: str, comment: str) -> list[str]:
    """``self.a.eval()`` for one module, a loop over a tuple for several."""
    if len(places) == 1:
        return statement(BODY, "", f"{places[0]}.{call}", comment=comment)
    loop = statement(BODY, "for module in ", Brackets("(", tuple(places)), ":")
    return loop + statement(BODY + len(INDENT), "", f"module.{call}", comment=comment)


def numbered_name(name: str, number: int) -> str:
    """``Dense``, ``Dense2``; ``ResBlock2_2`` rather than ``ResBlock22``."""
    if number == 1:
        return name
    return f"{name}_{number}" if name[-1].isdigit() else f"{name}{number}"


Lines = list[tuple[str, Expr]]
Params = dict[str, Any]
Writer = Callable[[str, list[str], str, Params], Lines]


def _module_call(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    return [(f"{target} = ", Brackets(f"{call}(", tuple(inputs)))]


def _recurrent(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    lines: Lines = [(f"{target}, _ = ", Brackets(f"{call}(", (inputs[0],)))]
    if params["output"] == "last":
        lines.append((f"{target} = ", f"{target}[:, -1]"))
    return lines


def _attention(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    x = inputs[0]
    return [(f"{target}, _ = ", Brackets(f"{call}(", (x, x, x, "need_weights=False")))]


def _operator(symbol: str) -> Writer:
    def write(call: str, inputs: list[str], target: str, params: Params) -> Lines:
        return [(f"{target} = ", Brackets("(", tuple(inputs), operator=f" {symbol} ", bare=True))]

    return write


def _concat(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    tensors = Brackets("[", tuple(inputs), "]")
    return [(f"{target} = ", Brackets("torch.cat(", (tensors, f"dim={params['dim']!r}")))]


def _reshape(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    x = inputs[0]
    sizes = tuple(repr(size) for size in params["shape"])
    return [(f"{target} = ", Brackets(f"{x}.reshape(", (f"{x}.size(0)", *sizes)))]


def _method(name: str, *arguments: Callable[[Params], str]) -> Writer:
    """``x = x.permute(0, 2, 1)``: a tensor method called on the node's input."""

    def write(call: str, inputs: list[str], target: str, params: Params) -> Lines:
        args = tuple(text for argument in arguments if (text := argument(params)))
        return [(f"{target} = ", Brackets(f"{inputs[0]}.{name}(", args))]

    return write


def _dims(name: str) -> Callable[[Params], str]:
    def text(params: Params) -> str:
        dims = params[name]
        return f"dim={_literal(dims[0] if len(dims) == 1 else tuple(dims))}"

    return text


def _index(call: str, inputs: list[str], target: str, params: Params) -> Lines:
    dim = params["dim"]
    item = (
        str(params["index"])
        if params["index"] is not None
        else builtin_ops.slice_text(params["start"], params["stop"], params["step"])
    )
    # A negative dim counts from the end: x[..., 0] says so without knowing the rank.
    prefix = [":"] * dim if dim >= 0 else ["..."]
    suffix = [":"] * (-dim - 1) if dim < 0 else []
    subscript = ", ".join([*prefix, item, *suffix])
    return [(f"{target} = ", f"{inputs[0]}[{subscript}]")]


_FORWARD_WRITERS: dict[str, Writer] = {
    "mean": _method("mean", _dims("dim"), lambda p: "keepdim=True" if p["keepdim"] else ""),
    "permute": _method("permute", lambda p: ", ".join(map(str, p["dims"]))),
    "transpose": _method("transpose", lambda p: f"{p['dim0']}, {p['dim1']}"),
    "matmul": _operator("@"),
    "parameter": lambda call, inputs, target, params: [(f"{target} = ", call)],
    "expand": lambda call, inputs, target, params: [
        (f"{target} = ", f"{inputs[0]}.expand({inputs[1]}.size(0), *{inputs[0]}.shape[1:])")
    ],
    "index": _index,
    "module": _module_call,
    "pretrained": _module_call,
    "recurrent": _recurrent,
    "attention": _attention,
    "add": _operator("+"),
    "multiply": _operator("*"),
    "concat": _concat,
    "reshape": _reshape,
}


def generate(nodes: list[Node], analysis: Analysis, class_name: str, sequential: bool) -> Generated:
    """Write the module for an analysed graph that has no problems.

    Example:
        >>> from dlstudio.graph import examples
        >>> generated = examples.load("transformer_encoder").generate()
        >>> generated.module_names["encoder2"]
        'encoder.layers.1'
    """
    return CodeWriter(nodes, analysis, class_name, sequential).write()
