/**
 * The editor of one view: React Flow's nodes and edges in a store, kept in step with Python.
 *
 * Local edits draw at once and leave as edit requests (when the pointer rests, or at once for
 * structural edits), saying only what changed when they can (core/sync.ts); Python writes every document to the `graph` trait and says in
 * `graph_revision` which edit it answers, and core/sync.ts decides which documents go on the
 * canvas. Python's analysis (shapes, problems, block sizes) is drawn onto the nodes as it
 * arrives: the page never computes a shape or a problem.
 */
import type { AnyModel } from "@anywidget/types";
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import { type Blocks, withBlocks } from "../core/blocks";
import { type Clipboard, clipboardOf, cloneWithFreshIds, extract } from "../core/clipboard";
import { type Debounced, debounce } from "../core/debounce";
import {
  type Catalog,
  decorateEdges,
  decorateNodes,
  edgeId,
  flowFromGraph,
  freshId,
  graphFromFlow,
  indexCatalog,
  type LayerNode,
  MAX_LABEL_LENGTH,
  portCount,
  portOf,
  problemsByNode,
  SOURCE_HANDLE,
  type ShapeEdge,
  targetHandle,
} from "../core/graph";
import { autoLayout } from "../core/layout";
import { withParam } from "../core/params";
import { GraphSync, newViewId } from "../core/sync";
import { UndoStack } from "../core/undo";
import {
  type BuilderTraits,
  type EditRequest,
  GRAPH_REQUESTS,
  type GraphDoc,
  type LayerSpec,
  type PatchRequest,
  type Problem,
  type Reply,
  type Request,
  type Shapes,
} from "../protocol";
import { Requests, type Unaddressed } from "./requests";
import { Store } from "./store";

export interface CanvasState {
  nodes: LayerNode[];
  edges: ShapeEdge[];
  /** The catalog's layers, then the document's named blocks. */
  palette: LayerSpec[];
  catalog: Catalog;
  /** Counts the documents from Python that brought other nodes: the view fits them. */
  replaced: number;
  canUndo: boolean;
  canRedo: boolean;
  canPaste: boolean;
}

/** A request as the toolbar or a node asks it: the editor addresses it and names its base. */
export type Ask<R = Exclude<Request, EditRequest | PatchRequest>> = R extends Request ? Omit<R, "view" | "id" | "base"> : never;

type Model = AnyModel<BuilderTraits>;
type Point = { x: number; y: number };

/** When the canvas leaves for Python: not at all, once the pointer rests, or at once. */
type Urgency = "none" | "rest" | "now";

const DRAG_DEBOUNCE_MS = 100;
const ON_DOCUMENT: ReadonlySet<string> = new Set(GRAPH_REQUESTS);
const NO_LAYERS: LayerSpec[] = [];
const ANALYSIS_EVENTS = ["change:shapes", "change:problems", "change:block_params"] as const;

interface Analysis {
  shapes: Shapes;
  problems: Map<string, Problem>;
  blockParams: Record<string, number>;
}

export class GraphEditor {
  readonly store: Store<CanvasState>;
  private readonly sync: GraphSync;
  private readonly requests: Requests;
  private readonly history = new UndoStack<GraphDoc>();
  private readonly clipboard: Clipboard;
  private readonly send: Debounced<[]>;
  private analysis: Analysis;
  // The document's metadata and named blocks: carried as they are (blocks change in Python).
  private metadata: Record<string, string> | null = null;
  private blocks: Blocks | null = null;
  private blocksKey = "";
  private analysisQueued = false;
  /** A change waits for the answer to the edit in flight. */
  private heldBack = false;
  /** The selection as last sent to or received from Python, as JSON. */
  private selection = "[]";

  constructor(
    private readonly model: Model,
    readonly view: string = newViewId(),
  ) {
    this.requests = new Requests(model, view);
    this.clipboard = clipboardOf(model);
    this.analysis = this.readAnalysis();
    this.send = debounce(() => this.sendEdit(false), DRAG_DEBOUNCE_MS);
    const doc = model.get("graph");
    const { nodes, edges, laidOut } = this.fromDocument(doc);
    this.store = new Store<CanvasState>({
      nodes,
      edges,
      ...this.buildPalette(doc.blocks),
      replaced: 0,
      canUndo: false,
      canRedo: false,
      canPaste: this.clipboard.piece !== null,
    });
    // A document laid out here differs from Python's: it leaves once the view is attached.
    this.sync = new GraphSync(view, laidOut ? doc : this.snapshot(), model.get("graph_revision"), doc);
  }

  /** Starts listening to Python; returns the function that stops. */
  attach(): () => void {
    const { model } = this;
    model.on("change:graph_revision", this.onRevision);
    model.on("change:selection", this.onSelection);
    model.on("change:catalog", this.onCatalog);
    for (const event of ANALYSIS_EVENTS) model.on(event, this.onAnalysisChange);
    model.on("msg:custom", this.requests.receive);
    // Whatever arrived between the first render and now.
    this.onRevision();
    this.onAnalysis();
    this.onSelection();
    this.sendEdit(false);
    return () => {
      model.off("change:graph_revision", this.onRevision);
      model.off("change:selection", this.onSelection);
      model.off("change:catalog", this.onCatalog);
      for (const event of ANALYSIS_EVENTS) model.off(event, this.onAnalysisChange);
      model.off("msg:custom", this.requests.receive);
      this.send.flush();
      this.requests.close();
    };
  }

  /** The canvas as a graph document. */
  snapshot(): GraphDoc {
    const { nodes, edges } = this.store.get();
    return graphFromFlow(nodes, edges, this.metadata, this.blocks);
  }

  selectedNodes(): LayerNode[] {
    return this.store.get().nodes.filter((n) => n.selected);
  }

  /** Sends `request` behind the canvas's last change, so that Python works on what it shows. */
  readonly request = (request: Ask): Promise<Reply> => {
    this.send.cancel();
    this.sendEdit(true);
    const addressed = ON_DOCUMENT.has(request.type) ? { ...request, base: this.sync.revision } : request;
    return this.requests.send(addressed as Unaddressed);
  };

  // -- edits on the canvas -------------------------------------------------------------------

  readonly onNodesChange = (changes: NodeChange<LayerNode>[]): void => {
    const nodes = applyNodeChanges(changes, this.store.get().nodes);
    this.commit({ nodes }, structural(changes) ? "now" : "rest");
  };

  readonly onEdgesChange = (changes: EdgeChange<ShapeEdge>[]): void => {
    const edges = applyEdgeChanges(changes, this.store.get().edges);
    this.commit({ edges }, structural(changes) ? "now" : "rest");
  };

  readonly connect = (conn: Connection): void => {
    this.record();
    const edge = newEdge(conn.source, conn.target, portOf(conn.targetHandle));
    const edges = decorateEdges([...this.store.get().edges, edge], this.analysis.shapes);
    this.commit({ edges }, "now");
  };

  /** Adds a layer at `position`, or below the selected node and wired to it. */
  readonly addNode = (op: string, position?: Point): void => {
    const { nodes, edges, catalog } = this.store.get();
    const spec = catalog.get(op);
    if (!spec) return;
    this.record();
    const id = freshId(op, new Set(nodes.map((n) => n.id)));
    const anchor = nodes.find((n) => n.selected);
    const place = position ??
      (anchor
        ? { x: anchor.position.x, y: anchor.position.y + (anchor.measured?.height ?? 70) + 40 }
        : { x: 40, y: 40 + nodes.length * 20 });
    // Defaults stay implied: the document holds only what the learner set.
    const node: LayerNode = { id, type: "layer", position: place, selected: true, data: { op, params: {} } };
    const anchorSpec = anchor && catalog.get(anchor.data.op);
    const wire = !position && anchor && anchorSpec && anchorSpec.outputs > 0 && spec.inputs > 0;
    this.commit(
      {
        nodes: [...deselected(nodes), node],
        edges: wire ? [...edges, newEdge(anchor.id, id, 0)] : edges,
      },
      "now",
    );
  };

  readonly setParam = (nodeId: string, name: string, value: unknown): void => {
    this.record(`${nodeId}.${name}`);
    const { nodes, edges, catalog } = this.store.get();
    const next = nodes.map((n) =>
      n.id === nodeId ? { ...n, data: { ...n.data, params: withParam(n.data.params, name, value) } } : n,
    );
    // Fewer ports on a variadic op: edges into ports that no longer exist go.
    const node = next.find((n) => n.id === nodeId);
    const ports = node ? portCount(node.data.op, node.data.params, catalog) : Infinity;
    const kept = edges.filter((e) => e.target !== nodeId || portOf(e.targetHandle) < ports);
    this.commit({ nodes: next, edges: kept.length === edges.length ? edges : kept }, "now");
  };

  /** The node's name; the generated code names the layer after it. Empty text removes it. */
  readonly setLabel = (nodeId: string, text: string): void => {
    this.record(`${nodeId}.label`);
    const label = text.trim() ? text.slice(0, MAX_LABEL_LENGTH) : null;
    const nodes = this.store.get().nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, label } } : n));
    this.commit({ nodes }, "now");
  };

  /** Leaves the node out of training (true) or trains it again (false). */
  readonly setFrozen = (nodeId: string, frozen: boolean): void => {
    const node = this.store.get().nodes.find((n) => n.id === nodeId);
    if (!node || Boolean(node.data.frozen) === frozen) return;
    this.record();
    const nodes = this.store.get().nodes.map((n) => {
      if (n.id !== nodeId) return n;
      const data = { ...n.data };
      if (frozen) data.frozen = true;
      else delete data.frozen;
      return { ...n, data };
    });
    this.commit({ nodes }, "now");
  };

  readonly setPositions = (positions: Map<string, Point>): void => {
    this.record();
    const nodes = this.store.get().nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position }));
    this.commit({ nodes }, "now");
  };

  /** Lays the graph out top to bottom, with each node's measured size. */
  readonly layout = (): void => {
    const { nodes, edges } = this.store.get();
    const boxes = nodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height }));
    this.setPositions(autoLayout(boxes, edges));
  };

  readonly selectAll = (): void => {
    const nodes = this.store.get().nodes.map((n) => (n.selected ? n : { ...n, selected: true }));
    this.commit({ nodes }, "none");
  };

  readonly copy = (): void => {
    const ids = this.selectedIds();
    if (ids.size === 0) return;
    this.clipboard.piece = extract(this.snapshot(), ids);
    this.store.update({ canPaste: true });
  };

  readonly paste = (): void => this.pasteCopy(this.clipboard.piece);

  readonly duplicate = (): void => {
    const ids = this.selectedIds();
    if (ids.size) this.pasteCopy(extract(this.snapshot(), ids));
  };

  // -- undo, and the gestures that make one undo step --------------------------------------

  /** Remembers the canvas before an edit; edits with the same `key` in a row share a step. */
  readonly record = (key: string | null = null): void => {
    this.history.record(this.snapshot(), key);
    this.store.update({ canUndo: this.history.canUndo, canRedo: this.history.canRedo });
  };

  /** A drag or a delete starts: the whole gesture is one undo step. */
  readonly startGesture = (): void => this.record();

  /** A drag ends: the new positions leave without waiting. */
  readonly endGesture = (): void => this.send.flush();

  readonly undo = (): void => {
    const doc = this.history.undo(this.snapshot());
    if (doc) this.restore(doc);
  };

  readonly redo = (): void => {
    const doc = this.history.redo(this.snapshot());
    if (doc) this.restore(doc);
  };

  // -- what arrives from Python --------------------------------------------------------------

  private readonly onRevision = (): void => {
    // The analysis of this document came in the same message: a document drawn now gets it.
    this.analysis = this.readAnalysis();
    const doc = this.model.get("graph");
    if (this.sync.arrived(doc, this.model.get("graph_revision")) === "draw") this.load(doc);
    else if (this.heldBack && !this.sync.busy) this.sendEdit(false);
  };

  /** Shapes, problems and block sizes arrive in one message as three changes: drawn once. */
  private readonly onAnalysisChange = (): void => {
    if (this.analysisQueued) return;
    this.analysisQueued = true;
    queueMicrotask(() => {
      this.analysisQueued = false;
      this.onAnalysis();
    });
  };

  private readonly onAnalysis = (): void => {
    // Marks let benchmarks/bench_builder.py split a round trip into page and kernel time.
    performance.mark("dlstudio:answer-received");
    this.analysis = this.readAnalysis();
    const { nodes, edges } = this.store.get();
    this.store.update({ nodes: this.withAnalysis(nodes), edges: decorateEdges(edges, this.analysis.shapes) });
  };

  /** Python's selection (a block just grouped, a node picked from Python) goes on the canvas. */
  private readonly onSelection = (): void => {
    const ids = this.model.get("selection") ?? [];
    const json = JSON.stringify(ids);
    if (json === this.selection) return;
    this.selection = json;
    const wanted = new Set(ids);
    const nodes = this.store.get().nodes.map((n) =>
      Boolean(n.selected) === wanted.has(n.id) ? n : { ...n, selected: wanted.has(n.id) },
    );
    this.commit({ nodes }, "none");
  };

  private readonly onCatalog = (): void => {
    this.store.update(this.buildPalette(this.blocks ?? undefined));
  };

  // -- keeping the canvas and Python in step ---------------------------------------------------

  private commit(patch: Partial<CanvasState>, urgency: Urgency): void {
    this.store.update(patch);
    this.sendSelection();
    if (urgency === "none") return;
    this.send();
    if (urgency === "now") this.send.flush();
  }

  private sendEdit(force: boolean): void {
    // One edit in flight at a time: a change made meanwhile leaves with the answer, as one edit.
    if (this.sync.busy && !force) {
      this.heldBack = true;
      return;
    }
    this.heldBack = false;
    const edit = this.sync.edit(this.snapshot());
    if (!edit) return;
    performance.mark("dlstudio:graph-sent");
    this.model.send(edit);
  }

  private sendSelection(): void {
    const ids = [...this.selectedIds()];
    const json = JSON.stringify(ids);
    if (json === this.selection) return;
    this.selection = json;
    this.model.set("selection", ids);
    this.model.save_changes();
  }

  /** A document from Python goes on the canvas; unsent changes made on the old one are dropped. */
  private load(doc: GraphDoc): void {
    const before = this.store.get();
    const selected = new Set(before.nodes.filter((n) => n.selected).map((n) => n.id));
    const { nodes, edges, laidOut } = this.fromDocument(doc);
    for (const node of nodes) node.selected = selected.has(node.id);
    this.send.cancel();
    this.heldBack = false;
    const ids = new Set(before.nodes.map((n) => n.id));
    const sameNodes = nodes.length === ids.size && nodes.every((n) => ids.has(n.id));
    const patch = { nodes, edges, ...this.paletteFor(doc.blocks), replaced: before.replaced + (sameNodes ? 0 : 1) };
    if (!laidOut) this.sync.drawn(graphFromFlow(nodes, edges, this.metadata, this.blocks));
    // A document without positions (written by hand) is laid out here: Python hears where.
    this.commit(patch, laidOut ? "now" : "none");
  }

  /** Undo and redo: the document comes back with the selection as it is now. */
  private restore(doc: GraphDoc): void {
    const selected = this.selectedIds();
    const { nodes, edges } = this.fromDocument(doc);
    for (const node of nodes) node.selected = selected.has(node.id);
    this.store.update({ canUndo: this.history.canUndo, canRedo: this.history.canRedo });
    this.commit({ nodes, edges, ...this.paletteFor(doc.blocks) }, "now");
  }

  private pasteCopy(piece: GraphDoc | null): void {
    if (!piece || piece.nodes.length === 0) return;
    this.record();
    const { nodes, edges } = this.store.get();
    const copy = cloneWithFreshIds(piece, new Set(nodes.map((n) => n.id)), { x: 40, y: 40 });
    const flow = flowFromGraph({ version: 1, ...copy });
    for (const node of flow.nodes) node.selected = true;
    this.commit({ nodes: [...deselected(nodes), ...flow.nodes], edges: [...edges, ...flow.edges] }, "now");
  }

  /** React Flow's nodes and edges for `doc`, decorated; laid out when it has no positions. */
  private fromDocument(doc: GraphDoc): { nodes: LayerNode[]; edges: ShapeEdge[]; laidOut: boolean } {
    this.metadata = doc.metadata ?? null;
    this.blocks = doc.blocks ?? null;
    const flow = flowFromGraph(doc);
    const laidOut = doc.nodes.some((n) => !n.position);
    if (laidOut) {
      const positions = autoLayout(flow.nodes, flow.edges);
      for (const node of flow.nodes) node.position = positions.get(node.id) ?? node.position;
    }
    return {
      nodes: this.withAnalysis(flow.nodes),
      edges: decorateEdges(flow.edges, this.analysis.shapes),
      laidOut,
    };
  }

  /** The palette and catalog for a document's blocks, when they differ from the last ones. */
  private paletteFor(blocks: Blocks | undefined): Partial<CanvasState> {
    return JSON.stringify(blocks ?? null) === this.blocksKey ? {} : this.buildPalette(blocks);
  }

  private buildPalette(blocks: Blocks | undefined): Pick<CanvasState, "palette" | "catalog"> {
    this.blocksKey = JSON.stringify(blocks ?? null);
    const palette = withBlocks(this.model.get("catalog") ?? NO_LAYERS, blocks);
    return { palette, catalog: indexCatalog(palette) };
  }

  private readAnalysis(): Analysis {
    return {
      shapes: this.model.get("shapes") ?? {},
      problems: problemsByNode(this.model.get("problems") ?? []),
      blockParams: this.model.get("block_params") ?? {},
    };
  }

  private withAnalysis(nodes: LayerNode[]): LayerNode[] {
    const { shapes, problems, blockParams } = this.analysis;
    return decorateNodes(nodes, shapes, problems, blockParams);
  }

  private selectedIds(): Set<string> {
    return new Set(this.selectedNodes().map((n) => n.id));
  }
}

function structural(changes: { type: string }[]): boolean {
  return changes.some((c) => c.type === "remove" || c.type === "add");
}

function deselected(nodes: LayerNode[]): LayerNode[] {
  return nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
}

function newEdge(source: string, target: string, port: number): ShapeEdge {
  return {
    id: edgeId({ source, target, target_port: port }),
    type: "shape",
    source,
    sourceHandle: SOURCE_HANDLE,
    target,
    targetHandle: targetHandle(port),
    data: {},
  };
}
