/** Keyboard shortcuts of the builder, and JupyterLab's light/dark theme for React Flow. */
import { useCallback, useEffect, useState } from "react";
import type { ToolbarActions } from "./Toolbar";

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

export function useShortcuts(actions: ToolbarActions, selectAll: () => void, closeHelp: () => void) {
  return useCallback((e: React.KeyboardEvent) => {
    if (TYPING.has((e.target as HTMLElement).tagName)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    let handled = true;
    if (mod && key === "z" && e.shiftKey) actions.redo();
    else if (mod && key === "z") actions.undo();
    else if (mod && key === "y") actions.redo();
    else if (mod && key === "d") actions.duplicate();
    else if (mod && key === "c") actions.copy();
    else if (mod && key === "v") actions.paste();
    else if (mod && key === "a") selectAll();
    else if (!mod && key === "l") actions.layout();
    else if (!mod && key === "f") actions.fit();
    else if (e.key === "?") actions.help();
    else if (e.key === "Escape") closeHelp();
    else handled = false;
    if (handled) {
      // Keep the browser (and the notebook around us) from acting on the same keys.
      e.preventDefault();
      e.stopPropagation();
    }
  }, [actions, selectAll, closeHelp]);
}

function isDark(): boolean {
  return document.body?.dataset.jpThemeLight === "false";
}

/** "dark" while JupyterLab (or Voila) shows a dark theme. */
export function useTheme(): "light" | "dark" {
  const [dark, setDark] = useState(isDark);
  useEffect(() => {
    const observer = new MutationObserver(() => setDark(isDark()));
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
    return () => observer.disconnect();
  }, []);
  return dark ? "dark" : "light";
}
