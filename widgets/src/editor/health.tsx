/**
 * Training health of the nodes (Python's `health` and `health_notes` traits), in a context of
 * its own: a new health map (at most twice a second while training) re-renders the nodes'
 * badges, never the editor's other context.
 */
import { useModelState } from "@anywidget/react";
import { createContext, type ReactNode, useContext, useMemo } from "react";
import type { HealthState } from "../protocol";

export interface HealthValue {
  health: Record<string, HealthState>;
  notes: Record<string, string>;
}

export const NO_HEALTH: HealthValue = { health: {}, notes: {} };
export const HealthContext = createContext<HealthValue>(NO_HEALTH);

/** Reads the two traits and hands them to the nodes below. */
export function HealthProvider({ children }: { children: ReactNode }) {
  const [health] = useModelState<Record<string, HealthState>>("health");
  const [notes] = useModelState<Record<string, string>>("health_notes");
  const value = useMemo(
    () => (health || notes ? { health: health ?? {}, notes: notes ?? {} } : NO_HEALTH),
    [health, notes],
  );
  return <HealthContext.Provider value={value}>{children}</HealthContext.Provider>;
}

const WORDS: Record<HealthState, string> = {
  ok: "ok: no problem found in training",
  warn: "warning",
  bad: "problem",
};

/** The badge of node `id`: its state and tooltip, or null when Python reported none. */
export function useNodeHealth(id: string): { state: HealthState; title: string } | null {
  const { health, notes } = useContext(HealthContext);
  const state = health[id];
  if (!state) return null;
  const note = notes[id];
  return { state, title: note ? `${WORDS[state]}: ${note}` : WORDS[state] };
}
