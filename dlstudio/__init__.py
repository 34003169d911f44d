"""dlstudio: build deep learning models visually and get plain PyTorch.

Example:
    >>> from dlstudio import Graph
    >>> g = Graph.from_dict({"version": 1, "nodes": [], "edges": []})
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Everything loads on first use (the graph core imports torch: 2-3 s), so `import dlstudio`
# is instant and `dlstudio app` starts Voila without waiting for torch.
_LAZY = {
    "Graph": ("dlstudio.graph", "Graph"),
    "GraphError": ("dlstudio.graph", "GraphError"),
    "Problem": ("dlstudio.graph", "Problem"),
    "layers": ("dlstudio.graph", "layers"),
    "datasets": ("dlstudio.datasets", None),
    "Trainer": ("dlstudio.train", "Trainer"),
    "ModelBuilder": ("dlstudio.ui", "ModelBuilder"),
    "Studio": ("dlstudio.ui", "Studio"),
    "Playground": ("dlstudio.ui.playground", "Playground"),
    # The function, from its own module: the package dlstudio.ui.live is another thing.
    "live": ("dlstudio.ui.live.view", "live"),
    "LossPlot": ("dlstudio.ui.live", "LossPlot"),
    "TrainingControls": ("dlstudio.ui.live", "TrainingControls"),
    "TensorInspector": ("dlstudio.ui.inspector", "TensorInspector"),
    "AttributionPanel": ("dlstudio.ui.attribution", "AttributionPanel"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'dlstudio' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
