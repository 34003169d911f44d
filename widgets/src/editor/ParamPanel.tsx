/**
 * The side panel that edits the selected node's parameters with typed inputs, validated
 * as the learner types: a value reaches the graph only once it parses.
 */
import { memo, useState } from "react";
import { isBlock } from "../core/blocks";
import { effectiveParam, formatParam, parseParam } from "../core/params";
import { MAX_LABEL_LENGTH } from "../core/graph";
import type { LayerSpec, ParamSpec } from "../protocol";

interface FieldProps {
  spec: ParamSpec;
  value: unknown;
  onChange: (name: string, value: unknown) => void;
}

function rangeText(spec: ParamSpec): string {
  const parts: string[] = [];
  if (spec.min !== null && spec.min !== undefined) parts.push(`≥ ${spec.min}`);
  if (spec.max !== null && spec.max !== undefined) parts.push(`≤ ${spec.max}`);
  return parts.join(", ");
}

function ParamField({ spec, value, onChange }: FieldProps) {
  const [text, setText] = useState(() => formatParam(value));
  const [error, setError] = useState<string | null>(null);
  const valueKey = JSON.stringify(value ?? null);
  const [shownKey, setShownKey] = useState(valueKey);

  // Follow changes made elsewhere (undo, a fix) unless the field already shows that value;
  // adjusted while rendering, as React advises for state that follows a prop.
  if (valueKey !== shownKey) {
    setShownKey(valueKey);
    const parsed = parseParam(spec, text);
    if (!parsed.ok || JSON.stringify(parsed.value ?? null) !== valueKey) {
      setText(formatParam(value));
      setError(null);
    }
  }

  const testId = `param-${spec.name}`;
  const title = [spec.doc, rangeText(spec)].filter(Boolean).join(" ");
  let input: React.ReactNode;
  if (spec.type === "bool") {
    input = (
      <input
        id={testId}
        type="checkbox"
        data-testid={testId}
        checked={Boolean(value)}
        onChange={(e) => onChange(spec.name, e.target.checked)}
      />
    );
  } else if (spec.type === "choice") {
    input = (
      <select id={testId} data-testid={testId} value={String(value ?? "")} onChange={(e) => {
        const parsed = parseParam(spec, e.target.value);
        if (parsed.ok) onChange(spec.name, parsed.value);
      }}>
        {(spec.choices ?? []).map((c) => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else {
    const placeholder = spec.inferred ? "inferred" : spec.choices ? spec.choices.join(" / ") : "";
    input = (
      <input
        id={testId}
        type="text"
        data-testid={testId}
        value={text}
        placeholder={placeholder}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parseParam(spec, e.target.value);
          setError(parsed.ok ? null : parsed.error);
          if (parsed.ok) onChange(spec.name, parsed.value);
        }}
      />
    );
  }
  return (
    <div className={error ? "dls-param invalid" : "dls-param"} title={title}>
      <label htmlFor={testId}>{spec.name}</label>
      {input}
      {error && (
        <div className="dls-param-error" data-testid={`param-error-${spec.name}`}>
          {error}
        </div>
      )}
    </div>
  );
}

interface LabelProps {
  nodeId: string;
  label: string | null;
  onLabel: (nodeId: string, text: string) => void;
}

/** The layer's own name, used for it in the generated code (its id when left empty). */
function LabelField({ nodeId, label, onLabel }: LabelProps) {
  return (
    <div className="dls-param" title="The layer's name in the generated code; empty uses its id.">
      <label htmlFor="node-label">name</label>
      <input
        id="node-label"
        type="text"
        data-testid="node-label"
        value={label ?? ""}
        placeholder={nodeId}
        maxLength={MAX_LABEL_LENGTH}
        spellCheck={false}
        onChange={(e) => onLabel(nodeId, e.target.value)}
      />
    </div>
  );
}

/** Ops with nothing to train: they never offer "Frozen". */
const NOT_FREEZABLE = new Set(["Input", "Output"]);

const FROZEN_TITLE =
  "Its weights stay as they are; it runs as in evaluation, so BatchNorm keeps its statistics.";

interface FrozenProps {
  nodeId: string;
  frozen: boolean;
  onFrozen: (nodeId: string, frozen: boolean) => void;
}

/** Leaves the layer (or a whole block) out of training. */
function FrozenField({ nodeId, frozen, onFrozen }: FrozenProps) {
  return (
    <div className="dls-param" title={FROZEN_TITLE}>
      <label htmlFor="param-frozen">Frozen (not trained)</label>
      <input
        id="param-frozen"
        type="checkbox"
        data-testid="param-frozen"
        checked={frozen}
        onChange={(e) => onFrozen(nodeId, e.target.checked)}
      />
    </div>
  );
}

interface Props {
  nodeId: string | null;
  spec: LayerSpec | undefined;
  params: Record<string, unknown>;
  label: string | null;
  frozen: boolean;
  selectedCount: number;
  onChange: (nodeId: string, name: string, value: unknown) => void;
  onLabel: (nodeId: string, text: string) => void;
  onFrozen: (nodeId: string, frozen: boolean) => void;
  onUngroup: (nodeId: string) => void;
}

function ParamPanelView(props: Props) {
  const { nodeId, spec, params, label, frozen, selectedCount, onChange, onLabel, onFrozen, onUngroup } = props;
  if (!nodeId || !spec) {
    return (
      <div className="dls-params" data-testid="param-panel">
        <h3>Parameters</h3>
        <div>{selectedCount > 1 ? `${selectedCount} layers selected.` : "Select a layer to edit it."}</div>
      </div>
    );
  }
  return (
    <div className="dls-params" data-testid="param-panel">
      <h3>
        {spec.name} <span className="dls-node-id">{nodeId}</span>
      </h3>
      <LabelField nodeId={nodeId} label={label} onLabel={onLabel} />
      {!NOT_FREEZABLE.has(spec.name) && <FrozenField nodeId={nodeId} frozen={frozen} onFrozen={onFrozen} />}
      {isBlock(spec) && (
        <div data-testid="block-panel">
          <div>{spec.doc}</div>
          <button type="button" data-testid="ungroup-block" onClick={() => onUngroup(nodeId)}>
            Ungroup
          </button>
        </div>
      )}
      {spec.params.length === 0 && !isBlock(spec) && <div>This layer has no parameters.</div>}
      {spec.params.map((p) => (
        <ParamField
          key={`${nodeId}.${p.name}`}
          spec={p}
          value={effectiveParam(p, params)}
          onChange={(name, value) => onChange(nodeId, name, value)}
        />
      ))}
    </div>
  );
}

export const ParamPanel = memo(ParamPanelView);
