import { describe, expect, it } from "vitest";
import { checkConnection, reaches } from "../src/core/connect";
import { indexCatalog } from "../src/core/graph";
import type { LayerSpec } from "../src/protocol";
import layers from "./fixtures/catalog.json";

const catalog = indexCatalog(layers as LayerSpec[]);
const node = (id: string, op: string, params: Record<string, unknown> = {}) =>
  [id, { id, data: { op, params } }] as const;
const nodes = new Map([
  node("x", "Input"),
  node("a", "Linear"),
  node("b", "ReLU"),
  node("add", "Add", { inputs: 2 }),
  node("out", "Output"),
]);
const edges = [
  { source: "x", target: "a", targetHandle: "in0" },
  { source: "a", target: "b", targetHandle: "in0" },
  { source: "b", target: "add", targetHandle: "in0" },
];

describe("connection rules", () => {
  it("accepts a connection into a free port", () => {
    expect(checkConnection({ source: "a", target: "add", targetHandle: "in1" }, nodes, edges, catalog)).toEqual({
      ok: true,
      reason: null,
    });
  });

  it("refuses a cycle", () => {
    const chain = [{ source: "a", target: "b", targetHandle: "in0" }];
    const v = checkConnection({ source: "b", target: "a", targetHandle: "in0" }, nodes, chain, catalog);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/cycle/);
  });

  it("refuses a self-loop", () => {
    expect(checkConnection({ source: "b", target: "b", targetHandle: "in0" }, nodes, edges, catalog).ok).toBe(false);
  });

  it("refuses a second edge into a filled single-input port", () => {
    const v = checkConnection({ source: "x", target: "b", targetHandle: "in0" }, nodes, edges, catalog);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/already connected/);
  });

  it("refuses a filled port of a variadic op but not its other port", () => {
    expect(checkConnection({ source: "a", target: "add", targetHandle: "in0" }, nodes, edges, catalog).ok).toBe(false);
    expect(checkConnection({ source: "x", target: "add", targetHandle: "in1" }, nodes, edges, catalog).ok).toBe(true);
  });

  it("refuses ports past the node's port count and edges out of Output", () => {
    expect(checkConnection({ source: "a", target: "add", targetHandle: "in2" }, nodes, edges, catalog).ok).toBe(false);
    expect(checkConnection({ source: "out", target: "add", targetHandle: "in1" }, nodes, edges, catalog).ok).toBe(false);
    expect(checkConnection({ source: "a", target: "x", targetHandle: "in0" }, nodes, edges, catalog).ok).toBe(false);
  });

  it("reaches follows edges transitively", () => {
    expect(reaches("x", "add", edges)).toBe(true);
    expect(reaches("add", "x", edges)).toBe(false);
  });
});
