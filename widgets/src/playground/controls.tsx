/**
 * The small controls the columns share: a hidable wrapper (the share panel's "Hide controls"),
 * a select of fixed values, a slider that follows the pointer while Python catches up, and a
 * checkbox.
 */
import { createContext, type ReactNode, useContext, useState } from "react";

/** The names in the `hidden` trait. */
export const HiddenContext = createContext<ReadonlySet<string>>(new Set());

/** A control the author can hide: marked with data-control, not rendered while hidden. */
export function Hidable({ name, children, className }: { name: string; children: ReactNode; className?: string }) {
  const hidden = useContext(HiddenContext);
  if (hidden.has(name)) return null;
  return (
    <div className={className ? `pg-control ${className}` : "pg-control"} data-control={name}>
      {children}
    </div>
  );
}

interface ChoiceProps<T extends string | number> {
  label: string;
  testId: string;
  values: readonly T[];
  value: T;
  /** What the option shows (the value itself by default). */
  format?: (value: T) => string;
  onChange: (value: T) => void;
}

/**
 * A select of `values`. Options carry their index, so a number goes back exactly as Python
 * sent it (0.003 is not re-parsed from text). A current value missing from `values` is shown
 * as an extra option rather than silently showing another one.
 */
export function Choice<T extends string | number>({ label, testId, values, value, format, onChange }: ChoiceProps<T>) {
  const shown = values.includes(value) ? values : [value, ...values];
  const text = format ?? String;
  return (
    <label className="pg-field">
      <span className="pg-field-label">{label}</span>
      <select
        data-testid={testId}
        value={String(shown.indexOf(value))}
        onChange={(e) => onChange(shown[Number(e.target.value)])}
      >
        {shown.map((v, i) => (
          <option key={i} value={String(i)}>
            {text(v)}
          </option>
        ))}
      </select>
    </label>
  );
}

interface SliderProps {
  label: string;
  testId: string;
  min: number;
  max: number;
  step: number;
  value: number;
  onChange: (value: number) => void;
}

/**
 * A range input that sends each new value. While the pointer drags it, it shows where the
 * pointer is rather than Python's answer to an earlier value (which would make it jump back);
 * otherwise it shows the value it sent until Python's `settings` changes.
 */
export function Slider({ label, testId, min, max, step, value, onChange }: SliderProps) {
  const [draft, setDraft] = useState<{ value: number; base: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  const shown = draft && (dragging || draft.base === value) ? draft.value : value;
  return (
    <label className="pg-field pg-slider">
      <span className="pg-field-label">
        {label}: <b>{shown}</b>
      </span>
      <input
        type="range"
        data-testid={testId}
        min={min}
        max={max}
        step={step}
        value={shown}
        onPointerDown={() => setDragging(true)}
        onPointerUp={() => setDragging(false)}
        onPointerCancel={() => setDragging(false)}
        onChange={(e) => {
          const next = Number(e.target.value);
          setDraft({ value: next, base: value });
          if (next !== shown) onChange(next);
        }}
      />
    </label>
  );
}

export function Check({
  label,
  testId,
  checked,
  onChange,
}: {
  label: string;
  testId: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label className="pg-check">
      <input type="checkbox" data-testid={testId} checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}
