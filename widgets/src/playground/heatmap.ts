/**
 * The pictures: the original's colour scale (orange -1, light grey 0, blue +1, clamped), the
 * byte encoding of the `maps` and `big_map` traits, and painting a picture into a canvas.
 * Pure functions but `paintPicture`; the canvases themselves live in pictures.ts.
 */

export type Rgb = [number, number, number];

const NEGATIVE: Rgb = [0xf5, 0x93, 0x22]; // #f59322
const ZERO: Rgb = [0xe8, 0xea, 0xeb]; // #e8eaeb
const POSITIVE: Rgb = [0x08, 0x77, 0xbd]; // #0877bd

/** The colour of value `v`: linear between the three stops, clamped to [-1, 1]. */
export function colourOf(v: number): Rgb {
  const t = Number.isFinite(v) ? Math.min(Math.max(v, -1), 1) : 0;
  const [from, to, f] = t < 0 ? [ZERO, NEGATIVE, -t] : [ZERO, POSITIVE, t];
  return [
    Math.round(from[0] + (to[0] - from[0]) * f),
    Math.round(from[1] + (to[1] - from[1]) * f),
    Math.round(from[2] + (to[2] - from[2]) * f),
  ];
}

/** `colourOf` as a CSS colour, for SVG strokes and fills. */
export function cssColour(v: number): string {
  const [r, g, b] = colourOf(v);
  return `rgb(${r},${g},${b})`;
}

/** "Discretize output": the original colours by the sign only (0 counts as positive). */
export function discretize(v: number): number {
  return v >= 0 ? 1 : -1;
}

/** A stored byte back to its value: bytes hold round((v + 1) * 127.5). */
export function decodeByte(b: number): number {
  return b / 127.5 - 1;
}

/** A value to its stored byte (the Python side's encoding; for page-side pictures). */
export function encodeValue(v: number): number {
  const t = Number.isFinite(v) ? Math.min(Math.max(v, -1), 1) : 0;
  return Math.round((t + 1) * 127.5);
}

// One colour per byte, RGBA packed: painting is then one table look-up per pixel.
function lookupTable(discrete: boolean): Uint8ClampedArray {
  const table = new Uint8ClampedArray(256 * 4);
  for (let b = 0; b < 256; b++) {
    const v = decodeByte(b);
    const [r, g, bl] = colourOf(discrete ? discretize(v) : v);
    table.set([r, g, bl, 255], b * 4);
  }
  return table;
}

const TABLES = { smooth: lookupTable(false), discrete: lookupTable(true) };

/** Fills `out` (RGBA, size * size * 4) with the colours of the picture's bytes. */
export function colourPixels(bytes: Uint8Array, out: Uint8ClampedArray, discrete: boolean): void {
  const table = discrete ? TABLES.discrete : TABLES.smooth;
  const n = Math.min(bytes.length, out.length >> 2);
  for (let i = 0; i < n; i++) {
    const t = bytes[i] * 4;
    const o = i * 4;
    out[o] = table[t];
    out[o + 1] = table[t + 1];
    out[o + 2] = table[t + 2];
    out[o + 3] = 255;
  }
}

/**
 * A bytes trait as bytes. ipywidgets hands binary traits over as a DataView; other hosts (and
 * tests) may give an ArrayBuffer, a typed array or a plain list.
 */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  return new Uint8Array(0);
}

/**
 * Splits the `maps` buffer into one picture per node id (views, no copies), in the order
 * the protocol gives: inputs, hidden neurons layer by layer, output. A buffer too short for
 * every node (a frame of an older network) yields pictures only for the nodes it covers.
 */
export function splitMaps(bytes: Uint8Array, size: number, ids: readonly string[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const area = size * size;
  if (area <= 0) return out;
  ids.forEach((id, i) => {
    const start = i * area;
    if (start + area <= bytes.length) out.set(id, bytes.subarray(start, start + area));
  });
  return out;
}

/** Paints a size x size picture into `canvas` (whose width and height it sets to size). */
export function paintPicture(canvas: HTMLCanvasElement, bytes: Uint8Array, size: number, discrete: boolean): void {
  if (size <= 0 || bytes.length < size * size) return;
  if (canvas.width !== size) canvas.width = size;
  if (canvas.height !== size) canvas.height = size;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = ctx.createImageData(size, size);
  colourPixels(bytes, image.data, discrete);
  ctx.putImageData(image, 0, 0);
}

/** An input feature's value at (x1, x2), as the original's INPUTS table computes it. */
export function featureValue(name: string, x1: number, x2: number): number {
  switch (name) {
    case "x":
      return x1;
    case "y":
      return x2;
    case "xSquared":
      return x1 * x1;
    case "ySquared":
      return x2 * x2;
    case "xTimesY":
      return x1 * x2;
    case "sinX":
      return Math.sin(x1);
    case "sinY":
      return Math.sin(x2);
    default:
      return 0;
  }
}

/**
 * The picture of a feature that is switched off (Python sends pictures of the features in use
 * only): computed here on the same grid, rows from x2 = hi down to lo, columns x1 = lo .. hi.
 */
export function featurePicture(name: string, size: number, domain: readonly [number, number]): Uint8Array {
  const [lo, hi] = domain;
  const out = new Uint8Array(size * size);
  const step = size > 1 ? (hi - lo) / (size - 1) : 0;
  for (let row = 0; row < size; row++) {
    const x2 = hi - row * step;
    for (let col = 0; col < size; col++) out[row * size + col] = encodeValue(featureValue(name, lo + col * step, x2));
  }
  return out;
}
