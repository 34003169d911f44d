/**
 * The ModelBuilder's model for a graph document (src/lab/serverModel.ts): it plays the Python
 * widget's part (dlstudio/ui/builder.py) with the server answering each request, so these
 * tests hold it to the widget's rules: one writer of `graph`, numbered revisions naming the
 * edit they answer, replies for the other requests, stale requests refused, answers in order.
 */
import { describe, expect, it } from "vitest";
import { applyPatch, GraphSync, type Arrival } from "../src/core/sync";
import { initialTraits, ServerModel, type Call } from "../src/lab/serverModel";
import {
  TRAIT_NAMES,
  type BuilderTraits,
  type EditorAnswer,
  type EditorCall,
  type EditRequest,
  type GraphDoc,
  type GraphRevision,
  type PatchRequest,
  type Reply,
  type Request,
} from "../src/protocol";

/** A graph of `n` Linear layers after one Input (what matters here is only that docs differ). */
function doc(n: number, x = 0): GraphDoc {
  const nodes = [{ id: "input", op: "Input", params: {}, position: { x, y: 0 } }];
  for (let i = 1; i <= n; i++) nodes.push({ id: `linear${i}`, op: "Linear", params: {}, position: { x, y: 100 * i } });
  return { version: 1, nodes, edges: [] };
}

function rev(number: number, view = "", edit = 0, refused = false): GraphRevision {
  return { number, view, edit, refused };
}

/** The server's answer: taken, nothing changed, the analysis of an empty model; `over` wins. */
function answer(over: Partial<EditorAnswer> = {}): EditorAnswer {
  return {
    ok: true,
    error: null,
    result: null,
    graph: null,
    selection: null,
    shapes: {},
    problems: [],
    param_count: 0,
    block_params: {},
    code: "",
    code_keras: "",
    code_flax: "",
    ...over,
  };
}

/** The analysis the server gives of `d` (distinct per document, to see which one was written). */
function analysis(
  d: GraphDoc,
): Pick<EditorAnswer, "shapes" | "problems" | "param_count" | "block_params" | "code" | "code_keras" | "code_flax"> {
  const n = d.nodes.length;
  return {
    shapes: Object.fromEntries(d.nodes.map((node) => [node.id, [null, n]])),
    problems: n > 3 ? [{ node_id: "linear3", message: "too deep", hint: null, fix: null }] : [],
    param_count: 10 * n,
    block_params: {},
    code: `# ${n} nodes`,
    code_keras: `# ${n} nodes in Keras`,
    code_flax: `# ${n} nodes in Flax`,
  };
}

function editOf(view: string, id: number, base: number, graph: GraphDoc): EditRequest {
  return { type: "edit", view, id, base, graph };
}

/** A call the server has not answered yet: the test opens it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

type Step = EditorAnswer | Error | ((body: EditorCall) => EditorAnswer | Error);

/**
 * The server extension, played by a script: each call takes the next step (an answer, an
 * Error to reject with, or a function of the body), after its gate opens if it has one.
 */
class FakeServer {
  readonly calls: { endpoint: string; body: EditorCall }[] = [];
  private readonly steps: { step: Step; wait?: Promise<void> }[] = [];

  then(step: Step, wait?: Promise<void>): this {
    this.steps.push({ step, wait });
    return this;
  }

  readonly call: Call = async <T>(endpoint: string, body?: unknown): Promise<T> => {
    // The body as it was sent: the model may write a new document afterwards.
    const sent = structuredClone(body) as EditorCall;
    this.calls.push({ endpoint, body: sent });
    const next = this.steps.shift();
    if (!next) throw new Error(`unscripted call to ${endpoint}`);
    if (next.wait) await next.wait;
    const outcome = typeof next.step === "function" ? next.step(sent) : next.step;
    if (outcome instanceof Error) throw outcome;
    return outcome as T;
  };
}

/** What the server does with an edit or patch: the document it makes, analysed; `Bad` nodes refused. */
function takeEdit(body: EditorCall): EditorAnswer {
  const request = body.request as EditRequest | PatchRequest;
  const made = request.type === "edit" ? request.graph : applyPatch(body.graph, request.patch);
  if (made.nodes.some((node) => node.op === "Bad")) {
    return answer({ ok: false, error: "Unknown layer type 'Bad'.", ...analysis(body.graph) });
  }
  return answer({ graph: made, ...analysis(made) });
}

/** A model holding `held` at revision `number`, its server, and every event it fires, in order. */
function setup(held: GraphDoc = doc(0), number = 3, over: Partial<BuilderTraits> = {}) {
  const server = new FakeServer();
  const traits: BuilderTraits = { ...initialTraits(held, {}), graph_revision: rev(number), ...over };
  const model = new ServerModel(traits, server.call);
  const events: string[] = [];
  const replies: Reply[] = [];
  for (const name of TRAIT_NAMES) model.on(`change:${name}`, () => events.push(name));
  model.on("msg:custom", (reply: Reply) => replies.push(reply));
  return { server, model, events, replies };
}

/** Lets every promise that can settle now settle (the model answers in a chain of them). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("ServerModel: edits, answered by graph_revision", () => {
  it("takes an edit: the document and its analysis, then the revision naming the edit", async () => {
    const held = doc(0);
    const { server, model, events, replies } = setup(held, 3, { error: "An older refusal." });
    server.then(answer({ graph: doc(4), ...analysis(doc(4)) }));
    // The page reads the document and its analysis together, on the revision's change.
    const seen: unknown[] = [];
    model.on("change:graph_revision", () => seen.push([model.get("graph"), model.get("shapes"), model.get("code")]));

    const request = editOf("a", 1, 3, doc(4));
    model.send(request);
    await model.settled();

    expect(server.calls).toEqual([{ endpoint: "editor", body: { graph: held, request } }]);
    expect(model.get("graph")).toEqual(doc(4));
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, false));
    expect(model.get("shapes")).toEqual(analysis(doc(4)).shapes);
    expect(model.get("problems")).toEqual(analysis(doc(4)).problems);
    expect(model.get("param_count")).toBe(50);
    expect(model.get("code")).toBe("# 5 nodes");
    expect(model.get("error")).toBe("");
    expect(events).toEqual(["error", "graph", "graph_revision", "shapes", "problems", "param_count", "block_params", "code", "code_keras", "code_flax"]);
    expect(seen).toEqual([[doc(4), analysis(doc(4)).shapes, "# 5 nodes"]]);
    expect(replies).toEqual([]); // an edit has no reply: the revision answers it
  });

  it("sends a patch with the document it holds, and holds what the server made of it", async () => {
    const held = doc(2);
    const { server, model } = setup(held, 3);
    server.then(takeEdit);
    const sync = new GraphSync("a", held, rev(3));
    const changed = structuredClone(held);
    changed.nodes[1].params = { out_features: 8 };
    const request = sync.edit(changed) as PatchRequest;
    expect(request.type).toBe("patch");

    model.send(request);
    await model.settled();

    expect(server.calls).toEqual([{ endpoint: "editor", body: { graph: held, request } }]);
    expect(model.get("graph")).toEqual(changed);
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, false));
  });

  it("refuses an edit the server refuses: the same document again, refused, the sentence in error", async () => {
    const held = doc(1);
    const { server, model, events, replies } = setup(held, 3, { shapes: analysis(doc(1)).shapes });
    server.then(answer({ ok: false, error: "Linear needs in_features.", ...analysis(doc(1)) }));

    model.send(editOf("a", 1, 3, doc(2)));
    await model.settled();

    expect(model.get("graph")).toBe(held);
    expect(model.get("graph")).toEqual(doc(1));
    // A new revision, so the page draws it and refuses what it built on the refused edit.
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, true));
    expect(model.get("error")).toBe("Linear needs in_features.");
    expect(model.get("shapes")).toEqual(analysis(doc(1)).shapes);
    expect(events).toContain("graph_revision");
    expect(events.indexOf("error")).toBeLessThan(events.indexOf("graph_revision"));
    expect(replies).toEqual([]);
  });

  it("gives a refusal without a sentence one of its own", async () => {
    const { server, model } = setup();
    server.then(answer({ ok: false, error: null }));
    model.send(editOf("a", 1, 3, doc(2)));
    await model.settled();
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, true));
    expect(model.get("error")).toBe("The edit was refused.");
  });

  it("treats a call that fails (the network) as a refused edit, with the sentence, and goes on", async () => {
    const held = doc(1);
    const shapes = analysis(doc(1)).shapes;
    const { server, model, replies } = setup(held, 3, { shapes });
    const failure = "The Jupyter server did not answer (TypeError: Failed to fetch); is it still running?";
    server.then(new Error(failure)).then(takeEdit);

    model.send(editOf("a", 1, 3, doc(2)));
    await model.settled();

    expect(model.get("graph")).toBe(held);
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, true));
    expect(model.get("error")).toBe(failure);
    expect(model.get("shapes")).toBe(shapes); // no analysis came: the one held stays
    expect(replies).toEqual([]);

    // The page, told of the refusal, sends its edit again on the revision it drew.
    model.send(editOf("a", 2, 4, doc(2)));
    await model.settled();
    expect(model.get("graph")).toEqual(doc(2));
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 2, false));
    expect(model.get("error")).toBe("");
  });

  it("answers requests strictly in order, even when the first answer is slower", async () => {
    const { server, model, replies } = setup(doc(0), 3);
    const slow = gate();
    server
      .then((body) => takeEdit(body), slow.opened)
      .then(answer({ graph: doc(9), result: { name: "mlp" }, ...analysis(doc(9)) }));
    const revisions: GraphRevision[] = [];
    model.on("change:graph_revision", () => revisions.push(model.get("graph_revision")));
    const order: string[] = [];
    model.on("change:graph_revision", () => order.push("revision"));
    model.on("msg:custom", () => order.push("reply"));

    model.send(editOf("a", 1, 3, doc(1)));
    model.send({ type: "apply_template", view: "b", id: 1, name: "mlp" });
    await flush();
    // The second request waits for the first answer: it will be made on the document after it.
    expect(server.calls.map((c) => c.body.request.type)).toEqual(["edit"]);
    expect(revisions).toEqual([]);

    slow.open();
    await model.settled();
    expect(server.calls.map((c) => c.body.request.type)).toEqual(["edit", "apply_template"]);
    expect(server.calls[1].body.graph).toEqual(doc(1));
    expect(revisions).toEqual([rev(4, "a", 1, false), rev(5)]);
    expect(order).toEqual(["revision", "revision", "reply"]);
    expect(replies.map((r) => [r.view, r.id])).toEqual([["b", 1]]);
    expect(model.get("graph")).toEqual(doc(9));
  });

  it("answers in order whatever each answer's delay, one call at a time", async () => {
    // Each call is answered after a delay, the first one the longest.
    const delays = [30, 0, 10];
    let calls = 0;
    const made: number[] = [];
    let open = 0;
    const delayed = new ServerModel(
      { ...initialTraits(doc(0), {}), graph_revision: rev(3) },
      async <T>(_endpoint: string, body?: unknown): Promise<T> => {
        const { graph, request } = body as EditorCall;
        made.push((request as EditRequest).id);
        expect(open++).toBe(0); // never two calls at once
        await new Promise((resolve) => setTimeout(resolve, delays[calls++]));
        open--;
        return takeEdit({ graph, request }) as T;
      },
    );
    const revisions: GraphRevision[] = [];
    delayed.on("change:graph_revision", () => revisions.push(delayed.get("graph_revision")));
    delayed.send(editOf("a", 1, 3, doc(1)));
    delayed.send(editOf("a", 2, 3, doc(2)));
    delayed.send(editOf("a", 3, 3, doc(3)));
    await delayed.settled();
    expect(made).toEqual([1, 2, 3]);
    expect(revisions).toEqual([rev(4, "a", 1), rev(5, "a", 2), rev(6, "a", 3)]);
    expect(delayed.get("graph")).toEqual(doc(3));
  });
});

describe("ServerModel: other requests, answered by a reply", () => {
  it("writes a template's document as its own revision (no view) and replies to the view that asked", async () => {
    const { server, model, events, replies } = setup(doc(0), 3, { error: "kept" });
    server.then(answer({ graph: doc(6), ...analysis(doc(6)) }));

    model.send({ type: "apply_template", view: "a", id: 7, name: "mlp" });
    await model.settled();

    expect(server.calls[0].endpoint).toBe("editor");
    expect(server.calls[0].body.request).toEqual({ type: "apply_template", view: "a", id: 7, name: "mlp" });
    expect(model.get("graph")).toEqual(doc(6));
    expect(model.get("graph_revision")).toEqual(rev(4));
    expect(model.get("code")).toBe("# 7 nodes");
    expect(model.get("error")).toBe("kept"); // only edits write the error trait
    expect(events).toEqual(["graph", "graph_revision", "shapes", "problems", "param_count", "block_params", "code", "code_keras", "code_flax"]);
    expect(replies).toEqual([
      { type: "reply", view: "a", id: 7, request: "apply_template", ok: true, error: null, result: null },
    ]);
  });

  it("groups a selection into a block: the document, the selection, and the result in the reply", async () => {
    const { server, model, events, replies } = setup(doc(3), 3);
    const grouped = doc(1);
    grouped.nodes.push({ id: "block1", op: "Block", params: {}, position: { x: 0, y: 200 } });
    server.then(answer({ graph: grouped, selection: ["block1"], result: { node_id: "block1" }, ...analysis(grouped) }));

    const request: Request = { type: "group_block", view: "a", id: 2, base: 3, ids: ["linear2", "linear3"], name: "Block" };
    model.send(request);
    await model.settled();

    expect(server.calls).toEqual([{ endpoint: "editor", body: { graph: doc(3), request } }]);
    expect(model.get("graph")).toEqual(grouped);
    expect(model.get("graph_revision")).toEqual(rev(4));
    expect(model.get("selection")).toEqual(["block1"]);
    expect(events.indexOf("selection")).toBeGreaterThan(events.indexOf("graph_revision"));
    expect(replies).toEqual([
      { type: "reply", view: "a", id: 2, request: "group_block", ok: true, error: null, result: { node_id: "block1" } },
    ]);
  });

  it("replies with the sentence when the server refuses the request or cannot be reached", async () => {
    const held = doc(2);
    const { server, model, events, replies } = setup(held, 3);
    server
      .then(answer({ ok: false, error: "Select at least one layer to group.", ...analysis(held) }))
      .then(new Error("The server answered 500 Internal Server Error."));

    model.send({ type: "group_block", view: "a", id: 1, base: 3, ids: [], name: "Block" });
    model.send({ type: "apply_fix", view: "a", id: 2, base: 3, fix: { node_id: "linear1", params: { in_features: 4 } } });
    await model.settled();

    expect(model.get("graph")).toBe(held);
    expect(model.get("graph_revision")).toEqual(rev(3));
    expect(events).toEqual([]);
    expect(replies).toEqual([
      { type: "reply", view: "a", id: 1, request: "group_block", ok: false, error: "Select at least one layer to group.", result: null },
      { type: "reply", view: "a", id: 2, request: "apply_fix", ok: false, error: "The server answered 500 Internal Server Error.", result: null },
    ]);
  });

  it("saves the JSON without touching the document", async () => {
    const held = doc(2);
    const { server, model, events, replies } = setup(held, 3);
    const text = JSON.stringify(held);
    server.then(answer({ result: { text }, ...analysis(held) }));

    model.send({ type: "save_json", view: "a", id: 4, base: 3 });
    await model.settled();

    expect(server.calls[0].body.graph).toEqual(held);
    expect(model.get("graph")).toBe(held);
    expect(model.get("graph_revision")).toEqual(rev(3));
    expect(events).toEqual([]);
    expect(replies).toEqual([{ type: "reply", view: "a", id: 4, request: "save_json", ok: true, error: null, result: { text } }]);
  });
});

describe("ServerModel: the document replaced from outside (the file reverted)", () => {
  it("writes a revision from nobody, and refuses what was made on the old one without asking", async () => {
    const { server, model, events, replies } = setup(doc(1), 3, { error: "kept" });
    server.then({ graph: doc(5), ...analysis(doc(5)) } as unknown as EditorAnswer);

    await model.replace(doc(5));
    expect(server.calls).toEqual([{ endpoint: "analyze", body: { graph: doc(5) } }]);
    expect(model.get("graph")).toEqual(doc(5));
    expect(model.get("graph_revision")).toEqual(rev(4));
    expect(model.get("code")).toBe("# 6 nodes");
    expect(events).toEqual(["graph", "graph_revision", "shapes", "problems", "param_count", "block_params", "code", "code_keras", "code_flax"]);

    // The page's edit and block, made on revision 3, arrive after it.
    events.length = 0;
    const replaced = model.get("graph");
    model.send(editOf("a", 1, 3, doc(2)));
    model.send({ type: "group_block", view: "a", id: 2, base: 3, ids: ["linear1"], name: "Block" });
    await model.settled();

    expect(server.calls).toHaveLength(1); // neither was sent to the server
    expect(model.get("graph")).toBe(replaced);
    // Only the answer goes: the same document and number, naming the refused edit.
    expect(model.get("graph_revision")).toEqual(rev(4, "a", 1, true));
    expect(model.get("error")).toBe("kept");
    expect(events).toEqual(["graph_revision"]);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: "reply", view: "a", id: 2, request: "group_block", ok: false, result: null });
    expect(replies[0].error).toMatch(/replaced .*nothing was changed/);
  });

  it("still saves a JSON file asked for on the old revision (it saves what is held, as Python does)", async () => {
    const { server, model, replies } = setup(doc(1), 3);
    server.then({ graph: doc(5), ...analysis(doc(5)) } as unknown as EditorAnswer);
    server.then(answer({ result: { text: "{}" } }));
    await model.replace(doc(5));
    model.send({ type: "save_json", view: "a", id: 1, base: 3 });
    await model.settled();
    expect(server.calls.map((c) => c.endpoint)).toEqual(["analyze", "editor"]);
    expect(server.calls[1].body.graph).toEqual(doc(5));
    expect(replies).toEqual([{ type: "reply", view: "a", id: 1, request: "save_json", ok: true, error: null, result: { text: "{}" } }]);
  });

  it("ends a view's run of edits: its next edit on a revision before the replacement is refused", async () => {
    const { server, model } = setup(doc(0), 3);
    server.then(takeEdit).then({ graph: doc(5), ...analysis(doc(5)) } as unknown as EditorAnswer);
    model.send(editOf("a", 1, 3, doc(1)));
    const replaced = model.replace(doc(5));
    model.send(editOf("a", 2, 4, doc(2))); // made on its own edit's answer, before the replacement
    await replaced;
    await model.settled();
    expect(server.calls.map((c) => c.endpoint)).toEqual(["editor", "analyze"]);
    expect(model.get("graph")).toEqual(doc(5));
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 2, true));
  });

  it("rejects when the server cannot analyse the document, and answers the requests after it", async () => {
    const { server, model, replies } = setup(doc(1), 3);
    server.then(new Error("Not a graph document.")).then(answer({ graph: doc(6), ...analysis(doc(6)) }));
    await expect(model.replace(doc(5))).rejects.toThrow("Not a graph document.");
    expect(model.get("graph")).toEqual(doc(1));
    expect(model.get("graph_revision")).toEqual(rev(3));
    model.send({ type: "apply_template", view: "a", id: 1, name: "mlp" });
    await model.settled();
    expect(replies).toMatchObject([{ id: 1, ok: true }]);
    expect(model.get("graph_revision")).toEqual(rev(4));
  });
});

describe("ServerModel: a view's run of edits (builder.py `_made_on_current`)", () => {
  it("takes two edits of one view sent back to back on the same base", async () => {
    const { server, model } = setup(doc(0), 3);
    server.then(takeEdit).then(takeEdit);
    const sync = new GraphSync("a", doc(0), rev(3));
    const first = sync.edit(doc(1));
    const second = sync.edit(doc(2)); // before the first answer: it still names revision 3
    expect([first?.base, second?.base]).toEqual([3, 3]);

    model.send(first);
    model.send(second);
    await model.settled();

    expect(server.calls).toHaveLength(2);
    expect(server.calls[1].body.graph).toEqual(doc(1)); // the second is made on the first's document
    expect(model.get("graph")).toEqual(doc(2));
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 2, false));
  });

  it("refuses, without asking, another view's edit made before that run", async () => {
    const { server, model } = setup(doc(0), 3);
    server.then(takeEdit).then(takeEdit);
    model.send(editOf("a", 1, 3, doc(1)));
    model.send(editOf("a", 2, 3, doc(2)));
    model.send(editOf("b", 1, 3, doc(0, 50)));
    await model.settled();
    expect(server.calls).toHaveLength(2);
    expect(model.get("graph")).toEqual(doc(2));
    expect(model.get("graph_revision")).toEqual(rev(5, "b", 1, true));
  });

  it("ends the run at a refusal: the edit made on the refused one is refused without asking", async () => {
    const { server, model } = setup(doc(0), 3);
    server.then(takeEdit).then(takeEdit);
    const bad = doc(1);
    bad.nodes[1].op = "Bad";
    model.send(editOf("a", 1, 3, doc(1))); // taken: revision 4, the run starts at 3
    model.send(editOf("a", 2, 3, bad)); // refused: revision 5
    model.send(editOf("a", 3, 3, doc(3))); // made on the refused one
    await model.settled();
    expect(server.calls).toHaveLength(2);
    expect(model.get("graph")).toEqual(doc(1));
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 3, true));
    expect(model.get("error")).toBe("Unknown layer type 'Bad'.");
  });

  it("ends the run at a request of another kind: the view's edits on older revisions are refused", async () => {
    const { server, model, replies } = setup(doc(0), 3);
    server.then(takeEdit).then(answer({ graph: doc(6), ...analysis(doc(6)) }));
    model.send(editOf("a", 1, 3, doc(1)));
    model.send({ type: "apply_template", view: "a", id: 2, name: "mlp" });
    model.send(editOf("a", 3, 4, doc(2)));
    await model.settled();
    expect(server.calls).toHaveLength(2);
    expect(replies).toMatchObject([{ id: 2, ok: true }]);
    expect(model.get("graph")).toEqual(doc(6));
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 3, true));
  });
});

/** A page: a GraphSync fed by the model's revisions, drawing what it says to draw. */
class Page {
  readonly sync: GraphSync;
  readonly arrivals: Arrival[] = [];
  canvas: GraphDoc;

  constructor(
    private readonly model: ServerModel,
    view: string,
  ) {
    this.canvas = model.get("graph");
    this.sync = new GraphSync(view, this.canvas, model.get("graph_revision"));
    model.on("change:graph_revision", () => {
      const held = model.get("graph");
      const arrival = this.sync.arrived(held, model.get("graph_revision"));
      this.arrivals.push(arrival);
      if (arrival === "draw") {
        this.canvas = held;
        this.sync.drawn(held);
      }
    });
  }

  edit(doc: GraphDoc): void {
    this.canvas = doc;
    const request = this.sync.edit(doc);
    if (request) this.model.send(request);
  }
}

describe("ServerModel with GraphSync: what the page draws", () => {
  it("keeps its own answered edits and draws a refusal or a replacement", async () => {
    const { server, model } = setup(doc(0), 3);
    server.then(takeEdit).then(takeEdit).then(takeEdit);
    server.then({ graph: doc(7), ...analysis(doc(7)) } as unknown as EditorAnswer).then(takeEdit);
    const page = new Page(model, "a");

    page.edit(doc(1));
    await model.settled();
    expect(page.arrivals).toEqual(["keep"]);
    expect(page.sync.busy).toBe(false);
    expect(page.canvas).toEqual(doc(1));

    const bad = doc(2);
    bad.nodes[2].op = "Bad";
    page.edit(bad);
    await model.settled();
    expect(model.get("graph_revision")).toEqual(rev(5, "a", 2, true));
    expect(page.arrivals).toEqual(["keep", "draw"]);
    expect(page.canvas).toEqual(doc(1)); // back to the document held
    expect(model.get("error")).toBe("Unknown layer type 'Bad'.");

    page.edit(doc(2));
    await model.settled();
    expect(page.arrivals.at(-1)).toBe("keep");
    expect(model.get("graph")).toEqual(doc(2));

    // The file is reverted while an edit is on its way: the replacement wins on the page too.
    const replaced = model.replace(doc(7));
    page.edit(doc(3)); // made on revision 6, reaches the model after the replacement
    await replaced;
    await model.settled();
    expect(page.arrivals.slice(-2)).toEqual(["draw", "keep"]);
    expect(model.get("graph_revision")).toEqual(rev(7, "a", 4, true));
    expect(page.canvas).toEqual(doc(7));
    expect(page.sync.busy).toBe(false);

    page.edit(doc(8));
    await model.settled();
    expect(page.arrivals.at(-1)).toBe("keep");
    expect(model.get("graph")).toEqual(doc(8));
    expect(model.get("graph_revision")).toEqual(rev(8, "a", 5, false));
    expect(server.calls.map((c) => c.endpoint)).toEqual(["editor", "editor", "editor", "analyze", "editor"]);
  });
});

describe("ServerModel: one failure does not stop the requests after it", () => {
  it("answers this request and the next when a page listener throws", async () => {
    const { server, model, replies } = setup(doc(0), 3);
    server.then(answer({ graph: doc(1), ...analysis(doc(1)) })).then(answer({ graph: doc(2), ...analysis(doc(2)) }));
    let thrown = false;
    const original = console.error;
    console.error = () => {};
    model.on("change:graph", () => {
      if (!thrown) {
        thrown = true;
        throw new Error("listener");
      }
    });
    model.send({ type: "apply_template", view: "a", id: 1, name: "mlp" });
    model.send({ type: "apply_template", view: "a", id: 2, name: "lenet5" });
    await model.settled();
    console.error = original;
    expect(replies.map((r) => [r.id, r.ok])).toEqual([[1, true], [2, true]]);
    expect(model.get("graph")).toEqual(doc(2));
  });

  it("refuses with a sentence an answer that is not one, and answers what follows", async () => {
    const { server, model, replies } = setup(doc(0), 3);
    const unreadable = null as unknown as EditorAnswer;
    server.then(unreadable).then(answer({ result: { text: "{}", filename: "model.json" } }));
    model.send({ type: "save_json", view: "a", id: 1, base: 3 });
    model.send({ type: "save_json", view: "a", id: 2, base: 3 });
    await model.settled();
    expect(replies.map((r) => [r.id, r.ok])).toEqual([[1, false], [2, true]]);
    expect(replies[0].error).toMatch(/could not be read/);
  });
});
