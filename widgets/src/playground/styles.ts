/**
 * The Playground's stylesheet (and the code view's), put on the page once however many
 * Playgrounds it shows. Classes start with `pg-`; colours fall back to light ones outside
 * JupyterLab.
 */
import { CODE_CSS } from "../code/styles";

export const PLAYGROUND_CSS = `
.pg-root { font: 13px system-ui, sans-serif; color: var(--jp-ui-font-color1, #222);
  display: flex; flex-direction: column; gap: 10px; padding: 8px; box-sizing: border-box; }
.pg-root button { font: inherit; cursor: pointer; color: inherit; padding: 2px 10px;
  background: var(--jp-layout-color0, #fff); border: 1px solid var(--jp-border-color1, #c8c8c8);
  border-radius: 3px; }
.pg-root button:disabled { cursor: default; opacity: 0.4; }
.pg-root h4 { margin: 0 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--jp-ui-font-color2, #555); }
.pg-topbar { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px 18px; padding: 8px 10px;
  background: var(--jp-layout-color2, #f0f1f2); border-radius: 6px; }
.pg-buttons { display: flex; align-items: center; gap: 6px; }
.pg-root .pg-round { border-radius: 18px; min-width: 34px; height: 34px; }
.pg-root .pg-play { background: #183d4e; color: #fff; border-color: #183d4e; min-width: 88px; }
.pg-play-label { margin-left: 6px; }
.pg-root .pg-small { min-width: 24px; height: 24px; padding: 0 6px; }
.pg-field { display: flex; flex-direction: column; gap: 2px; }
.pg-field-label { font-size: 11px; color: var(--jp-ui-font-color2, #666); }
.pg-epoch output { font-size: 20px; font-variant-numeric: tabular-nums; }
.pg-main { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.pg-column { display: flex; flex-direction: column; gap: 8px; }
.pg-data { width: 200px; }
.pg-datasets { display: grid; grid-template-columns: repeat(2, 64px); gap: 6px; }
.pg-root .pg-thumb { padding: 2px; display: flex; flex-direction: column; align-items: center; gap: 2px;
  font-size: 10px; border: 2px solid transparent; background: none; }
.pg-root .pg-thumb.pg-selected { border-color: #183d4e; }
.pg-thumb canvas { width: 56px; height: 56px; display: block; }
.pg-slider input { width: 100%; }
.pg-network { min-width: 0; flex: 1 1 420px; }
.pg-layers-bar { display: flex; align-items: center; gap: 6px; }
.pg-net-scroll { overflow-x: auto; padding-bottom: 6px; }
.pg-layer-heads { position: relative; height: 48px; }
.pg-head { position: absolute; top: 0; display: flex; flex-direction: column; align-items: flex-start;
  gap: 2px; font-size: 11px; white-space: nowrap; color: var(--jp-ui-font-color2, #555); }
.pg-layer-head > span:first-child { display: flex; gap: 2px; }
.pg-net-body { position: relative; }
.pg-links { position: absolute; left: 0; top: 0; overflow: visible; }
.pg-link { fill: none; }
.pg-link-hover { fill: none; stroke: transparent; stroke-width: 10px; pointer-events: stroke; cursor: pointer; }
.pg-link-hover:hover { stroke: rgba(0, 0, 0, 0.08); }
.pg-node { position: absolute; width: 30px; height: 30px; box-sizing: border-box;
  border: 1px solid #999; background: #e8eaeb; }
.pg-node:hover { outline: 2px solid #183d4e; }
.pg-feature { cursor: pointer; }
.pg-feature.pg-inactive { opacity: 0.35; }
.pg-feature-label { position: absolute; top: 7px; text-align: right; font-size: 11px; white-space: nowrap; }
.pg-node-canvas, .pg-node-canvas canvas { width: 100%; height: 100%; display: block; }
.pg-bias { position: absolute; width: 6px; height: 6px; border: 1px solid #666; cursor: pointer; z-index: 1; }
.pg-card { position: absolute; z-index: 3; padding: 3px 8px; white-space: nowrap; cursor: pointer;
  background: var(--jp-layout-color0, #fff); border: 1px solid #999; border-radius: 3px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.25); }
.pg-edit { width: 80px; font: inherit; }
.pg-edit.pg-invalid { outline: 2px solid var(--jp-error-color1, #d32f2f); }
.pg-output-column { width: 330px; }
.pg-losses { display: flex; gap: 16px; font-variant-numeric: tabular-nums; }
.pg-loss-curve { display: block; border-bottom: 1px solid #ccc; }
.pg-focus-note { font-size: 11px; color: var(--jp-ui-font-color2, #666); }
.pg-big { position: relative; }
.pg-big canvas { position: absolute; left: 0; top: 0; display: block; background: #e8eaeb; }
.pg-big canvas.pg-drawing { cursor: crosshair; }
.pg-dots, .pg-axes { position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible; }
.pg-axes line { stroke: #777; }
.pg-axes text { font-size: 9px; fill: #555; }
.pg-legend { width: 300px; }
.pg-legend-bar { height: 8px; background: linear-gradient(to right, #f59322, #e8eaeb, #0877bd); }
.pg-legend-ticks { display: flex; justify-content: space-between; font-size: 10px; }
.pg-check { display: flex; align-items: center; gap: 6px; cursor: pointer; }
.pg-error { color: var(--jp-error-color1, #d32f2f); }
.pg-status { color: var(--jp-ui-font-color2, #777); }
.pg-code { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.pg-code .pg-code-view { align-self: stretch; }
.pg-share { display: flex; flex-direction: column; gap: 6px; }
.pg-share-row { display: flex; gap: 6px; align-items: flex-start; }
.pg-share-text { flex: 1; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.pg-share textarea { flex: 1; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.pg-copy-status { font-size: 11px; color: var(--jp-success-color1, #2e7d32); }
.pg-hide { display: flex; flex-wrap: wrap; gap: 4px 14px; border: 1px solid var(--jp-border-color2, #ddd); }
`;

const STYLE_ID = "dlstudio-playground-style";

export function injectPlaygroundStyles(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${PLAYGROUND_CSS}\n${CODE_CSS}`;
  document.head.appendChild(style);
}
