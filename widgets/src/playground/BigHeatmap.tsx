/**
 * The big heatmap: the focused node's picture (painted by the picture board), the data points
 * over it, and the plane's axes. In draw mode a click adds a point where it lands.
 */
import { memo, type MouseEvent, useCallback } from "react";
import type { PlaygroundPointSet } from "../protocol";
import { cssColour } from "./heatmap";
import { pixelFromPlane, planeFromPixel } from "./format";
import type { PictureBoard } from "./pictures";

export const BIG_PX = 300;
const AXIS_PX = 22;

interface BigHeatmapProps {
  board: PictureBoard;
  train: PlaygroundPointSet | undefined;
  test: PlaygroundPointSet | undefined;
  showTest: boolean;
  domain: readonly [number, number];
  /** The label a click adds, or null when not drawing. */
  drawLabel: number | null;
  onAdd: (x: number, y: number, label: number) => void;
}

export function BigHeatmap({ board, train, test, showTest, domain, drawLabel, onAdd }: BigHeatmapProps) {
  const ref = useCallback((canvas: HTMLCanvasElement | null) => board.attachBig(canvas), [board]);
  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    if (drawLabel === null) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const [x, y] = planeFromPixel(e.clientX - rect.left, e.clientY - rect.top, rect.width, rect.height, domain);
    onAdd(round(x), round(y), drawLabel);
  };
  return (
    <div className="pg-big" style={{ width: BIG_PX + AXIS_PX, height: BIG_PX + AXIS_PX }}>
      <canvas
        ref={ref}
        data-testid="pg-output"
        className={drawLabel === null ? "" : "pg-drawing"}
        style={{ width: BIG_PX, height: BIG_PX }}
        onClick={onClick}
      />
      <Dots train={train} test={showTest ? test : undefined} domain={domain} />
      <Axes domain={domain} />
    </div>
  );
}

/** Points over the picture; they take no clicks (the canvas under them does). */
const Dots = memo(function Dots({
  train,
  test,
  domain,
}: {
  train: PlaygroundPointSet | undefined;
  test: PlaygroundPointSet | undefined;
  domain: readonly [number, number];
}) {
  return (
    <svg className="pg-dots" width={BIG_PX} height={BIG_PX}>
      {dots(train, domain, "#fff", "train")}
      {dots(test, domain, "#000", "test")}
    </svg>
  );
});

function dots(set: PlaygroundPointSet | undefined, domain: readonly [number, number], stroke: string, key: string) {
  if (!set) return null;
  const n = Math.min(set.x.length, set.y.length, set.label.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const [cx, cy] = pixelFromPlane(set.x[i], set.y[i], BIG_PX, BIG_PX, domain);
    // Points have no identity but their place in the list.
    out.push(<circle key={`${key}${i}`} cx={cx} cy={cy} r={3} fill={cssColour(set.label[i])} stroke={stroke} strokeWidth={1} />);
  }
  return <g className={`pg-dots-${key}`}>{out}</g>;
}

/** Ticks and numbers from the domain's low end to its high end: x1 below, x2 on the right. */
const Axes = memo(function Axes({ domain }: { domain: readonly [number, number] }) {
  const [lo, hi] = domain;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo); v <= hi; v++) ticks.push(v);
  return (
    <svg className="pg-axes" width={BIG_PX + AXIS_PX} height={BIG_PX + AXIS_PX}>
      {ticks.map((v) => {
        const [px, py] = pixelFromPlane(v, v, BIG_PX, BIG_PX, domain);
        return (
          <g key={v}>
            <line x1={px} y1={BIG_PX} x2={px} y2={BIG_PX + 4} />
            <text x={px} y={BIG_PX + 14} textAnchor="middle">
              {v}
            </text>
            <line x1={BIG_PX} y1={py} x2={BIG_PX + 4} y2={py} />
            <text x={BIG_PX + 6} y={py + 3}>
              {v}
            </text>
          </g>
        );
      })}
    </svg>
  );
});

// Three decimals are finer than a pixel of the plane.
function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
