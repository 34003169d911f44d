import { describe, expect, it } from "vitest";
import {
  colourOf,
  colourPixels,
  cssColour,
  decodeByte,
  discretize,
  encodeValue,
  featurePicture,
  splitMaps,
  toBytes,
} from "../src/playground/heatmap";

describe("colour scale", () => {
  it("has the original's three stops", () => {
    expect(colourOf(-1)).toEqual([0xf5, 0x93, 0x22]);
    expect(colourOf(0)).toEqual([0xe8, 0xea, 0xeb]);
    expect(colourOf(1)).toEqual([0x08, 0x77, 0xbd]);
    expect(cssColour(1)).toBe("rgb(8,119,189)");
  });

  it("interpolates linearly between them", () => {
    // Half-way from grey (232, 234, 235) to blue (8, 119, 189).
    expect(colourOf(0.5)).toEqual([120, 177, 212]);
    // Half-way from grey to orange (245, 147, 34).
    expect(colourOf(-0.5)).toEqual([239, 191, 135]);
  });

  it("clamps values outside [-1, 1] and greys what is not a number", () => {
    expect(colourOf(7)).toEqual(colourOf(1));
    expect(colourOf(-3)).toEqual(colourOf(-1));
    expect(colourOf(Number.NaN)).toEqual(colourOf(0));
  });
});

describe("byte encoding", () => {
  it("decodes the ends and the middle", () => {
    expect(decodeByte(0)).toBe(-1);
    expect(decodeByte(255)).toBe(1);
    expect(decodeByte(128)).toBeCloseTo(0, 2);
  });

  it("encodes as round((v + 1) * 127.5), clamped", () => {
    expect(encodeValue(-1)).toBe(0);
    expect(encodeValue(1)).toBe(255);
    expect(encodeValue(0)).toBe(128);
    expect(encodeValue(5)).toBe(255);
    expect(encodeValue(-5)).toBe(0);
  });
});

describe("discretize", () => {
  it("keeps the sign only, zero counting as positive", () => {
    expect(discretize(0.01)).toBe(1);
    expect(discretize(0)).toBe(1);
    expect(discretize(-0.01)).toBe(-1);
    expect(discretize(-0.9)).toBe(-1);
  });

  it("colours bytes by sign when discrete", () => {
    const out = new Uint8ClampedArray(3 * 4);
    colourPixels(Uint8Array.from([100, 200, 255]), out, true);
    expect([...out.slice(0, 4)]).toEqual([0xf5, 0x93, 0x22, 255]);
    expect([...out.slice(4, 8)]).toEqual([0x08, 0x77, 0xbd, 255]);
    colourPixels(Uint8Array.from([0, 128, 255]), out, false);
    expect([...out.slice(0, 4)]).toEqual([0xf5, 0x93, 0x22, 255]);
    expect([...out.slice(8, 12)]).toEqual([0x08, 0x77, 0xbd, 255]);
  });
});

describe("splitMaps", () => {
  const ids = ["x", "y", "h1_0", "output"];

  it("gives each node its size x size picture, in the protocol's order", () => {
    const bytes = Uint8Array.from({ length: 4 * 4 }, (_, i) => i);
    const pictures = splitMaps(bytes, 2, ids);
    expect([...pictures.keys()]).toEqual(ids);
    expect([...pictures.get("x")!]).toEqual([0, 1, 2, 3]);
    expect([...pictures.get("h1_0")!]).toEqual([8, 9, 10, 11]);
    expect([...pictures.get("output")!]).toEqual([12, 13, 14, 15]);
  });

  it("leaves out the nodes a short buffer does not cover", () => {
    const pictures = splitMaps(new Uint8Array(9), 2, ids);
    expect([...pictures.keys()]).toEqual(["x", "y"]);
    expect(splitMaps(new Uint8Array(9), 0, ids).size).toBe(0);
  });

  it("reads the bytes however the host hands them over", () => {
    const buffer = Uint8Array.from([1, 2, 3, 4, 5]).buffer;
    expect([...toBytes(new DataView(buffer, 1, 3))]).toEqual([2, 3, 4]);
    expect([...toBytes(buffer)]).toEqual([1, 2, 3, 4, 5]);
    expect([...toBytes([7, 8])]).toEqual([7, 8]);
    expect(toBytes(null).length).toBe(0);
  });
});

describe("featurePicture", () => {
  it("draws rows from the top of the plane (x2 = 6) and columns from x1 = -6", () => {
    const x = featurePicture("x", 3, [-6, 6]);
    expect([...x.slice(0, 3)]).toEqual([0, 128, 255]); // x1 = -6, 0, 6, clamped to [-1, 1]
    const y = featurePicture("y", 3, [-6, 6]);
    expect([y[0], y[3], y[6]]).toEqual([255, 128, 0]);
    const sinX = featurePicture("sinX", 5, [-Math.PI / 2, Math.PI / 2]);
    expect([...sinX.slice(0, 5)]).toEqual([0, 37, 128, 218, 255]);
  });
});
