/** The top bar: reset, play/pause, step, the epoch counter and the training settings. */
import type { PlaygroundOptions, PlaygroundSettings } from "../protocol";
import { Choice, Hidable } from "./controls";
import { formatEpoch } from "./format";
import type { Senders } from "./requests";

const ACTIVATION_LABELS: Record<string, string> = { relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear" };
const REGULARIZATION_LABELS: Record<string, string> = { none: "None", L1: "L1", L2: "L2" };
const PROBLEMS = ["classification", "regression"] as const;
const PROBLEM_LABELS: Record<string, string> = { classification: "Classification", regression: "Regression" };

interface TopBarProps {
  settings: PlaygroundSettings;
  options: PlaygroundOptions;
  playing: boolean;
  epoch: number;
  send: Senders;
}

export function TopBar({ settings, options, playing, epoch, send }: TopBarProps) {
  return (
    <div className="pg-topbar">
      <div className="pg-buttons">
        <Hidable name="resetButton">
          <button type="button" className="pg-round" data-testid="pg-reset" title="Reset the network" onClick={send.reset}>
            ↺
          </button>
        </Hidable>
        <Hidable name="playButton">
          <button
            type="button"
            className="pg-round pg-play"
            data-testid="pg-play"
            data-playing={playing ? "true" : "false"}
            aria-label={playing ? "Pause" : "Play"}
            title={playing ? "Pause training" : "Train"}
            onClick={playing ? send.pause : send.play}
          >
            <span aria-hidden="true">{playing ? "❚❚" : "▶"}</span>
            <span className="pg-play-label">{playing ? "Pause" : "Play"}</span>
          </button>
        </Hidable>
        <Hidable name="stepButton">
          <button type="button" className="pg-round" data-testid="pg-step" title="Train one epoch" onClick={send.step}>
            {/* An icon drawn here: the page's fonts may lack the "next track" character. */}
            <svg width="18" height="18" viewBox="0 0 24 24" aria-label="Step">
              <path d="M6 18l8.5-6L6 6v12zM16 6v12h2V6h-2z" fill="currentColor" />
            </svg>
          </button>
        </Hidable>
      </div>
      <div className="pg-field pg-epoch">
        <span className="pg-field-label">Epoch</span>
        <output data-testid="pg-epoch">{formatEpoch(epoch)}</output>
      </div>
      <Hidable name="learningRate">
        <Choice
          label="Learning rate"
          testId="pg-lr"
          values={options.learning_rates}
          value={settings.learningRate}
          onChange={(v) => send.set("learningRate", v)}
        />
      </Hidable>
      <Hidable name="activation">
        <Choice
          label="Activation"
          testId="pg-activation"
          values={options.activations}
          value={settings.activation}
          format={(v) => ACTIVATION_LABELS[v] ?? v}
          onChange={(v) => send.set("activation", v)}
        />
      </Hidable>
      <Hidable name="regularization">
        <Choice
          label="Regularization"
          testId="pg-regularization"
          values={options.regularizations}
          value={settings.regularization}
          format={(v) => REGULARIZATION_LABELS[v] ?? v}
          onChange={(v) => send.set("regularization", v)}
        />
      </Hidable>
      <Hidable name="regularizationRate">
        <Choice
          label="Regularization rate"
          testId="pg-reg-rate"
          values={options.regularization_rates}
          value={settings.regularizationRate}
          onChange={(v) => send.set("regularizationRate", v)}
        />
      </Hidable>
      <Hidable name="problem">
        <Choice
          label="Problem type"
          testId="pg-problem"
          values={PROBLEMS}
          value={settings.problem}
          format={(v) => PROBLEM_LABELS[v] ?? v}
          onChange={(v) => send.set("problem", v)}
        />
      </Hidable>
    </div>
  );
}
