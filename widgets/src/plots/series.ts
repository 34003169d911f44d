/**
 * Pure helpers for the curves: EMA smoothing (TensorBoard's debiased form), bounded arrays
 * and a throttle. No DOM here, so they are easy to reason about and test.
 */

export type Value = number | null;

/** Running state of a debiased exponential moving average, extendable point by point. */
export interface Ema {
  last: number;
  count: number;
}

export function newEma(): Ema {
  return { last: 0, count: 0 };
}

/**
 * Smooth `ys` with weight `w` (0 = raw, 0.99 = very smooth), continuing from `state`.
 * Gaps (null, NaN) stay gaps and do not disturb the average, as in TensorBoard.
 */
export function smooth(ys: Value[], w: number, state: Ema = newEma()): Value[] {
  const out: Value[] = new Array(ys.length);
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) {
      out[i] = null;
      continue;
    }
    state.last = state.last * w + (1 - w) * y;
    state.count += 1;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, state.count);
    out[i] = state.last / debias;
  }
  return out;
}

/**
 * Bound a curve to `capacity` points: all but the newest quarter merge in pairs (mean of y,
 * the later x), so old points thin out evenly (the page's twin of Python's Series).
 */
export function compact(xs: number[], ys: Value[], capacity: number): void {
  const keep = Math.floor(capacity / 4);
  while (xs.length > capacity) {
    const end = (xs.length - keep) & ~1;
    const mx: number[] = [];
    const my: Value[] = [];
    for (let i = 0; i < end; i += 2) {
      mx.push(xs[i + 1]);
      const a = ys[i];
      const b = ys[i + 1];
      my.push(a === null ? b : b === null ? a : (a + b) / 2);
    }
    xs.splice(0, end, ...mx);
    ys.splice(0, end, ...my);
  }
}

/**
 * The share of the page's time the live plots may spend drawing while training runs: with
 * LeNet-5 on digits, the page took most of a core at four redraws a second, on a machine where
 * training and the browser share two cores; at 10 % it still cost training 8 %
 * (benchmarks/bench_app.py). TensorBoard redraws every 30 s; about once a second is plenty.
 */
export const DRAW_SHARE = 0.05;
/** The longest the live plots wait between two draws, however long a draw takes. */
export const MAX_DRAW_PAUSE_MS = 1000;

/**
 * Run `fn` at most once per `ms`, always ending with a call after the last request. With a
 * `share` below 1, the pauses also grow with the time `fn` takes (awaiting the promise it
 * may return), so that drawing takes at most that share of the time: a slow page, or a plot
 * grown large, draws less often instead of taking the CPU the training needs. A pause never
 * exceeds `maxPause` ms, so what arrives is always drawn soon (the last points after Stop).
 */
export function throttle(
  fn: () => unknown,
  ms: number,
  share = 1,
  maxPause = Infinity,
): { request(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let next = 0;
  let busy = false;
  let wanted = false;

  function schedule() {
    timer = setTimeout(run, Math.max(0, next - performance.now()));
  }
  function run() {
    timer = null;
    wanted = false;
    busy = true;
    const start = performance.now();
    const done = () => {
      busy = false;
      const end = performance.now();
      const pause = Math.min(((end - start) * (1 - share)) / share, maxPause);
      next = Math.max(start + ms, end + pause);
      if (wanted) schedule();
    };
    let result: unknown;
    try {
      result = fn();
    } catch (error) {
      done();
      throw error;
    }
    if (result instanceof Promise) result.then(done, done);
    else done();
  }
  return {
    request() {
      if (timer !== null) return;
      if (busy) wanted = true;
      else schedule();
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      wanted = false;
    },
  };
}

/** "val_accuracy" -> "val accuracy", "epoch_loss" -> "train loss (epoch mean)". */
export function label(name: string): string {
  if (name === "loss") return "train loss";
  if (name === "epoch_loss") return "train loss (epoch mean)";
  return name.replace(/_/g, " ");
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** A stable colour per curve name, the same on every redraw. */
export function colour(name: string, order: string[]): string {
  const index = order.indexOf(name);
  return PALETTE[(index < 0 ? order.length : index) % PALETTE.length];
}
