"""The same model in PyTorch, Keras 3 and Flax NNX: weights carried over and outputs checked.

The code is written by the core (``Graph.to_code(framework=...)``, dlstudio.graph.frameworks)
without Keras or JAX; building, transferring and verifying need the optional extra
``pip install 'dlstudio[frameworks]'``. ``keras_script`` and ``flax_script`` write training
scripts for digits that match the exported PyTorch script (same split, standardisation and
settings; ``dlstudio.frameworks.scripts``).

Example:
    >>> from dlstudio import frameworks
    >>> from dlstudio.graph import examples
    >>> graph = examples.load("lenet5")
    >>> keras_net = frameworks.to_keras(graph, graph.build())  # doctest: +SKIP
    >>> print(frameworks.verify(graph, "flax"))  # doctest: +SKIP
    flax: 61,706 parameters against PyTorch's 61,706; outputs equal (largest difference 2.2e-08)
"""

from __future__ import annotations

from dlstudio.frameworks.flax_weights import flax_model, to_flax
from dlstudio.frameworks.keras_weights import keras_model, to_keras
from dlstudio.frameworks.scripts import flax_script, keras_script
from dlstudio.frameworks.verify import Verification, verify
from dlstudio.graph.frameworks import FRAMEWORKS

__all__ = [
    "FRAMEWORKS",
    "Verification",
    "flax_model",
    "flax_script",
    "keras_model",
    "keras_script",
    "to_flax",
    "to_keras",
    "verify",
]
