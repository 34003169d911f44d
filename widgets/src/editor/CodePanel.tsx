/** The generated PyTorch source, highlighted, with a copy button. */
import { memo, useMemo, useState } from "react";
import { tokenizePython } from "../core/highlight";

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // The async clipboard needs a secure context; fall back to a hidden textarea.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

function CodePanelView({ code, paramCount }: { code: string; paramCount: number }) {
  const [copied, setCopied] = useState(false);
  const tokens = useMemo(() => tokenizePython(code), [code]);
  return (
    <div className="dls-code">
      <div className="dls-code-head">
        <h3>PyTorch code</h3>
        <button
          type="button"
          data-testid="code-copy"
          onClick={() => {
            void copyText(code).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1200);
            });
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre data-testid="code-panel" data-param-count={paramCount}>
        {tokens.map((t, i) =>
          t.kind === "plain" || t.kind === "name" ? (
            t.text
          ) : (
            // biome-ignore lint: tokens have no identity but their place
            <span key={i} className={`dls-tok-${t.kind}`}>
              {t.text}
            </span>
          ),
        )}
      </pre>
    </div>
  );
}

export const CodePanel = memo(CodePanelView);
