/**
 * Conversion between the graph document (what Python owns) and React Flow's nodes and
 * edges (what the canvas draws). Pure functions, unit-tested in tests/graph.test.ts.
 */
import type { Edge, Node } from "@xyflow/react";
import type { BlockDoc, GraphDoc, GraphEdge, GraphNode, LayerSpec, Problem, Shapes } from "../protocol";

export type NodeData = {
  op: string;
  params: Record<string, unknown>;
  label?: string | null;
  /** Left out of training; the document holds the key only when true. */
  frozen?: boolean;
  /** Formatted output shape ("N×16×14×14"), filled in from Python's analysis. */
  shape?: string | null;
  /** The first problem Python reported for this node. */
  problem?: Problem | null;
  /** Parameter count of a node that uses a named block, from Python's analysis. */
  weights?: number | null;
};

export type LayerNode = Node<NodeData, "layer">;
export type EdgeData = { shape?: string | null };
export type ShapeEdge = Edge<EdgeData, "shape">;
export type Catalog = Map<string, LayerSpec>;

export const SOURCE_HANDLE = "out";
/** A node's label longer than this only makes the code harder to read (its name keeps 40). */
export const MAX_LABEL_LENGTH = 80;

export function indexCatalog(layers: LayerSpec[]): Catalog {
  return new Map(layers.map((layer) => [layer.name, layer]));
}

/** Input ports of a node: variadic ops (Add, Concat) take the count from their `inputs` param. */
export function portCount(op: string, params: Record<string, unknown>, catalog: Catalog): number {
  const spec = catalog.get(op);
  if (!spec) return 1;
  if (spec.variadic) {
    const n = Number(params.inputs ?? defaultOf(spec, "inputs") ?? 2);
    return Number.isInteger(n) && n >= 1 ? n : 2;
  }
  return spec.inputs;
}

function defaultOf(spec: LayerSpec, name: string): unknown {
  return spec.params.find((p) => p.name === name)?.default;
}

export function targetHandle(port: number): string {
  return `in${port}`;
}

export function portOf(handle: string | null | undefined): number {
  const match = /^in(\d+)$/.exec(handle ?? "");
  return match ? Number(match[1]) : 0;
}

export function edgeId(edge: GraphEdge): string {
  return `${edge.source}->${edge.target}:${edge.target_port ?? 0}`;
}

export function flowFromGraph(doc: GraphDoc): { nodes: LayerNode[]; edges: ShapeEdge[] } {
  const nodes: LayerNode[] = doc.nodes.map((node, i) => {
    const data: NodeData = { op: node.op, params: { ...node.params }, label: node.label ?? null };
    if (node.frozen) data.frozen = true;
    return { id: node.id, type: "layer", position: node.position ?? { x: 0, y: i * 90 }, data };
  });
  const edges: ShapeEdge[] = doc.edges.map((edge) => ({
    id: edgeId(edge),
    type: "shape",
    source: edge.source,
    sourceHandle: SOURCE_HANDLE,
    target: edge.target,
    targetHandle: targetHandle(edge.target_port ?? 0),
    data: {},
  }));
  return { nodes, edges };
}

/**
 * The document for the canvas; keys in the order Python writes them, so echoes compare equal.
 * `blocks` (the document's named blocks, never edited on the page) is carried as it is.
 */
export function graphFromFlow(
  nodes: LayerNode[],
  edges: Edge[],
  metadata?: Record<string, string> | null,
  blocks?: Record<string, BlockDoc> | null,
): GraphDoc {
  const outNodes: GraphNode[] = nodes.map((node) => {
    const out: GraphNode = { id: node.id, op: node.data.op, params: { ...node.data.params } };
    if (node.data.label) out.label = node.data.label;
    out.position = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
    // Only when true, as Python writes it: documents without frozen layers stay as they were.
    if (node.data.frozen) out.frozen = true;
    return out;
  });
  const outEdges: GraphEdge[] = edges.map((edge) => ({
    source: edge.source,
    target: edge.target,
    target_port: portOf(edge.targetHandle),
  }));
  const doc = { version: 1 } as GraphDoc;
  if (metadata && Object.keys(metadata).length) doc.metadata = { ...metadata };
  doc.nodes = outNodes;
  doc.edges = outEdges;
  if (blocks && Object.keys(blocks).length) doc.blocks = blocks;
  return doc;
}

/** "N×16×14×14"; the unknown batch size shows as N, other unknown sizes as ?. */
export function formatShape(shape: (number | null)[] | null | undefined): string | null {
  if (!shape) return null;
  return shape.map((d, i) => (d === null ? (i === 0 ? "N" : "?") : String(d))).join("×");
}

export function problemsByNode(problems: Problem[]): Map<string, Problem> {
  const byNode = new Map<string, Problem>();
  for (const problem of problems) {
    if (problem.node_id && !byNode.has(problem.node_id)) byNode.set(problem.node_id, problem);
  }
  return byNode;
}

/**
 * Puts Python's answer (shapes, problems) into the nodes. Unchanged nodes keep their object
 * identity, so memo'd node components of a 500-node graph do not all re-render.
 */
export function decorateNodes(
  nodes: LayerNode[],
  shapes: Shapes,
  problems: Map<string, Problem>,
  blockParams: Record<string, number> = {},
): LayerNode[] {
  let changed = false;
  const out = nodes.map((node) => {
    const shape = formatShape(shapes[node.id]);
    const problem = problems.get(node.id) ?? null;
    const weights = blockParams[node.id] ?? null;
    if (
      (node.data.shape ?? null) === shape &&
      sameProblem(node.data.problem ?? null, problem) &&
      (node.data.weights ?? null) === weights
    ) {
      return node;
    }
    changed = true;
    return { ...node, data: { ...node.data, shape, problem, weights } };
  });
  return changed ? out : nodes;
}

export function decorateEdges(edges: ShapeEdge[], shapes: Shapes): ShapeEdge[] {
  let changed = false;
  const out = edges.map((edge) => {
    const shape = formatShape(shapes[edge.source]);
    if ((edge.data?.shape ?? null) === shape) return edge;
    changed = true;
    return { ...edge, type: "shape" as const, data: { ...edge.data, shape } };
  });
  return changed ? out : edges;
}

function sameProblem(a: Problem | null, b: Problem | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A fresh node id for `op` ("linear3"), unique among `taken`. */
export function freshId(op: string, taken: Set<string>): string {
  const stem = op.toLowerCase().replace(/[^a-z0-9_]/g, "") || "node";
  for (let i = 1; ; i++) {
    const id = `${stem}${i}`;
    if (!taken.has(id)) return id;
  }
}
