/**
 * Copy/paste and duplicate: clone a set of nodes with fresh ids, keeping the edges between
 * them (edges into the copied set from outside are dropped: the copy starts unconnected).
 * Each builder has a clipboard of its own, shared by its views.
 */
import type { GraphDoc, GraphEdge, GraphNode } from "../protocol";
import { freshId } from "./graph";

/** What was copied last in one builder. */
export interface Clipboard {
  piece: GraphDoc | null;
}

const clipboards = new WeakMap<object, Clipboard>();

/** The clipboard of the builder `owner` (its model): the same object for all its views. */
export function clipboardOf(owner: object): Clipboard {
  let clipboard = clipboards.get(owner);
  if (!clipboard) {
    clipboard = { piece: null };
    clipboards.set(owner, clipboard);
  }
  return clipboard;
}

/** The part of `doc` made of `ids` and the edges among them. */
export function extract(doc: GraphDoc, ids: Set<string>): GraphDoc {
  return {
    version: doc.version,
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  };
}

/** `piece` re-keyed against `taken` and shifted by `offset`, ready to add to a graph. */
export function cloneWithFreshIds(
  piece: GraphDoc,
  taken: Set<string>,
  offset: { x: number; y: number },
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const used = new Set(taken);
  const rename = new Map<string, string>();
  const nodes = piece.nodes.map((node) => {
    const id = freshId(node.op, used);
    used.add(id);
    rename.set(node.id, id);
    const position = node.position ?? { x: 0, y: 0 };
    return {
      ...node,
      id,
      params: { ...node.params },
      position: { x: position.x + offset.x, y: position.y + offset.y },
    };
  });
  const edges = piece.edges.map((edge) => ({
    ...edge,
    source: rename.get(edge.source) as string,
    target: rename.get(edge.target) as string,
  }));
  return { nodes, edges };
}
