"""What an editor shows of a graph, as plain JSON values: shapes, problems, parameter counts and
the code. One home for both transports: the ModelBuilder widget's traits and the Jupyter server
extension's answers.

Example:
    >>> from dlstudio.graph import examples
    >>> state = analysis_state(examples.load("mlp"))
    >>> state["shapes"]["output"], state["problems"]
    ([None, 10], [])
"""

from __future__ import annotations

from typing import Any

from dlstudio.graph.errors import GraphError
from dlstudio.graph.graph import Graph

NO_CODE = "# The generated PyTorch code appears here once the graph has no problems.\n"


def analysis_state(graph: Graph) -> dict[str, Any]:
    """Shapes, problems, parameter count and each block node's parameters."""
    analysis = graph.analyze()
    return {
        "shapes": {node_id: list(shape) for node_id, shape in analysis.shapes.items()},
        "problems": [problem.to_dict() for problem in analysis.problems],
        "param_count": analysis.param_count,
        "block_params": {
            node.id: analysis.weights.get(node.id, 0)
            for node in graph.nodes
            if node.op in graph.blocks
        },
    }


def code_state(graph: Graph) -> str:
    """The generated code, or a comment saying why there is none yet."""
    if not graph.analyze().ok:
        return NO_CODE
    try:
        return graph.to_code()
    except GraphError as error:  # the generator found what the analysis let through
        return f"# {error}\n"


FRAMEWORK_TRAITS = {"keras": "code_keras", "flax": "code_flax"}
"""The traits (and answer fields) holding the model's code in the other frameworks."""


def framework_codes(graph: Graph) -> dict[str, str]:
    """The model's Keras and Flax code (``code_keras``, ``code_flax``), or the comment saying
    why there is none yet; a layer without counterpart is a sentence inside the code."""
    from dlstudio.graph.frameworks import framework_code

    if not graph.analyze().ok:
        return {
            trait: NO_CODE.replace("PyTorch", name)
            for (framework, trait), name in zip(
                FRAMEWORK_TRAITS.items(), ("Keras", "Flax"), strict=True
            )
        }
    codes = {}
    for framework, trait in FRAMEWORK_TRAITS.items():
        try:
            codes[trait] = framework_code(graph, framework)
        except GraphError as error:
            codes[trait] = f"# {error}\n"
    return codes
