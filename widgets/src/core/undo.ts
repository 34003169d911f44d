/**
 * Undo/redo over whole snapshots of the graph document. Snapshots are small (a few kB per
 * hundred nodes) and make "one step per multi-node drag or delete" trivial: the editor
 * records once before the gesture starts.
 */
export class UndoStack<T> {
  private past: T[] = [];
  private future: T[] = [];
  private lastKey: string | null = null;
  private lastTime = 0;

  constructor(
    private readonly limit = 200,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Remembers `state` (the state before an edit). Edits with the same `coalesceKey`
   * within `windowMs` (typing into one field) share one undo step.
   */
  record(state: T, coalesceKey: string | null = null, windowMs = 1000): void {
    const time = this.now();
    if (coalesceKey !== null && coalesceKey === this.lastKey && time - this.lastTime < windowMs) {
      this.lastTime = time;
      return;
    }
    this.past.push(state);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
    this.lastKey = coalesceKey;
    this.lastTime = time;
  }

  /** Returns the state to go back to, given the current one, or undefined. */
  undo(current: T): T | undefined {
    const previous = this.past.pop();
    if (previous === undefined) return undefined;
    this.future.push(current);
    this.lastKey = null;
    return previous;
  }

  redo(current: T): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push(current);
    this.lastKey = null;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.lastKey = null;
  }
}
