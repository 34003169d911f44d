import { describe, expect, it } from "vitest";
import {
  decorateEdges,
  decorateNodes,
  flowFromGraph,
  formatShape,
  freshId,
  graphFromFlow,
  indexCatalog,
  portCount,
  problemsByNode,
} from "../src/core/graph";
import type { GraphDoc, LayerSpec } from "../src/protocol";
import layers from "./fixtures/catalog.json";

const catalog = indexCatalog(layers as LayerSpec[]);

const doc: GraphDoc = {
  version: 1,
  nodes: [
    { id: "x", op: "Input", params: { shape: [1, 28, 28] }, position: { x: 0, y: 0 } },
    { id: "fc", op: "Linear", params: { out_features: 10 }, label: "head", position: { x: 5, y: 90 } },
    { id: "add", op: "Add", params: { inputs: 3 }, position: { x: 0, y: 180 } },
  ],
  edges: [
    { source: "x", target: "fc", target_port: 0 },
    { source: "fc", target: "add", target_port: 2 },
  ],
};

describe("graph <-> flow", () => {
  it("round-trips a document, ports and labels included", () => {
    const { nodes, edges } = flowFromGraph(doc);
    expect(nodes.map((n) => n.type)).toEqual(["layer", "layer", "layer"]);
    expect(edges[1].targetHandle).toBe("in2");
    expect(edges[1].id).toBe("fc->add:2");
    expect(graphFromFlow(nodes, edges)).toEqual(doc);
  });

  it("does not share params objects with the document", () => {
    const { nodes } = flowFromGraph(doc);
    nodes[1].data.params.out_features = 99;
    expect(doc.nodes[1].params.out_features).toBe(10);
  });

  it("gives nodes without a position a distinct place", () => {
    const { nodes } = flowFromGraph({
      version: 1,
      nodes: [
        { id: "a", op: "ReLU", params: {} },
        { id: "b", op: "ReLU", params: {} },
      ],
      edges: [],
    });
    expect(nodes[0].position).not.toEqual(nodes[1].position);
  });

  it("rounds positions so a drag does not send sub-pixel noise", () => {
    const { nodes, edges } = flowFromGraph(doc);
    nodes[0].position = { x: 10.4, y: 20.6 };
    expect(graphFromFlow(nodes, edges).nodes[0].position).toEqual({ x: 10, y: 21 });
  });
});

describe("ports", () => {
  it("variadic ops take their port count from the inputs param", () => {
    expect(portCount("Add", { inputs: 3 }, catalog)).toBe(3);
    expect(portCount("Add", {}, catalog)).toBe(2);
    expect(portCount("Linear", {}, catalog)).toBe(1);
    expect(portCount("Input", {}, catalog)).toBe(0);
  });
});

describe("decoration with Python's analysis", () => {
  it("formats shapes with N for the batch", () => {
    expect(formatShape([null, 16, 14, 14])).toBe("N×16×14×14");
    expect(formatShape([null, null])).toBe("N×?");
    expect(formatShape(null)).toBeNull();
  });

  it("only replaces nodes whose shape or problem changed", () => {
    const { nodes } = flowFromGraph(doc);
    const problems = problemsByNode([
      { node_id: "fc", message: "bad", hint: null, fix: null },
      { node_id: "fc", message: "second", hint: null, fix: null },
      { node_id: null, message: "graph-level", hint: null, fix: null },
    ]);
    const once = decorateNodes(nodes, { x: [null, 1, 28, 28], fc: null }, problems);
    expect(once[0].data.shape).toBe("N×1×28×28");
    expect(once[1].data.problem?.message).toBe("bad");
    expect(once[2]).toBe(nodes[2]);
    const again = decorateNodes(once, { x: [null, 1, 28, 28], fc: null }, problems);
    expect(again).toBe(once);
  });

  it("labels edges with the shape their source produces", () => {
    const { edges } = flowFromGraph(doc);
    const out = decorateEdges(edges, { x: [null, 784] });
    expect(out[0].data?.shape).toBe("N×784");
    expect(out[1].data?.shape ?? null).toBeNull();
    expect(decorateEdges(out, { x: [null, 784] })).toBe(out);
  });
});

describe("fresh ids", () => {
  it("numbers ids per op and skips taken ones", () => {
    expect(freshId("Linear", new Set(["linear1", "linear2"]))).toBe("linear3");
    expect(freshId("Conv2d", new Set())).toBe("conv2d1");
  });
});
