/**
 * The page half of dlstudio/ui/live/loss_plot.py: draws the `data` trait, then extends the
 * curves with the "points" messages, redrawing at most four times a second. The traits and
 * messages are in src/protocol.ts.
 */
import type { AnyModel } from "@anywidget/types";
import Plotly from "plotly.js-cartesian-dist-min";
import type { HelloMessage, LossPlotTraits, PlotCurve, PlotCurves, PointsMessage } from "../protocol";
import { plotLifecycle } from "./lifecycle";
import { DRAW_SHARE, MAX_DRAW_PAUSE_MS, type Ema, type Value, colour, compact, label, newEma, smooth, throttle } from "./series";
import { h } from "./styles";

const REDRAW_MS = 250;
// The page keeps at most this many points per curve between two syncs of `data`.
const PAGE_CAPACITY = 4000;

export function renderLossPlot({ model, el }: { model: AnyModel<LossPlotTraits>; el: HTMLElement }) {
  const root = h("div", "dls-plot dls-lossplot");
  root.dataset.testid = "loss-plot";
  const bar = h("div", "dls-plot-bar");
  const title = h("span", "dls-plot-title");
  const logBox = h("input");
  logBox.type = "checkbox";
  logBox.setAttribute("aria-label", "Log scale");
  const logLabel = h("label");
  logLabel.append(logBox, "Log scale");
  const slider = h("input");
  slider.type = "range";
  slider.min = "0";
  slider.max = "0.99";
  slider.step = "0.01";
  slider.setAttribute("aria-label", "Smoothing");
  const sliderValue = h("span", "dls-smoothing-value");
  const smoothLabel = h("label");
  smoothLabel.append("Smoothing", slider, sliderValue);
  bar.append(title, logLabel, smoothLabel);
  const plot = h("div", "dls-plot-area");
  const empty = h("div", "dls-plot-empty", "The curves appear here once training starts.");
  root.append(bar, plot, empty);
  el.appendChild(root);

  // Raw points per curve, their order (colours, trace indices) and EMA states.
  let series = new Map<string, PlotCurve>();
  let order: string[] = [];
  let emas = new Map<string, Ema>();
  let seq = 0;
  let queue: PointsMessage[] = [];
  let needsFullDraw = true;
  let alive = true;

  const weight = () => Math.min(Math.max(Number(model.get("smoothing")) || 0, 0), 0.99);

  function traceIndices(name: string): { raw: number; smooth?: number } {
    let index = 0;
    for (const other of order) {
      const step = series.get(other)?.kind === "step";
      if (other === name) return step ? { raw: index, smooth: index + 1 } : { raw: index };
      index += step ? 2 : 1;
    }
    return { raw: -1 };
  }

  function layout() {
    const hasMetrics = order.some((n) => series.get(n)?.panel === "metric");
    const logType = model.get("log_scale") ? "log" : "linear";
    return {
      height: model.get("height") || 360,
      margin: { l: 55, r: 15, t: 10, b: 40 },
      hovermode: "x unified",
      showlegend: true,
      legend: { orientation: "h", y: -0.18 },
      xaxis: { title: { text: "step" }, anchor: hasMetrics ? "y2" : "y" },
      yaxis: { title: { text: "loss" }, type: logType, domain: hasMetrics ? [0.4, 1] : [0, 1] },
      yaxis2: { title: { text: "metric" }, domain: [0, 0.3], visible: hasMetrics },
      uirevision: "keep", // zoom and legend clicks survive redraws
    };
  }

  function traces() {
    const w = weight();
    const out: Record<string, unknown>[] = [];
    emas = new Map();
    for (const name of order) {
      const s = series.get(name)!;
      const yaxis = s.panel === "metric" ? "y2" : "y";
      const color = colour(name, order);
      const hover = `${label(name)}: %{y:.4g}<extra></extra>`;
      if (s.kind === "step") {
        const ema = newEma();
        emas.set(name, ema);
        out.push({
          type: "scatter", mode: "lines", name: `${label(name)} (raw)`, x: [...s.x], y: [...s.y],
          yaxis, line: { color, width: 1 }, opacity: w > 0 ? 0.3 : 1, showlegend: false,
          hoverinfo: "skip",
        });
        out.push({
          type: "scatter", mode: "lines", name: label(name), x: [...s.x], y: smooth(s.y, w, ema),
          yaxis, line: { color, width: 2 }, hovertemplate: hover,
        });
      } else {
        out.push({
          type: "scatter", mode: "lines+markers", name: label(name), x: [...s.x], y: [...s.y],
          yaxis, line: { color, width: 2, dash: name.startsWith("val_") ? "solid" : "dot" },
          marker: { size: 6 }, hovertemplate: hover,
        });
      }
    }
    return out;
  }

  // How many points the curves hold, on the element (tests and benchmarks read it).
  function countPoints() {
    root.dataset.points = String(order.reduce((n, k) => n + (series.get(k)?.x.length ?? 0), 0));
  }

  function drawAll(): Promise<unknown> {
    needsFullDraw = false;
    empty.style.display = order.length ? "none" : "";
    plot.style.display = order.length ? "" : "none";
    const drawn = Plotly.react(plot, traces(), layout(), {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
    });
    countPoints();
    return drawn;
  }

  // The periodic sync of `data` repeats what the messages already brought (those applied, and
  // those waiting for the next draw): a page that has them keeps its curves instead of redrawing
  // them all.
  function upToDate(data: PlotCurves): boolean {
    const received = queue.length ? queue[queue.length - 1].seq : seq;
    const known = new Set([...series.keys(), ...queue.flatMap((m) => Object.keys(m.series))]);
    const names = Object.keys(data.series ?? {});
    return (
      data.seq > 0 && data.seq <= received && names.length === known.size && names.every((n) => known.has(n))
    );
  }

  function fromTrait() {
    const data = model.get("data") ?? { seq: 0, series: {} };
    if (upToDate(data)) return;
    series = new Map();
    for (const [name, s] of Object.entries(data.series ?? {})) {
      series.set(name, { ...s, x: [...s.x], y: [...s.y] });
    }
    order = [...series.keys()];
    seq = data.seq ?? 0;
    queue = queue.filter((m) => m.seq > seq);
    needsFullDraw = true;
    apply();
  }

  // Applies queued messages: extends traces in place unless a new curve needs a full redraw.
  function apply(): Promise<unknown> | undefined {
    if (!alive) return undefined;
    const ext = new Map<number, { x: number[]; y: Value[] }>();
    for (const message of queue) {
      if (message.seq <= seq) continue;
      seq = message.seq;
      for (const [name, points] of Object.entries(message.series)) {
        let s = series.get(name);
        if (!s) {
          s = { x: [], y: [], kind: points.kind, panel: points.panel };
          series.set(name, s);
          order.push(name);
          needsFullDraw = true;
        }
        s.x.push(...points.x);
        s.y.push(...points.y);
        if (s.x.length > PAGE_CAPACITY) {
          compact(s.x, s.y, PAGE_CAPACITY / 2);
          needsFullDraw = true;
        }
        if (needsFullDraw) continue;
        const idx = traceIndices(name);
        const add = (i: number, ys: Value[]) => {
          const e = ext.get(i) ?? { x: [], y: [] };
          e.x.push(...points.x);
          e.y.push(...ys);
          ext.set(i, e);
        };
        add(idx.raw, points.y);
        if (idx.smooth !== undefined) add(idx.smooth, smooth(points.y, weight(), emas.get(name)));
      }
    }
    queue = [];
    if (needsFullDraw) return drawAll();
    if (!ext.size) return undefined;
    const indices = [...ext.keys()];
    countPoints();
    return Plotly.extendTraces(
      plot,
      { x: indices.map((i) => ext.get(i)!.x), y: indices.map((i) => ext.get(i)!.y) },
      indices,
    );
  }

  const redraw = throttle(apply, REDRAW_MS, DRAW_SHARE, MAX_DRAW_PAUSE_MS);

  function onMessage(message: unknown) {
    const m = message as PointsMessage;
    if (m && m.type === "points" && m.seq > seq) {
      queue.push(m);
      redraw.request();
    }
  }

  function syncControls() {
    title.textContent = model.get("title");
    logBox.checked = Boolean(model.get("log_scale"));
    slider.value = String(weight());
    sliderValue.textContent = weight().toFixed(2);
  }

  logBox.addEventListener("change", () => {
    model.set("log_scale", logBox.checked);
    model.save_changes();
  });
  slider.addEventListener("input", () => {
    model.set("smoothing", Number(slider.value));
    sliderValue.textContent = Number(slider.value).toFixed(2);
    smoothing.request();
  });
  slider.addEventListener("change", () => model.save_changes());

  const smoothing = throttle(() => {
    needsFullDraw = true;
    apply();
  }, 100);
  const onLog = () => {
    syncControls();
    if (order.length) void Plotly.relayout(plot, { "yaxis.type": logBox.checked ? "log" : "linear" });
  };
  const onSmoothing = () => {
    syncControls();
    smoothing.request();
  };
  const onHeight = () => {
    needsFullDraw = true;
    apply();
  };

  const view = plotLifecycle(model, root, plot, () => order.length > 0);
  view.on("change:data", fromTrait);
  view.on("change:log_scale", onLog);
  view.on("change:smoothing", onSmoothing);
  view.on("change:title", syncControls);
  view.on("change:height", onHeight);
  view.on("msg:custom", onMessage);
  view.onTeardown(() => {
    alive = false;
    redraw.cancel();
    smoothing.cancel();
  });

  syncControls();
  fromTrait();
  // The trait may be a couple of seconds old: ask Python for the newest history now.
  model.send({ type: "hello" } satisfies HelloMessage);

  return view.teardown;
}
