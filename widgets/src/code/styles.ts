/**
 * The code view's stylesheet: monospace, highlighted with JupyterLab's editor colours (light
 * fallbacks for hosts without them). Injected with the builder bundle's styles.
 */
export const CODE_CSS = `
.dls-codeview { display: flex; flex-direction: column; gap: 4px; min-height: 0;
  color: var(--jp-content-font-color1, #1f2328); }
.dls-codeview-bar { display: flex; align-items: center; gap: 8px; }
.dls-codeview-title { flex: 1; margin: 2px 0; font-size: inherit; font-weight: 600; }
.dls-codeview-bar button { font: inherit; padding: 2px 10px; cursor: pointer;
  color: inherit; background: var(--jp-layout-color0, #ffffff);
  border: 1px solid var(--jp-border-color1, #c8c8c8); border-radius: 3px; }
.dls-copy-status { color: var(--jp-success-color1, #2e7d32); font-size: 11px; }
.dls-copy-status.dls-bad { color: var(--jp-error-color1, #d32f2f); }
.dls-codeview pre { flex: 1; min-height: 0; max-height: 420px; overflow: auto; margin: 0;
  padding: 6px 8px; white-space: pre; font-size: 12px; line-height: 1.45;
  font-family: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  background: var(--jp-layout-color1, #f6f8fa); border: 1px solid var(--jp-border-color1, #d0d7de);
  border-radius: 4px; }
/* Lines out of sight are neither laid out nor painted: long listings cost what is shown. */
.dls-code-line { display: block; content-visibility: auto; contain-intrinsic-block-size: auto 1.45em; }
/* A line a comparison points at: tinted, with the difference's number in the margin. */
.dls-code-mark { background: var(--jp-warn-color3, #fff4d6); box-shadow: inset 3px 0 var(--jp-warn-color1, #f0a400); }
.dls-code-mark::after { content: attr(data-mark); float: right; margin-left: 8px; padding: 0 5px;
  border-radius: 8px; font-size: 10px; color: #fff; background: var(--jp-warn-color1, #f0a400); }
.dls-tok-keyword { color: var(--jp-mirror-editor-keyword-color, #7b1fa2); font-weight: 600; }
.dls-tok-string { color: var(--jp-mirror-editor-string-color, #2e7d32); }
.dls-tok-number { color: var(--jp-mirror-editor-number-color, #00796b); }
.dls-tok-comment { color: var(--jp-mirror-editor-comment-color, #8a8a8a); font-style: italic; }
.dls-tok-call { color: var(--jp-mirror-editor-def-color, #1565c0); }
`;
