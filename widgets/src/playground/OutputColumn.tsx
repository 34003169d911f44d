/**
 * The output column: the two losses and their curve, the big heatmap with the data, the
 * "Show test data" and "Discretize output" switches, and the colour legend.
 */
import type { PlaygroundPointSet, PlaygroundSettings } from "../protocol";
import { BigHeatmap } from "./BigHeatmap";
import { Check, Hidable } from "./controls";
import { formatLoss } from "./format";
import { LossCurve } from "./LossCurve";
import type { PictureBoard } from "./pictures";
import type { Senders } from "./requests";

interface OutputColumnProps {
  settings: PlaygroundSettings;
  lossTrain: number;
  lossTest: number;
  history: [number, number, number][];
  points: { train: PlaygroundPointSet; test: PlaygroundPointSet } | undefined;
  domain: readonly [number, number];
  focus: string;
  drawLabel: number | null;
  board: PictureBoard;
  send: Senders;
}

export function OutputColumn(props: OutputColumnProps) {
  const { settings, lossTrain, lossTest, history, points, domain, focus, drawLabel, board, send } = props;
  return (
    <section className="pg-column pg-output-column">
      <h4>Output</h4>
      <div className="pg-losses">
        <div>
          Test loss <b data-testid="pg-loss-test">{formatLoss(lossTest)}</b>
        </div>
        <div>
          Training loss <b data-testid="pg-loss-train">{formatLoss(lossTrain)}</b>
        </div>
      </div>
      <LossCurve history={history} />
      <div className="pg-focus-note">{focus && focus !== "output" ? `Showing node ${focus}` : "\u00a0"}</div>
      <BigHeatmap
        board={board}
        train={points?.train}
        test={points?.test}
        showTest={!!settings.showTestData}
        domain={domain}
        drawLabel={drawLabel}
        onAdd={send.addPoint}
      />
      <Legend />
      <Hidable name="showTestData">
        <Check
          label="Show test data"
          testId="pg-show-test"
          checked={!!settings.showTestData}
          onChange={(on) => send.set("showTestData", on)}
        />
      </Hidable>
      <Hidable name="discretize">
        <Check
          label="Discretize output"
          testId="pg-discretize"
          checked={!!settings.discretize}
          onChange={(on) => send.set("discretize", on)}
        />
      </Hidable>
    </section>
  );
}

/** The colour scale from -1 to 1, as the pictures use it. */
function Legend() {
  return (
    <div className="pg-legend" data-testid="pg-legend">
      <div className="pg-legend-bar" />
      <div className="pg-legend-ticks">
        <span>-1</span>
        <span>0</span>
        <span>1</span>
      </div>
    </div>
  );
}
