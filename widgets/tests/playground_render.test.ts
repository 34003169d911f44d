/**
 * The Playground's markup, rendered on the server from a fake model: every control a browser
 * test looks for is there, hidden controls are not, and the root carries the frame number.
 * (Painting needs a browser: tests/ui drives that.)
 */
import { renderToString } from "react-dom/server";
import { createElement } from "react";
import { describe, expect, it, vi } from "vitest";
import type { PlaygroundTraits } from "../src/protocol";

const state: Partial<PlaygroundTraits> = {};

vi.mock("@anywidget/react", () => ({
  useModel: () => ({ get: (k: keyof PlaygroundTraits) => state[k], on() {}, off() {}, send() {} }),
  useModelState: (k: keyof PlaygroundTraits) => [state[k], () => {}],
}));

const { Playground } = await import("../src/playground/Playground");

const FEATURES = ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"];

function reset(overrides: Partial<PlaygroundTraits> = {}) {
  const settings = {
    problem: "classification",
    dataset: "circle",
    regDataset: "reg-plane",
    noise: 0,
    percTrainData: 50,
    batchSize: 10,
    learningRate: 0.03,
    activation: "tanh",
    regularization: "none",
    regularizationRate: 0,
    networkShape: [4, 2],
    seed: "0.1",
    showTestData: false,
    discretize: false,
    initZero: false,
    ...Object.fromEntries(FEATURES.map((f) => [f, f === "x" || f === "y"])),
  } as PlaygroundTraits["settings"];
  Object.assign(state, {
    settings,
    hidden: [],
    share: "activation=tanh",
    url_state: false,
    options: {
      learning_rates: [0.001, 0.03, 0.1],
      regularization_rates: [0, 0.001],
      activations: ["relu", "tanh", "sigmoid", "linear"],
      regularizations: ["none", "L1", "L2"],
      datasets: { classification: ["circle", "xor", "gauss", "spiral"], regression: ["reg-plane", "reg-gauss"] },
      features: FEATURES.map((name) => ({ name, label: name })),
      hidable: [
        { name: "noise", label: "Noise level" },
        { name: "learningRate", label: "Learning rate" },
      ],
      max_layers: 6,
      max_neurons: 8,
      noise_max: 50,
      noise_step: 5,
      ratio_min: 10,
      ratio_max: 90,
      ratio_step: 10,
      batch_max: 30,
      domain: [-6, 6],
    },
    thumbnails: {},
    points: { train: { x: [1], y: [2], label: [1] }, test: { x: [0], y: [0], label: [-1] } },
    network: {
      inputs: ["x", "y"],
      shape: [4, 2],
      weights: [
        Array.from({ length: 4 }, () => [0.1, -0.2]),
        Array.from({ length: 2 }, () => [1, 2, 3, 4]),
        [[0.5, -0.5]],
      ],
      biases: [[0, 0, 0, 0], [0, 0], [0]],
      dead: [],
    },
    maps: null,
    map_size: 20,
    focus: "output",
    big_map: null,
    big_size: 100,
    epoch: 123,
    loss_train: 0.25,
    loss_test: 0.5,
    history: [],
    playing: false,
    frame: 7,
    code: "import torch\n",
    error: "",
    status: "Ready",
    can_open_builder: true,
    ...overrides,
  } satisfies PlaygroundTraits);
}

function html(overrides: Partial<PlaygroundTraits> = {}): string {
  reset(overrides);
  return renderToString(createElement(Playground));
}

describe("Playground markup", () => {
  it("has every control a browser test needs", () => {
    const page = html();
    const ids = [
      "pg-play",
      "pg-step",
      "pg-reset",
      "pg-epoch",
      "pg-lr",
      "pg-activation",
      "pg-regularization",
      "pg-reg-rate",
      "pg-problem",
      "pg-dataset-circle",
      "pg-dataset-spiral",
      "pg-ratio",
      "pg-noise",
      "pg-batch",
      "pg-regenerate",
      "pg-csv",
      "pg-draw",
      "pg-clear-points",
      "pg-feature-x",
      "pg-feature-sinY",
      "pg-add-layer",
      "pg-remove-layer",
      "pg-add-neuron-1",
      "pg-remove-neuron-2",
      "pg-node-x",
      "pg-node-h1_3",
      "pg-node-h2_1",
      "pg-node-output",
      "pg-link-1-3-1",
      "pg-link-2-1-3",
      "pg-link-3-0-1",
      "pg-bias-1-3",
      "pg-bias-3-0",
      "pg-output",
      "pg-loss-train",
      "pg-loss-test",
      "pg-show-test",
      "pg-discretize",
      "pg-code",
      "pg-open-builder",
      "pg-share-text",
      "pg-share-copy",
      "pg-share-input",
      "pg-share-apply",
      "pg-hide-noise",
      "pg-status",
    ];
    for (const id of ids) expect(page, id).toContain(`data-testid="${id}"`);
    expect(page).toContain('data-frame="7"');
    expect(page).toContain("000,123");
    expect(page).not.toContain('data-testid="pg-error"');
    expect(page).not.toContain('data-testid="pg-link-1-0-2"'); // only two inputs are on
  });

  it("leaves out hidden controls and the builder button when there is none", () => {
    const page = html({ hidden: ["noise"], can_open_builder: false, error: "No." });
    expect(page).not.toContain('data-testid="pg-noise"');
    expect(page).toContain('data-control="learningRate"');
    expect(page).not.toContain('data-testid="pg-open-builder"');
    expect(page).toMatch(/data-testid="pg-error"[^>]*>No\./);
  });

  it("draws test points only when asked", () => {
    const count = (page: string) => (page.match(/<circle/g) ?? []).length;
    expect(count(html())).toBe(1);
    reset();
    expect(count(html({ settings: { ...state.settings!, showTestData: true } }))).toBe(2);
  });
});
