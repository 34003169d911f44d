/**
 * The picture board paints node canvases from the `maps` buffer outside React; here with fake
 * canvases and a hand-driven animation frame.
 */
import type { AnyModel } from "@anywidget/types";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PictureBoard } from "../src/playground/pictures";
import type { PlaygroundTraits } from "../src/protocol";

/** A canvas that keeps the last picture put into it, as bytes of its red channel. */
function fakeCanvas() {
  const canvas = {
    width: 0,
    height: 0,
    puts: 0,
    red: [] as number[],
    getContext: () => ({
      createImageData: (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: (image: { data: Uint8ClampedArray }) => {
        canvas.puts += 1;
        canvas.red = [...image.data.filter((_, i) => i % 4 === 0)];
      },
    }),
  };
  return canvas;
}

function fakeModel(traits: Partial<PlaygroundTraits>) {
  const handlers = new Map<string, (() => void)[]>();
  return {
    get: (k: keyof PlaygroundTraits) => traits[k],
    on: (event: string, fn: () => void) => handlers.set(event, [...(handlers.get(event) ?? []), fn]),
    off: (event: string, fn: () => void) => handlers.set(event, (handlers.get(event) ?? []).filter((f) => f !== fn)),
    emit: (event: string) => (handlers.get(event) ?? []).forEach((fn) => fn()),
    set: (k: keyof PlaygroundTraits, v: unknown) => Object.assign(traits, { [k]: v }),
  };
}

let frames: FrameRequestCallback[] = [];
const runFrame = () => {
  const due = frames;
  frames = [];
  due.forEach((fn) => fn(0));
};

beforeEach(() => {
  frames = [];
  vi.stubGlobal("requestAnimationFrame", (fn: FrameRequestCallback) => frames.push(fn));
  vi.stubGlobal("cancelAnimationFrame", () => {});
});
afterEach(() => vi.unstubAllGlobals());

describe("PictureBoard", () => {
  // map_size 1: one byte per node. Inputs x (0 -> orange), output (255 -> blue).
  const model = fakeModel({
    network: { inputs: ["x"], shape: [], weights: [[[1]]], biases: [[0]], dead: [] },
    maps: new DataView(Uint8Array.from([0, 255]).buffer),
    map_size: 1,
    big_map: Uint8Array.from([255, 0, 0, 255]),
    big_size: 2,
    settings: { discretize: false } as PlaygroundTraits["settings"],
    options: { features: [{ name: "x", label: "X" }, { name: "y", label: "Y" }], domain: [-6, 6] } as unknown as PlaygroundTraits["options"],
  });
  const board = new PictureBoard(model as unknown as AnyModel<PlaygroundTraits>);
  const canvases = { x: fakeCanvas(), y: fakeCanvas(), output: fakeCanvas(), big: fakeCanvas() };

  it("paints every node from its slice of maps, and a switched-off feature page-side", () => {
    const stop = board.start();
    for (const id of ["x", "y", "output"] as const) board.attach(id, canvases[id] as unknown as HTMLCanvasElement);
    board.attachBig(canvases.big as unknown as HTMLCanvasElement);
    expect(frames).toHaveLength(1); // four attachments, one paint
    runFrame();
    expect(canvases.x.red).toEqual([0xf5]);
    expect(canvases.output.red).toEqual([0x08]);
    // y is off: its 1x1 picture is x2 = 6 (the top row), clamped to 1.
    expect(canvases.y.red).toEqual([0x08]);
    expect(canvases.big.red).toEqual([0x08, 0xf5, 0xf5, 0x08]);
    expect([canvases.big.width, canvases.big.height]).toEqual([2, 2]);
    stop();
  });

  it("coalesces a burst of changes into one paint, and stops listening when stopped", () => {
    const stop = board.start();
    runFrame();
    const before = canvases.x.puts;
    model.set("maps", Uint8Array.from([255, 0]));
    model.emit("change:maps");
    model.emit("change:frame");
    model.emit("change:big_map");
    expect(frames).toHaveLength(1);
    runFrame();
    expect(canvases.x.puts).toBe(before + 1);
    expect(canvases.x.red).toEqual([0x08]);
    stop();
    model.emit("change:frame");
    expect(frames).toHaveLength(0);
  });

  it("colours by sign only when discretize is on", () => {
    const stop = board.start();
    model.set("maps", Uint8Array.from([120, 140]));
    model.set("settings", { discretize: true });
    model.emit("change:settings");
    runFrame();
    expect(canvases.x.red).toEqual([0xf5]);
    expect(canvases.output.red).toEqual([0x08]);
    stop();
  });
});
