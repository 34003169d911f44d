import { describe, expect, it } from "vitest";
import { GraphSync, MAX_IN_FLIGHT, newViewId } from "../src/core/sync";
import type { GraphDoc, GraphRevision } from "../src/protocol";

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
    expect(sync.edit(doc(1))).toEqual({ type: "edit", view: "a", id: 1, base: 4, graph: doc(1) });
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
