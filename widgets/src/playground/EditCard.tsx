/**
 * The hover card of a link or a bias: "Weight 0.12"; a click turns it into a number input,
 * and Enter sends the new value (Escape or leaving the input closes it unchanged).
 */
import { useState } from "react";
import { formatValue } from "./format";

/** What the card is about: a link's weight or a neuron's bias (layer: 1-based Linear layer). */
export type EditTarget =
  | { kind: "weight"; layer: number; to: number; from: number }
  | { kind: "bias"; layer: number; node: number };

export interface CardState {
  target: EditTarget;
  /** Where it shows, in the network's coordinates. */
  x: number;
  y: number;
  editing: boolean;
}

interface EditCardProps {
  card: CardState;
  /** The target's value now (weights change every frame while training). */
  value: number;
  onEdit: () => void;
  onSubmit: (value: number) => void;
  onClose: () => void;
  onPointerInside: (inside: boolean) => void;
}

export function EditCard({ card, value, onEdit, onSubmit, onClose, onPointerInside }: EditCardProps) {
  const name = card.target.kind === "weight" ? "Weight" : "Bias";
  return (
    <div
      className="pg-card"
      style={{ left: card.x, top: card.y }}
      data-testid="pg-card"
      onMouseEnter={() => onPointerInside(true)}
      onMouseLeave={() => onPointerInside(false)}
      onClick={card.editing ? undefined : onEdit}
    >
      {name}{" "}
      {card.editing ? <ValueInput initial={value} onSubmit={onSubmit} onClose={onClose} /> : <b>{formatValue(value)}</b>}
    </div>
  );
}

function ValueInput({ initial, onSubmit, onClose }: { initial: number; onSubmit: (v: number) => void; onClose: () => void }) {
  // The value when editing began: later frames must not overwrite what is being typed.
  const [text, setText] = useState(() => String(Number(initial.toFixed(4))));
  const value = Number(text);
  const valid = text.trim() !== "" && Number.isFinite(value);
  return (
    <input
      type="number"
      step="any"
      className={valid ? "pg-edit" : "pg-edit pg-invalid"}
      data-testid="pg-edit-input"
      autoFocus
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={onClose}
      onKeyDown={(e) => {
        if (e.key === "Enter" && valid) onSubmit(value);
        else if (e.key === "Escape") onClose();
        // The notebook must not take the keys typed here as its own shortcuts.
        e.stopPropagation();
      }}
    />
  );
}
