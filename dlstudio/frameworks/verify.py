"""The same model in three frameworks, checked rather than claimed: parameter counts compared
(with the one known difference said in words) and outputs compared on the same random inputs,
each framework given them in its own layout.

Example:
    >>> from dlstudio.graph import examples
    >>> check = verify(examples.load("lenet5"), "keras")  # doctest: +SKIP
    >>> check.ok, check.params, check.max_difference < 1e-4  # doctest: +SKIP
    (True, (61706, 61706), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dlstudio.graph.frameworks.program import Program
from dlstudio.graph.graph import Graph

TOLERANCE = 1e-4

# PyTorch keeps two bias vectors in a recurrent layer (input and recurrent), Keras's LSTM and
# SimpleRNN and Flax's LSTM and simple cells one: their sum does the same work (a GRU keeps both,
# as its reset gate multiplies the recurrent one). Gates per layer:
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
_ONE_BIAS = {"keras": {"LSTM", "RNN"}, "flax": {"LSTM", "RNN"}}


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: parameter counts (PyTorch, other), the difference explained,
    the largest output difference, and whether all of it holds."""

    framework: str
    params: tuple[int, int]
    params_note: str
    max_difference: float
    ok: bool

    def __str__(self) -> str:
        same = "equal" if self.ok else "NOT equal"
        return (
            f"{self.framework}: {self.params[1]:,} parameters against PyTorch's {self.params[0]:,}"
            f"{' (' + self.params_note + ')' if self.params_note else ''}; outputs {same} "
            f"(largest difference {self.max_difference:.2e})"
        )


def verify(
    graph: Graph,
    framework: str,
    module: nn.Module | None = None,
    samples: int = 8,
    seed: int = 0,
    tolerance: float = TOLERANCE,
) -> Verification:
    """Build ``graph`` in ``framework`` ("keras" or "flax") with ``module``'s weights (fresh ones
    when None) and compare it with PyTorch on ``samples`` random inputs.

    Raises ValueError naming the layers without a counterpart, and ImportError with the extra
    to install when the framework is missing.
    """
    torch.manual_seed(seed)
    module = (graph.build() if module is None else module).eval()
    program = Program.of(graph)
    inputs = [_random_input(program, node_id, samples, seed) for node_id in program.inputs]
    with torch.no_grad():
        expected = _numpy(module(*inputs))
    other, count = _run(graph, framework, module, program, inputs)
    if program.outputs and program.values[program.outputs[0]].channels_first:
        other = np.moveaxis(other, -1, 1)
    torch_count = sum(p.numel() for p in module.parameters())
    fewer, note = _bias_difference(program, framework)
    difference = (
        float(np.abs(expected - other).max()) if expected.shape == other.shape else float("inf")
    )
    scale = max(1.0, float(np.abs(expected).max()))
    ok = count == torch_count - fewer and difference <= tolerance * scale
    return Verification(framework, (torch_count, count), note, difference, ok)


def _run(
    graph: Graph, framework: str, module: nn.Module, program: Program, inputs: list[torch.Tensor]
) -> tuple[np.ndarray, int]:
    arrays = [
        _layout(program, node_id, x.numpy())
        for node_id, x in zip(program.inputs, inputs, strict=True)
    ]
    if framework == "keras":
        from dlstudio.frameworks.keras_weights import to_keras

        model = _needs("keras", lambda: to_keras(graph, module))
        out = model(arrays[0] if len(arrays) == 1 else arrays, training=False)
        count = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        return _numpy(out), count
    if framework == "flax":
        from dlstudio.frameworks.flax_weights import to_flax

        model = _needs("flax", lambda: to_flax(graph, module))
        import jax
        from flax import nnx

        count = sum(int(np.prod(v.shape)) for v in jax.tree.leaves(nnx.state(model, nnx.Param)))
        return np.asarray(model(*arrays)), count
    raise ValueError(f"Unknown framework {framework!r}: choose keras or flax.")


def _needs(framework: str, make: Any) -> Any:
    try:
        return make()
    except ImportError as error:
        raise ImportError(
            f"Checking the {framework} code needs {framework}: pip install 'dlstudio[frameworks]' ({error})."
        ) from error


def _random_input(program: Program, node_id: str, samples: int, seed: int) -> torch.Tensor:
    step = next(s for s in program.steps if s.node.id == node_id)
    shape = [samples, *(int(size or 1) for size in program.values[node_id].torch_shape[1:])]
    generator = torch.Generator().manual_seed(seed)
    if step.params.get("dtype") == "long":
        return torch.randint(0, _vocabulary(program, node_id), shape, generator=generator)
    return torch.randn(shape, generator=generator)


def _vocabulary(program: Program, node_id: str) -> int:
    sizes = [s.params.get("num_embeddings", 10) for s in program.steps if node_id in s.inputs]
    return int(min(sizes, default=10))


def _layout(program: Program, node_id: str, array: np.ndarray) -> np.ndarray:
    return np.moveaxis(array, 1, -1) if program.values[node_id].channels_first else array


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, tuple | list):
        value = value[0]
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _bias_difference(program: Program, framework: str) -> tuple[int, str]:
    """How many fewer parameters ``framework`` holds, and why (PyTorch's second bias)."""
    layers = list(_recurrent(program))
    fewer = sum(
        _GATES[step.node.op] * int(step.params["hidden_size"])
        for step in layers
        if step.node.op in _ONE_BIAS.get(framework, set())
    )
    if not fewer:
        return 0, ""
    return fewer, (
        f"{fewer:,} fewer: PyTorch's recurrent layers keep an input and a recurrent bias, "
        f"{framework.capitalize()} one bias that is their sum"
    )


def _recurrent(program: Program) -> Any:
    for step in program.steps:
        if step.block is not None:
            yield from _recurrent(step.block)
        elif step.node.op in _GATES:
            yield step


__all__ = ["TOLERANCE", "Verification", "verify"]
