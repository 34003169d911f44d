import { describe, expect, it } from "vitest";
import { UndoStack } from "../src/core/undo";

describe("UndoStack", () => {
  it("undoes and redoes in order", () => {
    const stack = new UndoStack<string>();
    stack.record("a");
    stack.record("b");
    expect(stack.undo("c")).toBe("b");
    expect(stack.undo("b")).toBe("a");
    expect(stack.undo("a")).toBeUndefined();
    expect(stack.redo("a")).toBe("b");
    expect(stack.redo("b")).toBe("c");
    expect(stack.canRedo).toBe(false);
  });

  it("a new edit clears the redo branch", () => {
    const stack = new UndoStack<string>();
    stack.record("a");
    stack.undo("b");
    stack.record("a2");
    expect(stack.canRedo).toBe(false);
  });

  it("coalesces edits with the same key inside the window into one step", () => {
    let t = 0;
    const stack = new UndoStack<string>(100, () => t);
    stack.record("v0", "fc.out_features");
    t = 300;
    stack.record("v1", "fc.out_features");
    t = 600;
    stack.record("v12", "fc.out_features");
    expect(stack.undo("v128")).toBe("v0");
    expect(stack.canUndo).toBe(false);
    t = 5000;
    stack.record("w0", "fc.out_features");
    t = 7000;
    stack.record("w1", "fc.out_features");
    expect(stack.undo("w2")).toBe("w1");
  });

  it("forgets the oldest steps past its limit", () => {
    const stack = new UndoStack<number>(3);
    for (let i = 0; i < 5; i++) stack.record(i);
    expect([stack.undo(5), stack.undo(4), stack.undo(3), stack.undo(2)]).toEqual([4, 3, 2, undefined]);
  });
});
