/**
 * The network: the features (click to switch one on or off), the hidden layers with their
 * "+"/"−" buttons, the output node, and the links between them (width and colour by weight,
 * dashed when L1 killed them). Hovering a node shows its picture big; hovering a link or a
 * bias square shows its value, and a click edits it.
 */
import { memo, useCallback, useContext, useEffect, useMemo, useRef, useState, type MouseEvent } from "react";
import type { PlaygroundNamed, PlaygroundNetwork } from "../protocol";
import { type CardState, EditCard, type EditTarget } from "./EditCard";
import { HiddenContext, Hidable } from "./controls";
import { cssColour } from "./heatmap";
import { COLUMN_PITCH, type LinkPath, NODE_SIZE, type NodeBox, layoutNetwork, linkWidth } from "./layout";
import { NodeCanvas } from "./NodeCanvas";
import type { PictureBoard } from "./pictures";
import type { Senders } from "./requests";

// Room for the feature labels, left of the first column.
const LABEL_WIDTH = 64;
// The card stays up this long after the pointer leaves, so the pointer can reach it.
const CARD_GRACE_MS = 250;
// The card shows beside the pointer, never under it (it would steal the link's hover).
const CARD_OFFSET = 14;

interface NetworkProps {
  features: PlaygroundNamed[];
  network: PlaygroundNetwork;
  maxLayers: number;
  maxNeurons: number;
  board: PictureBoard;
  send: Senders;
}

export function Network({ features, network, maxLayers, maxNeurons, board, send }: NetworkProps) {
  const names = useMemo(() => features.map((f) => f.name), [features]);
  const hidden = useContext(HiddenContext);
  const layout = useMemo(() => layoutNetwork(names, network), [names, network]);
  // A hidden feature takes its links with it (its place in the column stays empty).
  const links = useMemo(
    () => layout.links.filter((l) => l.layer !== 1 || !hidden.has(network.inputs[l.from])),
    [layout, hidden, network.inputs],
  );
  const { card, show, hideSoon, keep, edit, close } = useCard();
  const labels = useMemo(() => new Map(features.map((f) => [f.name, f.label])), [features]);

  const focus = send.focus;
  const enterNode = useCallback((id: string) => focus(id), [focus]);
  const leaveNode = useCallback(() => focus("output"), [focus]);

  const submit = (value: number) => {
    if (!card) return;
    const t = card.target;
    if (t.kind === "weight") send.setWeight(t.layer, t.to, t.from, value);
    else send.setBias(t.layer, t.node, value);
    close();
  };

  const hiddenLayers = network.shape.length;
  return (
    <section className="pg-column pg-network">
      <Hidable name="numHiddenLayers" className="pg-layers-bar">
        <button
          type="button"
          className="pg-round pg-small"
          data-testid="pg-add-layer"
          disabled={hiddenLayers >= maxLayers}
          onClick={send.addLayer}
          title="Add a hidden layer"
        >
          +
        </button>
        <button
          type="button"
          className="pg-round pg-small"
          data-testid="pg-remove-layer"
          disabled={hiddenLayers <= 0}
          onClick={send.removeLayer}
          title="Remove the last hidden layer"
        >
          −
        </button>
        <span className="pg-layers-count">
          {hiddenLayers} hidden layer{hiddenLayers === 1 ? "" : "s"}
        </span>
      </Hidable>
      <div className="pg-net-scroll">
        <div className="pg-layer-heads" style={{ marginLeft: LABEL_WIDTH, width: layout.width }}>
          <span className="pg-head" style={{ left: 0 }}>
            Features
          </span>
          {network.shape.map((size, i) => (
            <LayerHead key={i} layer={i + 1} size={size} maxNeurons={maxNeurons} send={send} />
          ))}
          <span className="pg-head" style={{ left: (hiddenLayers + 1) * COLUMN_PITCH }}>
            Output
          </span>
        </div>
        <div
          className="pg-net-body"
          style={{ marginLeft: LABEL_WIDTH, width: layout.width, height: layout.height }}
        >
          <Links links={links} width={layout.width} height={layout.height} onHover={show} onLeave={hideSoon} onEdit={edit} />
          {layout.nodes.map((node) =>
            node.kind === "feature" ? (
              <Hidable key={node.id} name={node.id}>
                <FeatureNode
                  node={node}
                  label={labels.get(node.id) ?? node.id}
                  board={board}
                  onToggle={send.toggleFeature}
                  onEnter={enterNode}
                  onLeave={leaveNode}
                />
              </Hidable>
            ) : (
              <NeuronNode key={node.id} node={node} board={board} onEnter={enterNode} onLeave={leaveNode} />
            ),
          )}
          {layout.nodes
            .filter((node) => node.kind !== "feature")
            .map((node) => (
              <BiasSquare
                key={`bias-${node.id}`}
                node={node}
                bias={network.biases[node.column - 1]?.[node.row] ?? 0}
                onHover={show}
                onLeave={hideSoon}
                onEdit={edit}
              />
            ))}
          {card ? (
            <EditCard
              key={cardKey(card.target)}
              card={card}
              value={valueOf(card.target, network)}
              onEdit={() => edit(card.target, card.x, card.y)}
              onSubmit={submit}
              onClose={close}
              onPointerInside={keep}
            />
          ) : null}
        </div>
      </div>
    </section>
  );
}

/** "+"/"−" and the neuron count above a hidden layer's column. */
function LayerHead({ layer, size, maxNeurons, send }: { layer: number; size: number; maxNeurons: number; send: Senders }) {
  return (
    <span className="pg-head pg-layer-head" style={{ left: layer * COLUMN_PITCH }}>
      <span>
        <button
          type="button"
          className="pg-round pg-small"
          data-testid={`pg-add-neuron-${layer}`}
          disabled={size >= maxNeurons}
          onClick={() => send.addNeuron(layer)}
          title="Add a neuron"
        >
          +
        </button>
        <button
          type="button"
          className="pg-round pg-small"
          data-testid={`pg-remove-neuron-${layer}`}
          disabled={size <= 1}
          onClick={() => send.removeNeuron(layer)}
          title="Remove a neuron"
        >
          −
        </button>
      </span>
      <span data-testid={`pg-neurons-${layer}`}>
        {size} neuron{size === 1 ? "" : "s"}
      </span>
    </span>
  );
}

type Hover = (target: EditTarget, e: MouseEvent) => void;
type Edit = (target: EditTarget, x: number, y: number) => void;

interface LinksProps {
  links: LinkPath[];
  width: number;
  height: number;
  onHover: Hover;
  onLeave: () => void;
  onEdit: Edit;
}

/** The links: the drawn paths, then wider invisible ones over them that take the pointer. */
const Links = memo(function Links({ links, width, height, onHover, onLeave, onEdit }: LinksProps) {
  return (
    <svg className="pg-links" width={width} height={height}>
      <g>
        {links.map((l) => (
          <path
            key={`${l.layer}-${l.to}-${l.from}`}
            d={l.d}
            stroke={cssColour(l.weight)}
            strokeWidth={linkWidth(l.weight)}
            strokeDasharray={l.dead ? "4 3" : undefined}
            className={l.dead ? "pg-link pg-dead" : "pg-link"}
          />
        ))}
      </g>
      <g>
        {links.map((l) => {
          const target: EditTarget = { kind: "weight", layer: l.layer, to: l.to, from: l.from };
          return (
            <path
              key={`${l.layer}-${l.to}-${l.from}`}
              d={l.d}
              className="pg-link-hover"
              data-testid={`pg-link-${l.layer}-${l.to}-${l.from}`}
              onMouseEnter={(e) => onHover(target, e)}
              onMouseLeave={onLeave}
              onClick={(e) => {
                const [x, y] = cardPlace(e);
                onEdit(target, x, y);
              }}
            />
          );
        })}
      </g>
    </svg>
  );
});

interface NodeProps {
  node: NodeBox;
  board: PictureBoard;
  onEnter: (id: string) => void;
  onLeave: () => void;
}

/** An input feature: faded while switched off; a click switches it. */
const FeatureNode = memo(function FeatureNode({
  node,
  label,
  board,
  onToggle,
  onEnter,
  onLeave,
}: NodeProps & { label: string; onToggle: (name: string, on: boolean) => void }) {
  return (
    <div
      className={node.active ? "pg-node pg-feature" : "pg-node pg-feature pg-inactive"}
      style={{ left: node.x, top: node.y }}
      data-testid={`pg-feature-${node.id}`}
      data-active={node.active ? "true" : "false"}
      title={node.active ? `${label}: click to switch off` : `${label}: click to switch on`}
      onClick={() => onToggle(node.id, !node.active)}
      // Python has pictures of the features in use only.
      onMouseEnter={node.active ? () => onEnter(node.id) : undefined}
      onMouseLeave={node.active ? onLeave : undefined}
    >
      <span className="pg-feature-label" style={{ width: LABEL_WIDTH - 8, left: -LABEL_WIDTH }}>
        {label}
      </span>
      <NodeCanvas id={node.id} board={board} />
    </div>
  );
});

/** A hidden neuron or the output. */
const NeuronNode = memo(function NeuronNode({ node, board, onEnter, onLeave }: NodeProps) {
  return (
    <div
      className={`pg-node pg-${node.kind}`}
      style={{ left: node.x, top: node.y }}
      onMouseEnter={() => onEnter(node.id)}
      onMouseLeave={onLeave}
    >
      <NodeCanvas id={node.id} board={board} />
    </div>
  );
});

/** The small square at a neuron's lower left: its bias, by colour. */
function BiasSquare({ node, bias, onHover, onLeave, onEdit }: { node: NodeBox; bias: number; onHover: Hover; onLeave: () => void; onEdit: Edit }) {
  const target: EditTarget = { kind: "bias", layer: node.column, node: node.row };
  return (
    <div
      className="pg-bias"
      style={{ left: node.x - 6, top: node.y + NODE_SIZE - 6, background: cssColour(bias) }}
      data-testid={`pg-bias-${node.column}-${node.row}`}
      onMouseEnter={(e) => onHover(target, e)}
      onMouseLeave={onLeave}
      onClick={(e) => {
        const [x, y] = cardPlace(e);
        onEdit(target, x, y);
      }}
    />
  );
}

/** The card's place for a pointer event: beside the pointer, in the network body's frame. */
function cardPlace(e: MouseEvent): [number, number] {
  const body = (e.currentTarget as Element).closest(".pg-net-body");
  const rect = body?.getBoundingClientRect();
  return [e.clientX - (rect?.left ?? 0) + CARD_OFFSET, e.clientY - (rect?.top ?? 0) + CARD_OFFSET];
}

function cardKey(t: EditTarget): string {
  return t.kind === "weight" ? `w${t.layer}-${t.to}-${t.from}` : `b${t.layer}-${t.node}`;
}

function valueOf(t: EditTarget, network: PlaygroundNetwork): number {
  if (t.kind === "weight") return network.weights[t.layer - 1]?.[t.to]?.[t.from] ?? 0;
  return network.biases[t.layer - 1]?.[t.node] ?? 0;
}

/**
 * The hover card's state: shown on hover, kept while the pointer is on it, hidden a moment
 * after the pointer leaves both; an open editor stays until it is submitted or closed.
 */
function useCard() {
  const [card, setCard] = useState<CardState | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const show = useCallback((target: EditTarget, e: MouseEvent) => {
    clearTimeout(timer.current);
    const [x, y] = cardPlace(e);
    setCard((old) => (old?.editing ? old : { target, x, y, editing: false }));
  }, []);
  const hideSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCard((old) => (old?.editing ? old : null)), CARD_GRACE_MS);
  }, []);
  const keep = useCallback(
    (inside: boolean) => {
      if (inside) clearTimeout(timer.current);
      else hideSoon();
    },
    [hideSoon],
  );
  const edit = useCallback((target: EditTarget, x: number, y: number) => {
    clearTimeout(timer.current);
    setCard({ target, x, y, editing: true });
  }, []);
  const close = useCallback(() => {
    clearTimeout(timer.current);
    setCard(null);
  }, []);
  return { card, show, hideSoon, keep, edit, close };
}
