/** An edge labelled with the shape of the tensor it carries. */
import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo } from "react";
import type { ShapeEdge as ShapeEdgeType } from "../core/graph";

function ShapeEdgeView(props: EdgeProps<ShapeEdgeType>) {
  const [path, labelX, labelY] = getBezierPath(props);
  const shape = props.data?.shape;
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={props.style} />
      {shape && (
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
