/** The builder's code panel: the shared code view (src/code) showing the generated model. */
import { memo } from "react";
import { CodeView } from "../code/CodeView";

interface CodePanelProps {
  code: string;
}

function CodePanelView({ code }: CodePanelProps) {
  return <CodeView className="dls-code" title="PyTorch code" code={code} testId="code-panel" />;
}

export const CodePanel = memo(CodePanelView);
