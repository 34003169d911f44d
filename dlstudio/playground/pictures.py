"""What every node of a Playground network computes over the plane, as small pictures.

The network's own module (a copy built from the same graph, holding a snapshot's weights) runs
on a ``big_size`` x ``big_size`` grid over [-6, 6]²; forward hooks on its layers catch each
neuron's output. Each node's picture is that grid reduced to ``map_size`` x ``map_size`` by block
means (as the original shrinks its 100 x 100 grid), and the focused node is sent whole. A value
v in [-1, 1] is one byte, round((v + 1) * 127.5), clamped as the original's colour scale is;
rows run from the top of the plane (x2 = +6) down, columns from x1 = -6 to +6.

Example:
    >>> from dlstudio.playground import PlaygroundRun, PlaygroundSettings
    >>> run = PlaygroundRun(PlaygroundSettings(networkShape=[3], seed="1"))
    >>> painter = Painter()
    >>> frame = painter.draw(run.snapshot(), run.settings, focus="h1_2")
    >>> len(frame.maps) == (2 + 3 + 1) * MAP_SIZE**2, len(frame.big_map) == BIG_SIZE**2
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlstudio.playground.engine import Snapshot
from dlstudio.playground.network import CLASS_NAME, feature_columns, playground_graph
from dlstudio.playground.settings import DOMAIN, PlaygroundSettings

BIG_SIZE = 100
MAP_SIZE = 20
OUTPUT = "output"


def node_ids(settings: PlaygroundSettings) -> list[str]:
    """Every node's id in picture order: input features, hidden neurons, the output.

    Example:
        >>> node_ids(PlaygroundSettings(networkShape=[2]))
        ['x', 'y', 'h1_0', 'h1_1', 'output']
    """
    hidden = [
        f"h{layer}_{i}"
        for layer, width in enumerate(settings.networkShape, 1)
        for i in range(width)
    ]
    return [*settings.feature_names(), *hidden, OUTPUT]


def grid(size: int = BIG_SIZE) -> np.ndarray:
    """(size², 2) points on the plane, row by row from the top, each row left to right."""
    low, high = DOMAIN
    x1 = np.linspace(low, high, size)
    x2 = np.linspace(high, low, size)
    rows, columns = np.meshgrid(x2, x1, indexing="ij")
    return np.stack([columns.ravel(), rows.ravel()], axis=1)


def to_bytes(values: np.ndarray) -> bytes:
    """Values in [-1, 1] (clamped) as one byte each.

    Example:
        >>> list(to_bytes(np.array([-1.0, 0.0, 1.0, 7.0])))
        [0, 128, 255, 255]
    """
    quantised: bytes = (
        np.round((np.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8).tobytes()
    )
    return quantised


def shrink(picture: np.ndarray, size: int) -> np.ndarray:
    """A square picture reduced to ``size`` x ``size`` by the mean of each block."""
    block = picture.shape[0] // size
    blocks = picture[: block * size, : block * size].reshape(size, block, size, block)
    small: np.ndarray = blocks.mean((1, 3))
    return small


@dataclass
class Frame:
    """One drawing of a network: every node's small picture and the focused node's big one."""

    maps: bytes
    big_map: bytes
    focus: str


class Painter:
    """Draws snapshots with a module of its own (built once per network shape), so drawing
    never touches the module that trains.

    Example:
        >>> Painter().draw(run.snapshot(), run.settings).focus  # doctest: +SKIP
        'output'
    """

    def __init__(self, big_size: int = BIG_SIZE, map_size: int = MAP_SIZE) -> None:
        self.big_size, self.map_size = big_size, map_size
        self._points = grid(big_size)
        self._key: tuple[object, ...] | None = None
        self._model: nn.Module | None = None
        self._neurons: list[nn.Module] = []

    def _module_for(self, settings: PlaygroundSettings) -> nn.Module:
        key = (tuple(settings.feature_names()), tuple(settings.networkShape), settings.activation,
               settings.problem)  # fmt: skip
        if key != self._key or self._model is None:
            # float32: pictures need no more, and it halves the drawing thread's work.
            self._model = playground_graph(settings).build(CLASS_NAME).eval()
            self._neurons = _neuron_outputs(self._model)
            self._key = key
        return self._model

    @torch.no_grad()
    def outputs(self, snapshot: Snapshot, settings: PlaygroundSettings) -> dict[str, np.ndarray]:
        """Every node's value at each grid point (node id -> (big_size, big_size))."""
        model = self._module_for(settings)
        model.load_state_dict(snapshot.state)
        names = settings.feature_names()
        features = feature_columns(self._points, names)
        caught: list[torch.Tensor] = []
        handles = [
            m.register_forward_hook(lambda _m, _i, out: caught.append(out)) for m in self._neurons
        ]
        try:
            final = model(torch.as_tensor(features, dtype=torch.float32))
        finally:
            for handle in handles:
                handle.remove()
        side = self.big_size
        columns = [*features.T, *(c.numpy().T for c in caught)]
        values = [v for block in columns for v in np.atleast_2d(block)]
        pictures = {
            name: v.reshape(side, side)
            for name, v in zip(node_ids(settings)[:-1], values, strict=True)
        }
        pictures[OUTPUT] = final.numpy().reshape(side, side)
        return pictures

    def draw(self, snapshot: Snapshot, settings: PlaygroundSettings, focus: str = OUTPUT) -> Frame:
        """The frame of ``snapshot``: small pictures of all nodes, ``focus`` in full."""
        pictures = self.outputs(snapshot, settings)
        if focus not in pictures:
            focus = OUTPUT
        small = b"".join(to_bytes(shrink(pictures[n], self.map_size)) for n in node_ids(settings))
        return Frame(small, to_bytes(pictures[focus]), focus)


def _neuron_outputs(model: nn.Module) -> list[nn.Module]:
    """The layer whose output is each hidden layer's neurons: the activation after each hidden
    Linear layer, or the Linear layer itself when the activation is linear (no layer)."""
    leaves = [m for m in model.modules() if not list(m.children())]
    linears = [i for i, m in enumerate(leaves) if isinstance(m, nn.Linear)]
    chosen = []
    for index in linears[:-1]:
        follower = leaves[index + 1] if index + 1 < len(leaves) else None
        chosen.append(
            follower
            if follower is not None and not isinstance(follower, nn.Linear)
            else leaves[index]
        )
    return chosen
