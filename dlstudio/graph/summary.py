"""A per-layer table of output shapes and parameter counts, like torchinfo's summary."""

from __future__ import annotations

from dataclasses import dataclass

from dlstudio.graph.analysis import Analysis
from dlstudio.graph.document import Node
from dlstudio.graph.tensors import format_shape, product

BYTES_PER_FLOAT = 4


@dataclass(frozen=True)
class SummaryRow:
    node_id: str
    layer: str
    output_shape: str
    params: int


def summary_rows(nodes: list[Node], analysis: Analysis) -> list[SummaryRow]:
    """One row per node in execution order."""
    by_id = {node.id: node for node in nodes}
    return [
        SummaryRow(
            node_id,
            by_id[node_id].title,
            format_shape(analysis.specs[node_id].shape),
            analysis.weights.get(node_id, 0),
        )
        for node_id in analysis.order
        if node_id in analysis.specs
    ]


def format_summary(nodes: list[Node], analysis: Analysis) -> str:
    """The table as text, with totals and memory estimates for one sample.

    Example:
        >>> from dlstudio.graph import examples
        >>> "61,706" in examples.load("lenet5").summary()
        True
    """
    rows = summary_rows(nodes, analysis)
    headers = ("Layer (type 'id')", "Output shape", "Param #")
    table = [(row.layer, row.output_shape, f"{row.params:,}") for row in rows]
    widths = [max(len(line[i]) for line in [headers, *table]) for i in range(3)]
    rule = "=" * (sum(widths) + 6)

    def line(cells: tuple[str, str, str]) -> str:
        return f"{cells[0]:<{widths[0]}}   {cells[1]:<{widths[1]}}   {cells[2]:>{widths[2]}}"

    total = analysis.param_count
    activations = sum(product(spec.features) for spec in analysis.specs.values())
    out = [rule, line(headers), rule, *(line(cells) for cells in table), rule]
    out += [
        f"Total params: {total:,}",
        f"Params size (MB): {total * BYTES_PER_FLOAT / 1e6:.2f}",
        f"Forward activations per sample (MB): {activations * BYTES_PER_FLOAT / 1e6:.2f}",
        rule,
    ]
    return "\n".join(out)
