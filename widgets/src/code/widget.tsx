/**
 * The code view as a widget of its own: dlstudio/ui/studio/code.py's CodeView (the Studio's
 * Code tab). Its traits are the view's props; the page never writes them.
 */
import { createRender, useModelState } from "@anywidget/react";
import { CodeView } from "./CodeView";

function CodeViewWidget() {
  const [code] = useModelState<string>("code");
  const [title] = useModelState<string>("title");
  const [filename] = useModelState<string>("filename");
  const [copyLabel] = useModelState<string>("copy_label");
  const [marks] = useModelState<Record<string, string>>("marks");
  return (
    <CodeView
      code={code ?? ""}
      title={title ?? ""}
      filename={filename || undefined}
      copyLabel={copyLabel}
      marks={marks ?? undefined}
    />
  );
}

export const renderCodeView = createRender(CodeViewWidget);
