import { describe, expect, it } from "vitest";
import type { PlaygroundNetwork } from "../src/protocol";
import {
  COLUMN_PITCH,
  NODE_SIZE,
  ROW_PITCH,
  hiddenId,
  layoutNetwork,
  linkPath,
  linkWidth,
  mapOrder,
} from "../src/playground/layout";

const FEATURES = ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"];

/** Two inputs (x, sinY), hidden layers of 3 and 2, one output. */
function network(overrides: Partial<PlaygroundNetwork> = {}): PlaygroundNetwork {
  return {
    inputs: ["x", "sinY"],
    shape: [3, 2],
    weights: [
      [
        [0.1, 0.2],
        [0.3, 0.4],
        [0.5, 0.6],
      ],
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [[7, 8]],
    ],
    biases: [[0, 0, 0], [0, 0], [0]],
    dead: [[2, 1, 0]],
    ...overrides,
  };
}

describe("node ids and the maps order", () => {
  it("lists inputs, hidden neurons layer by layer, then the output", () => {
    expect(mapOrder(network())).toEqual(["x", "sinY", "h1_0", "h1_1", "h1_2", "h2_0", "h2_1", "output"]);
    expect(mapOrder({ inputs: ["y"], shape: [] })).toEqual(["y", "output"]);
    expect(hiddenId(3, 7)).toBe("h3_7");
  });
});

describe("layoutNetwork", () => {
  const layout = layoutNetwork(FEATURES, network());
  const node = (id: string) => layout.nodes.find((n) => n.id === id)!;

  it("puts every feature in the first column, on or off", () => {
    const features = layout.nodes.filter((n) => n.kind === "feature");
    expect(features.map((n) => n.id)).toEqual(FEATURES);
    expect(features.filter((n) => n.active).map((n) => n.id)).toEqual(["x", "sinY"]);
    expect(node("sinY")).toMatchObject({ column: 0, row: 6, x: 0, y: 6 * ROW_PITCH });
  });

  it("puts hidden layers in their columns from the top, and the output last", () => {
    expect(node("h1_2")).toMatchObject({ column: 1, row: 2, x: COLUMN_PITCH, y: 2 * ROW_PITCH });
    expect(node("h2_1")).toMatchObject({ column: 2, row: 1, x: 2 * COLUMN_PITCH, y: ROW_PITCH });
    // Level with the middle of the tallest column (the seven features).
    expect(node("output")).toMatchObject({ column: 3, x: 3 * COLUMN_PITCH, y: 3 * ROW_PITCH });
    expect(layout.width).toBe(3 * COLUMN_PITCH + NODE_SIZE);
    expect(layout.height).toBe(6 * ROW_PITCH + NODE_SIZE);
  });

  it("links every node to every node of the next layer, named as set_weight names them", () => {
    expect(layout.links).toHaveLength(2 * 3 + 3 * 2 + 2 * 1);
    const link = (layer: number, to: number, from: number) =>
      layout.links.find((l) => l.layer === layer && l.to === to && l.from === from)!;
    // From an input's right edge (sinY is the second input, in row 6) to h1_2's left edge.
    const first = link(1, 2, 1);
    expect(first.weight).toBe(0.6);
    const y0 = 6 * ROW_PITCH + NODE_SIZE / 2;
    const y1 = 2 * ROW_PITCH + NODE_SIZE / 2;
    expect(first.d).toBe(linkPath(NODE_SIZE, y0, COLUMN_PITCH, y1));
    expect(link(3, 0, 1).weight).toBe(8);
    expect(link(2, 1, 0).dead).toBe(true);
    expect(layout.links.filter((l) => l.dead)).toHaveLength(1);
  });

  it("goes straight from the features to the output with no hidden layer", () => {
    const flat = layoutNetwork(FEATURES, network({ shape: [], weights: [[[1, -1]]], biases: [[0]], dead: [] }));
    expect(flat.links.map((l) => [l.layer, l.to, l.from, l.weight])).toEqual([
      [1, 0, 0, 1],
      [1, 0, 1, -1],
    ]);
    expect(flat.nodes.find((n) => n.id === "output")!.column).toBe(1);
  });
});

describe("link geometry and widths", () => {
  it("curves like d3.linkHorizontal: control points half-way across", () => {
    expect(linkPath(0, 10, 100, 50)).toBe("M0,10C50,10 50,50 100,50");
  });

  it("scales |w| 0..5 to 1..10 px, clamped", () => {
    expect(linkWidth(0)).toBe(1);
    expect(linkWidth(2.5)).toBe(5.5);
    expect(linkWidth(-5)).toBe(10);
    expect(linkWidth(40)).toBe(10);
    expect(linkWidth(Number.NaN)).toBe(1);
  });
});
