import { describe, expect, it } from "vitest";
import { GraphSync } from "../src/core/sync";
import type { GraphDoc } from "../src/protocol";

/** A graph of `n` Linear layers after one Input (what matters here is only that docs differ). */
function doc(n: number, x = 0): GraphDoc {
  const nodes = [{ id: "input", op: "Input", params: {}, position: { x, y: 0 } }];
  for (let i = 1; i <= n; i++) nodes.push({ id: `linear${i}`, op: "Linear", params: {}, position: { x, y: 100 * i } });
  return { version: 1, nodes, edges: [] };
}

describe("GraphSync: what the page sends", () => {
  it("numbers each new document and names the Python replacement it was made on", () => {
    const sync = new GraphSync(doc(0), { page: 4, python: 2 });
    expect(sync.outgoing(doc(0), { page: 4, python: 2 })).toBeNull(); // nothing new
    expect(sync.outgoing(doc(1), { page: 4, python: 2 })).toEqual({ page: 5, python: 2 });
    expect(sync.outgoing(doc(1), { page: 5, python: 2 })).toBeNull();
    expect(sync.outgoing(doc(2), { page: 5, python: 2 })).toEqual({ page: 6, python: 2 });
    expect(sync.current()).toEqual({ page: 6, python: 2 });
  });

  it("numbers above any edit another view of the model has sent", () => {
    const sync = new GraphSync(doc(0), { page: 1, python: 1 });
    expect(sync.outgoing(doc(1), { page: 9, python: 1 })).toEqual({ page: 10, python: 1 });
  });
});

describe("GraphSync: what the page draws", () => {
  it("keeps its own document when the model reports it back", () => {
    const sync = new GraphSync(doc(0), { page: 0, python: 1 });
    const rev = sync.outgoing(doc(1), null);
    expect(sync.arrived(doc(1), rev)).toBe("keep");
  });

  it("drops an older document: an echo or an answer to an edit it has since replaced", () => {
    const sync = new GraphSync(doc(0), { page: 0, python: 1 });
    sync.outgoing(doc(1), null); // edit 1
    sync.outgoing(doc(2), null); // edit 2, sent before Python answered edit 1
    // Edit 1 comes back (an echo): not a replacement, older than the canvas.
    expect(sync.arrived(doc(1), { page: 1, python: 1 })).toBe("keep");
    // Even with no page number at all newer than ours.
    expect(sync.arrived(doc(0), { page: 0, python: 1 })).toBe("keep");
    // The next edit still builds on what the page shows.
    expect(sync.outgoing(doc(3), null)).toEqual({ page: 3, python: 1 });
  });

  it("draws a replacement Python made, even one made before its newest edit arrived", () => {
    const sync = new GraphSync(doc(0), { page: 0, python: 1 });
    sync.outgoing(doc(1), null); // edit 1: Python takes it
    sync.outgoing(doc(2), null); // edit 2: still on its way when Python replaces the graph
    const template = doc(7);
    // Python's replacement says it includes edit 1 only; Python will drop edit 2 (made on
    // replacement 1), so the page must show the replacement to agree with Python.
    expect(sync.arrived(template, { page: 1, python: 2 })).toBe("draw");
    sync.drawn(template);
    // Edits made on the drawn replacement name it, and number above everything sent so far.
    expect(sync.outgoing(doc(8), null)).toEqual({ page: 3, python: 2 });
    // The same replacement reported again (e.g. by a second message) is not drawn twice.
    expect(sync.arrived(template, { page: 1, python: 2 })).toBe("keep");
  });

  it("takes a replacement equal to the canvas without redrawing, but builds on it", () => {
    const sync = new GraphSync(doc(2), { page: 3, python: 1 });
    expect(sync.arrived(doc(2), { page: 3, python: 2 })).toBe("keep");
    expect(sync.outgoing(doc(3), null)).toEqual({ page: 4, python: 2 });
  });

  it("follows a newer edit made in another view of the same model", () => {
    const mine = new GraphSync(doc(0), { page: 0, python: 1 });
    const other = new GraphSync(doc(0), { page: 0, python: 1 });
    const rev = other.outgoing(doc(0, 50), null);
    expect(rev).toEqual({ page: 1, python: 1 });
    expect(mine.arrived(doc(0, 50), rev)).toBe("draw");
    expect(other.arrived(doc(0, 50), rev)).toBe("keep");
    expect(mine.outgoing(doc(1, 50), rev)).toEqual({ page: 2, python: 1 });
  });

  it("without revisions (an older kernel) draws whatever differs from the canvas", () => {
    const sync = new GraphSync(doc(0), undefined);
    expect(sync.arrived(doc(0), undefined)).toBe("keep");
    expect(sync.arrived(doc(1), undefined)).toBe("draw");
  });
});
