/** The builder's code panel: the shared code view (src/code) showing the generated model. */
import { memo, useDeferredValue } from "react";
import { CodeView } from "../code/CodeView";

interface CodePanelProps {
  code: string;
}

function CodePanelView({ code }: CodePanelProps) {
  // The code of a 1,000-layer model takes a while to highlight: it is drawn at low priority,
  // so that the answer to the next edit (its shapes) is drawn first.
  const shown = useDeferredValue(code);
  return <CodeView className="dls-code" title="PyTorch code" code={shown} testId="code-panel" />;
}

export const CodePanel = memo(CodePanelView);
