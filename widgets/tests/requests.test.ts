import { describe, expect, it, vi } from "vitest";
import { Requests } from "../src/editor/requests";
import type { Reply } from "../src/protocol";

function reply(view: string, id: number, request = "save_json", ok = true): Reply {
  return { type: "reply", view, id, request, ok, error: ok ? null : "no", result: null };
}

describe("Requests: ids unique per view", () => {
  it("addresses each request with the view and a number counted in it", () => {
    const sent: unknown[] = [];
    const requests = new Requests({ send: (m) => sent.push(m) }, "view-a");
    void requests.send({ type: "save_json", base: 3 });
    void requests.send({ type: "apply_template", name: "mlp" });
    expect(sent).toEqual([
      { type: "save_json", base: 3, view: "view-a", id: 1 },
      { type: "apply_template", name: "mlp", view: "view-a", id: 2 },
    ]);
  });

  it("takes only the replies addressed to it, though every view hears them", async () => {
    const a = new Requests({ send: () => {} }, "view-a");
    const b = new Requests({ send: () => {} }, "view-b");
    const asked = { a: a.send({ type: "save_json", base: 0 }), b: b.send({ type: "save_json", base: 0 }) };
    const settled: string[] = [];
    void asked.a.then(() => settled.push("a"));
    void asked.b.then(() => settled.push("b"));
    // Both views count from 1: b's reply reaches a too, and must not resolve a's request 1.
    for (const view of [a, b]) view.receive(reply("view-b", 1));
    await Promise.resolve();
    expect(settled).toEqual(["b"]);
    a.receive(reply("view-a", 1, "apply_fix")); // the same id, another request: not this one
    a.receive({ type: "points" });
    a.receive(null);
    await Promise.resolve();
    expect(settled).toEqual(["b"]);
    a.receive(reply("view-a", 1));
    expect((await asked.a).ok).toBe(true);
  });

  it("answers for Python when it does not, and when the view closes", async () => {
    vi.useFakeTimers();
    try {
      const requests = new Requests({ send: () => {} }, "v", 1000);
      const late = requests.send({ type: "save_json", base: 0 });
      vi.advanceTimersByTime(1000);
      expect((await late).error).toContain("did not answer");
      const open = requests.send({ type: "save_json", base: 0 });
      requests.close();
      expect(await open).toMatchObject({ ok: false, id: 2, view: "v" });
    } finally {
      vi.useRealTimers();
    }
  });
});
