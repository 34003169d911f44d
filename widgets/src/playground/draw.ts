/**
 * "Your data": drawing points on the output plane. The mode lives in the page (it is how the
 * mouse behaves here, not a setting of the run).
 */

/** off; a class (classification); or the slider's value (regression). */
export type DrawMode = "off" | "-1" | "1" | "value";

export interface DrawState {
  mode: DrawMode;
  /** The regression value drawn, -1..1. */
  value: number;
}

export const DRAW_OFF: DrawState = { mode: "off", value: 1 };

/** The label a click on the plane adds, or null when clicks add nothing. */
export function drawLabel(draw: DrawState, problem: string): number | null {
  if (problem === "regression") return draw.mode === "off" ? null : Math.min(Math.max(draw.value, -1), 1);
  if (draw.mode === "-1") return -1;
  if (draw.mode === "1") return 1;
  return null;
}

/** CSV files larger than this are refused in the page (the protocol's limit). */
export const CSV_MAX_BYTES = 2 * 1024 * 1024;

/** Why a file cannot be sent, or null when it can. */
export function csvRefusal(name: string, size: number): string | null {
  if (size <= CSV_MAX_BYTES) return null;
  const mb = (size / (1024 * 1024)).toFixed(1);
  return `${name} is ${mb} MB: the Playground takes CSV files of at most 2 MB.`;
}
