import { describe, expect, it } from "vitest";
import { csvRefusal, DRAW_OFF, drawLabel } from "../src/playground/draw";
import { formatEpoch, formatLoss, formatValue, lossPolylines, pixelFromPlane, planeFromPixel } from "../src/playground/format";
import { hashState } from "../src/playground/urlState";

describe("numbers on the page", () => {
  it("shows the epoch with six digits grouped by threes", () => {
    expect(formatEpoch(0)).toBe("000,000");
    expect(formatEpoch(123)).toBe("000,123");
    expect(formatEpoch(45678)).toBe("045,678");
    expect(formatEpoch(1234567)).toBe("1,234,567");
  });

  it("shows losses with three decimals and weights briefly", () => {
    expect(formatLoss(0.12345)).toBe("0.123");
    expect(formatLoss(Number.NaN)).toBe("–");
    expect(formatValue(0.1234)).toBe("0.12");
    expect(formatValue(-2.345)).toBe("-2.35");
  });
});

describe("the output plane", () => {
  const domain: [number, number] = [-6, 6];

  it("maps pixels to the plane: x1 rightwards, x2 upwards", () => {
    expect(planeFromPixel(0, 0, 300, 300, domain)).toEqual([-6, 6]);
    expect(planeFromPixel(150, 150, 300, 300, domain)).toEqual([0, 0]);
    expect(planeFromPixel(300, 300, 300, 300, domain)).toEqual([6, -6]);
    expect(planeFromPixel(400, -5, 300, 300, domain)).toEqual([6, 6]);
  });

  it("maps the plane back to pixels", () => {
    expect(pixelFromPlane(-6, 6, 300, 300, domain)).toEqual([0, 0]);
    expect(pixelFromPlane(3, -3, 300, 300, domain)).toEqual([225, 225]);
  });
});

describe("lossPolylines", () => {
  it("spans the epochs across and the losses from 0 to the largest", () => {
    const { train, test } = lossPolylines(
      [
        [0, 0.5, 1],
        [10, 0.25, 0.5],
      ],
      100,
      50,
    );
    expect(train).toBe("0,25 100,37.5");
    expect(test).toBe("0,0 100,25");
  });

  it("leaves out losses that are not numbers, and draws nothing without history", () => {
    const { test } = lossPolylines([[0, 1, Number.NaN], [1, 1, 0.5], [2, 1, null]], 10, 10);
    expect(test).toBe("5,5");
    expect(lossPolylines([], 10, 10)).toEqual({ train: "", test: "" });
  });
});

describe("drawing points and loading files", () => {
  it("adds a class in classification and the slider's value in regression", () => {
    expect(drawLabel(DRAW_OFF, "classification")).toBeNull();
    expect(drawLabel({ mode: "-1", value: 0 }, "classification")).toBe(-1);
    expect(drawLabel({ mode: "1", value: 0 }, "classification")).toBe(1);
    expect(drawLabel({ mode: "value", value: 0.3 }, "regression")).toBe(0.3);
    expect(drawLabel({ mode: "off", value: 0.3 }, "regression")).toBeNull();
  });

  it("refuses CSV files over 2 MB before sending them", () => {
    expect(csvRefusal("a.csv", 2 * 1024 * 1024)).toBeNull();
    expect(csvRefusal("big.csv", 3 * 1024 * 1024)).toMatch(/big\.csv is 3\.0 MB.*at most 2 MB/);
  });

  it("reads the state in a location hash", () => {
    expect(hashState("#activation=tanh&noise=5")).toBe("activation=tanh&noise=5");
    expect(hashState("#networkShape=4%2C2")).toBe("networkShape=4,2");
    expect(hashState("")).toBe("");
    expect(hashState("#bad=%E0")).toBe("bad=%E0");
  });
});
