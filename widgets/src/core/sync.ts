/**
 * Which graph documents a view sends and which it draws (docs/architecture.md, "Graph sync").
 *
 * Only Python writes the `graph` trait. A view draws its own edits at once and sends each as
 * an edit request naming the revision it builds on (`base`); Python takes it when nothing
 * but this view's own earlier edits came after that revision, and answers every edit in
 * `graph_revision`. So a document arriving here is drawn when Python refused this view's edit,
 * or when someone else wrote it (Python itself, or another view): edits this view still has on
 * their way were made on an older document and Python refuses them. The answer to one of its
 * own edits changes nothing on the canvas, which already shows it or a newer edit.
 *
 * An edit says only what changed (a `patch` request) since the document last sent or drawn,
 * when Python holds exactly that document then; otherwise (a document Python wrote that the
 * canvas holds in its own form) it carries the whole document (an `edit` request).
 */
import type { EditRequest, GraphDoc, GraphPatch, GraphRevision, PatchRequest } from "../protocol";

export type Arrival = "draw" | "keep";

/** Edits sent and not yet answered, at most: later changes wait and leave as one edit. */
export const MAX_IN_FLIGHT = 1;

/** A random name for one view of a model: requests carry it, and replies name it. */
export function newViewId(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class GraphSync {
  /** The Python revision the canvas builds on. */
  private base: number;
  /** Ids of the edits sent and not answered yet, oldest first. */
  private pending: number[] = [];
  private nextEdit = 1;
  /** The document on the canvas as last sent or drawn. */
  private last: Keyed;
  /** Whether Python holds `last` as it is (once the edits in flight are taken): the next edit
   * can then say only what changed. */
  private held: boolean;

  /** `doc`: what the canvas shows; `held`: what Python holds, when it differs. */
  constructor(
    readonly view: string,
    doc: GraphDoc,
    revision: GraphRevision | null | undefined,
    held: GraphDoc = doc,
  ) {
    this.base = revision?.number ?? 0;
    this.last = keyed(doc);
    this.held = held === doc || isEmpty(diff(this.last, keyed(held)));
  }

  /** The edit request for `doc`, or null when `doc` is what was last sent or drawn. */
  edit(doc: GraphDoc): EditRequest | PatchRequest | null {
    const next = keyed(doc, this.last);
    const patch = diff(this.last, next);
    if (isEmpty(patch)) return null;
    const whole = !this.held;
    this.last = next;
    this.held = true; // once Python takes it; if it does not, it sends what it holds
    const id = this.nextEdit++;
    this.pending.push(id);
    const address = { view: this.view, id, base: this.base };
    return whole ? { type: "edit", ...address, graph: doc } : { type: "patch", ...address, patch };
  }

  /** True while as many edits as may be are on their way: the next one waits for an answer. */
  get busy(): boolean {
    return this.pending.length >= MAX_IN_FLIGHT;
  }

  /** The revision a request made on the canvas now names (it leaves behind the edits). */
  get revision(): number {
    return this.base;
  }

  /** Whether the document Python holds now (`doc`, `revision`) goes on the canvas. */
  arrived(doc: GraphDoc, revision: GraphRevision | null | undefined): Arrival {
    if (!revision) return "keep";
    const mine = revision.view === this.view && this.pending.includes(revision.edit);
    if (mine && !revision.refused) {
      // Python holds what this view sent; its later edits build on it and are on their way.
      this.base = revision.number;
      this.pending = this.pending.filter((id) => id > revision.edit);
      return "keep";
    }
    if (mine || revision.number > this.base) {
      // Refused, or written by someone else: back to Python's document. Edits still on their
      // way were made on an older one, and Python refuses them.
      this.base = revision.number;
      this.pending = [];
      return this.take(doc);
    }
    return "keep";
  }

  /** `doc` is on the canvas now, in the page's own form: sending it would send nothing new. */
  drawn(doc: GraphDoc): void {
    const form = keyed(doc, this.last);
    if (isEmpty(diff(this.last, form))) return;
    // Python holds the document in its form: the next edit carries the whole of the page's.
    this.last = form;
    this.held = false;
  }

  private take(doc: GraphDoc): Arrival {
    const next = keyed(doc, this.last);
    const same = isEmpty(diff(this.last, next));
    this.held = true;
    if (same) return "keep";
    this.last = next;
    return "draw";
  }
}

/** A document with each node and edge (and the metadata and blocks) as JSON, for comparing. */
interface Keyed {
  doc: GraphDoc;
  nodes: string[];
  edges: string[];
  metadata: string;
  blocks: string;
}

/** `doc` with its JSON; blocks carried over from `before` (the same object) are not written again. */
function keyed(doc: GraphDoc, before?: Keyed): Keyed {
  return {
    doc,
    nodes: doc.nodes.map((node) => JSON.stringify(node)),
    edges: doc.edges.map((edge) => JSON.stringify(edge)),
    metadata: JSON.stringify(doc.metadata ?? {}),
    blocks: before && before.doc.blocks === doc.blocks ? before.blocks : JSON.stringify(doc.blocks ?? {}),
  };
}

/**
 * What turns `old` into `now` (see `GraphPatch`): nodes matched by id in order (changed ones
 * `set` in place), edges matched in order; what does not match is removed, and the rest of
 * `now` added at the end, so applying it gives `now` exactly, whatever the edit was.
 */
function diff(old: Keyed, now: Keyed): GraphPatch {
  const oldNodes = old.doc.nodes;
  const nodes: GraphPatch["nodes"] = { count: oldNodes.length, remove: [], set: [], add: [] };
  let j = 0;
  for (let i = 0; i < oldNodes.length; i++) {
    if (j < now.doc.nodes.length && oldNodes[i].id === now.doc.nodes[j].id) {
      if (old.nodes[i] !== now.nodes[j]) nodes.set.push([i, now.doc.nodes[j]]);
      j++;
    } else nodes.remove.push(i);
  }
  nodes.add = now.doc.nodes.slice(j);
  const edges: GraphPatch["edges"] = { count: old.edges.length, remove: [], add: [] };
  j = 0;
  for (let i = 0; i < old.edges.length; i++) {
    if (j < now.edges.length && old.edges[i] === now.edges[j]) j++;
    else edges.remove.push(i);
  }
  edges.add = now.doc.edges.slice(j);
  const patch: GraphPatch = { nodes, edges };
  if (old.metadata !== now.metadata) patch.metadata = now.doc.metadata ?? {};
  if (old.blocks !== now.blocks) patch.blocks = now.doc.blocks ?? {};
  return patch;
}

function isEmpty(patch: GraphPatch): boolean {
  const { nodes, edges } = patch;
  const none = !nodes.remove.length && !nodes.set.length && !nodes.add.length;
  return none && !edges.remove.length && !edges.add.length && !patch.metadata && !patch.blocks;
}

/** `doc` with `patch` applied, as Python applies it (`Graph.patched`); for tests. */
export function applyPatch(doc: GraphDoc, patch: GraphPatch): GraphDoc {
  if (patch.nodes.count !== doc.nodes.length || patch.edges.count !== doc.edges.length) {
    throw new Error("The patch was made on another document.");
  }
  const removed = new Set(patch.nodes.remove);
  const replaced = new Map(patch.nodes.set);
  const nodes = doc.nodes.flatMap((node, i) => (removed.has(i) ? [] : [replaced.get(i) ?? node]));
  const gone = new Set(patch.edges.remove);
  const edges = doc.edges.filter((_, i) => !gone.has(i));
  const out = { version: doc.version } as GraphDoc;
  const metadata = patch.metadata ?? doc.metadata;
  if (metadata && Object.keys(metadata).length) out.metadata = metadata;
  out.nodes = [...nodes, ...patch.nodes.add];
  out.edges = [...edges, ...patch.edges.add];
  const blocks = patch.blocks ?? doc.blocks;
  if (blocks && Object.keys(blocks).length) out.blocks = blocks;
  return out;
}
