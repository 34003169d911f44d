/**
 * What every plot view does around its drawing: follow the model's events, keep plotly's size
 * in step with the element, and undo all of it (plotly's own state too) when the view goes.
 */
import type { AnyModel } from "@anywidget/types";
import Plotly from "plotly.js-cartesian-dist-min";

/** The handlers `model.on` takes (anywidget's own type, whatever the event). */
type Handler = Parameters<AnyModel["on"]>[1];

export interface PlotLifecycle {
  /** Calls `handler` on the model's `event` until the teardown. */
  on(event: string, handler: Handler): void;
  /** Runs `cleanup` at the teardown (a throttle's cancel, a flag). */
  onTeardown(cleanup: () => void): void;
  /** Undoes everything above and purges the plot: what a view's render returns. */
  teardown(): void;
}

/** Resizes `plot` with `root` whenever `isDrawn()`, until the returned lifecycle's teardown. */
export function plotLifecycle(
  model: AnyModel,
  root: HTMLElement,
  plot: HTMLElement,
  isDrawn: () => boolean,
): PlotLifecycle {
  const cleanups: (() => void)[] = [];
  const resize = new ResizeObserver(() => {
    if (isDrawn() && plot.offsetWidth > 0) void Plotly.Plots.resize(plot);
  });
  resize.observe(root);
  cleanups.push(() => resize.disconnect());
  return {
    on(event, handler) {
      model.on(event, handler);
      cleanups.push(() => model.off(event, handler));
    },
    onTeardown(cleanup) {
      cleanups.push(cleanup);
    },
    teardown() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      Plotly.purge(plot);
    },
  };
}
