"""The Playground: TensorFlow Playground's lessons on a real PyTorch model (pure Python core).

``PlaygroundSettings`` holds every choice (shareable as the original's link text),
``make_data`` the six data sets or your own points, ``playground_graph`` the network as a
dlstudio Graph, ``PlaygroundRun`` trains it by the original's rule, ``pictures`` draws what each
neuron computes over the plane, ``playground_script`` writes the run as a script. The widget is
``dlstudio.ui.playground.Playground``.

Example:
    >>> from dlstudio.playground import PlaygroundRun, PlaygroundSettings
    >>> run = PlaygroundRun(PlaygroundSettings(dataset="xor", seed="3"))
    >>> run.step(5)
    >>> run.epoch
    5
"""

from dlstudio.playground.data import PlaygroundData, Points, make_data, read_csv
from dlstudio.playground.engine import PlaygroundRun, Snapshot
from dlstudio.playground.network import playground_graph
from dlstudio.playground.settings import PlaygroundError, PlaygroundSettings

__all__ = [
    "PlaygroundData",
    "PlaygroundError",
    "PlaygroundRun",
    "PlaygroundSettings",
    "Points",
    "Snapshot",
    "make_data",
    "playground_graph",
    "read_csv",
]
