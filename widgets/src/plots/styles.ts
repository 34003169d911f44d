// Injected once per page, however many plots it shows.
export const PLOTS_CSS = `
.dls-plot { font: 13px system-ui, sans-serif; color: var(--jp-ui-font-color1, #222);
  border: 1px solid var(--jp-border-color2, #ddd); border-radius: 6px; padding: 6px 8px;
  box-sizing: border-box; min-width: 280px; }
.dls-plot-bar { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; margin-bottom: 4px; }
.dls-plot-title { font-weight: 600; margin-right: auto; }
.dls-plot-bar label { display: inline-flex; gap: 6px; align-items: center; cursor: pointer; }
.dls-plot-bar input[type=range] { width: 110px; }
.dls-plot-empty { color: var(--jp-ui-font-color2, #777); padding: 24px 8px; text-align: center; }
.dls-gallery { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
.dls-gallery figure { margin: 0; text-align: center; font-size: 11px; width: 76px; }
.dls-gallery img { width: 56px; height: 56px; image-rendering: pixelated;
  border: 1px solid var(--jp-border-color2, #ccc); }
.dls-gallery .dls-features { font-family: monospace; font-size: 10px; word-break: break-all; }
`;

const STYLE_ID = "dlstudio-plots-style";

export function injectStyles(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = PLOTS_CSS;
  document.head.appendChild(style);
}

/** Small DOM helper: an element with a class and optional text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}
