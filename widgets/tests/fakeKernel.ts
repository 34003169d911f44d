/**
 * Python's side of the builder, played in tests: a model per view (as each browser tab has)
 * and a kernel that takes or refuses edits by the rule of dlstudio/ui/builder.py.
 */
import type { AnyModel } from "@anywidget/types";
import { applyPatch } from "../src/core/sync";
import type { BuilderTraits, EditRequest, GraphDoc, GraphRevision, LayerSpec, PatchRequest } from "../src/protocol";
import layers from "./fixtures/catalog.json";

type Handler = (...args: unknown[]) => void;

/** One view's model: what the page reads, and what it sends. */
export class FakeModel {
  readonly sent: unknown[] = [];
  readonly saved: Record<string, unknown>[] = [];
  private readonly handlers = new Map<string, Set<Handler>>();
  private dirty: Record<string, unknown> = {};

  constructor(private readonly state: Record<string, unknown>) {}

  get(key: string): unknown {
    return this.state[key];
  }

  set(key: string, value: unknown): void {
    this.state[key] = value;
    this.dirty[key] = value;
  }

  save_changes(): void {
    this.saved.push(this.dirty);
    this.dirty = {};
  }

  send(content: unknown): void {
    this.sent.push(content);
  }

  on(event: string, handler: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(handler);
  }

  off(event: string, handler: Handler): void {
    this.handlers.get(event)?.delete(handler);
  }

  /** A message from Python: every trait set first, then one change event each (as Backbone). */
  update(state: Record<string, unknown>): void {
    Object.assign(this.state, state);
    for (const key of Object.keys(state)) this.emit(`change:${key}`);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler(...args);
  }

  asModel(): AnyModel<BuilderTraits> {
    return this as unknown as AnyModel<BuilderTraits>;
  }
}

/** The kernel: one graph, numbered revisions, and a queue of updates for each view. */
export class FakeKernel {
  doc: GraphDoc;
  private number = 1;
  private latest: GraphRevision = { number: 1, view: "", edit: 0, refused: false };
  private run: [string, number] | null = null;
  private readonly queues = new Map<FakeModel, Record<string, unknown>[]>();

  constructor(
    doc: GraphDoc,
    /** Documents Python refuses, as Graph.from_dict refuses malformed ones. */
    private readonly refuses: (doc: GraphDoc) => boolean = () => false,
  ) {
    this.doc = doc;
  }

  /** A new view: a model holding what Python holds now. */
  connect(): FakeModel {
    const model = new FakeModel({
      graph: structuredClone(this.doc),
      graph_revision: this.latest,
      catalog: layers as LayerSpec[],
      categories: ["core"],
      selection: [],
      shapes: {},
      problems: [],
      block_params: {},
    });
    this.queues.set(model, []);
    return model;
  }

  /** Python assigns a graph of its own. */
  replace(doc: GraphDoc): void {
    this.write(doc, "", 0, false);
  }

  /** Hands Python the oldest `count` messages `model` sent (all by default). */
  deliver(model: FakeModel, count = model.sent.length): void {
    for (const message of model.sent.splice(0, count)) {
      const edit = message as EditRequest | PatchRequest;
      if (edit.type === "edit" || edit.type === "patch") this.take(edit);
    }
  }

  /** Hands `model` the updates Python sent it so far. */
  receive(model: FakeModel): void {
    const queue = this.queues.get(model) ?? [];
    for (const state of queue.splice(0)) model.update(structuredClone(state));
  }

  /** Delivers and receives until nothing moves any more. */
  settle(models: FakeModel[]): void {
    while (models.some((m) => m.sent.length || this.queues.get(m)?.length)) {
      for (const model of models) this.deliver(model);
      for (const model of models) this.receive(model);
    }
  }

  private take(edit: EditRequest | PatchRequest): void {
    const current = edit.base === this.number ||
      (this.run !== null && this.run[0] === edit.view && this.run[1] <= edit.base && edit.base < this.number);
    if (!current) {
      // Made on a replaced document: refused, and the graph is unchanged.
      this.revise({ number: this.number, view: edit.view, edit: edit.id, refused: true });
      return;
    }
    // A patch applies to the document held now, as Graph.patched does.
    const doc = edit.type === "edit" ? edit.graph : applyPatch(this.doc, edit.patch);
    if (this.refuses(doc)) {
      this.write(this.doc, edit.view, edit.id, true);
      return;
    }
    if (this.run === null || this.run[0] !== edit.view) this.run = [edit.view, edit.base];
    this.write(doc, edit.view, edit.id, false);
  }

  private write(doc: GraphDoc, view: string, edit: number, refused: boolean): void {
    if (!view || refused) this.run = null;
    this.number += 1;
    this.doc = structuredClone(doc);
    this.push({ graph: this.doc });
    this.revise({ number: this.number, view, edit, refused });
  }

  private revise(revision: GraphRevision): void {
    this.latest = revision;
    this.push({ graph_revision: revision });
  }

  private push(state: Record<string, unknown>): void {
    for (const queue of this.queues.values()) queue.push(state);
  }
}

/** The edits `model` sent and Python has not been handed yet, whole documents and patches alike. */
export function edits(model: FakeModel): (EditRequest | PatchRequest)[] {
  return model.sent.filter((m): m is EditRequest | PatchRequest => {
    const type = (m as { type?: string }).type;
    return type === "edit" || type === "patch";
  });
}

/** The document `edit` makes of `held`, the document Python holds when it arrives. */
export function editedDoc(held: GraphDoc, edit: EditRequest | PatchRequest): GraphDoc {
  return edit.type === "edit" ? edit.graph : applyPatch(held, edit.patch);
}
