/**
 * The message protocol between the dlstudio widgets and Python.
 *
 * Mirror of dlstudio/ui/protocol.py: tests/ui/test_protocol.py parses both files and
 * fails when a trait, request type or request/reply field exists on one side only.
 * State lives in synced traits; the page's requests travel as custom messages.
 *
 * The ModelBuilder's graph has one writer per direction (docs/architecture.md, "Graph sync"):
 * only Python writes the `graph` trait, with `graph_revision` saying which revision it is and
 * which page edit it answers; the page sends its edits as `edit` requests. Every request names
 * the view that sent it and an id counted in that view; Python answers requests other than
 * edits with a `reply` naming the same view and id (replies reach every view; each keeps its own).
 */

// -- The ModelBuilder: dlstudio/ui/builder.py <-> src/editor/ ---------------------------------

/** A node of the graph document (docs/architecture.md, version 1). */
export interface GraphNode {
  id: string;
  op: string;
  params: Record<string, unknown>;
  label?: string | null;
  position?: { x: number; y: number };
  /** Left out of training (weights kept, runs as in evaluation); written only when true. */
  frozen?: boolean;
}

export interface GraphEdge {
  source: string;
  target: string;
  target_port?: number;
}

export interface GraphDoc {
  version: number;
  /** Free text about the graph (title, description); kept as it is. */
  metadata?: Record<string, string>;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Named blocks used by nodes whose op is the block's name; Input nodes are its ports. */
  blocks?: Record<string, BlockDoc>;
}

/** One named block: its layers, with one Input node per port (in order) and one Output. */
export interface BlockDoc {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * Which document the `graph` trait holds, and why. `number` counts the documents Python has
 * put in the trait; `view` and `edit` name the page edit it answers ("" and 0 when Python wrote
 * it of its own accord); `refused`: that edit was not taken, and the page goes back to `graph`.
 */
export interface GraphRevision {
  number: number;
  view: string;
  edit: number;
  refused: boolean;
}

/** What every request carries: the view that sent it, and its id in that view. */
export interface Addressed {
  view: string;
  id: number;
}

/**
 * A request made on the page's document: `base` is the revision the canvas builds on. Python
 * takes it only while no other writer has changed the graph since.
 */
export interface OnDocument extends Addressed {
  base: number;
}

/** One parameter of a layer in `layers.catalog()`. */
export interface ParamSpec {
  name: string;
  type: "int" | "float" | "bool" | "choice" | "ints" | "shape" | "int_or_choice" | string;
  default: unknown;
  min?: number | null;
  max?: number | null;
  choices?: unknown[] | null;
  nullable?: boolean;
  inferred?: boolean;
  key?: boolean;
  length?: number | null;
  doc?: string;
}

/** One layer of `layers.catalog()`. */
export interface LayerSpec {
  name: string;
  category: string;
  doc: string;
  torch?: string;
  inputs: number;
  variadic: boolean;
  outputs: number;
  params: ParamSpec[];
}

/** A machine-applicable fix: set (or, with null, remove) parameters of one node. */
export interface Fix {
  node_id: string;
  params: Record<string, unknown>;
}

/** `Problem.to_dict()` from the core. */
export interface Problem {
  node_id: string | null;
  message: string;
  hint: string | null;
  fix: Fix | null;
}

/** Shapes per node id: `[null, 16, 14, 14]`; null where the shape is unknown. */
export type Shapes = Record<string, (number | null)[] | null>;

/** Every synced trait of the ModelBuilder, with its type. */
export interface BuilderTraits {
  /** Written by Python only; the page sends edits. */
  graph: GraphDoc;
  /** Which document `graph` is and which page edit it answers. */
  graph_revision: GraphRevision;
  selection: string[];
  catalog: LayerSpec[];
  /** The palette's category order (`layers.CATEGORIES`); others come after it. */
  categories: string[];
  templates: string[];
  shapes: Shapes;
  problems: Problem[];
  code: string;
  /** The same model in Keras 3 and in Flax NNX (the code panel's framework switch). */
  code_keras: string;
  code_flax: string;
  param_count: number;
  /** Parameter count of each node that uses a named block. */
  block_params: Record<string, number>;
  error: string;
  /** Training health of each layer node (badges drawn on the nodes). */
  health: Record<string, HealthState>;
  /** The diagnoses behind a node's badge, in words (its tooltip). */
  health_notes: Record<string, string>;
}

/** A node's training health: ok, a warning, or a problem. */
export type HealthState = "ok" | "warn" | "bad";

export const TRAIT_NAMES = [
  "graph",
  "graph_revision",
  "selection",
  "catalog",
  "categories",
  "templates",
  "shapes",
  "problems",
  "code",
  "code_keras",
  "code_flax",
  "param_count",
  "block_params",
  "error",
  "health",
  "health_notes",
] as const;

/** The page's document after an edit; answered by `graph_revision`, not by a reply. */
export interface EditRequest extends OnDocument {
  type: "edit";
  graph: GraphDoc;
}

/**
 * An edit sent as what changed since the document this view last sent or drew (which Python
 * holds while the edit is made on the current revision): taken, refused and answered exactly
 * as an `edit`. Python applies it with `Graph.patched`, checked as strictly as a document.
 */
export interface PatchRequest extends OnDocument {
  type: "patch";
  patch: GraphPatch;
}

/**
 * What changed between two documents: nodes and edges named by their place in the old one
 * (`count` of them), `remove`d and `set` in order, new ones `add`ed at the end; `metadata` and
 * `blocks` as in a document, present only when they changed (`{}` when they went).
 */
export interface GraphPatch {
  nodes: { count: number; remove: number[]; set: [number, GraphNode][]; add: GraphNode[] };
  edges: { count: number; remove: number[]; add: GraphEdge[] };
  metadata?: Record<string, string>;
  blocks?: Record<string, BlockDoc>;
}

export interface ApplyTemplateRequest extends Addressed {
  type: "apply_template";
  name: string;
}

export interface LoadJsonRequest extends Addressed {
  type: "load_json";
  text: string;
}

export interface SaveJsonRequest extends OnDocument {
  type: "save_json";
}

export interface ApplyFixRequest extends OnDocument {
  type: "apply_fix";
  fix: Fix;
}

/** Turn the layers `ids` into a named block `name` used by one new node. */
export interface GroupBlockRequest extends OnDocument {
  type: "group_block";
  ids: string[];
  name: string;
}

/** Put the layers of the block node `node_id` back into the graph. */
export interface UngroupBlockRequest extends OnDocument {
  type: "ungroup_block";
  node_id: string;
}

export type Request =
  | EditRequest
  | PatchRequest
  | ApplyTemplateRequest
  | LoadJsonRequest
  | SaveJsonRequest
  | ApplyFixRequest
  | GroupBlockRequest
  | UngroupBlockRequest;

export const REQUEST_TYPES = [
  "edit",
  "patch",
  "apply_template",
  "load_json",
  "save_json",
  "apply_fix",
  "group_block",
  "ungroup_block",
] as const;

/** Requests made on the page's document: they carry its `base` revision. */
export const GRAPH_REQUESTS = [
  "edit",
  "patch",
  "save_json",
  "apply_fix",
  "group_block",
  "ungroup_block",
] as const;

/** Python's answer to one request; `error` is a learner-readable sentence when `ok` is false. */
export interface Reply {
  type: "reply";
  view: string;
  id: number;
  request: string;
  ok: boolean;
  error: string | null;
  result: unknown;
}

export const REPLY_TYPE = "reply";

// -- The loss plot: dlstudio/ui/live/loss_plot.py <-> src/plots/lossPlot.ts -------------------
// State lives in synced traits (the bounded history in `data`); new points travel as `points`
// messages between two syncs, and a view that just appeared says `hello` to get `data`
// refreshed at once (a message sent before a view exists is lost).

/** One curve's points: `x` steps, `y` values (null where a value was not finite). */
export interface PlotCurve {
  x: number[];
  y: (number | null)[];
  kind: "step" | "epoch";
  panel: "loss" | "metric";
}

/** Curves as of message `seq`: the `data` trait, and the body of a points message. */
export interface PlotCurves {
  seq: number;
  series: Record<string, PlotCurve>;
}

/** Every synced trait of the LossPlot, with its type. */
export interface LossPlotTraits {
  data: PlotCurves;
  log_scale: boolean;
  /** EMA weight of the per-step curves: 0 (raw) to 0.99. */
  smoothing: number;
  title: string;
  height: number;
}

export const LOSS_PLOT_TRAIT_NAMES = ["data", "log_scale", "smoothing", "title", "height"] as const;

/** Python -> page: the points added since message `seq - 1`. */
export interface PointsMessage extends PlotCurves {
  type: "points";
}

/** Page -> Python: a view just appeared; Python syncs `data` at once. */
export interface HelloMessage {
  type: "hello";
}

export const LOSS_PLOT_MESSAGE_TYPES = ["points", "hello"] as const;

// -- The server extension: dlstudio/server <-> src/lab/ ---------------------------------------
// A graph-document editor in JupyterLab has no kernel: its adapter holds the document and sends
// each request its page makes, with that document, to `POST dlstudio/editor`, which answers it
// with the code the ModelBuilder uses (dlstudio/graph/editor_requests.py).

/**
 * The answer of `GET dlstudio/catalog`: what the palette offers (as the builder's traits of the
 * same names), and the document a new graph document starts from.
 */
export interface CatalogAnswer {
  catalog: LayerSpec[];
  categories: string[];
  templates: string[];
  starter: GraphDoc;
}

/** The body of `POST dlstudio/editor`: the document held and one request made on it. */
export interface EditorCall {
  graph: GraphDoc;
  request: Request;
}

/**
 * The answer of `POST dlstudio/editor`. `ok`/`error`: whether the request was taken, else the
 * learner's sentence; `result`: what the widget's reply carries (null for edits); `graph`: the
 * document now held (null when unchanged, a refused edit included); `selection`: nodes to
 * select (null: keep it); the rest: the analysis and code of the document held after it.
 */
export interface EditorAnswer {
  ok: boolean;
  error: string | null;
  result: unknown;
  graph: GraphDoc | null;
  selection: string[] | null;
  shapes: Shapes;
  problems: Problem[];
  param_count: number;
  block_params: Record<string, number>;
  code: string;
  /** The same model in Keras 3 and in Flax NNX (the code panel's framework switch). */
  code_keras: string;
  code_flax: string;
}

/**
 * The answer of `POST dlstudio/tutorials` (body `{}` or `{ folder: name }`): paths relative to
 * the server's root, the notebooks in the series' order.
 */
export interface TutorialsAnswer {
  folder: string;
  notebooks: string[];
  copied: string[];
}

// -- The Playground: dlstudio/ui/playground.py <-> src/playground/ ----------------------------
// docs/playground-protocol.md. Only Python writes the traits; the page sends requests as plain
// custom messages `{type, ...}` (no view or id: nothing is answered but by the traits, and a
// refused request sets `error`).

/** The run's settings, with the original TensorFlow Playground's names. */
export interface PlaygroundSettings {
  problem: "classification" | "regression";
  dataset: string;
  regDataset: string;
  noise: number;
  percTrainData: number;
  batchSize: number;
  learningRate: number;
  activation: string;
  regularization: string;
  regularizationRate: number;
  networkShape: number[];
  seed: string;
  showTestData: boolean;
  discretize: boolean;
  initZero: boolean;
  x: boolean;
  y: boolean;
  xSquared: boolean;
  ySquared: boolean;
  xTimesY: boolean;
  sinX: boolean;
  sinY: boolean;
}

/** A name and what the page calls it (features, hidable controls). */
export interface PlaygroundNamed {
  name: string;
  label: string;
}

/** The `options` trait: constants the page draws its controls from. */
export interface PlaygroundOptions {
  learning_rates: number[];
  regularization_rates: number[];
  activations: string[];
  regularizations: string[];
  datasets: { classification: string[]; regression: string[] };
  dataset_labels?: Record<string, string>;
  features: PlaygroundNamed[];
  hidable: PlaygroundNamed[];
  max_layers: number;
  max_neurons: number;
  noise_max: number;
  noise_step: number;
  ratio_min: number;
  ratio_max: number;
  ratio_step: number;
  batch_max: number;
  domain: [number, number];
}

/** Points on the [-6, 6] plane; `label` in [-1, 1] (classification: -1 or 1). */
export interface PlaygroundPointSet {
  x: number[];
  y: number[];
  label: number[];
}

/** The `network` trait: weights[layer][to][from], layer 0 the first Linear layer. */
export interface PlaygroundNetwork {
  inputs: string[];
  shape: number[];
  weights: number[][][];
  biases: number[][];
  dead: [number, number, number][];
}

/** Every synced trait of the Playground, with its type (bytes arrive as a DataView). */
export interface PlaygroundTraits {
  settings: PlaygroundSettings;
  hidden: string[];
  share: string;
  url_state: boolean;
  options: PlaygroundOptions;
  thumbnails: Record<string, PlaygroundPointSet>;
  points: { train: PlaygroundPointSet; test: PlaygroundPointSet };
  network: PlaygroundNetwork;
  maps: DataView | ArrayBuffer | Uint8Array | null;
  map_size: number;
  focus: string;
  big_map: DataView | ArrayBuffer | Uint8Array | null;
  big_size: number;
  epoch: number;
  loss_train: number;
  loss_test: number;
  history: [number, number, number][];
  playing: boolean;
  frame: number;
  code: string;
  error: string;
  status: string;
  can_open_builder: boolean;
}

export const PLAYGROUND_TRAIT_NAMES = [
  "settings",
  "hidden",
  "share",
  "url_state",
  "options",
  "thumbnails",
  "points",
  "network",
  "maps",
  "map_size",
  "focus",
  "big_map",
  "big_size",
  "epoch",
  "loss_train",
  "loss_test",
  "history",
  "playing",
  "frame",
  "code",
  "error",
  "status",
  "can_open_builder",
] as const;

/** Change one setting (any key of `settings`). */
export interface PlaygroundSetRequest {
  type: "set";
  name: string;
  value: unknown;
}

export interface PlaygroundPlayRequest {
  type: "play";
}

export interface PlaygroundPauseRequest {
  type: "pause";
}

/** Train one epoch. */
export interface PlaygroundStepRequest {
  type: "step";
}

export interface PlaygroundResetRequest {
  type: "reset";
}

/** A new seed, new data. */
export interface PlaygroundRegenerateRequest {
  type: "regenerate";
}

export interface PlaygroundAddLayerRequest {
  type: "add_layer";
}

export interface PlaygroundRemoveLayerRequest {
  type: "remove_layer";
}

/** `layer`: a hidden layer, 1-based. */
export interface PlaygroundAddNeuronRequest {
  type: "add_neuron";
  layer: number;
}

export interface PlaygroundRemoveNeuronRequest {
  type: "remove_neuron";
  layer: number;
}

/** `layer`: a Linear layer, 1-based (the last one is the output layer). */
export interface PlaygroundSetWeightRequest {
  type: "set_weight";
  layer: number;
  to: number;
  from: number;
  value: number;
}

export interface PlaygroundSetBiasRequest {
  type: "set_bias";
  layer: number;
  node: number;
  value: number;
}

/** Show node `node`'s picture big ("output" when the pointer leaves a node). */
export interface PlaygroundFocusRequest {
  type: "focus";
  node: string;
}

/** A point drawn on the output plane (x, y on the [-6, 6] plane). */
export interface PlaygroundAddPointRequest {
  type: "add_point";
  x: number;
  y: number;
  label: number;
}

export interface PlaygroundClearPointsRequest {
  type: "clear_points";
}

/** A CSV file's text picked in the page (at most 2 MB). */
export interface PlaygroundLoadCsvRequest {
  type: "load_csv";
  name: string;
  text: string;
}

export interface PlaygroundHideRequest {
  type: "hide";
  control: string;
  hidden: boolean;
}

export interface PlaygroundLoadShareRequest {
  type: "load_share";
  text: string;
}

export interface PlaygroundOpenBuilderRequest {
  type: "open_builder";
}

export type PlaygroundRequest =
  | PlaygroundSetRequest
  | PlaygroundPlayRequest
  | PlaygroundPauseRequest
  | PlaygroundStepRequest
  | PlaygroundResetRequest
  | PlaygroundRegenerateRequest
  | PlaygroundAddLayerRequest
  | PlaygroundRemoveLayerRequest
  | PlaygroundAddNeuronRequest
  | PlaygroundRemoveNeuronRequest
  | PlaygroundSetWeightRequest
  | PlaygroundSetBiasRequest
  | PlaygroundFocusRequest
  | PlaygroundAddPointRequest
  | PlaygroundClearPointsRequest
  | PlaygroundLoadCsvRequest
  | PlaygroundHideRequest
  | PlaygroundLoadShareRequest
  | PlaygroundOpenBuilderRequest;

export const PLAYGROUND_REQUEST_TYPES = [
  "set",
  "play",
  "pause",
  "step",
  "reset",
  "regenerate",
  "add_layer",
  "remove_layer",
  "add_neuron",
  "remove_neuron",
  "set_weight",
  "set_bias",
  "focus",
  "add_point",
  "clear_points",
  "load_csv",
  "hide",
  "load_share",
  "open_builder",
] as const;
