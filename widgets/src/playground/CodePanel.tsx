/** The PyTorch script that reproduces the run, and "Open in builder" when there is one. */
import { CodeView } from "../code/CodeView";
import { Hidable } from "./controls";
import type { Senders } from "./requests";

export function CodePanel({ code, canOpenBuilder, send }: { code: string; canOpenBuilder: boolean; send: Senders }) {
  return (
    <section className="pg-code">
      <Hidable name="code" className="pg-code-view">
        <CodeView code={code} title="PyTorch code for this run" filename="playground.py" testId="pg-code" />
      </Hidable>
      {canOpenBuilder ? (
        <button type="button" data-testid="pg-open-builder" onClick={send.openBuilder}>
          Open in builder
        </button>
      ) : null}
    </section>
  );
}
