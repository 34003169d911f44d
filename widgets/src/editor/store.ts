/**
 * A small store outside React: one state object, replaced (never changed in place) by
 * `update`; components read it with `useStore`, event handlers with `get`, so neither needs
 * a ref that mirrors React state.
 */
import { useSyncExternalStore } from "react";

export class Store<T extends object> {
  private readonly listeners = new Set<() => void>();

  constructor(private state: T) {}

  get = (): T => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Replaces the given fields; listeners hear of it only when one of them really changed. */
  update(patch: Partial<T>): void {
    const keys = Object.keys(patch) as (keyof T)[];
    if (keys.every((key) => Object.is(patch[key], this.state[key]))) return;
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }
}

/** The store's state, re-rendering the component when it changes. */
export function useStore<T extends object>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get);
}
