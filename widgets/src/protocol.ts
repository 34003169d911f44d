/**
 * The message protocol between the ModelBuilder widget and Python.
 *
 * Mirror of dlstudio/ui/protocol.py: tests/ui/test_protocol.py parses both files and
 * fails when a trait, request type or request/reply field exists on one side only.
 * State lives in synced traits; one-off requests travel as custom messages that carry
 * an id, and Python answers each with a `reply` message carrying the same id.
 *
 * The graph travels both ways, so each document goes with a `GraphRevision` (the
 * `graph_revision` trait, never inside the document): the page numbers its edits, Python
 * numbers the documents it puts in place itself (docs/architecture.md, "Graph sync").
 */

/** A node of the graph document (docs/architecture.md, version 1). */
export interface GraphNode {
  id: string;
  op: string;
  params: Record<string, unknown>;
  label?: string | null;
  position?: { x: number; y: number };
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
 * Where a graph document stands in the page <-> Python traffic. `page`: the last page edit it
 * includes. `python`: how many documents Python has put in place itself; a page edit names the
 * one it was made on.
 */
export interface GraphRevision {
  page: number;
  python: number;
}

/**
 * What a request that works on the current graph brings along: custom messages overtake the
 * trait updates ipywidgets still holds back, so the request carries the document it was made on.
 */
export interface PageGraph {
  graph?: GraphDoc;
  revision?: GraphRevision;
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
  graph: GraphDoc;
  /** Which page edit and which Python replacement `graph` includes. */
  graph_revision: GraphRevision;
  selection: string[];
  catalog: LayerSpec[];
  templates: string[];
  shapes: Shapes;
  problems: Problem[];
  code: string;
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
  "templates",
  "shapes",
  "problems",
  "code",
  "param_count",
  "block_params",
  "error",
  "health",
  "health_notes",
] as const;

export interface ApplyTemplateRequest {
  type: "apply_template";
  id: number;
  name: string;
}

export interface LoadJsonRequest {
  type: "load_json";
  id: number;
  text: string;
}

export interface SaveJsonRequest extends PageGraph {
  type: "save_json";
  id: number;
}

export interface ApplyFixRequest extends PageGraph {
  type: "apply_fix";
  id: number;
  fix: Fix;
}

/** Turn the layers `ids` into a named block `name` used by one new node. */
export interface GroupBlockRequest extends PageGraph {
  type: "group_block";
  id: number;
  ids: string[];
  name: string;
}

/** Put the layers of the block node `node_id` back into the graph. */
export interface UngroupBlockRequest extends PageGraph {
  type: "ungroup_block";
  id: number;
  node_id: string;
}

export type Request =
  | ApplyTemplateRequest
  | LoadJsonRequest
  | SaveJsonRequest
  | ApplyFixRequest
  | GroupBlockRequest
  | UngroupBlockRequest;

export const REQUEST_TYPES = [
  "apply_template",
  "load_json",
  "save_json",
  "apply_fix",
  "group_block",
  "ungroup_block",
] as const;

/** Requests that work on the current graph: they bring the canvas along (`PageGraph`). */
export const GRAPH_REQUESTS = ["save_json", "apply_fix", "group_block", "ungroup_block"] as const;

/** Python's answer to one request; `error` is a learner-readable sentence when `ok` is false. */
export interface Reply {
  type: "reply";
  id: number;
  request: string;
  ok: boolean;
  error: string | null;
  result: unknown;
}

export const REPLY_TYPE = "reply";
