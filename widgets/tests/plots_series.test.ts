import { describe, expect, it } from "vitest";
import { compact, label, newEma, smooth } from "../src/plots/series";

describe("smooth (TensorBoard's debiased EMA)", () => {
  it("leaves values alone at weight 0 and starts unbiased", () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    // Debiased: the first smoothed value is the first value, not w * 0 + (1 - w) * y.
    expect(smooth([4, 4, 4], 0.9)[0]).toBeCloseTo(4);
    expect(smooth([4, 4, 4], 0.9)[2]).toBeCloseTo(4);
  });

  it("extends point by point exactly as smoothing the whole curve at once", () => {
    const ys = [5, 3, 4, 1, 2, 0.5, 0.7];
    const whole = smooth(ys, 0.6);
    const state = newEma();
    const parts = [...smooth(ys.slice(0, 3), 0.6, state), ...smooth(ys.slice(3), 0.6, state)];
    parts.forEach((v, i) => expect(v).toBeCloseTo(whole[i] as number));
  });

  it("keeps gaps as gaps without disturbing the average", () => {
    const out = smooth([2, null, Number.NaN, 2], 0.5);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeNull();
    expect(out[3]).toBeCloseTo(2);
  });
});

describe("compact", () => {
  it("bounds a curve, keeps the newest points and merges old pairs by their mean", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    const ys = xs.map((x) => x * 2);
    compact(xs, ys, 60);
    expect(xs.length).toBeLessThanOrEqual(60);
    expect(xs.at(-1)).toBe(100);
    expect(ys.at(-1)).toBe(200);
    expect(xs[0]).toBe(2);
    expect(ys[0]).toBe(3); // mean of 2 and 4
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
  });
});

it("labels curves for people", () => {
  expect(label("loss")).toBe("train loss");
  expect(label("val_accuracy")).toBe("val accuracy");
});
