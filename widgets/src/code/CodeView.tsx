/**
 * Read-only Python code, highlighted, with a Copy button (and Download when it has a file
 * name). The builder's code panel and the Studio's Code tab are both this view.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { sameLine, type Token, tokenizePython, tokenLines } from "../core/highlight";
import { copyText, downloadText } from "./actions";

export interface CodeViewProps {
  code: string;
  title: string;
  /** Offer a Download button that saves the code under this name. */
  filename?: string;
  copyLabel?: string;
  /** Extra classes on the view's root (its place in a layout). */
  className?: string;
  /** data-testid of the <pre> that holds the code. */
  testId?: string;
  /** Lines to mark (0-based line number -> its label, e.g. a difference's number). */
  marks?: Record<string, string>;
}

const NO_MARKS: Record<string, string> = {};

const COPIED = "Copied to the clipboard.";
const STATUS_MS = 4000;

interface CopyStatus {
  ok: boolean;
  text: string;
}

/** Copies `code` on demand and says how it went for a few seconds. */
function useCopy(code: string): [CopyStatus | null, () => void] {
  const [status, setStatus] = useState<CopyStatus | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = useCallback(() => {
    copyText(code).then(
      () => setStatus({ ok: true, text: COPIED }),
      (err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        setStatus({ ok: false, text: `Could not copy: ${reason}. Select the text instead.` });
      },
    );
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setStatus(null), STATUS_MS);
  }, [code]);
  return [status, copy];
}

// One block per line: an edit changes a line or two of a 1,000-layer model's code, and the
// browser lays out and paints again only the lines that changed, not the whole listing.
const Line = memo(
  function Line({ tokens, mark }: { tokens: Token[]; mark?: string }) {
    return (
      <span className={mark ? "dls-code-line dls-code-mark" : "dls-code-line"} data-mark={mark}>
        {tokens.map((t, i) =>
          t.kind === "plain" || t.kind === "name" ? (
            t.text
          ) : (
            // Tokens have no identity but their place in the line.
            <span key={i} className={`dls-tok-${t.kind}`}>
              {t.text}
            </span>
          ),
        )}
      </span>
    );
  },
  (a, b) => a.mark === b.mark && sameLine(a.tokens, b.tokens),
);

const Highlighted = memo(function Highlighted({ code, marks }: { code: string; marks: Record<string, string> }) {
  const lines = useMemo(() => tokenLines(tokenizePython(code)), [code]);
  // Lines have no identity but their place in the code.
  return lines.map((tokens, i) => <Line key={i} tokens={tokens} mark={marks[String(i)]} />);
});

function CodeViewImpl({ code, title, filename, copyLabel, className, testId, marks }: CodeViewProps) {
  const [status, copy] = useCopy(code);
  return (
    <div className={className ? `dls-codeview ${className}` : "dls-codeview"}>
      <div className="dls-codeview-bar">
        <h3 className="dls-codeview-title">{title}</h3>
        <button type="button" className="dls-copy" data-testid="code-copy" onClick={copy}>
          {copyLabel || "Copy"}
        </button>
        {filename ? (
          <button
            type="button"
            className="dls-download"
            onClick={() => downloadText(code, filename)}
          >
            Download
          </button>
        ) : null}
        <span className={`dls-copy-status${status?.ok === false ? " dls-bad" : ""}`} role="status">
          {status?.text ?? ""}
        </span>
      </div>
      <pre data-testid={testId}>
        <Highlighted code={code} marks={marks ?? NO_MARKS} />
      </pre>
    </div>
  );
}

export const CodeView = memo(CodeViewImpl);
