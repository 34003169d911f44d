import { describe, expect, it } from "vitest";
import { applyPatch, GraphSync, MAX_IN_FLIGHT, newViewId } from "../src/core/sync";
import type { EditRequest, GraphDoc, GraphRevision, PatchRequest } from "../src/protocol";

/** A graph of `n` Linear layers after one Input (what matters here is only that docs differ). */
function doc(n: number, x = 0): GraphDoc {
  const nodes = [{ id: "input", op: "Input", params: {}, position: { x, y: 0 } }];
  for (let i = 1; i <= n; i++) nodes.push({ id: `linear${i}`, op: "Linear", params: {}, position: { x, y: 100 * i } });
  return { version: 1, nodes, edges: [] };
}

function rev(number: number, view = "", edit = 0, refused = false): GraphRevision {
  return { number, view, edit, refused };
}

describe("newViewId", () => {
  it("gives each view its own name", () => {
    const ids = new Set(Array.from({ length: 100 }, newViewId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("GraphSync: what a view sends", () => {
  it("numbers each new document and names the revision it builds on", () => {
    const sync = new GraphSync("a", doc(0), rev(4));
    expect(sync.edit(doc(0))).toBeNull(); // nothing new
    expect(sync.edit(doc(1))).toEqual({
      type: "patch",
      view: "a",
      id: 1,
      base: 4,
      patch: {
        nodes: { count: 1, remove: [], set: [], add: [doc(1).nodes[1]] },
        edges: { count: 0, remove: [], add: [] },
      },
    });
    expect(sync.edit(doc(1))).toBeNull();
    expect(sync.edit(doc(2))).toMatchObject({ id: 2, base: 4 });
    expect(sync.revision).toBe(4);
  });

  it("is busy while an edit waits for its answer", () => {
    expect(MAX_IN_FLIGHT).toBe(1);
    const sync = new GraphSync("a", doc(0), rev(1));
    expect(sync.busy).toBe(false);
    sync.edit(doc(1));
    expect(sync.busy).toBe(true);
    sync.arrived(doc(1), rev(2, "a", 1));
    expect(sync.busy).toBe(false);
  });
});

describe("GraphSync: what a view draws", () => {
  it("keeps the canvas when Python answers its own edits, and builds on the answer", () => {
    const sync = new GraphSync("a", doc(0), rev(1));
    sync.edit(doc(1));
    sync.edit(doc(2)); // sent before the first answer came
    // Python's document may be in its own form: the canvas, which shows it, stays.
    expect(sync.arrived({ ...doc(1), metadata: {} }, rev(2, "a", 1))).toBe("keep");
    expect(sync.arrived(doc(2), rev(3, "a", 2))).toBe("keep");
    expect(sync.edit(doc(3))).toMatchObject({ id: 3, base: 3 });
  });

  it("goes back to Python's document when its edit is refused", () => {
    const sync = new GraphSync("a", doc(0), rev(1));
    sync.edit(doc(1)); // malformed, say
    sync.edit(doc(2)); // made on it
    expect(sync.arrived(doc(0), rev(2, "a", 1, true))).toBe("draw");
    sync.drawn(doc(0));
    expect(sync.busy).toBe(false);
    // The refusal of the edit made on the refused one changes nothing more.
    expect(sync.arrived(doc(0), rev(2, "a", 2, true))).toBe("keep");
    expect(sync.edit(doc(3))).toMatchObject({ base: 2 });
  });

  it("draws a replacement Python made, and drops its edits made on the old document", () => {
    const sync = new GraphSync("a", doc(0), rev(1));
    sync.edit(doc(1)); // taken: revision 2
    sync.edit(doc(2)); // on its way when Python replaces the graph
    expect(sync.arrived(doc(1), rev(2, "a", 1))).toBe("keep");
    expect(sync.arrived(doc(7), rev(3))).toBe("draw");
    sync.drawn(doc(7));
    expect(sync.busy).toBe(false);
    // Python refuses edit 2 (made on revision 2): the canvas already shows revision 3.
    expect(sync.arrived(doc(7), rev(3, "a", 2, true))).toBe("keep");
    expect(sync.edit(doc(8))).toMatchObject({ id: 3, base: 3 });
  });

  it("takes a replacement equal to the canvas without redrawing, but builds on it", () => {
    const sync = new GraphSync("a", doc(2), rev(3));
    expect(sync.arrived(doc(2), rev(4))).toBe("keep");
    expect(sync.edit(doc(3))).toMatchObject({ base: 4 });
  });

  it("follows the edits of another view of the same model", () => {
    const mine = new GraphSync("a", doc(0), rev(1));
    const other = new GraphSync("b", doc(0), rev(1));
    const edit = other.edit(doc(0, 50));
    expect(edit).toMatchObject({ view: "b", id: 1, base: 1 });
    // View a has an edit with the same id on its way: the answer to b's is not a's.
    mine.edit(doc(1));
    expect(mine.arrived(doc(0, 50), rev(2, "b", 1))).toBe("draw");
    expect(other.arrived(doc(0, 50), rev(2, "b", 1))).toBe("keep");
    expect(mine.busy).toBe(false);
  });

  it("ignores answers older than the canvas", () => {
    const sync = new GraphSync("a", doc(0), rev(5));
    expect(sync.arrived(doc(3), rev(4))).toBe("keep");
    expect(sync.arrived(doc(3), rev(5, "b", 9, true))).toBe("keep");
    expect(sync.arrived(doc(3), null)).toBe("keep");
  });
});

/** The document an edit makes of `held`, what Python holds when it arrives. */
function applied(held: GraphDoc, edit: EditRequest | PatchRequest | null): GraphDoc {
  if (!edit) throw new Error("nothing was sent");
  return edit.type === "edit" ? edit.graph : applyPatch(held, edit.patch);
}

function chain(n: number): GraphDoc {
  const d = doc(n);
  d.edges = d.nodes.slice(1).map((node, i) => ({ source: d.nodes[i].id, target: node.id, target_port: 0 }));
  return d;
}

describe("GraphSync: edits say what changed", () => {
  it("sends only the changed node, and Python's result is the canvas", () => {
    const before = chain(1000);
    const sync = new GraphSync("a", before, rev(1));
    const after = structuredClone(before);
    after.nodes[500].params = { out_features: 8 };
    const edit = sync.edit(after) as PatchRequest;
    expect(edit.patch.nodes).toEqual({ count: 1001, remove: [], set: [[500, after.nodes[500]]], add: [] });
    expect(edit.patch.edges).toEqual({ count: 1000, remove: [], add: [] });
    expect(JSON.stringify(edit).length).toBeLessThan(400);
    expect(applied(before, edit)).toEqual(after);
  });

  it("gives Python the canvas exactly, whatever the edit", () => {
    const cases: ((d: GraphDoc) => void)[] = [
      (d) => d.nodes.splice(3, 1), // a node goes, with its edges
      (d) => d.edges.splice(2, 2),
      (d) => d.nodes.push({ id: "new", op: "ReLU", params: {} }),
      (d) => d.edges.push({ source: "input", target: "linear4", target_port: 1 }),
      (d) => d.nodes.reverse(), // order changes: the rest is sent again
      (d) => d.edges.unshift({ source: "linear1", target: "linear3", target_port: 0 }),
      (d) => (d.metadata = { title: "net" }),
      (d) => (d.blocks = { Res: { nodes: [], edges: [] } }),
      (d) => {
        d.nodes[1] = { id: "other", op: "Linear", params: {} };
        d.nodes[2].label = "fc";
      },
    ];
    for (const change of cases) {
      const before = chain(5);
      before.metadata = { title: "old" };
      const sync = new GraphSync("a", before, rev(1));
      const after = structuredClone(before);
      change(after);
      const edit = sync.edit(after);
      expect(edit?.type).toBe("patch");
      expect(applied(before, edit)).toEqual(after);
    }
  });

  it("builds each patch on the last edit sent, before its answer", () => {
    const sync = new GraphSync("a", chain(3), rev(1));
    let held = chain(3);
    for (const n of [4, 5, 2]) {
      const edit = sync.edit(chain(n));
      held = applied(held, edit);
      expect(held).toEqual(chain(n));
    }
  });

  it("sends the whole document when Python holds the one drawn in another form", () => {
    const python = doc(2);
    python.nodes[1].position = { x: 0.4, y: 100 }; // the canvas rounds it
    const sync = new GraphSync("a", doc(2), rev(1), python);
    expect(sync.edit(doc(3))).toMatchObject({ type: "edit", graph: doc(3) });
    expect(sync.edit(doc(4))?.type).toBe("patch"); // Python holds what was sent
    // A document from Python drawn in the page's form: the next edit is whole again.
    expect(sync.arrived(python, rev(5))).toBe("draw");
    sync.drawn(doc(2));
    expect(sync.edit(doc(3))?.type).toBe("edit");
  });

  it("sends patches again once Python's document is drawn as it is", () => {
    const sync = new GraphSync("a", doc(0), rev(1));
    expect(sync.arrived(doc(3), rev(2))).toBe("draw");
    sync.drawn(doc(3));
    expect(sync.edit(doc(4))?.type).toBe("patch");
  });
});
