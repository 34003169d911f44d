/**
 * The ModelBuilder view: toolbar, palette, canvas, parameter panel, code panel and status
 * line. Python owns the document, its shapes, problems and code; this component draws them,
 * and its GraphEditor (graphEditor.ts) sends the learner's edits.
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
  useStore as useFlowStore,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { suggestBlockName } from "../core/blocks";
import { checkConnection } from "../core/connect";
import type { BuilderTraits, Fix, Problem } from "../protocol";
import { CodePanel } from "./CodePanel";
import { EditorContext } from "./context";
import type { Ask } from "./graphEditor";
import { GroupForm } from "./GroupForm";
import { HealthProvider } from "./health";
import { HelpOverlay } from "./HelpOverlay";
import { LayerNode } from "./LayerNode";
import { DRAG_TYPE, Palette } from "./Palette";
import { ParamPanel } from "./ParamPanel";
import { EdgeLabelsContext, labelsReadable, ShapeEdge } from "./ShapeEdge";
import { Toolbar, type ToolbarActions } from "./Toolbar";
import { useGraphEditor } from "./useGraphEditor";
import { useShortcuts, useTheme } from "./useShortcuts";

// Declared once at module scope: a new object per render would remount every node, or give
// a memo'd child a new prop each time.
const NODE_TYPES = { layer: LayerNode };
const EDGE_TYPES = { shape: ShapeEdge };
// Never zoom in past 100%: a lone Input node would otherwise fill the canvas.
const FIT = { padding: 0.15, maxZoom: 1 };
const DELETE_KEYS = ["Delete", "Backspace"];
const MULTI_SELECT_KEYS = ["Control", "Meta"];
const NONE: string[] = [];
const NO_PROBLEMS: Problem[] = [];
const NO_PARAMS: Record<string, unknown> = {};
const TYPING_TAGS = ["INPUT", "SELECT", "TEXTAREA", "BUTTON"];
/** An attribute on an element around the builder: JupyterLab's shortcuts work inside it. */
export const HOST_SHORTCUTS = "data-dls-host-shortcuts";

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
  const { editor, canvas } = useGraphEditor(model);
  const { nodes, edges, palette, catalog, replaced } = canvas;
  const [templates] = useModelState<string[]>("templates");
  const [categories] = useModelState<string[]>("categories");
  const [problems] = useModelState<Problem[]>("problems");
  const [code] = useModelState<string>("code");
  const [codeKeras] = useModelState<string>("code_keras");
  const [codeFlax] = useModelState<string>("code_flax");
  const codes = useMemo(
    () => ({ pytorch: code ?? "", keras: codeKeras ?? "", flax: codeFlax ?? "" }),
    [code, codeKeras, codeFlax],
  );
  const [paramCount] = useModelState<number>("param_count");
  const [error] = useModelState<string>("error");
  const flow = useReactFlow();
  const edgeLabels = useFlowStore(labelsReadable);
  const wrapper = useRef<HTMLDivElement>(null);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [grouping, setGrouping] = useState(false);
  // Why the connection being dragged is refused: set while dragging, shown when it ends.
  const refusal = useRef<string | null>(null);
  // Fit the view once React Flow holds the positions a layout gave (see the effect below).
  const fitPending = useRef(false);

  const selected = useMemo(() => nodes.filter((n) => n.selected), [nodes]);

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
    if (replaced > 0) requestAnimationFrame(() => void flow.fitView(FIT));
  }, [replaced, flow]);

  // Fitting right after a layout would fit the old positions: React Flow's store takes the
  // new ones in its own effect, which runs before this one (children first).
  useEffect(() => {
    if (!fitPending.current) return;
    fitPending.current = false;
    requestAnimationFrame(() => void flow.fitView(FIT));
  }, [nodes, flow]);

  const ask = useCallback(
    async (request: Ask, undoable: boolean) => {
      if (undoable) editor.record();
      const reply = await editor.request(request);
      setNotice(reply.ok ? null : reply.error);
      return reply;
    },
    [editor],
  );

  const applyFix = useCallback((fix: Fix) => void ask({ type: "apply_fix", fix }, true), [ask]);
  const isTaken = useCallback((name: string) => catalog.has(name), [catalog]);
  const groupAs = useCallback(
    (name: string) => {
      const ids = editor.selectedNodes().map((n) => n.id);
      setGrouping(false);
      void ask({ type: "group_block", ids, name }, true);
    },
    [ask, editor],
  );
  const ungroup = useCallback((nodeId: string) => void ask({ type: "ungroup_block", node_id: nodeId }, true), [ask]);
  const closeGroup = useCallback(() => setGrouping(false), []);
  const closeHelp = useCallback(() => setHelp(false), []);
  const context = useMemo(() => ({ catalog, applyFix }), [catalog, applyFix]);

  // Handed to React Flow: each stays the same function across renders, or React Flow would
  // update its store (and re-render every node) on each edit.
  const isValidConnection = useCallback(
    (conn: Connection | Edge) => {
      const { nodes: ns, edges: es, catalog: cat } = editor.store.get();
      const verdict = checkConnection(conn, new Map(ns.map((n) => [n.id, n])), es, cat);
      refusal.current = verdict.reason;
      return verdict.ok;
    },
    [editor],
  );
  const onConnectEnd = useCallback((_: unknown, state: { isValid: boolean | null; toHandle: unknown }) => {
    if (!state.isValid && state.toHandle && refusal.current) setNotice(refusal.current);
  }, []);
  const onBeforeDelete = useCallback(async () => {
    editor.startGesture();
    return true;
  }, [editor]);

  const actions = useMemo<ToolbarActions>(
    () => ({
      undo: editor.undo,
      redo: editor.redo,
      remove: () => void flow.deleteElements({ nodes: editor.selectedNodes().map((n) => ({ id: n.id })) }),
      duplicate: editor.duplicate,
      group: () => setGrouping(editor.selectedNodes().length > 0),
      copy: editor.copy,
      paste: editor.paste,
      layout: () => {
        editor.layout();
        fitPending.current = true; // once React Flow holds the new positions
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
    }),
    [editor, flow, ask],
  );
  const onKeyDown = useShortcuts(actions, editor.selectAll, closeHelp);
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
  const allProblems = problems ?? NO_PROBLEMS;
  const graphProblems = useMemo(() => allProblems.filter((p) => !p.node_id), [allProblems]);

  return (
    <EditorContext.Provider value={context}>
      <div
        ref={wrapper}
        className="dls-builder"
        data-testid="model-builder"
        tabIndex={-1}
        onKeyDownCapture={(e) => {
          // JupyterLab's own shortcuts (e.g. "d d" deletes the cell) must not fire in here,
          // unless the host keeps them (a graph document's tab: Ctrl+S saves it).
          if (e.currentTarget.closest(`[${HOST_SHORTCUTS}]`)) return;
          (e.target as HTMLElement).setAttribute?.("data-lm-suppress-shortcuts", "true");
        }}
        onKeyDown={onKeyDown}
        onPointerDown={(e) => {
          const tag = (e.target as HTMLElement).tagName;
          if (!TYPING_TAGS.includes(tag) && !wrapper.current?.contains(document.activeElement)) {
            wrapper.current?.focus({ preventScroll: true });
          }
        }}
      >
        <Toolbar
          actions={actions}
          canUndo={canvas.canUndo}
          canRedo={canvas.canRedo}
          hasSelection={selected.length > 0}
          canGroup={selected.length > 0}
          canPaste={canvas.canPaste}
          templates={templates ?? NONE}
        />
        {grouping && selected.length > 0 && (
          <GroupForm
            count={selected.length}
            initial={suggestBlockName(isTaken)}
            taken={isTaken}
            onGroup={groupAs}
            onCancel={closeGroup}
          />
        )}
        {error && (
          <div className="dls-banner" data-testid="builder-error">
            {error}
          </div>
        )}
        <div className="dls-body">
          <Palette layers={palette} categories={categories ?? NONE} onAdd={editor.addNode} />
          <div className="dls-canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="canvas">
            <EdgeLabelsContext.Provider value={edgeLabels}>
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
                onNodeDragStart={editor.startGesture}
                onSelectionDragStart={editor.startGesture}
                onNodeDragStop={editor.endGesture}
                onSelectionDragStop={editor.endGesture}
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
            </EdgeLabelsContext.Provider>
            {help && <HelpOverlay onClose={closeHelp} />}
          </div>
          <div className="dls-side">
            <ParamPanel
              nodeId={single?.id ?? null}
              spec={single ? catalog.get(single.data.op) : undefined}
              params={single?.data.params ?? NO_PARAMS}
              label={single?.data.label ?? null}
              frozen={Boolean(single?.data.frozen)}
              selectedCount={selected.length}
              onChange={editor.setParam}
              onLabel={editor.setLabel}
              onFrozen={editor.setFrozen}
              onUngroup={ungroup}
            />
            <CodePanel codes={codes} />
          </div>
        </div>
        <div className="dls-status" data-testid="status">
          <span data-testid="param-count">{(paramCount ?? 0).toLocaleString("en-US")} parameters</span>
          <span data-testid="node-count">{nodes.length} layers</span>
          <span className={allProblems.length ? "dls-bad" : ""} data-testid="problem-count">
            {allProblems.length === 1 ? "1 problem" : `${allProblems.length} problems`}
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
