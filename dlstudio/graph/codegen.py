"""PyTorch source from an analysed graph: one nn.Module that reads like hand-written code.

Every identifier comes from a Namespace and every argument is a checked literal written with
``repr``, so nothing the user typed reaches the source as code.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from dlstudio.graph import layers
from dlstudio.graph.analysis import Analysis
from dlstudio.graph.document import Node
from dlstudio.graph.namespace import Namespace, to_identifier
from dlstudio.graph.tensors import format_shape

MIN_SEQUENTIAL = 3
"""Chains at least this long become one nn.Sequential (features / classifier / layers)."""

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


def torch_default(op: str, name: str) -> Any:
    """The default torch's constructor uses for an argument (``_NO_DEFAULT`` if required)."""
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
    if isinstance(value, tuple):
        return repr(tuple(value))
    return repr(value)


def constructor(node_op: str, params: dict[str, Any]) -> str:
    """``nn.Conv2d(1, 6, 5, padding=2)`` for a node's resolved parameters."""
    spec = layers.get(node_op)
    assert spec is not None and spec.torch is not None
    args = [_literal(params[name]) for name in spec.positional]
    for param in spec.params:
        if not param.torch_arg or param.name in spec.positional:
            continue
        value = params[param.name]
        default = torch_default(node_op, param.name)
        if default is _NO_DEFAULT or value != default:
            args.append(f"{param.name}={_literal(value)}")
    args += [f"{name}={_literal(value)}" for name, value in spec.fixed]
    return f"{spec.torch}({', '.join(args)})"


@dataclass
class Generated:
    """Source code plus where each node's module lives in the built model."""

    source: str
    class_name: str
    module_names: dict[str, str] = field(default_factory=dict)


class CodeWriter:
    """Writes __init__ and forward for one analysed graph."""

    def __init__(
        self,
        nodes: list[Node],
        analysis: Analysis,
        class_name: str,
        sequential: bool,
        is_block: bool = False,
    ):
        self.sequential = sequential
        self.is_block = is_block
        self.block_classes: dict[str, str] = {}
        self.class_text = ""
        self.nodes = {node.id: node for node in nodes}
        self.document_order = [node.id for node in nodes]
        self.analysis = analysis
        self.class_name = class_name
        self.attributes = Namespace("attribute")
        self.locals = Namespace("local")
        self.consumers: dict[str, list[str]] = {node_id: [] for node_id in analysis.order}
        for node_id in analysis.order:
            for source in analysis.inputs[node_id]:
                self.consumers[source].append(node_id)  # type: ignore[index]
        self.position = {node_id: i for i, node_id in enumerate(analysis.order)}
        self.groups = self._find_chains() if sequential else {}
        self.init_lines: list[str] = []
        self.forward_lines: list[str] = []
        self.module_names: dict[str, str] = {}

    # -- structure ----------------------------------------------------------------------

    def _is_module(self, node_id: str) -> bool:
        spec = layers.get(self.nodes[node_id].op)
        return spec is not None and spec.emit == "module"

    def _find_chains(self) -> dict[str, list[str]]:
        """Maximal runs of single-in/single-out modules, keyed by their first node."""
        chains: dict[str, list[str]] = {}
        claimed: set[str] = set()
        for node_id in self.analysis.order:
            if node_id in claimed or not self._is_module(node_id):
                continue
            chain = [node_id]
            while True:
                tail = chain[-1]
                following = self.consumers[tail]
                if len(following) != 1:
                    break
                successor = following[0]
                if not self._is_module(successor) or len(self.analysis.inputs[successor]) != 1:
                    break
                if self.nodes[successor].op == "Flatten":
                    break  # a Flatten starts the classifier part, as in torchvision's models
                chain.append(successor)
            claimed.update(chain)
            if len(chain) >= MIN_SEQUENTIAL and self._group_name(chain):
                chains[node_id] = chain
        return chains

    def _group_name(self, chain: list[str]) -> str | None:
        ops = [self.nodes[node_id].op for node_id in chain]
        source = self.analysis.inputs[chain[0]][0]
        after_input = source is not None and self.nodes[source].op == "Input"
        ends_at_output = any(self.nodes[c].op == "Output" for c in self.consumers[chain[-1]])
        if any(op.startswith(("Conv", "MaxPool", "AvgPool")) for op in ops):
            return "features" if after_input else None
        if ops[0] == "Flatten" or (ends_at_output and "Linear" in ops and not after_input):
            return "classifier"
        return "layers" if after_input else None

    # -- writing --------------------------------------------------------------------------

    def write(self) -> Generated:
        value_names: dict[str, str] = {}
        holder: list[str | None] = [None]  # which node's value the variable x currently holds
        args = self._inputs(value_names, holder)
        outputs: list[str] = []
        grouped_inside = {n for chain in self.groups.values() for n in chain[1:]}
        for node_id in self.analysis.order:
            node = self.nodes[node_id]
            if node.op == "Input" or node_id in grouped_inside:
                continue
            if node.op == "Output":
                outputs.append(node_id)
                continue
            last = self.groups[node_id][-1] if node_id in self.groups else node_id
            inputs = [value_names[s] for s in self.analysis.inputs[node_id]]  # type: ignore[index]
            target = self._target(last, holder, value_names)
            self._emit(node_id, inputs, target)
            value_names[last] = target
        returned = [value_names[self.analysis.inputs[o][0]] for o in self._output_order(outputs)]
        self.forward_lines.append("return " + ", ".join(returned))
        self.class_text = self._class_text(args)
        return Generated(self._assemble(args), self.class_name, self.module_names)

    def _output_order(self, outputs: list[str]) -> list[str]:
        return sorted(outputs, key=self.document_order.index)

    def _inputs(self, value_names: dict[str, str], holder: list[str | None]) -> list[str]:
        inputs = [nid for nid in self.document_order if self.nodes[nid].op == "Input"]
        inputs = [nid for nid in inputs if nid in self.analysis.specs]
        args = []
        for node_id in inputs:
            node = self.nodes[node_id]
            if len(inputs) == 1:
                name = "x"
                self.locals.reserve("x")
                holder[0] = node_id
            else:
                name = self.locals.create(node.label or node.id, "inputs")
            value_names[node_id] = name
            spec = self.analysis.specs[node_id]
            kind = " token ids (long)" if spec.dtype == "long" else ""
            self.forward_lines.append(f"# {name}: {format_shape(spec.shape)}{kind}")
            args.append(name)
        return args

    def _target(self, node_id: str, holder: list[str | None], value_names: dict[str, str]) -> str:
        """Reuse ``x`` while its current value is no longer needed; name kept values."""
        position = self.position
        current = holder[0]
        needed_later = current is not None and any(
            position[consumer] > position[node_id] for consumer in self.consumers.get(current, ())
        )
        fans_out = len(self.consumers[node_id]) > 1
        if not needed_later and not fans_out:
            if current is None:
                self.locals.reserve("x")
            holder[0] = node_id
            return "x"
        node = self.nodes[node_id]
        return self.locals.create(node.label or node.id, node.op.lower())

    def _attribute(self, node_id: str) -> str:
        node = self.nodes[node_id]
        return self.attributes.create(node.label or node.id, node.op.lower())

    def _emit(self, node_id: str, inputs: list[str], target: str) -> None:
        if node_id in self.groups:
            self._emit_sequential(self.groups[node_id], inputs[0], target)
            return
        if node_id in self.analysis.blocks:
            self._emit_block(node_id, inputs, target)
            return
        node = self.nodes[node_id]
        spec = layers.get(node.op)
        assert spec is not None
        params = self.analysis.params[node_id]
        shape = format_shape(self.analysis.specs[node_id].shape)
        if spec.torch is not None:
            attribute = self._attribute(node_id)
            self.module_names[node_id] = attribute
            self.init_lines.append(f"self.{attribute} = {constructor(node.op, params)}")
            call = f"self.{attribute}"
        writer = _FORWARD_WRITERS[spec.emit]
        lines = writer(call if spec.torch else "", inputs, target, params)
        if len(lines) > 1:  # an RNN keeping only its last step: show the sequence it returned
            source = self.analysis.specs[self.analysis.inputs[node_id][0]]  # type: ignore[index]
            steps = (*source.shape[:2], self.analysis.specs[node_id].shape[-1])
            lines[0] += f"  # {format_shape(steps)}"
        lines[-1] += f"  # {shape}"
        self.forward_lines.extend(lines)

    def _emit_sequential(self, chain: list[str], source: str, target: str) -> None:
        name = self.attributes.create(self._group_name(chain) or "layers")
        self.init_lines.append(f"self.{name} = nn.Sequential(")
        for index, node_id in enumerate(chain):
            node = self.nodes[node_id]
            shape = format_shape(self.analysis.specs[node_id].shape)
            label = to_identifier(node.label or node.id, node.op.lower())
            ctor = constructor(node.op, self.analysis.params[node_id])
            self.init_lines.append(f"    {ctor},  # {label}: {shape}")
            self.module_names[node_id] = f"{name}.{index}"
        self.init_lines.append(")")
        shape = format_shape(self.analysis.specs[chain[-1]].shape)
        self.forward_lines.append(f"{target} = self.{name}({source})  # {shape}")

    def _assemble(self, args: list[str]) -> str:
        header = ["import torch", "from torch import nn", *self._custom_imports(), ""]
        classes = [*self.block_classes.values(), self._class_text(args)]
        return "\n".join(header) + "".join(f"\n\n{text}" for text in classes)

    def _custom_imports(self) -> list[str]:
        """``from mypackage.layers import Scale`` for each registered custom layer in use."""
        lines = set()
        for node in self.nodes.values():
            spec = layers.get(node.op)
            if spec is not None and spec.module_class is not None:
                cls = spec.module_class
                lines.add(f"from {cls.__module__} import {cls.__name__}")
        return sorted(lines)

    def _class_text(self, args: list[str]) -> str:
        count = self.analysis.param_count
        what = "block" if self.is_block else "graph"
        body = [
            f"class {self.class_name}(nn.Module):",
            f'    """Generated by dlstudio from a {what} of {len(self.analysis.order)} nodes, '
            f'{count:,} parameters."""',
            "",
            "    def __init__(self):",
            "        super().__init__()",
        ]
        body += [f"        {line}" for line in self.init_lines]
        body += ["", f"    def forward(self, {', '.join(args)}):"]
        body += [f"        {line}" for line in self.forward_lines]
        return "\n".join(body) + "\n"

    def _emit_block(self, node_id: str, inputs: list[str], target: str) -> None:
        """``self.block1 = ResBlock()``; one class per distinct block body."""
        use = self.analysis.blocks[node_id]
        class_name = use.block
        suffix = 2
        while True:
            inner = CodeWriter(use.nodes, use.analysis, class_name, self.sequential, True)
            generated = inner.write()
            text = inner.class_text
            known = self.block_classes.get(class_name)
            if known is None or known == text:
                break
            class_name = f"{use.block}{suffix}"
            suffix += 1
        self.block_classes[class_name] = text
        attribute = self._attribute(node_id)
        self.module_names[node_id] = attribute
        for inner_id, inner_name in generated.module_names.items():
            self.module_names[f"{node_id}/{inner_id}"] = f"{attribute}.{inner_name}"
        self.init_lines.append(f"self.{attribute} = {class_name}()")
        shape = format_shape(self.analysis.specs[node_id].shape)
        self.forward_lines.append(f"{target} = self.{attribute}({', '.join(inputs)})  # {shape}")


def _module_call(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
    return [f"{target} = {call}({', '.join(inputs)})"]


def _recurrent(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
    lines = [f"{target}, _ = {call}({inputs[0]})"]
    if params["output"] == "last":
        lines.append(f"{target} = {target}[:, -1]")
    return lines


def _attention(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
    x = inputs[0]
    return [f"{target}, _ = {call}({x}, {x}, {x}, need_weights=False)"]


def _operator(symbol: str):
    def write(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
        return [f"{target} = {f' {symbol} '.join(inputs)}"]

    return write


def _concat(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
    return [f"{target} = torch.cat([{', '.join(inputs)}], dim={params['dim']!r})"]


def _reshape(call: str, inputs: list[str], target: str, params: dict) -> list[str]:
    sizes = ", ".join(repr(size) for size in params["shape"])
    return [f"{target} = {inputs[0]}.reshape({inputs[0]}.size(0), {sizes})"]


_FORWARD_WRITERS = {
    "module": _module_call,
    "recurrent": _recurrent,
    "attention": _attention,
    "add": _operator("+"),
    "multiply": _operator("*"),
    "concat": _concat,
    "reshape": _reshape,
}


def generate(nodes: list[Node], analysis: Analysis, class_name: str, sequential: bool) -> Generated:
    """Write the module for an analysed graph that has no problems."""
    return CodeWriter(nodes, analysis, class_name, sequential).write()
