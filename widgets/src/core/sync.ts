/**
 * Which graph documents a view sends and which it draws (docs/architecture.md, "Graph sync").
 *
 * Only Python writes the `graph` trait. A view draws its own edits at once and sends each as
 * an `edit` request naming the revision it builds on (`base`); Python takes it when nothing
 * but this view's own earlier edits came after that revision, and answers every edit in
 * `graph_revision`. So a document arriving here is drawn when Python refused this view's edit,
 * or when someone else wrote it (Python itself, or another view): edits this view still has on
 * their way were made on an older document and Python refuses them. The answer to one of its
 * own edits changes nothing on the canvas, which already shows it or a newer edit.
 */
import type { EditRequest, GraphDoc, GraphRevision } from "../protocol";

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
  /** The document on the canvas as last sent or drawn, as JSON. */
  private last: string;

  constructor(
    readonly view: string,
    doc: GraphDoc,
    revision: GraphRevision | null | undefined,
  ) {
    this.base = revision?.number ?? 0;
    this.last = JSON.stringify(doc);
  }

  /** The edit request for `doc`, or null when `doc` is what was last sent or drawn. */
  edit(doc: GraphDoc): EditRequest | null {
    const json = JSON.stringify(doc);
    if (json === this.last) return null;
    this.last = json;
    const id = this.nextEdit++;
    this.pending.push(id);
    return { type: "edit", view: this.view, id, base: this.base, graph: doc };
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
    this.last = JSON.stringify(doc);
  }

  private take(doc: GraphDoc): Arrival {
    const json = JSON.stringify(doc);
    if (json === this.last) return "keep";
    this.last = json;
    return "draw";
  }
}
