/**
 * The layer palette, grouped by category, with a search box; drag an item onto the canvas,
 * or double-click it to add it after the selected node. Categories come in Python's order
 * (`layers.CATEGORIES`, sent with the catalog), then any others (custom layers), then the
 * document's named blocks under "Blocks", so a block can be used again.
 */
import { memo, useMemo, useState } from "react";
import { BLOCK_CATEGORY } from "../core/blocks";
import type { LayerSpec } from "../protocol";

export const DRAG_TYPE = "application/x-dlstudio-layer";

/** `groups` sorted by `order`; categories it does not name keep their turn after it. */
export function orderCategories<T>(groups: [string, T][], order: readonly string[]): [string, T][] {
  const rank = (category: string) => {
    if (category === BLOCK_CATEGORY) return order.length + 1;
    const i = order.indexOf(category);
    return i === -1 ? order.length : i;
  };
  return [...groups].sort((a, b) => rank(a[0]) - rank(b[0]));
}

interface Props {
  layers: LayerSpec[];
  /** The category order from Python. */
  categories: readonly string[];
  onAdd: (op: string) => void;
}

function PaletteView({ layers, categories, onAdd }: Props) {
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
    return orderCategories([...byCategory.entries()], categories);
  }, [layers, categories, query]);

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
