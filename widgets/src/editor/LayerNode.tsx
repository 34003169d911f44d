/**
 * A layer on the canvas: its op, key params, output shape and (when Python reports one)
 * its problem with a one-click fix. Declared once at module scope and memo'd.
 */
import { Handle, type NodeProps, Position, useUpdateNodeInternals } from "@xyflow/react";
import { memo, useEffect, useRef } from "react";
import { isBlock } from "../core/blocks";
import { type LayerNode as LayerNodeType, portCount, SOURCE_HANDLE, targetHandle } from "../core/graph";
import { keyParamsText } from "../core/params";
import { useEditorContext } from "./context";
import { useNodeHealth } from "./health";

function LayerNodeView({ id, data }: NodeProps<LayerNodeType>) {
  const { catalog, applyFix } = useEditorContext();
  const spec = catalog.get(data.op);
  const ports = portCount(data.op, data.params, catalog);
  // React Flow caches handle positions: tell it when an Add or Concat gains or loses a port.
  // Not on mount: React Flow measures a new node itself, and one update per node (each
  // re-laying out the whole flow) made the first render of a large graph quadratic.
  const updateNodeInternals = useUpdateNodeInternals();
  const drawnPorts = useRef(ports);
  useEffect(() => {
    if (drawnPorts.current === ports) return;
    drawnPorts.current = ports;
    updateNodeInternals(id);
  }, [id, ports, updateNodeInternals]);
  const problem = data.problem;
  const health = useNodeHealth(id);
  const keys = keyParamsText(spec, data.params);
  const block = isBlock(spec);
  const frozen = Boolean(data.frozen);
  const className = ["dls-node", block && "block", frozen && "frozen", problem && "error"].filter(Boolean).join(" ");
  return (
    <div
      className={className}
      data-testid={`node-${id}`}
      data-block={block ? data.op : undefined}
      data-frozen={frozen ? "true" : undefined}
      title={spec?.doc}
    >
      {Array.from({ length: ports }, (_, i) => (
        <Handle
          key={i}
          type="target"
          position={Position.Top}
          id={targetHandle(i)}
          style={{ left: `${((i + 1) / (ports + 1)) * 100}%` }}
          data-testid={`handle-${id}-in${i}`}
        />
      ))}
      <div className="dls-node-head">
        <span>
          {data.op}
          {frozen && (
            <span className="dls-frozen-mark" data-testid={`node-frozen-${id}`} title="Frozen: not trained">
              ❄
            </span>
          )}
        </span>
        <span className="dls-node-id">
          {health && (
            <span
              className={`dls-health dls-health-${health.state}`}
              data-testid={`health-${id}`}
              data-state={health.state}
              title={health.title}
            />
          )}
          {data.label || id}
        </span>
      </div>
      {keys && <div className="dls-node-params">{keys}</div>}
      {block && (
        <div className="dls-node-block" data-testid={`node-block-${id}`}>
          block · {ports} input{ports === 1 ? "" : "s"} · {(data.weights ?? 0).toLocaleString("en-US")} params
        </div>
      )}
      <div className="dls-node-shape" data-testid={`node-shape-${id}`}>
        {data.shape ?? "…"}
      </div>
      {problem && (
        <div className="dls-node-error" data-testid={`node-error-${id}`}>
          <div>{problem.message}</div>
          {problem.hint && <div className="dls-node-hint">{problem.hint}</div>}
          {problem.fix && (
            <button
              type="button"
              className="nodrag"
              data-testid={`node-fix-${id}`}
              onClick={() => problem.fix && applyFix(problem.fix)}
            >
              Fix it
            </button>
          )}
        </div>
      )}
      {(spec?.outputs ?? 1) > 0 && (
        <Handle type="source" position={Position.Bottom} id={SOURCE_HANDLE} data-testid={`handle-${id}-out`} />
      )}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
