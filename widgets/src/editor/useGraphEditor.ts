/**
 * The editor's state: React Flow nodes and edges mirrored to Python's `graph` trait.
 * Local edits draw at once and are sent to Python (debounced for drags, immediately for
 * structural edits) with their revision; a document Python put in place itself (template,
 * fix, assignment) replaces them, and nothing older ever does (see core/sync.ts).
 */
import type { AnyModel } from "@anywidget/types";
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { cloneWithFreshIds, extract } from "../core/clipboard";
import { debounce } from "../core/debounce";
import {
  type Catalog,
  decorateEdges,
  decorateNodes,
  edgeId,
  flowFromGraph,
  freshId,
  graphFromFlow,
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
import { GraphSync } from "../core/sync";
import { UndoStack } from "../core/undo";
import type { BlockDoc, BuilderTraits, GraphDoc, PageGraph, Problem, Shapes } from "../protocol";

const DRAG_DEBOUNCE_MS = 100;
let clipboard: GraphDoc | null = null;

export function useGraphEditor(
  model: AnyModel<BuilderTraits>,
  catalog: Catalog,
  shapes: Shapes,
  problems: Problem[],
  blockParams: Record<string, number>,
) {
  const byNode = useMemo(() => problemsByNode(problems), [problems]);
  const graph = useMemo(() => model.get("graph"), [model]);
  const initial = useMemo(() => flowFromGraph(graph), [graph]);
  const [nodes, setNodes] = useState<LayerNode[]>(() => decorateNodes(initial.nodes, shapes, byNode, blockParams));
  const [edges, setEdges] = useState<ShapeEdge[]>(() => decorateEdges(initial.edges, shapes));
  const [, bump] = useState(0); // re-render when the undo stack changes
  const undo = useMemo(() => new UndoStack<GraphDoc>(), []);

  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  const meta = useRef(graph.metadata ?? null);
  // Named blocks are only defined or removed by Python (group/ungroup); the page carries them.
  const blocks = useRef<Record<string, BlockDoc> | null>(graph.blocks ?? null);
  const sync = useMemo(
    () => new GraphSync(graphFromFlow(initial.nodes, initial.edges, meta.current, blocks.current), model.get("graph_revision")),
    [], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const urgent = useRef(false);
  const shapesRef = useRef(shapes);
  const byNodeRef = useRef(byNode);
  const blockParamsRef = useRef(blockParams);
  shapesRef.current = shapes;
  byNodeRef.current = byNode;
  blockParamsRef.current = blockParams;
  const replaced = useRef(0);

  const snapshot = useCallback(
    () => graphFromFlow(nodesRef.current, edgesRef.current, meta.current, blocks.current),
    [],
  );

  const send = useMemo(
    () =>
      debounce(() => {
        const doc = graphFromFlow(nodesRef.current, edgesRef.current, meta.current, blocks.current);
        const revision = sync.outgoing(doc, model.get("graph_revision"));
        if (!revision) return;
        // Marks let benchmarks/bench_builder.py split a round trip into page and kernel time.
        performance.mark("dlstudio:graph-sent");
        // The revision first: a view that hears of the new graph reads it beside the graph.
        model.set("graph_revision", revision);
        model.set("graph", doc);
        model.save_changes();
      }, DRAG_DEBOUNCE_MS),
    [model, sync],
  );

  // Every local change goes out; structural ones (marked urgent) without waiting. A layout
  // effect runs before the browser paints, so an edit leaves in the same task, not a frame later.
  useLayoutEffect(() => {
    send();
    if (urgent.current) {
      urgent.current = false;
      send.flush();
    }
  }, [nodes, edges, send]);
  useEffect(() => () => send.flush(), [send]);

  const load = useCallback(
    (doc: GraphDoc) => {
      meta.current = doc.metadata ?? null;
      blocks.current = doc.blocks ?? null;
      const flow = flowFromGraph(doc);
      if (doc.nodes.some((n) => !n.position)) {
        // A document written by hand (no positions): lay it out, and tell Python where.
        const laid = autoLayout(flow.nodes, flow.edges);
        for (const node of flow.nodes) node.position = laid.get(node.id) ?? node.position;
        urgent.current = true;
      } else {
        sync.drawn(graphFromFlow(flow.nodes, flow.edges, meta.current, blocks.current));
      }
      send.cancel();
      setNodes(decorateNodes(flow.nodes, shapesRef.current, byNodeRef.current, blockParamsRef.current));
      setEdges(decorateEdges(flow.edges, shapesRef.current));
    },
    [send, sync],
  );

  // The model's graph is read the moment it changes, beside its revision: read later (after a
  // render), it could be paired with a newer revision, and an older document would look new.
  useEffect(() => {
    const arrived = () => {
      const doc = model.get("graph");
      if (sync.arrived(doc, model.get("graph_revision")) !== "draw") return;
      const before = new Set(nodesRef.current.map((n) => n.id));
      load(doc);
      if (doc.nodes.some((n) => !before.has(n.id)) || doc.nodes.length !== before.size) {
        replaced.current += 1;
      }
    };
    arrived(); // anything that came between the first render and now
    model.on("change:graph", arrived);
    return () => model.off("change:graph", arrived);
  }, [model, sync, load]);

  // Python's answer is drawn in the same frame it arrives in.
  useLayoutEffect(() => {
    performance.mark("dlstudio:answer-received");
    setNodes((ns) => decorateNodes(ns, shapes, byNode, blockParams));
    setEdges((es) => decorateEdges(es, shapes));
  }, [shapes, byNode, blockParams]);

  const record = useCallback(
    (key: string | null = null) => {
      undo.record(snapshot(), key);
      bump((n) => n + 1);
    },
    [undo, snapshot],
  );

  const restore = useCallback(
    (doc: GraphDoc) => {
      meta.current = doc.metadata ?? null;
      blocks.current = doc.blocks ?? null;
      const flow = flowFromGraph(doc);
      const selected = new Set(nodesRef.current.filter((n) => n.selected).map((n) => n.id));
      for (const node of flow.nodes) node.selected = selected.has(node.id);
      urgent.current = true;
      setNodes(decorateNodes(flow.nodes, shapesRef.current, byNodeRef.current, blockParamsRef.current));
      setEdges(decorateEdges(flow.edges, shapesRef.current));
      bump((n) => n + 1);
    },
    [],
  );

  const onNodesChange = useCallback((changes: NodeChange<LayerNode>[]) => {
    if (changes.some((c) => c.type === "remove" || c.type === "add")) urgent.current = true;
    setNodes((ns) => applyNodeChanges(changes, ns));
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<ShapeEdge>[]) => {
    if (changes.some((c) => c.type === "remove" || c.type === "add")) urgent.current = true;
    setEdges((es) => applyEdgeChanges(changes, es));
  }, []);

  const connect = useCallback(
    (conn: Connection) => {
      record();
      urgent.current = true;
      const port = portOf(conn.targetHandle);
      const edge: ShapeEdge = {
        id: edgeId({ source: conn.source, target: conn.target, target_port: port }),
        type: "shape",
        source: conn.source,
        sourceHandle: SOURCE_HANDLE,
        target: conn.target,
        targetHandle: targetHandle(port),
        data: {},
      };
      setEdges((es) => decorateEdges([...es, edge], shapesRef.current));
    },
    [record],
  );

  /** Adds a layer at `position`, or below the selected node and wired to it. */
  const addNode = useCallback(
    (op: string, position?: { x: number; y: number }) => {
      const spec = catalog.get(op);
      if (!spec) return;
      record();
      urgent.current = true;
      const current = nodesRef.current;
      const id = freshId(op, new Set(current.map((n) => n.id)));
      const anchor = current.find((n) => n.selected);
      const place = position ??
        (anchor
          ? { x: anchor.position.x, y: anchor.position.y + (anchor.measured?.height ?? 70) + 40 }
          : { x: 40, y: 40 + current.length * 20 });
      const node: LayerNode = {
        id,
        type: "layer",
        position: place,
        selected: true,
        // Defaults stay implied: the document holds only what the learner set.
        data: { op, params: {} },
      };
      setNodes([...current.map((n) => (n.selected ? { ...n, selected: false } : n)), node]);
      const anchorSpec = anchor && catalog.get(anchor.data.op);
      if (!position && anchor && anchorSpec && anchorSpec.outputs > 0 && spec.inputs > 0) {
        const edge: ShapeEdge = {
          id: edgeId({ source: anchor.id, target: id, target_port: 0 }),
          type: "shape",
          source: anchor.id,
          sourceHandle: SOURCE_HANDLE,
          target: id,
          targetHandle: targetHandle(0),
          data: {},
        };
        setEdges((es) => [...es, edge]);
      }
    },
    [catalog, record],
  );

  const setParam = useCallback(
    (nodeId: string, name: string, value: unknown) => {
      record(`${nodeId}.${name}`);
      urgent.current = true;
      const next = nodesRef.current.map((n) =>
        n.id === nodeId ? { ...n, data: { ...n.data, params: withParam(n.data.params, name, value) } } : n,
      );
      setNodes(next);
      // Fewer ports on a variadic op: edges into ports that no longer exist go.
      const node = next.find((n) => n.id === nodeId);
      if (node) {
        const ports = portCount(node.data.op, node.data.params, catalog);
        setEdges((es) => {
          const kept = es.filter((e) => e.target !== nodeId || portOf(e.targetHandle) < ports);
          // The same array when nothing went, so React Flow has no edge update to process.
          return kept.length === es.length ? es : kept;
        });
      }
    },
    [catalog, record],
  );

  /** The node's name; the generated code names the layer after it. Empty text removes it. */
  const setLabel = useCallback(
    (nodeId: string, text: string) => {
      record(`${nodeId}.label`);
      urgent.current = true;
      const label = text.trim() ? text.slice(0, MAX_LABEL_LENGTH) : null;
      setNodes(nodesRef.current.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, label } } : n)));
    },
    [record],
  );

  const selectedIds = useCallback(() => new Set(nodesRef.current.filter((n) => n.selected).map((n) => n.id)), []);

  const paste = useCallback(
    (piece: GraphDoc | null) => {
      if (!piece || piece.nodes.length === 0) return;
      record();
      urgent.current = true;
      const taken = new Set(nodesRef.current.map((n) => n.id));
      const copy = cloneWithFreshIds(piece, taken, { x: 40, y: 40 });
      const flow = flowFromGraph({ version: 1, ...copy });
      for (const node of flow.nodes) node.selected = true;
      setNodes([...nodesRef.current.map((n) => (n.selected ? { ...n, selected: false } : n)), ...flow.nodes]);
      setEdges([...edgesRef.current, ...flow.edges]);
    },
    [record],
  );

  const copy = useCallback(() => {
    const ids = selectedIds();
    if (ids.size) clipboard = extract(snapshot(), ids);
    bump((n) => n + 1);
  }, [selectedIds, snapshot]);

  const duplicate = useCallback(() => {
    const ids = selectedIds();
    if (ids.size) paste(extract(snapshot(), ids));
  }, [paste, selectedIds, snapshot]);

  const selectAll = useCallback(() => {
    setNodes((ns) => ns.map((n) => (n.selected ? n : { ...n, selected: true })));
  }, []);

  const setPositions = useCallback(
    (positions: Map<string, { x: number; y: number }>) => {
      record();
      urgent.current = true;
      setNodes((ns) => ns.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })));
    },
    [record],
  );

  return {
    nodes,
    edges,
    setNodes,
    onNodesChange,
    onEdgesChange,
    connect,
    addNode,
    setParam,
    setLabel,
    copy,
    duplicate,
    paste: () => paste(clipboard),
    canPaste: clipboard !== null,
    selectAll,
    setPositions,
    record,
    flushSend: () => send.flush(),
    /** The canvas as Python should see it, for a request that works on the graph. */
    pageGraph: (): PageGraph => {
      send.flush();
      return { graph: snapshot(), revision: sync.current() };
    },
    undo: () => {
      const doc = undo.undo(snapshot());
      if (doc) restore(doc);
    },
    redo: () => {
      const doc = undo.redo(snapshot());
      if (doc) restore(doc);
    },
    canUndo: undo.canUndo,
    canRedo: undo.canRedo,
    replacedCount: replaced.current,
    markUrgent: () => {
      urgent.current = true;
    },
  };
}

export type GraphEditor = ReturnType<typeof useGraphEditor>;
