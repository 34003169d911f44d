import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce } from "../src/core/debounce";

describe("debounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends only the last call after the pause", () => {
    const seen: number[] = [];
    const send = debounce((n: number) => seen.push(n), 100);
    for (let i = 0; i < 50; i++) {
      send(i);
      vi.advanceTimersByTime(10);
    }
    expect(seen).toEqual([]);
    expect(send.pending).toBe(true);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([49]);
    expect(send.pending).toBe(false);
  });

  it("flush sends at once and cancel drops the pending call", () => {
    const seen: string[] = [];
    const send = debounce((s: string) => seen.push(s), 100);
    send("a");
    send.flush();
    expect(seen).toEqual(["a"]);
    send.flush();
    expect(seen).toEqual(["a"]);
    send("b");
    send.cancel();
    vi.advanceTimersByTime(200);
    expect(seen).toEqual(["a"]);
  });
});
