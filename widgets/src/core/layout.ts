/**
 * Auto-layout with dagre: layers flow top to bottom, as a model reads.
 */
import dagre from "@dagrejs/dagre";

export interface Box {
  id: string;
  width?: number;
  height?: number;
}

export function autoLayout(
  nodes: Box[],
  edges: { source: string; target: string }[],
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 50, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    g.setNode(node.id, { width: node.width ?? 200, height: node.height ?? 70 });
  }
  for (const edge of edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of nodes) {
    const laid = g.node(node.id);
    // dagre gives centres; React Flow positions are top-left corners.
    positions.set(node.id, {
      x: Math.round(laid.x - (node.width ?? 200) / 2),
      y: Math.round(laid.y - (node.height ?? 70) / 2),
    });
  }
  return positions;
}
