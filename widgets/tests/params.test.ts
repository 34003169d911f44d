import { describe, expect, it } from "vitest";
import { cloneWithFreshIds, extract } from "../src/core/clipboard";
import { sameLine, tokenizePython, tokenLines } from "../src/core/highlight";
import { autoLayout } from "../src/core/layout";
import { keyParamsText, parseParam, withParam } from "../src/core/params";
import type { LayerSpec, ParamSpec } from "../src/protocol";
import layers from "./fixtures/catalog.json";

const specs = layers as LayerSpec[];
const param = (op: string, name: string) =>
  specs.find((l) => l.name === op)?.params.find((p) => p.name === name) as ParamSpec;

describe("parseParam", () => {
  it("checks ints against their range", () => {
    expect(parseParam(param("Linear", "out_features"), "64")).toEqual({ ok: true, value: 64 });
    const zero = parseParam(param("Linear", "out_features"), "0");
    expect(zero).toEqual({ ok: false, error: "out_features must be at least 1." });
    expect(parseParam(param("Linear", "out_features"), "6.5").ok).toBe(false);
    expect(parseParam(param("Linear", "out_features"), "").ok).toBe(false);
  });

  it("leaves inferable sizes empty", () => {
    expect(parseParam(param("Linear", "in_features"), " ")).toEqual({ ok: true, value: null });
  });

  it("reads tuples, choices and shapes", () => {
    expect(parseParam(param("Conv2d", "kernel_size"), "3, 5")).toEqual({ ok: true, value: [3, 5] });
    expect(parseParam(param("Conv2d", "kernel_size"), "(3)")).toEqual({ ok: true, value: 3 });
    expect(parseParam(param("Conv2d", "kernel_size"), "1,2,3").ok).toBe(false);
    expect(parseParam(param("Conv2d", "padding"), "same")).toEqual({ ok: true, value: "same" });
    expect(parseParam(param("Conv2d", "padding"), "2")).toEqual({ ok: true, value: 2 });
    expect(parseParam(param("Dropout", "mode"), "c").ok).toBe(false);
    expect(parseParam(param("Dropout", "p"), "0.2")).toEqual({ ok: true, value: 0.2 });
    expect(parseParam(param("Dropout", "p"), "2").ok).toBe(false);
    expect(parseParam(param("Input", "shape"), "-1, 4")).toEqual({ ok: true, value: [-1, 4] });
    expect(parseParam(param("Input", "shape"), "-1, -1").ok).toBe(false);
    expect(parseParam(param("Linear", "bias"), false)).toEqual({ ok: true, value: false });
  });

  it("shows key params and removes params set to null", () => {
    const linear = specs.find((l) => l.name === "Linear");
    expect(keyParamsText(linear, { out_features: 10 })).toBe("out_features=10");
    expect(keyParamsText(linear, {})).toBe("out_features=64");
    expect(withParam({ in_features: 5, out_features: 3 }, "in_features", null)).toEqual({ out_features: 3 });
  });
});

describe("clipboard", () => {
  it("clones a selection with fresh ids and its inner edges only", () => {
    const doc = {
      version: 1,
      nodes: [
        { id: "x", op: "Input", params: {}, position: { x: 0, y: 0 } },
        { id: "linear1", op: "Linear", params: { out_features: 4 }, position: { x: 0, y: 100 } },
        { id: "relu1", op: "ReLU", params: {}, position: { x: 0, y: 200 } },
      ],
      edges: [
        { source: "x", target: "linear1", target_port: 0 },
        { source: "linear1", target: "relu1", target_port: 0 },
      ],
    };
    const piece = extract(doc, new Set(["linear1", "relu1"]));
    const copy = cloneWithFreshIds(piece, new Set(doc.nodes.map((n) => n.id)), { x: 40, y: 40 });
    expect(copy.nodes.map((n) => n.id)).toEqual(["linear2", "relu2"]);
    expect(copy.nodes[0].position).toEqual({ x: 40, y: 140 });
    expect(copy.edges).toEqual([{ source: "linear2", target: "relu2", target_port: 0 }]);
    copy.nodes[0].params.out_features = 9;
    expect(doc.nodes[1].params.out_features).toBe(4);
  });
});

describe("highlight", () => {
  it("splits Python source into kinds that join back to the source", () => {
    const src = 'class Net(nn.Module):\n    # a comment\n    x = "s" + 12\n';
    const tokens = tokenizePython(src);
    expect(tokens.map((t) => t.text).join("")).toBe(src);
    const kind = (text: string) => tokens.find((t) => t.text === text)?.kind;
    expect(kind("class")).toBe("keyword");
    expect(kind("Net")).toBe("call");
    expect(kind("# a comment")).toBe("comment");
    expect(kind('"s"')).toBe("string");
    expect(kind("12")).toBe("number");
  });

  it("cuts the tokens into lines that join back to the source, a docstring across lines", () => {
    const src = 'def f():\n    """Two\n    lines."""\n\n    return 1\n';
    const lines = tokenLines(tokenizePython(src));
    expect(lines).toHaveLength(5);
    expect(lines.flat().map((t) => t.text).join("")).toBe(src);
    expect(lines[1].at(-1)).toEqual({ kind: "string", text: '"""Two\n' });
    expect(lines[2][0]).toEqual({ kind: "string", text: '    lines."""' });
    expect(lines[3]).toEqual([{ kind: "plain", text: "\n" }]);
  });

  it("tells lines that draw the same apart from changed ones", () => {
    const [a, b] = ["x = 1\n", "x = 2\n"].map((src) => tokenLines(tokenizePython(src))[0]);
    expect(sameLine(a, tokenLines(tokenizePython("x = 1\n"))[0])).toBe(true);
    expect(sameLine(a, b)).toBe(false);
  });
});

describe("autoLayout", () => {
  it("places a chain top to bottom without overlap", () => {
    const pos = autoLayout(
      [{ id: "a" }, { id: "b" }, { id: "c" }],
      [
        { source: "a", target: "b" },
        { source: "b", target: "c" },
      ],
    );
    const ys = ["a", "b", "c"].map((id) => pos.get(id)?.y ?? 0);
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1] - ys[0]).toBeGreaterThanOrEqual(70);
    expect(ys[1]).toBeLessThan(ys[2]);
  });
});
