/**
 * The ModelBuilder view: toolbar, palette, canvas, parameter panel, code panel and status
 * line. Python owns shapes, problems and code; this component only draws them.
 */
import { useModel, useModelState } from "@anywidget/react";
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { suggestBlockName, withBlocks } from "../core/blocks";
import { checkConnection } from "../core/connect";
import { indexCatalog } from "../core/graph";
import { autoLayout } from "../core/layout";
import { type BuilderTraits, type Fix, GRAPH_REQUESTS, type GraphDoc, type LayerSpec, type Problem, type Shapes } from "../protocol";
import { CodePanel } from "./CodePanel";
import { EditorContext } from "./context";
import { HealthProvider } from "./health";
import { GroupForm } from "./GroupForm";
import { HelpOverlay } from "./HelpOverlay";
import { LayerNode } from "./LayerNode";
import { DRAG_TYPE, Palette } from "./Palette";
import { ParamPanel } from "./ParamPanel";
import { useRequests } from "./requests";
import { ShapeEdge } from "./ShapeEdge";
import { Toolbar, type ToolbarActions } from "./Toolbar";
import { useGraphEditor } from "./useGraphEditor";
import { useShortcuts, useTheme } from "./useShortcuts";

// Declared once at module scope: a new object per render would remount every node.
const NODE_TYPES = { layer: LayerNode };
const EDGE_TYPES = { shape: ShapeEdge };
// Never zoom in past 100%: a lone Input node would otherwise fill the canvas.
const FIT = { padding: 0.15, maxZoom: 1 };
const NO_LAYERS: LayerSpec[] = [];
const NO_COUNTS: Record<string, number> = {};
const DELETE_KEYS = ["Delete", "Backspace"];
const MULTI_SELECT_KEYS = ["Control", "Meta"];
const NEEDS_GRAPH: ReadonlySet<string> = new Set(GRAPH_REQUESTS);

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Editor() {
  const model = useModel<BuilderTraits>();
  const [graph] = useModelState<GraphDoc>("graph");
  const [layers] = useModelState<LayerSpec[]>("catalog");
  const [templates] = useModelState<string[]>("templates");
  const [shapes] = useModelState<Shapes>("shapes");
  const [problems] = useModelState<Problem[]>("problems");
  const [code] = useModelState<string>("code");
  const [paramCount] = useModelState<number>("param_count");
  const [blockParams] = useModelState<Record<string, number>>("block_params");
  const [error] = useModelState<string>("error");
  const [selection, setSelection] = useModelState<string[]>("selection");
  // The document's named blocks join the catalog as layers; keyed by content, because each
  // document sent to Python is a new object even when its blocks did not change.
  const blocksKey = JSON.stringify(graph?.blocks ?? {});
  const palette = useMemo(
    () => withBlocks(layers ?? NO_LAYERS, graph?.blocks),
    [layers, blocksKey], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const catalog = useMemo(() => indexCatalog(palette), [palette]);
  const editor = useGraphEditor(model, catalog, shapes ?? {}, problems ?? [], blockParams ?? NO_COUNTS);
  const request = useRequests(model);
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [grouping, setGrouping] = useState(false);
  const refusal = useRef<string | null>(null);
  const { nodes, edges } = editor;

  const selected = useMemo(() => nodes.filter((n) => n.selected), [nodes]);
  const selectedIds = useMemo(() => selected.map((n) => n.id), [selected]);

  // Selection goes to Python (for b.selection) and comes back when Python sets it. The last
  // value either way is remembered, so our own echo never fights a newer local selection.
  // Starts empty (no node is selected yet), so a selection set in Python before display applies.
  const lastSelection = useRef("[]");
  useEffect(() => {
    const json = JSON.stringify(selectedIds);
    if (json === lastSelection.current) return;
    lastSelection.current = json;
    setSelection(selectedIds);
  }, [selectedIds]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    const json = JSON.stringify(selection ?? []);
    if (json === lastSelection.current) return;
    lastSelection.current = json;
    const wanted = new Set(selection ?? []);
    editor.setNodes((ns) =>
      ns.map((n) => (Boolean(n.selected) === wanted.has(n.id) ? n : { ...n, selected: wanted.has(n.id) })),
    );
  }, [selection]); // eslint-disable-line react-hooks/exhaustive-deps

  // A click elsewhere on the page takes the keyboard away from us: JupyterLab keeps focus
  // where it is when the click lands inside its notebook, so its own shortcuts ("b", "d d")
  // would otherwise keep arriving here, where they are suppressed.
  useEffect(() => {
    const onPointerDown = (e: PointerEvent) => {
      const root = wrapper.current;
      const active = document.activeElement as HTMLElement | null;
      if (root && active && root.contains(active) && !root.contains(e.target as Node)) active.blur();
    };
    document.addEventListener("pointerdown", onPointerDown, true);
    return () => document.removeEventListener("pointerdown", onPointerDown, true);
  }, []);

  useEffect(() => {
    if (editor.replacedCount > 0) requestAnimationFrame(() => void flow.fitView(FIT));
  }, [editor.replacedCount, flow]);

  // Fitting right after a layout would fit the old positions: React Flow's store takes the
  // new ones in its own effect, which runs before this one (children first).
  const fitPending = useRef(false);
  useEffect(() => {
    if (!fitPending.current) return;
    fitPending.current = false;
    requestAnimationFrame(() => void flow.fitView(FIT));
  }, [nodes, flow]);

  // Everything handed to React Flow or to the nodes stays the same function across renders:
  // a new one would update React Flow's store (and re-render every node) on each edit.
  const live = useRef({ editor, request, nodes, edges, catalog });
  live.current = { editor, request, nodes, edges, catalog };

  // A request that works on the graph brings the canvas along: it may overtake an edit that
  // ipywidgets still holds back (only one trait update is in flight at a time).
  const ask = useCallback(async (req: Parameters<typeof request>[0], undoable: boolean) => {
    if (undoable) live.current.editor.record();
    const withGraph = NEEDS_GRAPH.has(req.type) ? { ...req, ...live.current.editor.pageGraph() } : req;
    const reply = await live.current.request(withGraph);
    setNotice(reply.ok ? null : reply.error);
    return reply;
  }, []);

  const applyFix = useCallback((fix: Fix) => void ask({ type: "apply_fix", fix }, true), [ask]);
  const isTaken = useCallback((name: string) => live.current.catalog.has(name), []);
  const groupAs = useCallback(
    (name: string) => {
      const ids = live.current.nodes.filter((n) => n.selected).map((n) => n.id);
      setGrouping(false);
      void ask({ type: "group_block", ids, name }, true);
    },
    [ask],
  );
  const ungroup = useCallback(
    (nodeId: string) => {
      void ask({ type: "ungroup_block", node_id: nodeId }, true);
    },
    [ask],
  );
  const context = useMemo(() => ({ catalog, applyFix }), [catalog, applyFix]);

  const isValidConnection = useCallback((conn: Connection | Edge) => {
    const { nodes: ns, edges: es, catalog: cat } = live.current;
    const verdict = checkConnection(conn, new Map(ns.map((n) => [n.id, n])), es, cat);
    refusal.current = verdict.reason;
    return verdict.ok;
  }, []);
  const onConnectEnd = useCallback((_: unknown, state: { isValid: boolean | null; toHandle: unknown }) => {
    if (!state.isValid && state.toHandle && refusal.current) setNotice(refusal.current);
  }, []);
  const onBeforeDelete = useCallback(async () => {
    live.current.editor.record();
    live.current.editor.markUrgent();
    return true;
  }, []);
  const onDragStart = useCallback(() => live.current.editor.record(), []);
  const onDragStop = useCallback(() => live.current.editor.flushSend(), []);
  const onAdd = useCallback((op: string) => live.current.editor.addNode(op), []);

  const actions: ToolbarActions = {
    undo: editor.undo,
    redo: editor.redo,
    remove: () => void flow.deleteElements({ nodes: selected.map((n) => ({ id: n.id })) }),
    duplicate: editor.duplicate,
    group: () => setGrouping(selected.length > 0),
    copy: editor.copy,
    paste: editor.paste,
    layout: () => {
      const boxes = nodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height }));
      editor.setPositions(autoLayout(boxes, edges));
      fitPending.current = true; // once React Flow holds the new positions (effect below)
    },
    fit: () => void flow.fitView(FIT),
    help: () => setHelp((h) => !h),
    template: (name) => void ask({ type: "apply_template", name }, true),
    load: (text) => void ask({ type: "load_json", text }, true),
    save: () =>
      void ask({ type: "save_json" }, false).then((reply) => {
        const result = reply.result as { text: string; filename: string } | null;
        if (reply.ok && result) download(result.filename, result.text);
      }),
  };
  const onKeyDown = useShortcuts(actions, editor.selectAll, () => setHelp(false));
  const colorMode = useTheme();

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      const op = event.dataTransfer.getData(DRAG_TYPE);
      if (!op) return;
      event.preventDefault();
      editor.addNode(op, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [editor, flow],
  );

  const single = selected.length === 1 ? selected[0] : null;
  const graphProblems = (problems ?? []).filter((p) => !p.node_id);
  const problemCount = (problems ?? []).length;

  return (
    <EditorContext.Provider value={context}>
      <div
        ref={wrapper}
        className="dls-builder"
        data-testid="model-builder"
        tabIndex={-1}
        onKeyDownCapture={(e) => {
          // JupyterLab's own shortcuts (e.g. "d d" deletes the cell) must not fire in here.
          (e.target as HTMLElement).setAttribute?.("data-lm-suppress-shortcuts", "true");
        }}
        onKeyDown={onKeyDown}
        onPointerDown={(e) => {
          const tag = (e.target as HTMLElement).tagName;
          if (!["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag) && !wrapper.current?.contains(document.activeElement)) {
            wrapper.current?.focus({ preventScroll: true });
          }
        }}
      >
        <Toolbar
          actions={actions}
          canUndo={editor.canUndo}
          canRedo={editor.canRedo}
          hasSelection={selected.length > 0}
          canGroup={selected.length > 0}
          canPaste={editor.canPaste}
          templates={templates ?? []}
        />
        {grouping && selected.length > 0 && (
          <GroupForm
            count={selected.length}
            initial={suggestBlockName(isTaken)}
            taken={isTaken}
            onGroup={groupAs}
            onCancel={() => setGrouping(false)}
          />
        )}
        {error && (
          <div className="dls-banner" data-testid="builder-error">
            {error}
          </div>
        )}
        <div className="dls-body">
          <Palette layers={palette} onAdd={onAdd} />
          <div className="dls-canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="canvas">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              edgeTypes={EDGE_TYPES}
              onNodesChange={editor.onNodesChange}
              onEdgesChange={editor.onEdgesChange}
              onConnect={editor.connect}
              onConnectEnd={onConnectEnd}
              isValidConnection={isValidConnection}
              onBeforeDelete={onBeforeDelete}
              onNodeDragStart={onDragStart}
              onSelectionDragStart={onDragStart}
              onNodeDragStop={onDragStop}
              onSelectionDragStop={onDragStop}
              deleteKeyCode={DELETE_KEYS}
              multiSelectionKeyCode={MULTI_SELECT_KEYS}
              colorMode={colorMode}
              fitView
              fitViewOptions={FIT}
              minZoom={0.05}
            >
              <Background />
              <MiniMap pannable zoomable />
              <Controls />
            </ReactFlow>
            {help && <HelpOverlay onClose={() => setHelp(false)} />}
          </div>
          <div className="dls-side">
            <ParamPanel
              nodeId={single?.id ?? null}
              spec={single ? catalog.get(single.data.op) : undefined}
              params={single?.data.params ?? {}}
              label={single?.data.label ?? null}
              selectedCount={selected.length}
              onChange={editor.setParam}
              onLabel={editor.setLabel}
              onUngroup={ungroup}
            />
            <CodePanel code={code ?? ""} paramCount={paramCount ?? 0} />
          </div>
        </div>
        <div className="dls-status" data-testid="status">
          <span data-testid="param-count">{(paramCount ?? 0).toLocaleString("en-US")} parameters</span>
          <span data-testid="node-count">{nodes.length} layers</span>
          <span className={problemCount ? "dls-bad" : ""} data-testid="problem-count">
            {problemCount === 1 ? "1 problem" : `${problemCount} problems`}
          </span>
          {graphProblems.map((p) => (
            <span key={p.message} className="dls-bad" data-testid="graph-problem">
              {p.message}
            </span>
          ))}
          {notice && (
            <span className="dls-bad" data-testid="builder-notice">
              {notice}
            </span>
          )}
        </div>
      </div>
    </EditorContext.Provider>
  );
}

export function Builder() {
  return (
    <ReactFlowProvider>
      <HealthProvider>
        <Editor />
      </HealthProvider>
    </ReactFlowProvider>
  );
}
