/**
 * The Playground's protocol is written in docs/playground-protocol.md: the trait and request
 * lists in src/protocol.ts and the messages the page sends must say the same, in the same order.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { senders } from "../src/playground/requests";
import { PLAYGROUND_REQUEST_TYPES, PLAYGROUND_TRAIT_NAMES } from "../src/protocol";

const DOC = readFileSync(new URL("../../docs/playground-protocol.md", import.meta.url), "utf8");
const TRAITS = DOC.split("## Traits")[1].split("## Requests")[0];
const REQUESTS = DOC.split("## Requests")[1];

/** Every `name`: (or `a`, `b`:) the traits section defines, in order. */
function docTraits(): string[] {
  const names: string[] = [];
  for (const m of TRAITS.matchAll(/((?:`\w+`, )*`\w+`):\s/g)) {
    for (const n of m[1].matchAll(/`(\w+)`/g)) names.push(n[1]);
  }
  return names;
}

/** request type -> its fields (type included), from `{type: "x", a, b}`. */
function docRequests(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of REQUESTS.matchAll(/\{type: "(\w+)"((?:, \w+)*)\}/g)) {
    out.set(m[1], ["type", ...m[2].split(",").map((f) => f.trim()).filter(Boolean)]);
  }
  return out;
}

describe("the Playground protocol in src/protocol.ts and in the doc", () => {
  it("names the same traits in the same order", () => {
    expect([...PLAYGROUND_TRAIT_NAMES]).toEqual(docTraits());
  });

  it("names the same request types in the same order", () => {
    expect([...PLAYGROUND_REQUEST_TYPES]).toEqual([...docRequests().keys()]);
  });

  it("sends each request with exactly the doc's fields", () => {
    const sent: Record<string, unknown>[] = [];
    const s = senders({ send: (m) => sent.push(m as Record<string, unknown>) });
    s.set("noise", 5);
    s.play();
    s.pause();
    s.step();
    s.reset();
    s.regenerate();
    s.addLayer();
    s.removeLayer();
    s.addNeuron(1);
    s.removeNeuron(1);
    s.setWeight(1, 0, 0, 0.5);
    s.setBias(1, 0, 0.5);
    s.focus("output");
    s.addPoint(0, 0, 1);
    s.clearPoints();
    s.loadCsv("a.csv", "");
    s.hide("noise", true);
    s.loadShare("");
    s.openBuilder();
    const doc = docRequests();
    expect(sent.map((m) => m.type)).toEqual([...doc.keys()]);
    for (const message of sent) expect(Object.keys(message).sort()).toEqual([...doc.get(String(message.type))!].sort());
  });
});
