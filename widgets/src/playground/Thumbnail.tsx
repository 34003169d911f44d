/** A data set's thumbnail: its points as dots, coloured by label, on a light square. */
import { memo, useEffect, useRef } from "react";
import type { PlaygroundPointSet } from "../protocol";
import { cssColour } from "./heatmap";

const SIZE = 56;

interface ThumbnailProps {
  name: string;
  label: string;
  points: PlaygroundPointSet | undefined;
  selected: boolean;
  domain: readonly [number, number];
  onSelect: (name: string) => void;
}

export const Thumbnail = memo(function Thumbnail({ name, label, points, selected, domain, onSelect }: ThumbnailProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (ctx) drawDots(ctx, points, domain);
  }, [points, domain]);
  return (
    <button
      type="button"
      className={selected ? "pg-thumb pg-selected" : "pg-thumb"}
      data-testid={`pg-dataset-${name}`}
      aria-pressed={selected}
      title={label}
      onClick={() => onSelect(name)}
    >
      <canvas ref={canvas} width={SIZE} height={SIZE} />
      <span>{label}</span>
    </button>
  );
});

function drawDots(ctx: CanvasRenderingContext2D, points: PlaygroundPointSet | undefined, domain: readonly [number, number]) {
  const [lo, hi] = domain;
  ctx.fillStyle = "#f7f7f7";
  ctx.fillRect(0, 0, SIZE, SIZE);
  if (!points) return;
  const n = Math.min(points.x.length, points.y.length, points.label.length);
  for (let i = 0; i < n; i++) {
    const px = ((points.x[i] - lo) / (hi - lo)) * SIZE;
    const py = ((hi - points.y[i]) / (hi - lo)) * SIZE;
    ctx.fillStyle = cssColour(points.label[i]);
    ctx.fillRect(px - 1, py - 1, 2, 2);
  }
}
