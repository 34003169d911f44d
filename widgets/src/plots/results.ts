/**
 * The page half of dlstudio/ui/live/results.py: confusion matrix + mistakes, predicted vs
 * true, and the decision boundary, all drawn from the `payload` trait (redrawn at most four
 * times a second, however often the kernel updates it).
 */
import type { AnyModel } from "@anywidget/types";
import Plotly from "plotly.js-cartesian-dist-min";
import { plotLifecycle } from "./lifecycle";
import { DRAW_SHARE, MAX_DRAW_PAUSE_MS, throttle } from "./series";
import { h } from "./styles";

interface GalleryItem {
  index: number;
  true: string;
  pred: string;
  confidence: number;
  src?: string;
  features?: number[];
}

type Payload = { type: string; empty?: boolean } & Record<string, unknown>;

interface Points {
  x: number[];
  y: number[];
  label: number[];
}

interface ResultsModel {
  [key: string]: unknown;
  payload: Payload;
  points?: Points;
  title: string;
  height: number;
}

// TensorFlow Playground's colours: orange for class 0, blue for class 1.
const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const PLAYGROUND_SCALE = [[0, "#f59322"], [0.5, "#e8eaeb"], [1, "#0877bd"]];
const CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function confusion(p: Payload, height: number) {
  const classes = p.classes as string[];
  const matrix = p.matrix as number[][];
  const trace = {
    type: "heatmap", z: matrix, x: classes, y: classes, colorscale: "Blues", reversescale: true,
    showscale: false,
    texttemplate: "%{z}", hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
  };
  const layout = {
    height, margin: { l: 70, r: 10, t: 30, b: 50 },
    title: { text: `accuracy ${pct(p.accuracy as number)} on ${p.samples} samples`, font: { size: 13 } },
    xaxis: { title: { text: "predicted" }, type: "category" },
    yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" },
  };
  return { traces: [trace], layout };
}

function regression(p: Payload, height: number) {
  const t = p.true as number[];
  const y = p.pred as number[];
  const all = [...t, ...y];
  const low = Math.min(...all);
  const high = Math.max(...all);
  const r2 = p.r2 === null ? "–" : (p.r2 as number).toFixed(3);
  return {
    traces: [
      { type: "scatter", mode: "markers", x: t, y, name: "samples", marker: { size: 5, opacity: 0.6 },
        hovertemplate: "true %{x:.3g}, predicted %{y:.3g}<extra></extra>" },
      { type: "scatter", mode: "lines", x: [low, high], y: [low, high], name: "perfect",
        line: { dash: "dash", color: "#888" }, hoverinfo: "skip" },
    ],
    layout: {
      height, margin: { l: 55, r: 10, t: 30, b: 45 }, showlegend: false,
      title: { text: `R² ${r2} on ${p.samples} samples`, font: { size: 13 } },
      xaxis: { title: { text: "true" } }, yaxis: { title: { text: "predicted" } },
    },
  };
}

function boundary(p: Payload, height: number, points: Points = { x: [], y: [], label: [] }) {
  const classes = p.classes as string[];
  const binary = Boolean(p.binary);
  const n = Math.max(classes.length, 2);
  // Multi-class: one flat colour band per class index.
  const discrete = Array.from({ length: n }, (_, i) => [
    [i / n, CLASS_COLOURS[i % CLASS_COLOURS.length]],
    [(i + 1) / n, CLASS_COLOURS[i % CLASS_COLOURS.length]],
  ]).flat();
  const background = {
    type: "heatmap", x: p.x, y: p.y, z: p.z, showscale: false, opacity: 0.55,
    zsmooth: binary ? "best" : false, hoverinfo: "skip",
    colorscale: binary ? PLAYGROUND_SCALE : discrete, zmin: binary ? 0 : -0.5,
    zmax: binary ? 1 : n - 0.5,
  };
  const byClass = classes.map((name, c) => {
    const idx = points.label.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
    return {
      type: "scatter", mode: "markers", name, x: idx.map((i) => points.x[i]),
      y: idx.map((i) => points.y[i]),
      marker: { size: 6, color: CLASS_COLOURS[c % CLASS_COLOURS.length], line: { color: "white", width: 1 } },
      hovertemplate: `${name}: (%{x:.2f}, %{y:.2f})<extra></extra>`,
    };
  });
  return {
    traces: [background, ...byClass],
    layout: {
      height, margin: { l: 40, r: 10, t: 30, b: 35 }, legend: { orientation: "h", y: -0.12 },
      title: { text: `after ${p.step} steps`, font: { size: 13 } },
      xaxis: { range: [(p.x as number[])[0], (p.x as number[]).at(-1)], zeroline: false },
      yaxis: { range: [(p.y as number[])[0], (p.y as number[]).at(-1)], zeroline: false, scaleanchor: "x" },
      uirevision: "keep",
    },
  };
}

type Builder = (p: Payload, height: number, points?: Points) => {
  traces: unknown[];
  layout: Record<string, unknown>;
};

const BUILDERS: Record<string, Builder> = {
  confusion, regression, boundary,
};

const EMPTY_TEXT: Record<string, string> = {
  confusion: "The confusion matrix appears after the first epoch.",
  regression: "Predicted vs true values appear after the first epoch.",
  boundary: "The decision boundary appears once training starts.",
};

function gallery(items: GalleryItem[]): HTMLElement {
  const box = h("div", "dls-gallery");
  box.dataset.testid = "mistakes";
  for (const item of items) {
    const fig = h("figure");
    if (item.src) {
      const img = h("img");
      img.src = item.src;
      img.alt = `sample ${item.index}: true ${item.true}, predicted ${item.pred}`;
      fig.append(img);
    } else if (item.features) {
      fig.append(h("div", "dls-features", item.features.join(", ")));
    }
    fig.append(h("figcaption", "", `${item.true} → ${item.pred} (${pct(item.confidence)})`));
    box.append(fig);
  }
  return box;
}

export function renderResults({ model, el }: { model: AnyModel<ResultsModel>; el: HTMLElement }) {
  const root = h("div", "dls-plot dls-results");
  const title = h("div", "dls-plot-bar");
  const heading = h("span", "dls-plot-title");
  title.append(heading);
  const plot = h("div", "dls-plot-area");
  const empty = h("div", "dls-plot-empty");
  const extra = h("div");
  root.append(title, plot, empty, extra);
  el.appendChild(root);
  let drawn = false;

  function draw(): Promise<unknown> | undefined {
    const p = model.get("payload") ?? { type: "results", empty: true };
    root.dataset.testid = `results-${p.type}`;
    root.dataset.state = p.empty ? "empty" : "drawn";
    heading.textContent = model.get("title");
    extra.replaceChildren();
    const build = BUILDERS[p.type];
    if (p.empty || !build) {
      empty.textContent = EMPTY_TEXT[p.type] ?? "Nothing to show yet.";
      empty.style.display = "";
      plot.style.display = "none";
      if (drawn) Plotly.purge(plot);
      drawn = false;
      return undefined;
    }
    empty.style.display = "none";
    plot.style.display = "";
    const { traces, layout } = build(p, model.get("height") || 380, model.get("points"));
    const done = Plotly.react(plot, traces as Record<string, unknown>[], layout, CONFIG);
    drawn = true;
    const items = (p.gallery as GalleryItem[] | undefined) ?? [];
    if (p.type === "confusion") {
      extra.append(h("div", "", items.length ? "Most confident mistakes:" : "No mistakes in this sample."));
      if (items.length) extra.append(gallery(items));
    }
    return done;
  }

  const redraw = throttle(draw, 250, DRAW_SHARE, MAX_DRAW_PAUSE_MS);
  const request = () => redraw.request();
  const view = plotLifecycle(model, root, plot, () => drawn);
  for (const trait of ["payload", "title", "height", "points"]) view.on(`change:${trait}`, request);
  view.onTeardown(() => redraw.cancel());
  draw();
  return view.teardown;
}
