/** Numbers as the page shows them, and the output plane's pixel <-> plane conversions. */

/** The epoch counter: six digits at least, grouped by threes ("000,123"). */
export function formatEpoch(epoch: number): string {
  const digits = String(Math.max(0, Math.floor(Number(epoch) || 0))).padStart(6, "0");
  return digits.replace(/\B(?=(\d{3})+$)/g, ",");
}

/** A loss with three decimals ("–" until there is one). */
export function formatLoss(loss: number | null | undefined): string {
  return typeof loss === "number" && Number.isFinite(loss) ? loss.toFixed(3) : "–";
}

/** A weight or bias in the hover card: two significant digits below 1, two decimals above. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1 ? v.toFixed(2) : Number(v.toPrecision(2)).toString();
}

/**
 * The plane point under pixel (px, py) of a width x height picture of the plane `domain`
 * (x1 grows rightwards, x2 upwards, as the pictures are drawn).
 */
export function planeFromPixel(
  px: number,
  py: number,
  width: number,
  height: number,
  domain: readonly [number, number],
): [number, number] {
  const [lo, hi] = domain;
  const clamp = (v: number) => Math.min(Math.max(v, lo), hi);
  return [clamp(lo + ((hi - lo) * px) / width), clamp(hi - ((hi - lo) * py) / height)];
}

/** The pixel of plane point (x1, x2): the inverse of `planeFromPixel`. */
export function pixelFromPlane(
  x1: number,
  x2: number,
  width: number,
  height: number,
  domain: readonly [number, number],
): [number, number] {
  const [lo, hi] = domain;
  return [((x1 - lo) / (hi - lo)) * width, ((hi - x2) / (hi - lo)) * height];
}

/**
 * The loss curve's two polylines (SVG `points`) over width x height: x from the first to the
 * last epoch of `history`, y from 0 (bottom) to the largest loss (top). Entries whose loss is
 * not a finite number are left out of that line.
 */
export function lossPolylines(
  history: readonly (readonly [number, number | null, number | null])[],
  width: number,
  height: number,
): { train: string; test: string } {
  if (history.length === 0) return { train: "", test: "" };
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const first = history[0][0];
  const span = history[history.length - 1][0] - first || 1;
  let top = 0;
  for (const [, train, test] of history) {
    if (finite(train)) top = Math.max(top, train);
    if (finite(test)) top = Math.max(top, test);
  }
  top = top || 1;
  const line = (pick: 1 | 2) =>
    history
      .filter((entry) => finite(entry[pick]))
      .map((entry) => {
        const x = ((entry[0] - first) / span) * width;
        const y = height - ((entry[pick] as number) / top) * height;
        return `${round(x)},${round(y)}`;
      })
      .join(" ");
  return { train: line(1), test: line(2) };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
