"""A PyTorch module's weights in the Keras model written from the same graph: kernels
transposed to Keras's layout, recurrent gates reordered, and the first Dense after a Flatten of
an image reading its inputs in (H, W, C) order.

Example:
    >>> from dlstudio.graph import examples
    >>> graph = examples.load("lenet5")
    >>> model = to_keras(graph, graph.build())  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from torch import nn

from dlstudio.frameworks.walk import weighted_layers
from dlstudio.graph.frameworks.program import Value
from dlstudio.graph.graph import Graph

# Keras reads its backend once, at its first import; TensorFlow is not a dependency here.
os.environ.setdefault("KERAS_BACKEND", "torch")


def keras_model(graph: Graph, class_name: str = "Net") -> Any:
    """The Keras model made by running exactly the source ``keras_code`` shows."""
    from dlstudio.graph.frameworks.keras_code import write_keras

    code = write_keras(graph, class_name)
    if code.missing:
        raise ValueError(" ".join(code.missing))
    namespace: dict[str, Any] = {"__name__": f"dlstudio_keras_{class_name}"}
    # Written by dlstudio from a validated graph (identifiers from a namespace, numbers and
    # fixed choices as literals), as Graph.build runs the PyTorch source.
    exec(compile(code.source, f"<dlstudio keras {class_name}>", "exec"), namespace)  # noqa: S102
    return namespace[code.function]()


def to_keras(graph: Graph, module: nn.Module | None = None, class_name: str = "Net") -> Any:
    """The Keras model of ``graph`` holding ``module``'s weights (``graph.build()``'s fresh
    ones when None): a model trained in PyTorch, ready for Keras.

    Example:
        >>> keras_net = to_keras(graph, trainer.model)  # doctest: +SKIP
        >>> keras_net.predict(images_nhwc)  # doctest: +SKIP
    """
    module = graph.build(class_name) if module is None else module
    model = keras_model(graph, class_name)
    for source, names, step, program in weighted_layers(graph, module):
        inp = program.values[step.inputs[0]] if step.inputs else None
        layer = _keras_layer(model, names)
        if step.node.op in COMPOSITE:
            for attribute, arrays in COMPOSITE[step.node.op](source).items():
                getattr(layer, attribute).set_weights(arrays)
        else:
            layer.set_weights(CONVERT[step.node.op](source, inp))
    return model


def _keras_layer(model: Any, names: tuple[str, ...]) -> Any:
    """The model's layer ``names[0]``, then attribute by attribute inside blocks."""
    layer = model.get_layer(names[0])
    for name in names[1:]:
        layer = getattr(layer, name)
    return layer


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def _dense(module: nn.Module, inp: Value | None) -> list[np.ndarray]:
    weight = _numpy(module.weight)
    if inp is not None and inp.flat_from is not None:
        channels, *space = inp.flat_from
        weight = weight.reshape(weight.shape[0], channels, *space)
        weight = np.moveaxis(weight, 1, -1).reshape(weight.shape[0], -1)
    return [weight.T, *_bias(module)]


def _bias(module: nn.Module) -> list[np.ndarray]:
    bias = getattr(module, "bias", None)
    return [] if bias is None else [_numpy(bias)]


def _conv(module: nn.Module, _inp: Value | None) -> list[np.ndarray]:
    weight = _numpy(module.weight)  # (out, in / groups, *kernel)
    kernel = np.transpose(weight, (*range(2, weight.ndim), 1, 0))
    return [kernel, *_bias(module)]


def _batch_norm(module: nn.Module, _inp: Value | None) -> list[np.ndarray]:
    return [
        _numpy(t) for t in (module.weight, module.bias, module.running_mean, module.running_var)
    ]


def _layer_norm(module: nn.Module, _inp: Value | None) -> list[np.ndarray]:
    return [_numpy(t) for t in (module.weight, module.bias) if t is not None]


def _embedding(module: nn.Module, _inp: Value | None) -> list[np.ndarray]:
    return [_numpy(module.weight)]


def _prelu(module: nn.Module, inp: Value | None) -> list[np.ndarray]:
    """Keras's alpha has the input's shape with 1 on the shared axes: one slope, or one per
    channel (last in Keras's layout)."""
    weight = _numpy(module.weight)
    rank = len(inp.torch_shape) if inp is not None else 2
    if weight.size == 1:
        return [np.full((1,) * (rank - 1), weight.item(), dtype=weight.dtype)]
    if inp is not None and inp.channels_first:
        return [weight.reshape((1,) * (rank - 2) + (-1,))]
    return [weight.reshape((-1,) + (1,) * (rank - 2))]


def _gates(order: tuple[int, ...]) -> Callable[[np.ndarray], np.ndarray]:
    def reorder(array: np.ndarray) -> np.ndarray:
        parts = np.split(array, len(order), axis=0)
        return np.concatenate([parts[i] for i in order], axis=0)

    return reorder


def _recurrent(
    order: tuple[int, ...], split_bias: bool
) -> Callable[[nn.Module, Value | None], list[np.ndarray]]:
    reorder = _gates(order)

    def convert(module: nn.Module, _inp: Value | None) -> list[np.ndarray]:
        w_ih, w_hh = (reorder(_numpy(getattr(module, f"weight_{k}_l0"))) for k in ("ih", "hh"))
        b_ih, b_hh = (reorder(_numpy(getattr(module, f"bias_{k}_l0"))) for k in ("ih", "hh"))
        bias = np.stack([b_ih, b_hh]) if split_bias else b_ih + b_hh
        return [w_ih.T, w_hh.T, bias]

    return convert


# PyTorch's gate order -> Keras's: LSTM i, f, g, o is Keras's i, f, c, o; GRU r, z, n is z, r, h
# (Keras's GRU keeps the input and recurrent biases apart, as PyTorch does: reset_after).
CONVERT: dict[str, Callable[[nn.Module, Value | None], list[np.ndarray]]] = {
    "Linear": _dense,
    # (in, out / groups, *kernel) -> (*kernel, out, in): the transposed layout is Keras's too.
    **{f"Conv{kind}{d}d": _conv for kind in ("", "Transpose") for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _batch_norm for d in (1, 2, 3)},
    "LayerNorm": _layer_norm,
    "GroupNorm": _layer_norm,
    **{f"InstanceNorm{d}d": _layer_norm for d in (1, 2, 3)},
    "Embedding": _embedding,
    "PReLU": _prelu,
    "LSTM": _recurrent((0, 1, 2, 3), split_bias=False),
    "GRU": _recurrent((1, 0, 2), split_bias=True),
    "RNN": _recurrent((0,), split_bias=False),
}


def attention_parts(attention: Any) -> list[tuple[str, list[np.ndarray]]]:
    """nn.MultiheadAttention's weights per head, as Keras's and Flax's attention holds them:
    for the query, key, value and output projections, the kernel ((d_model, heads, head size),
    the output's (heads, head size, d_model)) and its bias if it has one."""
    heads = attention.num_heads
    size = attention.embed_dim // heads
    weights = np.split(_numpy(attention.in_proj_weight), 3)
    bias = attention.in_proj_bias
    biases = np.split(_numpy(bias), 3) if bias is not None else [None] * 3
    parts = [
        (name, [weight.T.reshape(-1, heads, size), *_heads(part, heads, size)])
        for name, weight, part in zip(("query", "key", "value"), weights, biases, strict=True)
    ]
    out = attention.out_proj
    return [*parts, ("out", [_numpy(out.weight).T.reshape(heads, size, -1), *_bias(out)])]


def _heads(bias: np.ndarray | None, heads: int, size: int) -> list[np.ndarray]:
    return [] if bias is None else [bias.reshape(heads, size)]


def attention_arrays(attention: Any, _inp: Value | None = None) -> list[np.ndarray]:
    """The arrays of ``attention_parts`` in Keras's order (set_weights)."""
    return [array for _name, arrays in attention_parts(attention) for array in arrays]


def _transformer(module: Any) -> dict[str, list[np.ndarray]]:
    """An encoder or decoder layer's parts by attribute name (a decoder also has the memory's
    attention and a third norm)."""
    attentions = [name for name in ("self_attn", "multihead_attn") if hasattr(module, name)]
    norms = [name for name in ("norm1", "norm2", "norm3") if hasattr(module, name)]
    return {
        **{name: attention_arrays(getattr(module, name)) for name in attentions},
        "linear1": _dense(module.linear1, None),
        "linear2": _dense(module.linear2, None),
        **{name: _layer_norm(getattr(module, name), None) for name in norms},
    }


# Layers the written code builds from smaller ones (dlstudio.graph.frameworks.support): the
# arrays of each part, by its attribute name.
COMPOSITE: dict[str, Callable[[nn.Module], dict[str, list[np.ndarray]]]] = {
    "TransformerEncoderLayer": _transformer,
    "TransformerDecoderLayer": _transformer,
}
CONVERT["MultiheadAttention"] = attention_arrays
