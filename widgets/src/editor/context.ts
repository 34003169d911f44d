/**
 * What node components need from the editor: the catalog and the fix action. One stable
 * context value, so a change of it (rare) is the only thing re-rendering every node.
 */
import { createContext, useContext } from "react";
import type { Catalog } from "../core/graph";
import type { Fix } from "../protocol";

export interface EditorContextValue {
  catalog: Catalog;
  applyFix: (fix: Fix) => void;
}

export const EditorContext = createContext<EditorContextValue>({
  catalog: new Map(),
  applyFix: () => {},
});

export const useEditorContext = () => useContext(EditorContext);
