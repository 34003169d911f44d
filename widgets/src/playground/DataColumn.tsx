/**
 * The data column: the problem's data sets, the ratio/noise/batch sliders, Regenerate, and
 * "Your data" (a CSV file, points drawn on the output plane, Clear points).
 */
import { type ChangeEvent, useCallback } from "react";
import type { PlaygroundOptions, PlaygroundPointSet, PlaygroundSettings } from "../protocol";
import { Hidable, Slider } from "./controls";
import { csvRefusal, type DrawMode, type DrawState } from "./draw";
import type { Senders } from "./requests";
import { Thumbnail } from "./Thumbnail";

const DEFAULT_DOMAIN: [number, number] = [-6, 6];

interface DataColumnProps {
  settings: PlaygroundSettings;
  options: PlaygroundOptions;
  thumbnails: Record<string, PlaygroundPointSet>;
  draw: DrawState;
  onDraw: (draw: DrawState) => void;
  /** A message of the page's own (a file refused before sending). */
  onNotice: (text: string) => void;
  send: Senders;
}

export function DataColumn({ settings, options, thumbnails, draw, onDraw, onNotice, send }: DataColumnProps) {
  const regression = settings.problem === "regression";
  const names = (regression ? options.datasets?.regression : options.datasets?.classification) ?? [];
  const current = regression ? settings.regDataset : settings.dataset;
  const select = useCallback(
    (name: string) => (regression ? send.set("regDataset", name) : send.set("dataset", name)),
    [regression, send],
  );
  const domain = options.domain ?? DEFAULT_DOMAIN;

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.target;
    const file = input.files?.[0];
    // Cleared so that picking the same file again (after editing it) loads it again.
    input.value = "";
    if (!file) return;
    const refusal = csvRefusal(file.name, file.size);
    onNotice(refusal ?? "");
    if (refusal) return;
    send.loadCsv(file.name, await file.text());
  };

  return (
    <section className="pg-column pg-data">
      <h4>Data</h4>
      <Hidable name="dataset">
        <div className="pg-field-label">Which dataset do you want to use?</div>
        <div className="pg-datasets">
          {names.map((name) => (
            <Thumbnail
              key={name}
              name={name}
              label={options.dataset_labels?.[name] ?? name}
              points={thumbnails?.[name]}
              selected={name === current}
              domain={domain}
              onSelect={select}
            />
          ))}
        </div>
      </Hidable>
      <Hidable name="percTrainData">
        <Slider
          label="Ratio of training to test data"
          testId="pg-ratio"
          min={options.ratio_min ?? 10}
          max={options.ratio_max ?? 90}
          step={options.ratio_step ?? 10}
          value={settings.percTrainData}
          onChange={(v) => send.set("percTrainData", v)}
        />
      </Hidable>
      <Hidable name="noise">
        <Slider
          label="Noise"
          testId="pg-noise"
          min={0}
          max={options.noise_max ?? 50}
          step={options.noise_step ?? 5}
          value={settings.noise}
          onChange={(v) => send.set("noise", v)}
        />
      </Hidable>
      <Hidable name="batchSize">
        <Slider
          label="Batch size"
          testId="pg-batch"
          min={1}
          max={options.batch_max ?? 30}
          step={1}
          value={settings.batchSize}
          onChange={(v) => send.set("batchSize", v)}
        />
      </Hidable>
      <button type="button" data-testid="pg-regenerate" onClick={send.regenerate}>
        Regenerate
      </button>

      <Hidable name="yourData" className="pg-column">
        <h4>Your data</h4>
        <label className="pg-field">
          <span className="pg-field-label">Load a CSV file (x, y, label; at most 2 MB)</span>
          <input type="file" accept=".csv,text/csv,text/plain" data-testid="pg-csv" onChange={onFile} />
        </label>
        <DrawControls regression={regression} draw={draw} onDraw={onDraw} />
        <button type="button" data-testid="pg-clear-points" onClick={send.clearPoints}>
          Clear points
        </button>
      </Hidable>
    </section>
  );
}

/** Off / a class for classification; off / draw plus the value drawn for regression. */
function DrawControls({ regression, draw, onDraw }: { regression: boolean; draw: DrawState; onDraw: (d: DrawState) => void }) {
  const modes: [DrawMode, string][] = regression
    ? [
        ["off", "Off"],
        ["value", "Draw points"],
      ]
    : [
        ["off", "Off"],
        ["-1", "Class -1 (orange)"],
        ["1", "Class +1 (blue)"],
      ];
  const mode = modes.some(([m]) => m === draw.mode) ? draw.mode : "off";
  return (
    <>
      <label className="pg-field">
        <span className="pg-field-label">Draw on the output (click to add a point)</span>
        <select data-testid="pg-draw" value={mode} onChange={(e) => onDraw({ ...draw, mode: e.target.value as DrawMode })}>
          {modes.map(([m, text]) => (
            <option key={m} value={m}>
              {text}
            </option>
          ))}
        </select>
      </label>
      {regression ? (
        <label className="pg-field pg-slider">
          <span className="pg-field-label">
            Value drawn: <b>{draw.value.toFixed(1)}</b>
          </span>
          <input
            type="range"
            data-testid="pg-draw-value"
            min={-1}
            max={1}
            step={0.1}
            value={draw.value}
            onChange={(e) => onDraw({ ...draw, value: Number(e.target.value) })}
          />
        </label>
      ) : null}
    </>
  );
}
