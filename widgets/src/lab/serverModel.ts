/**
 * The ModelBuilder's model for a graph document in JupyterLab: no kernel, the server extension
 * answers instead.
 *
 * The React builder (src/editor) talks to an anywidget model: traits it reads, `edit` and
 * `patch` requests it sends, replies it receives. In a notebook the Python ModelBuilder answers
 * them; here this class does, playing the same part: it holds the document (the one writer of
 * `graph`), numbers its revisions in `graph_revision`, and has each request answered by
 * `POST dlstudio/editor`, where the core runs exactly what the widget runs
 * (dlstudio/graph/editor_requests.py). Requests are answered one at a time, in order.
 */
import type { AnyModel } from "@anywidget/types";
import type {
  BuilderTraits,
  EditorAnswer,
  GraphDoc,
  GraphRevision,
  Reply,
  Request,
} from "../protocol";
import { REPLY_TYPE } from "../protocol";

/** Calls one of the server extension's endpoints; rejects with a sentence. */
export type Call = <T>(endpoint: string, body?: unknown) => Promise<T>;

// anywidget's own handler type: callbacks take what each event carries.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (...args: any[]) => void;
type Analysis = Pick<
  BuilderTraits,
  "shapes" | "problems" | "param_count" | "block_params" | "code" | "code_keras" | "code_flax"
>;

const EDITS: ReadonlySet<string> = new Set(["edit", "patch"]);
const ANALYSIS_KEYS = ["shapes", "problems", "param_count", "block_params", "code", "code_keras", "code_flax"] as const;

/** The widget's sentence for a request made on a document replaced meanwhile (builder.py). */
const STALE_REQUEST =
  "The model was replaced (the file was reverted or changed on disk) before this arrived, so " +
  "nothing was changed; look at the new model and try again.";

/** The traits a builder starts with before the first analysis arrives. */
export function initialTraits(doc: GraphDoc, catalog: Partial<BuilderTraits>): BuilderTraits {
  return {
    graph: doc,
    graph_revision: { number: 0, view: "", edit: 0, refused: false },
    selection: [],
    catalog: catalog.catalog ?? [],
    categories: catalog.categories ?? [],
    templates: catalog.templates ?? [],
    shapes: {},
    problems: [],
    code: "",
    code_keras: "",
    code_flax: "",
    param_count: 0,
    block_params: {},
    error: "",
    health: {},
    health_notes: {},
  };
}

export class ServerModel implements AnyModel<BuilderTraits> {
  readonly widget_manager = {
    get_model: (): never => {
      throw new Error("A graph document has no other widgets.");
    },
  };
  private readonly handlers = new Map<string, Set<Handler>>();
  private queue: Promise<void> = Promise.resolve();
  /** (view, base) while every revision after `base` is an edit of that view (builder.py `_run`). */
  private run: { view: string; base: number } | null = null;

  constructor(
    private readonly traits: BuilderTraits,
    private readonly call: Call,
  ) {}

  get<K extends keyof BuilderTraits>(key: K): BuilderTraits[K] {
    return this.traits[key];
  }

  set<K extends keyof BuilderTraits>(key: K, value: BuilderTraits[K]): void {
    this.traits[key] = value;
    this.emit(`change:${key}`);
  }

  /** The page's selection stays on the page: nothing to save. */
  save_changes(): void {}

  on(eventName: string, callback: Handler): void {
    let set = this.handlers.get(eventName);
    if (!set) this.handlers.set(eventName, (set = new Set()));
    set.add(callback);
  }

  off(eventName?: string | null, callback?: Handler | null): void {
    if (!eventName) this.handlers.clear();
    else if (!callback) this.handlers.delete(eventName);
    else this.handlers.get(eventName)?.delete(callback);
  }

  /** A request from the page: answered in turn, after those before it. */
  send(content: unknown): void {
    const request = content as Request;
    // One failure (a listener that throws) must not leave the requests after it unanswered.
    this.queue = this.queue
      .then(() => this.answer(request))
      .catch((error: unknown) => console.error("dlstudio: answering a request failed", error));
  }

  /**
   * A document written from outside the page (the file reverted or reloaded): analysed by the
   * server, then put in `graph` as the ModelBuilder does with an assignment from Python.
   */
  replace(doc: GraphDoc): Promise<void> {
    const done = this.queue.then(async () => {
      const answer = await this.call<Analysis & { graph: GraphDoc }>("analyze", { graph: doc });
      this.write(answer.graph, null, answer);
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  /** Resolves once every request sent so far has been answered. */
  settled(): Promise<void> {
    return this.queue;
  }

  // -- answering the page, as dlstudio/ui/builder.py does ------------------------------------

  private async answer(request: Request): Promise<void> {
    const base = "base" in request ? request.base : null;
    const current = base === null || this.madeOnCurrent(request.view, base);
    if (EDITS.has(request.type)) return this.answerEdit(request, current);
    if (!current && request.type !== "save_json") {
      this.reply(request, { ok: false, error: STALE_REQUEST, result: null });
      return;
    }
    let answer: EditorAnswer;
    try {
      answer = await this.ask(request);
    } catch (error) {
      this.reply(request, { ok: false, error: sentence(error), result: null });
      return;
    }
    if (answer.ok && answer.graph) this.write(answer.graph, null, answer);
    if (answer.ok && answer.selection) this.set("selection", answer.selection);
    this.reply(request, { ok: answer.ok, error: answer.error, result: answer.result });
  }

  private async answerEdit(request: Request, current: boolean): Promise<void> {
    const answered = { view: request.view, edit: request.id };
    if (!current) {
      // Made on a document replaced since: the replacement wins, only the answer goes.
      this.set("graph_revision", { ...this.traits.graph_revision, ...answered, refused: true });
      return;
    }
    let answer: EditorAnswer | null = null;
    let error: string;
    try {
      answer = await this.ask(request);
      error = answer.ok ? "" : (answer.error ?? "The edit was refused.");
    } catch (failure) {
      error = sentence(failure);
    }
    this.set("error", error);
    const base = (request as { base: number }).base;
    if (answer?.ok && answer.graph) this.write(answer.graph, { ...answered, base, refused: false }, answer);
    else this.write(this.traits.graph, { ...answered, base, refused: true }, answer);
  }

  private async ask(request: Request): Promise<EditorAnswer> {
    const answer = await this.call<EditorAnswer | null>("editor", { graph: this.traits.graph, request });
    if (typeof answer?.ok !== "boolean") throw new Error("The server's answer could not be read; try again.");
    return answer;
  }

  private madeOnCurrent(view: string, base: number): boolean {
    const { number } = this.traits.graph_revision;
    if (base === number) return true;
    return this.run !== null && this.run.view === view && this.run.base <= base && base < number;
  }

  /**
   * The document and its analysis, then the revision naming the edit it answers (or none):
   * the page reads them together on the revision's change, as from one widget message.
   */
  private write(
    doc: GraphDoc,
    edit: { view: string; edit: number; base: number; refused: boolean } | null,
    analysis: Analysis | null,
  ): void {
    if (!edit || edit.refused) this.run = null;
    else if (!this.run || this.run.view !== edit.view) this.run = { view: edit.view, base: edit.base };
    const revision: GraphRevision = {
      number: this.traits.graph_revision.number + 1,
      view: edit?.view ?? "",
      edit: edit?.edit ?? 0,
      refused: edit?.refused ?? false,
    };
    const changed = ["graph", "graph_revision"];
    this.traits.graph = doc;
    this.traits.graph_revision = revision;
    if (analysis) {
      for (const key of ANALYSIS_KEYS) {
        (this.traits as unknown as Record<string, unknown>)[key] = analysis[key];
        changed.push(key);
      }
    }
    for (const key of changed) this.emit(`change:${key}`);
  }

  private reply(request: Request, outcome: Pick<Reply, "ok" | "error" | "result">): void {
    const reply: Reply = { type: REPLY_TYPE, view: request.view, id: request.id, request: request.type, ...outcome };
    this.emit("msg:custom", reply, []);
  }

  private emit(eventName: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(eventName) ?? [])]) {
      try {
        handler(...args);
      } catch (error) {
        // One view's failure must not keep the others (or the reply) from hearing of it.
        console.error(`dlstudio: a ${eventName} listener failed`, error);
      }
    }
  }
}

function sentence(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
