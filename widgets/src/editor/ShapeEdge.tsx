/** An edge labelled with the shape of the tensor it carries. */
import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getBezierPath, type ReactFlowState } from "@xyflow/react";
import { createContext, memo, useContext } from "react";
import type { ShapeEdge as ShapeEdgeType } from "../core/graph";

/**
 * Below this zoom a 10px label is under 5px tall: unreadable. Each label is a positioned box
 * of its own, and a zoomed-out view of a 1,000-node graph spent about half of every frame
 * laying out and compositing the 1,000 labels; the node shows the same shape anyway.
 */
export const LABEL_MIN_ZOOM = 0.5;

/**
 * Read once by the editor (a boolean: it changes only when the zoom crosses the threshold).
 * Not while a fit is pending either: the first frames of a large graph are drawn at 100%,
 * and would lay out every label only to drop them once the view fits the graph.
 */
export const labelsReadable = (s: ReactFlowState) => !s.fitViewQueued && s.transform[2] >= LABEL_MIN_ZOOM;

/** Whether edges draw their labels. A context, not a store subscription in each edge: React
 * Flow runs every subscriber's selector on each change of its store, several times an edit. */
export const EdgeLabelsContext = createContext(true);

function ShapeEdgeView(props: EdgeProps<ShapeEdgeType>) {
  const [path, labelX, labelY] = getBezierPath(props);
  const readable = useContext(EdgeLabelsContext);
  const shape = props.data?.shape;
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={props.style} />
      {shape && readable && (
        <EdgeLabelRenderer>
          <div
            className="dls-edge-label"
            data-testid={`edge-shape-${props.source}-${props.target}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {shape}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const ShapeEdge = memo(ShapeEdgeView);
