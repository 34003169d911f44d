import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle } from "../src/plots/series";

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs at most once per interval and once more after the last request", () => {
    const calls: number[] = [];
    const t = throttle(() => calls.push(performance.now()), 100);
    t.request();
    t.request();
    vi.advanceTimersByTime(0);
    expect(calls.length).toBe(1);
    t.request();
    t.request();
    vi.advanceTimersByTime(50);
    expect(calls.length).toBe(1);
    vi.advanceTimersByTime(50);
    expect(calls.length).toBe(2);
    expect(calls[1] - calls[0]).toBeGreaterThanOrEqual(100);
  });

  it("spaces slow calls so that they take at most their share of the time", () => {
    const starts: number[] = [];
    const t = throttle(
      () => {
        starts.push(performance.now());
        vi.advanceTimersByTime(40); // a draw that takes 40 ms
      },
      100,
      0.1,
    );
    t.request();
    vi.advanceTimersByTime(0);
    t.request();
    vi.advanceTimersByTime(1000);
    // 40 ms of work at a 10 % share: the next starts 360 ms after the first one ended.
    expect(starts.length).toBe(2);
    expect(starts[1] - starts[0]).toBeCloseTo(400);
  });

  it("never pauses longer than maxPause, however slow the call", () => {
    const starts: number[] = [];
    const t = throttle(
      () => {
        starts.push(performance.now());
        vi.advanceTimersByTime(200); // a draw that takes 200 ms: 3.8 s of pause at 5 %
      },
      100,
      0.05,
      1000,
    );
    t.request();
    vi.advanceTimersByTime(0);
    t.request();
    vi.advanceTimersByTime(5000);
    expect(starts[1] - starts[0]).toBeCloseTo(1200);
  });

  it("waits for a returned promise before the next call, and cancel drops it", async () => {
    let finish: () => void = () => {};
    let calls = 0;
    const t = throttle(() => {
      calls += 1;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    }, 10);
    t.request();
    vi.advanceTimersByTime(0);
    t.request(); // while the first call is still drawing
    vi.advanceTimersByTime(100);
    expect(calls).toBe(1);
    finish();
    await Promise.resolve();
    await Promise.resolve();
    vi.advanceTimersByTime(100);
    expect(calls).toBe(2);
    t.request();
    t.cancel();
    vi.advanceTimersByTime(100);
    expect(calls).toBe(2);
  });
});
