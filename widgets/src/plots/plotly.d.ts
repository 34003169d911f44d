// The few plotly.js calls the plots use (the dist bundle ships no types).
declare module "plotly.js-cartesian-dist-min" {
  type Trace = Record<string, unknown>;
  type Layout = Record<string, unknown>;
  interface PlotlyStatic {
    react(el: HTMLElement, data: Trace[], layout?: Layout, config?: Record<string, unknown>): Promise<unknown>;
    extendTraces(el: HTMLElement, update: Record<string, unknown[][]>, indices: number[], maxPoints?: number): Promise<unknown>;
    restyle(el: HTMLElement, update: Record<string, unknown>, indices?: number[]): Promise<unknown>;
    relayout(el: HTMLElement, update: Record<string, unknown>): Promise<unknown>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): Promise<unknown> | void };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
