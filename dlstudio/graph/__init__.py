"""The pure-Python core: graph document, layer catalog, shape inference and code generation."""

from dlstudio.graph import examples, layers
from dlstudio.graph.analysis import Analysis
from dlstudio.graph.errors import GraphError, Problem
from dlstudio.graph.graph import Graph

__all__ = ["examples", "Analysis", "Graph", "GraphError", "Problem", "layers"]
