"""A PyTorch module's weights in the Flax NNX model written from the same graph: kernels in
Flax's layout (``(*kernel, in, out)``, ``(in, out)``), LSTM gates split into Flax's dense layers,
and the first Linear after a Flatten of an image reading its inputs in (H, W, C) order.

Example:
    >>> from dlstudio.graph import examples
    >>> graph = examples.load("lenet5")
    >>> model = to_flax(graph, graph.build())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from torch import nn

from dlstudio.frameworks.keras_weights import (
    _batch_norm,
    _conv,
    _dense,
    _numpy,
    attention_parts,
)
from dlstudio.frameworks.walk import weighted_layers
from dlstudio.graph.frameworks.program import Value
from dlstudio.graph.graph import Graph


def flax_model(graph: Graph, class_name: str = "Net", seed: int = 0) -> Any:
    """The Flax model made by running exactly the source ``flax_code`` shows."""
    from flax import nnx

    from dlstudio.graph.frameworks.flax_code import write_flax

    code = write_flax(graph, class_name)
    if code.missing:
        raise ValueError(" ".join(code.missing))
    namespace: dict[str, Any] = {"__name__": f"dlstudio_flax_{class_name}"}
    # Written by dlstudio from a validated graph, as Graph.build runs the PyTorch source.
    exec(compile(code.source, f"<dlstudio flax {class_name}>", "exec"), namespace)  # noqa: S102
    return namespace[class_name](nnx.Rngs(seed))


def to_flax(graph: Graph, module: nn.Module | None = None, class_name: str = "Net") -> Any:
    """The Flax NNX model of ``graph`` holding ``module``'s weights (``graph.build()``'s fresh
    ones when None), in evaluation mode.

    Example:
        >>> flax_net = to_flax(graph, trainer.model)  # doctest: +SKIP
        >>> flax_net(images_nhwc)  # doctest: +SKIP
    """
    module = graph.build(class_name) if module is None else module
    model = flax_model(graph, class_name)
    for source, names, step, program in weighted_layers(graph, module):
        inp = program.values[step.inputs[0]] if step.inputs else None
        target = model
        for name in names:
            target = getattr(target, name)
        for attribute, array in CONVERT[step.node.op](source, inp).items():
            _set(target, attribute, array)
    model.eval()
    return model


def _set(module: Any, path: str, array: np.ndarray) -> None:
    import jax.numpy as jnp

    *outer, name = path.split(".")
    for part in outer:
        module = getattr(module, part)
    variable = getattr(module, name)
    if tuple(variable.shape) != array.shape:
        raise ValueError(
            f"{path}: Flax holds {tuple(variable.shape)}, PyTorch gives {array.shape}."
        )
    variable[...] = jnp.asarray(array)


def _named(names: tuple[str, ...]) -> Callable[[nn.Module, Value | None], dict[str, np.ndarray]]:
    """Keras's list of arrays (kernel, bias, ...) named as Flax's attributes."""
    keras = {"kernel": _dense, "conv": _conv, "norm": _batch_norm}

    def convert(module: nn.Module, inp: Value | None) -> dict[str, np.ndarray]:
        kind = names[0]
        arrays = keras[kind](module, inp)
        fields = {
            "kernel": ("kernel", "bias"),
            "conv": ("kernel", "bias"),
            "norm": ("scale", "bias", "mean", "var"),
        }[kind]
        return dict(zip(fields, arrays, strict=False))

    return convert


def _layer_norm(module: nn.Module, _inp: Value | None) -> dict[str, np.ndarray]:
    arrays = {"scale": module.weight, "bias": module.bias}
    return {name: _numpy(t) for name, t in arrays.items() if t is not None}


def _embedding(module: nn.Module, _inp: Value | None) -> dict[str, np.ndarray]:
    return {"embedding": _numpy(module.weight)}


def _prelu(module: nn.Module, inp: Value | None) -> dict[str, np.ndarray]:
    from dlstudio.graph.frameworks.flax_layers import prelu_shape

    weight = _numpy(module.weight)
    if weight.size == 1 or inp is None:
        return {"negative_slope": weight.reshape(())}
    return {"negative_slope": weight.reshape(prelu_shape(inp, weight.size))}


def _lstm(module: nn.Module, _inp: Value | None) -> dict[str, np.ndarray]:
    # PyTorch stacks the gates i, f, g, o; Flax's LSTMCell has a dense layer per gate, the
    # input ones without bias, the hidden ones with the sum of PyTorch's two biases.
    w_ih, w_hh = (np.split(_numpy(getattr(module, f"weight_{k}_l0")), 4) for k in ("ih", "hh"))
    bias = np.split(_numpy(module.bias_ih_l0) + _numpy(module.bias_hh_l0), 4)
    out = {}
    for index, gate in enumerate(("i", "f", "g", "o")):
        inner = "if_" if gate == "f" else f"i{gate}"
        out[f"cell.{inner}.kernel"] = w_ih[index].T
        out[f"cell.h{gate}.kernel"] = w_hh[index].T
        out[f"cell.h{gate}.bias"] = bias[index]
    return out


def _gru(module: nn.Module, _inp: Value | None) -> dict[str, np.ndarray]:
    # The code's GRUCell (support.py): PyTorch's gates r, z, n in the same order, both biases.
    return {
        f"cell.dense_{side}.{kind}": array.T if kind == "kernel" else array
        for side, k in (("i", "ih"), ("h", "hh"))
        for kind, array in (
            ("kernel", _numpy(getattr(module, f"weight_{k}_l0"))),
            ("bias", _numpy(getattr(module, f"bias_{k}_l0"))),
        )
    }


def _simple(module: nn.Module, _inp: Value | None) -> dict[str, np.ndarray]:
    return {
        "cell.dense_i.kernel": _numpy(module.weight_ih_l0).T,
        "cell.dense_i.bias": _numpy(module.bias_ih_l0) + _numpy(module.bias_hh_l0),
        "cell.dense_h.kernel": _numpy(module.weight_hh_l0).T,
    }


CONVERT: dict[str, Callable[[nn.Module, Value | None], dict[str, np.ndarray]]] = {
    "Linear": _named(("kernel",)),
    **{f"Conv{kind}{d}d": _named(("conv",)) for kind in ("", "Transpose") for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _named(("norm",)) for d in (1, 2, 3)},
    "LayerNorm": _layer_norm,
    "GroupNorm": _layer_norm,
    **{f"InstanceNorm{d}d": _layer_norm for d in (1, 2, 3)},
    "Embedding": _embedding,
    "PReLU": _prelu,
    "LSTM": _lstm,
    "GRU": _gru,
    "RNN": _simple,
}


def _attention(module: Any, prefix: str = "") -> dict[str, np.ndarray]:
    return {
        f"{prefix}{name}.{kind}": array
        for name, arrays in attention_parts(module)
        for kind, array in zip(("kernel", "bias"), arrays, strict=False)
    }


def _transformer(module: Any, _inp: Value | None) -> dict[str, np.ndarray]:
    """An encoder or decoder layer's arrays (a decoder also has the memory's attention and a
    third norm)."""
    out: dict[str, np.ndarray] = {}
    for name in ("self_attn", "multihead_attn"):
        if hasattr(module, name):
            out |= _attention(getattr(module, name), f"{name}.")
    for name in ("linear1", "linear2"):
        kernel, bias = _dense(getattr(module, name), None)
        out[f"{name}.kernel"], out[f"{name}.bias"] = kernel, bias
    for name in ("norm1", "norm2", "norm3"):
        if hasattr(module, name):
            layer_norm = _layer_norm(getattr(module, name), None)
            out |= {f"{name}.{k}": v for k, v in layer_norm.items()}
    return out


CONVERT["TransformerEncoderLayer"] = _transformer
CONVERT["TransformerDecoderLayer"] = _transformer
CONVERT["MultiheadAttention"] = lambda module, _inp: _attention(module)
