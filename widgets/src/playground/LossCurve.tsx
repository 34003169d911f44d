/** The small loss curve under the loss numbers: test in black, training in grey. */
import { memo } from "react";
import { lossPolylines } from "./format";

const WIDTH = 300;
const HEIGHT = 50;

export const LossCurve = memo(function LossCurve({ history }: { history: [number, number, number][] }) {
  const { train, test } = lossPolylines(history ?? [], WIDTH, HEIGHT);
  return (
    <svg className="pg-loss-curve" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} data-testid="pg-loss-curve">
      <polyline points={train} fill="none" stroke="#777" strokeWidth={1.5} />
      <polyline points={test} fill="none" stroke="#000" strokeWidth={1.5} />
    </svg>
  );
});
