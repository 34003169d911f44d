/**
 * One GraphEditor per view of a builder: made once, listening to Python while mounted, its
 * canvas read from its store (see graphEditor.ts).
 */
import type { AnyModel } from "@anywidget/types";
import { useEffect, useState } from "react";
import type { BuilderTraits } from "../protocol";
import { type CanvasState, GraphEditor } from "./graphEditor";
import { useStore } from "./store";

export function useGraphEditor(model: AnyModel<BuilderTraits>): { editor: GraphEditor; canvas: CanvasState } {
  const [editor] = useState(() => new GraphEditor(model));
  useEffect(() => editor.attach(), [editor]);
  return { editor, canvas: useStore(editor.store) };
}
