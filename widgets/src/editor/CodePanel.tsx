/**
 * The builder's code panel: the shared code view (src/code) showing the generated model, in
 * PyTorch or, with the switch, the same model in Keras 3 or Flax NNX (Python writes all three).
 */
import { memo, useDeferredValue, useState } from "react";
import { CodeView } from "../code/CodeView";

export interface Codes {
  pytorch: string;
  keras: string;
  flax: string;
}

type Framework = keyof Codes;

const FRAMEWORKS: [Framework, string][] = [
  ["pytorch", "PyTorch"],
  ["keras", "Keras 3"],
  ["flax", "Flax NNX"],
];

function CodePanelView({ codes }: { codes: Codes }) {
  const [framework, setFramework] = useState<Framework>("pytorch");
  // The code of a 1,000-layer model takes a while to highlight: it is drawn at low priority,
  // so that the answer to the next edit (its shapes) is drawn first.
  const shown = useDeferredValue(codes[framework]);
  const title = FRAMEWORKS.find(([key]) => key === framework)?.[1] ?? "";
  return (
    <div className="dls-code-panel">
      <div className="dls-code-frameworks" role="radiogroup" aria-label="Code in">
        {FRAMEWORKS.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="radio"
            aria-checked={framework === key}
            className={framework === key ? "dls-active" : ""}
            data-testid={`code-framework-${key}`}
            onClick={() => setFramework(key)}
          >
            {label}
          </button>
        ))}
      </div>
      <CodeView className="dls-code" title={`${title} code`} code={shown} testId="code-panel" />
    </div>
  );
}

export const CodePanel = memo(CodePanelView);
