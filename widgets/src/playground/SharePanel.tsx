/**
 * Share: the whole state as text (copy it, or paste one and load it), and the author's
 * "Hide controls" switches (checked = shown).
 */
import { useEffect, useRef, useState } from "react";
import type { PlaygroundNamed } from "../protocol";
import { copyText } from "../code/actions";
import type { Senders } from "./requests";

const STATUS_MS = 3000;

interface SharePanelProps {
  share: string;
  hidable: PlaygroundNamed[];
  hidden: ReadonlySet<string>;
  send: Senders;
}

export function SharePanel({ share, hidable, hidden, send }: SharePanelProps) {
  const [pasted, setPasted] = useState("");
  const [copyStatus, copy] = useCopyStatus(share);
  return (
    <section className="pg-share">
      <h4>Share this run</h4>
      <div className="pg-share-row">
        <input readOnly className="pg-share-text" data-testid="pg-share-text" value={share} onFocus={(e) => e.target.select()} />
        <button type="button" data-testid="pg-share-copy" onClick={copy}>
          Copy
        </button>
        <span className="pg-copy-status" role="status">
          {copyStatus}
        </span>
      </div>
      <div className="pg-share-row">
        <textarea
          data-testid="pg-share-input"
          rows={2}
          placeholder="Paste a shared state here"
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
        />
        <button type="button" data-testid="pg-share-apply" disabled={!pasted.trim()} onClick={() => send.loadShare(pasted.trim())}>
          Load
        </button>
      </div>
      {hidable.length ? (
        <fieldset className="pg-hide">
          <legend>Hide controls (for the people you share with)</legend>
          {hidable.map(({ name, label }) => (
            <label key={name} className="pg-check">
              <input
                type="checkbox"
                data-testid={`pg-hide-${name}`}
                checked={!hidden.has(name)}
                onChange={(e) => send.hide(name, !e.target.checked)}
              />
              {label}
            </label>
          ))}
        </fieldset>
      ) : null}
    </section>
  );
}

/** Copies `text` on demand and says how it went for a few seconds. */
function useCopyStatus(text: string): [string, () => void] {
  const [status, setStatus] = useState("");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = () => {
    copyText(text).then(
      () => setStatus("Copied."),
      () => setStatus("Could not copy: select the text instead."),
    );
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setStatus(""), STATUS_MS);
  };
  return [status, copy];
}
