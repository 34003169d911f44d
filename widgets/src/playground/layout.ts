/**
 * Where the network's nodes and links go: one column per layer (features, hidden layers,
 * output), nodes from the top of their column, links as horizontal cubic curves from a node's
 * right edge to the next node's left edge (the shape of d3.linkHorizontal). Pure geometry.
 */
import type { PlaygroundNetwork } from "../protocol";

export const NODE_SIZE = 30;
/** Vertical distance between two nodes' tops in a column. */
export const ROW_PITCH = 44;
/** Horizontal distance between two columns' left edges. */
export const COLUMN_PITCH = 100;

export type NodeKind = "feature" | "hidden" | "output";

export interface NodeBox {
  id: string;
  kind: NodeKind;
  /** Column: 0 the features, 1..n the hidden layers, n + 1 the output. */
  column: number;
  /** Place in the column, from the top. */
  row: number;
  /** Top-left corner. */
  x: number;
  y: number;
  /** Features: switched on (has a picture from Python and links). */
  active: boolean;
}

export interface LinkPath {
  /** 1-based Linear layer, as set_weight names it. */
  layer: number;
  to: number;
  from: number;
  weight: number;
  dead: boolean;
  /** SVG path data. */
  d: string;
}

export interface NetworkLayout {
  nodes: NodeBox[];
  links: LinkPath[];
  width: number;
  height: number;
}

/** Node ids in the order of the `maps` buffer: inputs, hidden neurons, output. */
export function mapOrder(network: Pick<PlaygroundNetwork, "inputs" | "shape">): string[] {
  const ids = [...network.inputs];
  network.shape.forEach((size, layer) => {
    for (let i = 0; i < size; i++) ids.push(hiddenId(layer + 1, i));
  });
  ids.push("output");
  return ids;
}

/** A hidden neuron's id: layer 1-based, index 0-based. */
export function hiddenId(layer: number, index: number): string {
  return `h${layer}_${index}`;
}

/** The curve from (x0, y0) to (x1, y1): leaves and arrives horizontally. */
export function linkPath(x0: number, y0: number, x1: number, y1: number): string {
  const xm = (x0 + x1) / 2;
  return `M${x0},${y0}C${xm},${y0} ${xm},${y1} ${x1},${y1}`;
}

/** Link width: 1 px for |w| = 0 up to 10 px for |w| >= 5, linear (the original's scale). */
export function linkWidth(weight: number): number {
  const w = Number.isFinite(weight) ? Math.min(Math.abs(weight), 5) : 0;
  return 1 + (9 * w) / 5;
}

/**
 * Lays out every feature (on or off, in `features` order), the hidden layers and the output.
 * Links start at the features switched on, which `network.inputs` lists in the order of the
 * first weight matrix's columns.
 */
export function layoutNetwork(features: readonly string[], network: PlaygroundNetwork): NetworkLayout {
  const on = new Set(network.inputs);
  const columns: NodeBox[][] = [];
  columns.push(
    features.map((id, row) => ({ ...place(0, row), id, kind: "feature", column: 0, row, active: on.has(id) })),
  );
  network.shape.forEach((size, layer) => {
    const column = layer + 1;
    columns.push(
      Array.from({ length: size }, (_, row) => ({
        ...place(column, row),
        id: hiddenId(column, row),
        kind: "hidden" as const,
        column,
        row,
        active: true,
      })),
    );
  });
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const outColumn = network.shape.length + 1;
  // The output sits level with the middle of the tallest column.
  const output: NodeBox = {
    id: "output",
    kind: "output",
    column: outColumn,
    row: 0,
    x: outColumn * COLUMN_PITCH,
    y: ((tallest - 1) * ROW_PITCH) / 2,
    active: true,
  };
  columns.push([output]);

  // The sources of each Linear layer, in its weight matrix's column order.
  const byId = new Map(columns.flat().map((n) => [n.id, n]));
  const sources: NodeBox[][] = [network.inputs.map((id) => byId.get(id)).filter((n): n is NodeBox => !!n)];
  for (let c = 1; c < columns.length - 1; c++) sources.push(columns[c]);

  const dead = new Set(network.dead.map(([l, t, f]) => `${l}-${t}-${f}`));
  const links: LinkPath[] = [];
  sources.forEach((from, i) => {
    const layer = i + 1;
    const to = columns[i + 1];
    const weights = network.weights[i] ?? [];
    to.forEach((target, t) => {
      from.forEach((source, f) => {
        const weight = weights[t]?.[f] ?? 0;
        links.push({
          layer,
          to: t,
          from: f,
          weight,
          dead: dead.has(`${layer}-${t}-${f}`),
          d: linkPath(source.x + NODE_SIZE, source.y + NODE_SIZE / 2, target.x, target.y + NODE_SIZE / 2),
        });
      });
    });
  });

  return {
    nodes: columns.flat(),
    links,
    width: outColumn * COLUMN_PITCH + NODE_SIZE,
    height: (tallest - 1) * ROW_PITCH + NODE_SIZE,
  };
}

function place(column: number, row: number): { x: number; y: number } {
  return { x: column * COLUMN_PITCH, y: row * ROW_PITCH };
}
