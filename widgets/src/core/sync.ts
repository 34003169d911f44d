/**
 * Which graph documents the page sends and which it draws (docs/architecture.md, "Graph sync").
 *
 * The page numbers each document it sends (`page`) and says which Python replacement it was
 * made on (`python`). Python takes an edit only if no replacement came after that one, and
 * numbers every document it puts in place itself. So a document arriving here is drawn only
 * when it is a replacement this view has not drawn yet, or a newer edit made by another view
 * of the same model; anything else (an echo, an answer to an older edit) is older than the
 * canvas and is dropped.
 */
import type { GraphDoc, GraphRevision } from "../protocol";

export type Arrival = "draw" | "keep";

export class GraphSync {
  /** The newest page edit this view knows of (its own or another view's). */
  private sent: number;
  /** The newest Python replacement this view has drawn. */
  private seen: number;
  /** The document on the canvas as last sent or drawn, as JSON. */
  private last: string;

  constructor(doc: GraphDoc, revision: GraphRevision | null | undefined) {
    this.sent = revision?.page ?? 0;
    this.seen = revision?.python ?? 0;
    this.last = JSON.stringify(doc);
  }

  /** The revision that goes out with `doc`, or null when `doc` is what was last sent or drawn. */
  outgoing(doc: GraphDoc, model: GraphRevision | null | undefined): GraphRevision | null {
    const json = JSON.stringify(doc);
    if (json === this.last) return null;
    this.last = json;
    // Above every edit any view of this model has sent: the model holds the newest one.
    this.sent = Math.max(this.sent, model?.page ?? 0) + 1;
    return { page: this.sent, python: this.seen };
  }

  /** Whether a document found in the model (from Python or another view) goes on the canvas. */
  arrived(doc: GraphDoc, revision: GraphRevision | null | undefined): Arrival {
    const json = JSON.stringify(doc);
    if (!revision) {
      // A kernel that does not number documents: anything but our own last one is new.
      return this.take(json);
    }
    if (revision.python > this.seen) {
      // Python put it in place after everything this view has drawn: it replaces the canvas,
      // and edits still on their way to Python, made on the older document, are dropped there.
      this.seen = revision.python;
      this.sent = Math.max(this.sent, revision.page);
      return this.take(json);
    }
    if (revision.python === this.seen && revision.page > this.sent) {
      // Another view of the same model sent a newer edit of the same document.
      this.sent = revision.page;
      return this.take(json);
    }
    return "keep";
  }

  /** `doc` is on the canvas now, in the page's own form: sending it again would send nothing new. */
  drawn(doc: GraphDoc): void {
    this.last = JSON.stringify(doc);
  }

  /** The revision of what is on the canvas now: what a request that uses the graph carries. */
  current(): GraphRevision {
    return { page: this.sent, python: this.seen };
  }

  private take(json: string): Arrival {
    if (json === this.last) return "keep";
    this.last = json;
    return "draw";
  }
}
