/**
 * Connection rules checked while the user drags an edge (React Flow's isValidConnection):
 * no self-loops, no cycles, one edge per input port, only into ports that exist.
 */
import { type Catalog, portCount, portOf } from "./graph";

export interface EdgeLike {
  source: string;
  target: string;
  targetHandle?: string | null;
}

export interface NodeLike {
  id: string;
  data: { op: string; params: Record<string, unknown> };
}

export interface Verdict {
  ok: boolean;
  reason: string | null;
}

/** True when `to` can already reach `from` (so an edge from → to closes a cycle). */
export function reaches(from: string, to: string, edges: EdgeLike[]): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const list = next.get(e.source);
    if (list) list.push(e.target);
    else next.set(e.source, [e.target]);
  }
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const t of next.get(id) ?? []) stack.push(t);
  }
  return false;
}

export function checkConnection(
  conn: EdgeLike,
  nodes: Map<string, NodeLike>,
  edges: EdgeLike[],
  catalog: Catalog,
): Verdict {
  const source = nodes.get(conn.source);
  const target = nodes.get(conn.target);
  if (!source || !target) return refuse("That node no longer exists.");
  if (conn.source === conn.target) return refuse("A layer cannot feed itself.");
  if (catalog.get(source.data.op)?.outputs === 0) {
    return refuse(`${source.data.op} has no output to connect from.`);
  }
  const ports = portCount(target.data.op, target.data.params, catalog);
  const port = portOf(conn.targetHandle);
  if (port >= ports) return refuse(`${target.data.op} has no input port ${port}.`);
  const filled = edges.some((e) => e.target === conn.target && portOf(e.targetHandle) === port);
  if (filled) {
    return refuse(`Input ${port} of ${conn.target} is already connected; delete that edge first.`);
  }
  if (reaches(conn.target, conn.source, edges)) {
    return refuse("That edge would make a cycle; models here flow one way.");
  }
  return { ok: true, reason: null };
}

function refuse(reason: string): Verdict {
  return { ok: false, reason };
}
