/**
 * A node's small picture. The canvas registers with the picture board, which paints it on new
 * frames; memoised with a stable ref so React never touches it between frames.
 */
import { memo, useCallback } from "react";
import type { PictureBoard } from "./pictures";

export const NodeCanvas = memo(function NodeCanvas({ id, board }: { id: string; board: PictureBoard }) {
  const ref = useCallback((canvas: HTMLCanvasElement | null) => board.attach(id, canvas), [board, id]);
  return (
    <div className="pg-node-canvas" data-testid={`pg-node-${id}`}>
      <canvas ref={ref} />
    </div>
  );
});
