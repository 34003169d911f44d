import { describe, expect, it } from "vitest";
import {
  BLOCK_CATEGORY,
  blockNameProblem,
  blockSpec,
  isBlock,
  suggestBlockName,
  withBlocks,
} from "../src/core/blocks";
import { checkConnection } from "../src/core/connect";
import { decorateNodes, flowFromGraph, graphFromFlow, indexCatalog, portCount, problemsByNode } from "../src/core/graph";
import type { BlockDoc, GraphDoc, LayerSpec } from "../src/protocol";
import layers from "./fixtures/catalog.json";
// Written by Python: examples.load("resnet_small") with block1's layers grouped as ResBlock.
import grouped from "./fixtures/resnet_grouped.json";

const doc = grouped as GraphDoc;
const twoPorts: BlockDoc = {
  nodes: [
    { id: "in1", op: "Input", params: {} },
    { id: "in2", op: "Input", params: {} },
    { id: "add", op: "Add", params: {} },
    { id: "out", op: "Output", params: {} },
  ],
  edges: [
    { source: "in1", target: "add", target_port: 0 },
    { source: "in2", target: "add", target_port: 1 },
    { source: "add", target: "out", target_port: 0 },
  ],
};

describe("blocks through graph <-> flow", () => {
  it("keeps the document's blocks through a round trip", () => {
    const { nodes, edges } = flowFromGraph(doc);
    const back = graphFromFlow(nodes, edges, doc.metadata, doc.blocks);
    expect(back).toEqual(doc);
    expect(JSON.stringify(back)).toBe(JSON.stringify(doc));
    expect(Object.keys(back.blocks ?? {})).toEqual(["ResBlock"]);
  });

  it("keeps blocks after the canvas is edited (a second use of the block added)", () => {
    const { nodes, edges } = flowFromGraph(doc);
    nodes.push({ id: "resblock2", type: "layer", position: { x: 0, y: 900 }, data: { op: "ResBlock", params: {} } });
    const back = graphFromFlow(nodes, edges, doc.metadata, doc.blocks);
    expect(back.blocks).toEqual(doc.blocks);
    expect(back.nodes.filter((n) => n.op === "ResBlock").map((n) => n.id)).toEqual(["resblock1", "resblock2"]);
  });

  it("writes no blocks key when the document has none, as Python does", () => {
    const plain: GraphDoc = { version: 1, nodes: [], edges: [] };
    expect("blocks" in graphFromFlow([], [], null, {})).toBe(false);
    expect(graphFromFlow([], [], null, null)).toEqual(plain);
  });
});

describe("blocks as catalog entries", () => {
  const catalog = indexCatalog(withBlocks(layers as LayerSpec[], { ...doc.blocks, Pair: twoPorts }));

  it("gives a block one port per Input node, one output and no params", () => {
    const spec = catalog.get("ResBlock");
    expect(spec?.category).toBe(BLOCK_CATEGORY);
    expect(spec?.inputs).toBe(1);
    expect(spec?.outputs).toBe(1);
    expect(spec?.params).toEqual([]);
    expect(spec?.doc).toContain("7 layers");
    expect(isBlock(spec)).toBe(true);
    expect(isBlock(catalog.get("Conv2d"))).toBe(false);
    expect(portCount("Pair", {}, catalog)).toBe(2);
    expect(blockSpec("Pair", twoPorts).doc).toContain("1 layer;");
  });

  it("leaves the catalog as it is without blocks", () => {
    const plain = layers as LayerSpec[];
    expect(withBlocks(plain, undefined)).toBe(plain);
    expect(withBlocks(plain, {})).toBe(plain);
  });

  it("checks connections into a block's ports", () => {
    const nodes = new Map([
      ["a", { id: "a", data: { op: "ReLU", params: {} } }],
      ["b", { id: "b", data: { op: "ReLU", params: {} } }],
      ["pair", { id: "pair", data: { op: "Pair", params: {} } }],
    ]);
    const edges = [{ source: "a", target: "pair", targetHandle: "in0" }];
    expect(checkConnection({ source: "b", target: "pair", targetHandle: "in1" }, nodes, edges, catalog).ok).toBe(true);
    expect(checkConnection({ source: "b", target: "pair", targetHandle: "in0" }, nodes, edges, catalog).ok).toBe(false);
    expect(checkConnection({ source: "b", target: "pair", targetHandle: "in2" }, nodes, edges, catalog).reason).toContain(
      "no input port 2",
    );
  });
});

describe("block names and counts", () => {
  const taken = (name: string) => ["ResBlock", "Conv2d", "Block1"].includes(name);

  it("accepts a new CamelCase name and explains refusals", () => {
    expect(blockNameProblem("Stage", taken)).toBeNull();
    expect(blockNameProblem("", taken)).toContain("Give the block a name");
    expect(blockNameProblem("resblock", taken)).toContain("CamelCase");
    expect(blockNameProblem("Res Block", taken)).toContain("CamelCase");
    expect(blockNameProblem("Conv2d", taken)).toContain("already a layer or block");
    expect(suggestBlockName(taken)).toBe("Block2");
  });

  it("puts each block node's parameter count on the node, keeping unchanged nodes", () => {
    const { nodes } = flowFromGraph(doc);
    const once = decorateNodes(nodes, {}, problemsByNode([]), { resblock1: 4672 });
    const index = nodes.findIndex((n) => n.id === "resblock1");
    expect(once[index].data.weights).toBe(4672);
    expect(decorateNodes(once, {}, problemsByNode([]), { resblock1: 4672 })).toBe(once);
    expect(decorateNodes(once, {}, problemsByNode([]), { resblock1: 10 })[index].data.weights).toBe(10);
  });
});
