/**
 * Typed parameter editing: parse what the learner types into a param value, checked against
 * the catalog's spec (type, range, choices), with a sentence saying what is wrong.
 */
import type { LayerSpec, ParamSpec } from "../protocol";

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad = (error: string): Parsed => ({ ok: false, error });

function parseIntText(spec: ParamSpec, text: string): Parsed {
  if (!/^[+-]?\d+$/.test(text)) return bad(`${spec.name} must be a whole number, not "${text}".`);
  return inRange(spec, Number(text));
}

function inRange(spec: ParamSpec, n: number): Parsed {
  if (spec.min !== null && spec.min !== undefined && n < spec.min) {
    return bad(`${spec.name} must be at least ${spec.min}.`);
  }
  if (spec.max !== null && spec.max !== undefined && n > spec.max) {
    return bad(`${spec.name} must be at most ${spec.max}.`);
  }
  return ok(n);
}

function parseInts(spec: ParamSpec, text: string): Parsed {
  const parts = text.split(/[\s,()[\]]+/).filter(Boolean);
  if (parts.length === 1) return parseIntText(spec, parts[0]);
  if (spec.length && parts.length !== spec.length) {
    return bad(`${spec.name} takes one number or ${spec.length} numbers separated by commas.`);
  }
  const values: number[] = [];
  for (const part of parts) {
    const one = parseIntText(spec, part);
    if (!one.ok) return one;
    values.push(one.value as number);
  }
  return ok(values);
}

function parseShape(spec: ParamSpec, text: string): Parsed {
  const parts = text.split(/[\s,()[\]]+/).filter(Boolean);
  if (!parts.length) return bad(`${spec.name} needs at least one size, e.g. "16, 7, 7".`);
  const values: number[] = [];
  for (const part of parts) {
    if (!/^-?\d+$/.test(part)) return bad(`${spec.name} sizes must be whole numbers, not "${part}".`);
    const n = Number(part);
    if (n === 0 || n < -1) return bad(`${spec.name} sizes must be positive (or -1 once).`);
    values.push(n);
  }
  if (values.filter((n) => n === -1).length > 1) return bad(`${spec.name} may use -1 only once.`);
  return ok(values);
}

/** Parses the text of one input for `spec`; empty text means "leave it out" when allowed. */
export function parseParam(spec: ParamSpec, raw: string | boolean): Parsed {
  if (typeof raw === "boolean") return ok(raw);
  const text = raw.trim();
  if (text === "") {
    if (spec.nullable || spec.inferred) return ok(null);
    return bad(`${spec.name} needs a value.`);
  }
  switch (spec.type) {
    case "int":
      return parseIntText(spec, text);
    case "float": {
      const n = Number(text);
      if (!Number.isFinite(n)) return bad(`${spec.name} must be a number, not "${text}".`);
      return inRange(spec, n);
    }
    case "bool":
      if (/^(true|1|yes)$/i.test(text)) return ok(true);
      if (/^(false|0|no)$/i.test(text)) return ok(false);
      return bad(`${spec.name} must be true or false.`);
    case "choice":
      return choiceOf(spec, text) ?? bad(`${spec.name} must be one of ${choicesText(spec)}.`);
    case "ints":
      return parseInts(spec, text);
    case "shape":
      return parseShape(spec, text);
    case "int_or_choice":
      return choiceOf(spec, text) ?? parseInts(spec, text);
    default:
      return ok(text);
  }
}

function choiceOf(spec: ParamSpec, text: string): Parsed | null {
  const match = (spec.choices ?? []).find((c) => String(c) === text);
  return match === undefined ? null : ok(match);
}

function choicesText(spec: ParamSpec): string {
  return (spec.choices ?? []).map((c) => `"${String(c)}"`).join(", ");
}

/** The text an input shows for a value. */
export function formatParam(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** The value in effect: the node's own, else the catalog default. */
export function effectiveParam(spec: ParamSpec, params: Record<string, unknown>): unknown {
  return spec.name in params ? params[spec.name] : spec.default;
}

/** The key params drawn on a node: "out_features=64 · bias=false". */
export function keyParamsText(layer: LayerSpec | undefined, params: Record<string, unknown>): string {
  if (!layer) return "";
  return layer.params
    .filter((p) => p.key)
    .map((p) => [p.name, effectiveParam(p, params)] as const)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, v]) => `${name}=${formatParam(v)}`)
    .join(" · ");
}

/** Sets or (with null, for an inferable param) removes one param, returning new params. */
export function withParam(
  params: Record<string, unknown>,
  name: string,
  value: unknown,
): Record<string, unknown> {
  const next = { ...params };
  if (value === null || value === undefined) delete next[name];
  else next[name] = value;
  return next;
}
