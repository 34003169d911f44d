/**
 * The layer palette, grouped by category, with a search box; drag an item onto the canvas,
 * or double-click it to add it after the selected node. The document's named blocks come last,
 * under "Blocks", so a block can be used again.
 */
import { memo, useMemo, useState } from "react";
import { BLOCK_CATEGORY } from "../core/blocks";
import type { LayerSpec } from "../protocol";

export const DRAG_TYPE = "application/x-dlstudio-layer";

const CATEGORY_ORDER = [
  "core",
  "convolution",
  "pooling",
  "normalisation",
  "activation",
  "recurrent",
  "attention",
  "merge",
  "reshape",
  BLOCK_CATEGORY,
];

function rank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i === -1 ? CATEGORY_ORDER.length : i;
}

interface Props {
  layers: LayerSpec[];
  onAdd: (op: string) => void;
}

function PaletteView({ layers, onAdd }: Props) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const byCategory = new Map<string, LayerSpec[]>();
    for (const layer of layers) {
      const hit = !q || layer.name.toLowerCase().includes(q) || layer.doc.toLowerCase().includes(q);
      if (!hit) continue;
      const list = byCategory.get(layer.category) ?? [];
      list.push(layer);
      byCategory.set(layer.category, list);
    }
    return [...byCategory.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
  }, [layers, query]);

  return (
    <div className="dls-palette" data-testid="palette">
      <input
        type="search"
        placeholder="Search layers"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      {groups.map(([category, list]) => (
        <div key={category} data-testid={`palette-group-${category}`}>
          <h4>{category}</h4>
          {list.map((layer) => (
            <div
              key={layer.name}
              className="dls-palette-item"
              draggable
              title={layer.doc}
              data-testid={`palette-item-${layer.name}`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, layer.name);
                e.dataTransfer.effectAllowed = "copy";
              }}
              onDoubleClick={() => onAdd(layer.name)}
            >
              {layer.name}
            </div>
          ))}
        </div>
      ))}
      {groups.length === 0 && <div>No layer matches "{query}".</div>}
    </div>
  );
}

export const Palette = memo(PaletteView);
