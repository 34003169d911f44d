/**
 * The widget's stylesheet. Colours come from JupyterLab's theme variables (with light
 * fallbacks for hosts without them), so the builder follows Lab's light/dark theme.
 */
export const BUILDER_CSS = `
.dls-builder {
  --dls-bg: var(--jp-layout-color0, #ffffff);
  --dls-bg2: var(--jp-layout-color1, #f6f6f6);
  --dls-bg3: var(--jp-layout-color2, #e8e8e8);
  --dls-fg: var(--jp-ui-font-color1, #222222);
  --dls-fg2: var(--jp-ui-font-color2, #555555);
  --dls-border: var(--jp-border-color1, #c8c8c8);
  --dls-accent: var(--jp-brand-color1, #1976d2);
  --dls-error: var(--jp-error-color1, #d32f2f);
  --dls-error-bg: var(--jp-error-color3, #fde7e7);
  --dls-frozen: #5f7d95;
  --dls-font: var(--jp-ui-font-family, system-ui, sans-serif);
  --dls-mono: var(--jp-code-font-family, ui-monospace, monospace);
  display: flex; flex-direction: column; height: 640px; box-sizing: border-box;
  border: 1px solid var(--dls-border); background: var(--dls-bg); color: var(--dls-fg);
  font-family: var(--dls-font); font-size: 12px; position: relative; outline: none;
}
.dls-builder *, .dls-builder *::before { box-sizing: border-box; }
.dls-toolbar { display: flex; gap: 4px; align-items: center; padding: 4px 6px; flex-wrap: wrap;
  border-bottom: 1px solid var(--dls-border); background: var(--dls-bg2); }
.dls-toolbar button, .dls-toolbar select, .dls-side button {
  font: inherit; color: var(--dls-fg); background: var(--dls-bg); border: 1px solid var(--dls-border);
  border-radius: 3px; padding: 2px 8px; cursor: pointer; }
.dls-toolbar button:disabled { opacity: 0.45; cursor: default; }
.dls-toolbar .dls-sep { width: 1px; height: 18px; background: var(--dls-border); margin: 0 4px; }
.dls-body { flex: 1; display: grid; grid-template-columns: 170px 1fr 330px; min-height: 0; }
.dls-palette { border-right: 1px solid var(--dls-border); overflow-y: auto; padding: 6px;
  background: var(--dls-bg2); }
.dls-palette input { width: 100%; font: inherit; padding: 3px 5px; color: var(--dls-fg);
  background: var(--dls-bg); border: 1px solid var(--dls-border); border-radius: 3px; }
.dls-palette h4 { margin: 8px 0 3px; font-size: 11px; text-transform: uppercase;
  color: var(--dls-fg2); letter-spacing: 0.04em; }
.dls-palette-item { padding: 3px 6px; margin: 2px 0; border: 1px solid var(--dls-border);
  border-radius: 3px; background: var(--dls-bg); cursor: grab; user-select: none; }
.dls-palette-item:hover { border-color: var(--dls-accent); }
.dls-canvas { position: relative; min-width: 0; min-height: 0; height: 100%; }
.dls-side { border-left: 1px solid var(--dls-border); display: flex; flex-direction: column;
  min-height: 0; }
.dls-params { padding: 6px 8px; overflow-y: auto; max-height: 45%;
  border-bottom: 1px solid var(--dls-border); }
.dls-params h3, .dls-code h3 { margin: 2px 0 6px; font-size: 12px; }
.dls-param { display: grid; grid-template-columns: 110px 1fr; gap: 4px; align-items: center;
  margin: 3px 0; }
.dls-param label { overflow: hidden; text-overflow: ellipsis; color: var(--dls-fg2); }
.dls-param input, .dls-param select { font: inherit; padding: 2px 4px; color: var(--dls-fg);
  background: var(--dls-bg); border: 1px solid var(--dls-border); border-radius: 3px; min-width: 0; }
.dls-param input[type=checkbox] { justify-self: start; }
.dls-param.invalid input { border-color: var(--dls-error); }
.dls-param-error { grid-column: 2; color: var(--dls-error); font-size: 11px; }
.dls-code-panel { flex: 1; display: flex; flex-direction: column; min-height: 0; }
.dls-code-frameworks { display: flex; gap: 4px; padding: 4px 8px 0; }
.dls-code-frameworks button { font: inherit; font-size: 11px; padding: 1px 8px; cursor: pointer;
  color: var(--dls-fg); background: var(--dls-bg); border: 1px solid var(--dls-border); border-radius: 3px; }
.dls-code-frameworks button.dls-active { background: var(--dls-accent); border-color: var(--dls-accent); color: #fff; }
.dls-code { flex: 1; display: flex; flex-direction: column; min-height: 0; padding: 6px 8px; }
.dls-code-head { display: flex; justify-content: space-between; align-items: center; }
.dls-code pre { flex: 1; overflow: auto; margin: 0; padding: 6px; font-family: var(--dls-mono);
  font-size: 11px; line-height: 1.45; background: var(--dls-bg2); border-radius: 3px;
  border: 1px solid var(--dls-border); white-space: pre; }
.dls-status { display: flex; gap: 12px; padding: 3px 8px; border-top: 1px solid var(--dls-border);
  background: var(--dls-bg2); color: var(--dls-fg2); min-height: 22px; align-items: center; }
.dls-status .dls-bad { color: var(--dls-error); }
.dls-banner { padding: 4px 8px; background: var(--dls-error-bg); color: var(--dls-error);
  border-bottom: 1px solid var(--dls-error); }
.dls-node { min-width: 150px; max-width: 240px; padding: 5px 8px; border-radius: 5px;
  border: 1px solid var(--dls-border); background: var(--dls-bg); color: var(--dls-fg);
  font-family: var(--dls-font); font-size: 11px; }
.react-flow__node.selected .dls-node { border-color: var(--dls-accent);
  box-shadow: 0 0 0 2px var(--dls-accent); }
.dls-node.frozen { border-style: dashed; border-color: var(--dls-frozen);
  background: color-mix(in srgb, var(--dls-frozen) 10%, var(--dls-bg)); }
.dls-frozen-mark { margin-left: 4px; color: var(--dls-frozen); font-weight: 400; cursor: help; }
.react-flow.dark .dls-node { --dls-frozen: #9db7cc; }
.dls-node.error { border-color: var(--dls-error); background: var(--dls-error-bg); }
.dls-node-head { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; }
.dls-node-id { color: var(--dls-fg2); font-weight: 400; }
.dls-node-params { color: var(--dls-fg2); margin-top: 2px; overflow-wrap: anywhere; }
.dls-node-shape { margin-top: 3px; font-family: var(--dls-mono); color: var(--dls-accent); }
.dls-node-error { margin-top: 4px; color: var(--dls-error); white-space: normal; }
.dls-node-error button { margin-top: 3px; font: inherit; cursor: pointer; color: var(--dls-bg);
  background: var(--dls-error); border: none; border-radius: 3px; padding: 1px 8px; }
.dls-node.block { border-width: 2px; border-style: double; background: var(--dls-bg2); }
.dls-node.block.frozen { border-style: dashed;
  background: color-mix(in srgb, var(--dls-frozen) 10%, var(--dls-bg2)); }
.dls-node-block { color: var(--dls-fg2); margin-top: 2px; }
.dls-health { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 4px;
  vertical-align: baseline; border: 1px solid rgba(0, 0, 0, 0.25); cursor: help; }
.dls-health-ok { background: #2e9d4f; }
.dls-health-warn { background: #e0a100; }
.dls-health-bad { background: #d32f2f; }
.dls-group-form { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; padding: 4px 8px;
  border-bottom: 1px solid var(--dls-border); background: var(--dls-bg2); }
.dls-group-form input { font: inherit; padding: 2px 5px; width: 160px; color: var(--dls-fg);
  background: var(--dls-bg); border: 1px solid var(--dls-border); border-radius: 3px; }
.dls-group-form button { font: inherit; color: var(--dls-fg); background: var(--dls-bg);
  border: 1px solid var(--dls-border); border-radius: 3px; padding: 2px 8px; cursor: pointer; }
.dls-group-form .dls-bad { color: var(--dls-error); }
.dls-edge-label { position: absolute; pointer-events: none; font-family: var(--dls-mono);
  font-size: 10px; padding: 0 4px; border-radius: 3px; background: var(--dls-bg2);
  color: var(--dls-fg2); border: 1px solid var(--dls-border); }
.dls-help { position: absolute; inset: 40px 25%; z-index: 20; background: var(--dls-bg);
  border: 1px solid var(--dls-border); border-radius: 6px; padding: 12px 16px; overflow: auto;
  box-shadow: 0 6px 24px rgba(0, 0, 0, 0.3); }
.dls-help table { border-collapse: collapse; width: 100%; }
.dls-help td { padding: 2px 6px; border-bottom: 1px solid var(--dls-bg3); }
.dls-help kbd { font-family: var(--dls-mono); background: var(--dls-bg2); padding: 0 4px;
  border: 1px solid var(--dls-border); border-radius: 3px; }
.dls-builder .react-flow { --xy-background-color: var(--dls-bg);
  --xy-minimap-background-color: var(--dls-bg2); --xy-controls-button-background-color: var(--dls-bg2);
  --xy-controls-button-color: var(--dls-fg); --xy-edge-stroke: var(--dls-fg2); }
`;
