import { describe, expect, it } from "vitest";
import { GraphEditor } from "../src/editor/graphEditor";
import { orderCategories } from "../src/editor/Palette";
import type { GraphDoc, PatchRequest } from "../src/protocol";
import { editedDoc, edits, FakeKernel, type FakeModel } from "./fakeKernel";

function start(): GraphDoc {
  return { version: 1, nodes: [{ id: "input", op: "Input", params: {}, position: { x: 40, y: 40 } }], edges: [] };
}

function ids(doc: GraphDoc): string[] {
  return doc.nodes.map((n) => n.id).sort();
}

/** A view of the kernel's builder, attached as a mounted Builder is. */
function open(kernel: FakeKernel, view?: string): { editor: GraphEditor; model: FakeModel } {
  const model = kernel.connect();
  const editor = new GraphEditor(model.asModel(), view);
  editor.attach();
  return { editor, model };
}


describe("GraphEditor: one writer per direction", () => {
  it("sends edits as requests and never writes the graph trait", () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel, "a");
    editor.addNode("Linear");
    expect(edits(model)).toHaveLength(1);
    expect(edits(model)[0]).toMatchObject({ view: "a", id: 1, base: 1 });
    expect(model.saved.every((state) => !("graph" in state))).toBe(true);
    kernel.settle([model]);
    expect(ids(kernel.doc)).toEqual(["input", "linear1"]);
  });

  it("holds a change back while an edit is in flight, then sends the newest canvas once", () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel);
    editor.addNode("Linear");
    editor.addNode("ReLU");
    editor.addNode("Conv2d");
    expect(edits(model)).toHaveLength(1); // the other two wait
    kernel.deliver(model);
    kernel.receive(model); // the answer frees the way: one edit with both nodes leaves
    expect(edits(model)).toHaveLength(1);
    expect(edits(model)[0].type).toBe("patch"); // only what changed since the edit taken
    expect(ids(editedDoc(kernel.doc, edits(model)[0]))).toEqual(["conv2d1", "input", "linear1", "relu1"]);
    kernel.settle([model]);
    expect(ids(kernel.doc)).toEqual(["conv2d1", "input", "linear1", "relu1"]);
  });

  it("ends on Python's graph when Python replaces it during rapid edits", () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel);
    editor.addNode("Linear");
    kernel.deliver(model); // taken; Python then fits the model to new data
    const python: GraphDoc = { ...start(), nodes: [...start().nodes, { id: "fc", op: "Linear", params: {} }] };
    kernel.replace(python);
    editor.addNode("ReLU"); // made on the old graph: held back, then dropped
    editor.addNode("Conv2d");
    kernel.settle([model]);
    expect(ids(editor.snapshot())).toEqual(["fc", "input"]);
    expect(ids(kernel.doc)).toEqual(["fc", "input"]);
    // A document without positions was laid out on the page, and Python heard where.
    expect(kernel.doc.nodes.every((n) => n.position)).toBe(true);
    editor.addNode("Conv2d");
    kernel.settle([model]);
    expect(ids(kernel.doc)).toEqual(["conv2d1", "fc", "input"]);
  });

  it("rolls a refused edit back to Python's document", () => {
    const kernel = new FakeKernel(start(), (doc) => doc.nodes.some((n) => n.op === "Dropout"));
    const { editor, model } = open(kernel);
    editor.addNode("Dropout");
    expect(ids(editor.snapshot())).toEqual(["dropout1", "input"]); // drawn at once
    kernel.settle([model]);
    expect(ids(editor.snapshot())).toEqual(["input"]);
    editor.addNode("ReLU");
    kernel.settle([model]);
    expect(ids(kernel.doc)).toEqual(["input", "relu1"]);
  });

  it("shows a second view the edits of the first", () => {
    const kernel = new FakeKernel(start());
    const first = open(kernel, "a");
    const second = open(kernel, "b");
    first.editor.addNode("Linear");
    kernel.settle([first.model, second.model]);
    expect(ids(second.editor.snapshot())).toEqual(["input", "linear1"]);
    second.editor.addNode("ReLU");
    kernel.settle([first.model, second.model]);
    expect(ids(first.editor.snapshot())).toEqual(["input", "linear1", "relu1"]);
  });

  it("always ends with every view on Python's graph", () => {
    for (let seed = 1; seed <= 20; seed++) {
      let state = seed;
      const random = () => {
        state = (state * 48271) % 2147483647;
        return state / 2147483647;
      };
      const kernel = new FakeKernel(start(), (doc) => doc.nodes.some((n) => n.op === "Dropout"));
      const views = [open(kernel, "a"), open(kernel, "b")];
      for (let step = 0; step < 40; step++) {
        const { editor, model } = views[Math.floor(random() * views.length)];
        const roll = random();
        if (roll < 0.3) editor.addNode("Linear");
        else if (roll < 0.4) editor.addNode("Dropout");
        else if (roll < 0.5) editor.setPositions(new Map([["input", { x: step, y: step }]]));
        else if (roll < 0.55) kernel.replace(start());
        else if (roll < 0.6) editor.undo();
        else if (roll < 0.8) kernel.deliver(model, 1);
        else kernel.receive(model);
      }
      kernel.settle(views.map((v) => v.model));
      for (const { editor } of views) {
        expect(editor.snapshot().nodes, `seed ${seed}`).toEqual(kernel.doc.nodes);
      }
    }
  });
});

describe("GraphEditor: requests, selection, clipboard", () => {
  it("sends a request behind the canvas, naming its view and base, and takes only its own reply", async () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel, "a");
    editor.addNode("Linear");
    kernel.deliver(model);
    kernel.receive(model);
    editor.setParam("linear1", "out_features", 3);
    const answered = editor.request({ type: "apply_fix", fix: { node_id: "linear1", params: {} } });
    const [edit, request] = model.sent.slice(-2) as [PatchRequest, Record<string, unknown>];
    expect(edit.type).toBe("patch");
    expect(request).toMatchObject({ type: "apply_fix", view: "a", id: 1, base: edit.base });
    // Another view's request 1 is answered first: not ours.
    const reply = { type: "reply", id: 1, request: "apply_fix", ok: false, error: "no", result: null };
    model.emit("msg:custom", { ...reply, view: "b" });
    model.emit("msg:custom", { ...reply, view: "a", ok: true, error: null });
    expect((await answered).ok).toBe(true);
  });

  it("leaves out the base of a request that replaces the graph", () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel, "a");
    void editor.request({ type: "apply_template", name: "mlp" });
    expect(model.sent.at(-1)).toEqual({ type: "apply_template", name: "mlp", view: "a", id: 1 });
  });

  it("follows Python's selection and tells Python of the page's", () => {
    const kernel = new FakeKernel(start());
    const { editor, model } = open(kernel);
    model.update({ selection: ["input"] });
    expect(editor.selectedNodes().map((n) => n.id)).toEqual(["input"]);
    expect(model.saved).toEqual([]); // no echo
    editor.addNode("Linear"); // the new node is selected
    expect(model.saved.at(-1)).toEqual({ selection: ["linear1"] });
  });

  it("keeps one clipboard per builder, shared by its views", () => {
    const kernel = new FakeKernel(start());
    const model = kernel.connect();
    const one = new GraphEditor(model.asModel());
    const two = new GraphEditor(model.asModel());
    const other = open(new FakeKernel(start())).editor;
    one.selectAll();
    one.copy();
    expect(new GraphEditor(model.asModel()).store.get().canPaste).toBe(true);
    two.paste();
    expect(ids(two.snapshot())).toEqual(["input", "input1"]);
    expect(other.store.get().canPaste).toBe(false);
  });
});

describe("Palette category order", () => {
  it("follows Python's order, then unknown categories, then blocks", () => {
    const groups: [string, number][] = [["blocks", 1], ["mine", 2], ["pooling", 3], ["core", 4]];
    const order = orderCategories(groups, ["core", "convolution", "pooling"]).map(([c]) => c);
    expect(order).toEqual(["core", "pooling", "mine", "blocks"]);
  });
});
