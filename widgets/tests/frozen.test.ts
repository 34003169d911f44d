import { describe, expect, it } from "vitest";
import { cloneWithFreshIds, extract } from "../src/core/clipboard";
import { decorateNodes, flowFromGraph, graphFromFlow } from "../src/core/graph";
import { GraphEditor } from "../src/editor/graphEditor";
import type { GraphDoc } from "../src/protocol";
import { editedDoc, edits, FakeKernel, type FakeModel } from "./fakeKernel";

function frozenDoc(): GraphDoc {
  return {
    version: 1,
    nodes: [
      { id: "input", op: "Input", params: {}, position: { x: 0, y: 0 } },
      { id: "fc1", op: "Linear", params: { out_features: 4 }, position: { x: 0, y: 100 }, frozen: true },
      { id: "relu1", op: "ReLU", params: {}, position: { x: 0, y: 200 } },
    ],
    edges: [
      { source: "input", target: "fc1", target_port: 0 },
      { source: "fc1", target: "relu1", target_port: 0 },
    ],
  };
}

function open(kernel: FakeKernel): { editor: GraphEditor; model: FakeModel } {
  const model = kernel.connect();
  const editor = new GraphEditor(model.asModel(), "a");
  editor.attach();
  return { editor, model };
}


function frozenIds(doc: GraphDoc): string[] {
  return doc.nodes.filter((n) => n.frozen).map((n) => n.id);
}

describe("frozen: graph <-> flow", () => {
  it("carries the flag onto the node's data and back", () => {
    const { nodes, edges } = flowFromGraph(frozenDoc());
    expect(nodes.map((n) => n.data.frozen ?? false)).toEqual([false, true, false]);
    expect(graphFromFlow(nodes, edges)).toEqual(frozenDoc());
  });

  it("writes the key only when true, after the position, as Python does", () => {
    const { nodes, edges } = flowFromGraph(frozenDoc());
    const out = graphFromFlow(nodes, edges);
    expect(Object.keys(out.nodes[1])).toEqual(["id", "op", "params", "position", "frozen"]);
    expect("frozen" in out.nodes[0]).toBe(false);
    nodes[1] = { ...nodes[1], data: { ...nodes[1].data, frozen: false } };
    expect("frozen" in graphFromFlow(nodes, edges).nodes[1]).toBe(false);
    // An unfrozen document comes back byte for byte.
    const plain = { ...frozenDoc(), nodes: frozenDoc().nodes.map(({ frozen: _, ...n }) => n) };
    const flow = flowFromGraph(plain);
    expect(JSON.stringify(graphFromFlow(flow.nodes, flow.edges))).toBe(JSON.stringify(plain));
  });

  it("keeps the flag when Python's analysis is drawn onto the nodes", () => {
    const { nodes } = flowFromGraph(frozenDoc());
    const decorated = decorateNodes(nodes, { fc1: [null, 4] }, new Map());
    expect(decorated[1].data.frozen).toBe(true);
  });
});

describe("frozen: clipboard", () => {
  it("copies, pastes and duplicates a frozen layer frozen", () => {
    const doc = frozenDoc();
    const piece = extract(doc, new Set(["fc1", "relu1"]));
    const copy = cloneWithFreshIds(piece, new Set(doc.nodes.map((n) => n.id)), { x: 40, y: 40 });
    expect(copy.nodes.map((n) => [n.id, n.frozen ?? false])).toEqual([
      ["linear1", true],
      ["relu2", false],
    ]);
    const flow = flowFromGraph({ version: 1, ...copy });
    expect(frozenIds(graphFromFlow(flow.nodes, flow.edges))).toEqual(["linear1"]);
  });

  it("keeps the flag through the editor's duplicate and copy/paste", () => {
    const kernel = new FakeKernel(frozenDoc());
    const { editor } = open(kernel);
    editor.onNodesChange([{ type: "select", id: "fc1", selected: true }]);
    editor.duplicate();
    expect(frozenIds(editor.snapshot())).toEqual(["fc1", "linear1"]);
    editor.copy();
    editor.paste();
    expect(frozenIds(editor.snapshot())).toEqual(["fc1", "linear1", "linear2"]);
  });
});

describe("frozen: GraphEditor.setFrozen", () => {
  it("sends the change at once, as one undo step", () => {
    const kernel = new FakeKernel(frozenDoc());
    const { editor, model } = open(kernel);
    const before = edits(model).length;
    editor.setFrozen("relu1", true);
    expect(edits(model)).toHaveLength(before + 1);
    expect(frozenIds(editedDoc(kernel.doc, edits(model).at(-1)!))).toEqual(["fc1", "relu1"]);
    kernel.settle([model]);
    expect(frozenIds(kernel.doc)).toEqual(["fc1", "relu1"]);

    editor.setFrozen("fc1", false);
    kernel.settle([model]);
    expect(frozenIds(kernel.doc)).toEqual(["relu1"]);
    expect("frozen" in kernel.doc.nodes[1]).toBe(false);

    editor.undo();
    kernel.settle([model]);
    expect(frozenIds(kernel.doc)).toEqual(["fc1", "relu1"]);
    editor.undo();
    kernel.settle([model]);
    expect(frozenIds(kernel.doc)).toEqual(["fc1"]);
    editor.redo();
    expect(frozenIds(editor.snapshot())).toEqual(["fc1", "relu1"]);
  });

  it("does nothing when the node already has that value", () => {
    const kernel = new FakeKernel(frozenDoc());
    const { editor, model } = open(kernel);
    kernel.settle([model]);
    const before = edits(model).length;
    editor.setFrozen("fc1", true);
    editor.setFrozen("relu1", false);
    editor.setFrozen("nosuch", true);
    expect(edits(model)).toHaveLength(before);
    expect(editor.store.get().canUndo).toBe(false);
  });
});
