/**
 * Paints every node's picture and the big heatmap straight into their canvases, outside
 * React: Python sends about ten frames a second, and re-rendering dozens of canvas components
 * per frame would cost far more than the putImageData calls. Changes of `frame`, `maps` or
 * `big_map` (and of what decides the colours) ask for one paint on the next animation frame,
 * however many arrive before it.
 */
import { useModel } from "@anywidget/react";
import type { AnyModel } from "@anywidget/types";
import { useEffect, useState } from "react";
import type { PlaygroundTraits } from "../protocol";
import { featurePicture, paintPicture, splitMaps, toBytes } from "./heatmap";
import { mapOrder } from "./layout";

const REPAINT_ON = [
  "frame",
  "maps",
  "map_size",
  "big_map",
  "big_size",
  "network",
  "settings",
] as const satisfies readonly (keyof PlaygroundTraits)[];

export class PictureBoard {
  private readonly canvases = new Map<string, HTMLCanvasElement>();
  private big: HTMLCanvasElement | null = null;
  private request = 0;
  // Pictures of switched-off features never change for a size: computed once.
  private readonly featureCache = new Map<string, Uint8Array>();

  constructor(private readonly model: AnyModel<PlaygroundTraits>) {}

  /** A node's canvas came (or went, with null). */
  attach(id: string, canvas: HTMLCanvasElement | null): void {
    if (canvas) this.canvases.set(id, canvas);
    else this.canvases.delete(id);
    this.schedule();
  }

  attachBig(canvas: HTMLCanvasElement | null): void {
    this.big = canvas;
    this.schedule();
  }

  /** Listens to the model until the returned function is called. */
  start(): () => void {
    const schedule = () => this.schedule();
    for (const name of REPAINT_ON) this.model.on(`change:${name}`, schedule);
    this.schedule();
    return () => {
      for (const name of REPAINT_ON) this.model.off(`change:${name}`, schedule);
      cancelAnimationFrame(this.request);
      this.request = 0;
    };
  }

  private schedule(): void {
    if (this.request) return;
    this.request = requestAnimationFrame(() => {
      this.request = 0;
      this.paint();
    });
  }

  private paint(): void {
    const m = this.model;
    const discrete = !!m.get("settings")?.discretize;
    const network = m.get("network");
    const size = Number(m.get("map_size")) || 0;
    if (network && size > 0) {
      const pictures = splitMaps(toBytes(m.get("maps")), size, mapOrder(network));
      for (const [id, canvas] of this.canvases) {
        const picture = pictures.get(id) ?? this.offPicture(id, size);
        if (picture) paintPicture(canvas, picture, size, discrete);
      }
    }
    const bigSize = Number(m.get("big_size")) || 0;
    if (this.big && bigSize > 0) paintPicture(this.big, toBytes(m.get("big_map")), bigSize, discrete);
  }

  /** The page-side picture of a feature Python sends none for (it is switched off). */
  private offPicture(id: string, size: number): Uint8Array | undefined {
    const options = this.model.get("options");
    if (!options?.features?.some((f) => f.name === id)) return undefined;
    const domain = options.domain ?? [-6, 6];
    const key = `${id}:${size}:${domain.join(",")}`;
    let picture = this.featureCache.get(key);
    if (!picture) {
      picture = featurePicture(id, size, domain);
      this.featureCache.set(key, picture);
    }
    return picture;
  }
}

/** This view's picture board, listening to the model while the view lives. */
export function usePictureBoard(): PictureBoard {
  const model = useModel<PlaygroundTraits>();
  const [board] = useState(() => new PictureBoard(model));
  useEffect(() => board.start(), [board]);
  return board;
}
