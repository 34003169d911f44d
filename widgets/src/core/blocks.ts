/**
 * Named blocks on the page: a block defined in the document's `blocks` is offered as one more
 * layer (category "blocks"), so the palette, port handles, connection checks and node drawing
 * treat it like any layer. Pure functions, unit-tested in tests/blocks.test.ts.
 */
import type { BlockDoc, LayerSpec } from "../protocol";

export const BLOCK_CATEGORY = "blocks";

/** The names Python accepts for a new block (dlstudio/graph/blocks.py BLOCK_NAME). */
const BLOCK_NAME = /^[A-Z][A-Za-z0-9]{0,39}$/;

export type Blocks = Record<string, BlockDoc>;

/** The block's layers, without its Input ports and its Output. */
export function blockLayerCount(block: BlockDoc): number {
  return block.nodes.filter((n) => n.op !== "Input" && n.op !== "Output").length;
}

/** A block as a catalog entry: one input per Input node, one output, no parameters. */
export function blockSpec(name: string, block: BlockDoc): LayerSpec {
  const ports = block.nodes.filter((n) => n.op === "Input").length;
  const layers = blockLayerCount(block);
  return {
    name,
    category: BLOCK_CATEGORY,
    doc: `Named block of ${layers} layer${layers === 1 ? "" : "s"}; generated as class ${name}(nn.Module).`,
    inputs: Math.max(ports, 1),
    variadic: false,
    outputs: 1,
    params: [],
  };
}

/** The catalog's layers followed by the document's blocks. */
export function withBlocks(layers: LayerSpec[], blocks: Blocks | null | undefined): LayerSpec[] {
  const entries = Object.entries(blocks ?? {});
  if (entries.length === 0) return layers;
  return [...layers, ...entries.map(([name, block]) => blockSpec(name, block))];
}

export function isBlock(spec: LayerSpec | undefined): boolean {
  return spec?.category === BLOCK_CATEGORY;
}

/**
 * Why `name` cannot name a new block, or null when it can; Python checks again and has the
 * last word, this only saves a round trip for the common slips.
 */
export function blockNameProblem(name: string, taken: (name: string) => boolean): string | null {
  if (!name) return "Give the block a name, like ResBlock.";
  if (!BLOCK_NAME.test(name)) {
    return `"${name}" is not a CamelCase name: start with a capital letter, then letters or digits (like ResBlock).`;
  }
  if (taken(name)) return `"${name}" is already a layer or block; choose another name.`;
  return null;
}

/** "Block1", "Block2", ...: the first name not taken, offered when the name box opens. */
export function suggestBlockName(taken: (name: string) => boolean): string {
  for (let i = 1; ; i++) {
    const name = `Block${i}`;
    if (!taken(name)) return name;
  }
}
