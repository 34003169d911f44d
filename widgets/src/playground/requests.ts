/**
 * The page's requests to Python (docs/playground-protocol.md): plain custom messages; Python
 * checks each one and answers only through the traits (a refused one sets `error`).
 */
import { useModel } from "@anywidget/react";
import { useMemo } from "react";
import type { PlaygroundRequest, PlaygroundSettings } from "../protocol";

/** What the senders need of the model: a way to send a custom message. */
export interface Outbox {
  send(content: unknown): void;
}

/** One typed function per request. */
export function senders(outbox: Outbox) {
  const send = (request: PlaygroundRequest) => outbox.send(request);
  return {
    set: <K extends keyof PlaygroundSettings>(name: K, value: PlaygroundSettings[K]) =>
      send({ type: "set", name, value }),
    /** A feature's switch: its name is a key of `settings` that `options.features` names. */
    toggleFeature: (name: string, on: boolean) => send({ type: "set", name, value: on }),
    play: () => send({ type: "play" }),
    pause: () => send({ type: "pause" }),
    step: () => send({ type: "step" }),
    reset: () => send({ type: "reset" }),
    regenerate: () => send({ type: "regenerate" }),
    addLayer: () => send({ type: "add_layer" }),
    removeLayer: () => send({ type: "remove_layer" }),
    addNeuron: (layer: number) => send({ type: "add_neuron", layer }),
    removeNeuron: (layer: number) => send({ type: "remove_neuron", layer }),
    setWeight: (layer: number, to: number, from: number, value: number) =>
      send({ type: "set_weight", layer, to, from, value }),
    setBias: (layer: number, node: number, value: number) => send({ type: "set_bias", layer, node, value }),
    focus: (node: string) => send({ type: "focus", node }),
    addPoint: (x: number, y: number, label: number) => send({ type: "add_point", x, y, label }),
    clearPoints: () => send({ type: "clear_points" }),
    loadCsv: (name: string, text: string) => send({ type: "load_csv", name, text }),
    hide: (control: string, hidden: boolean) => send({ type: "hide", control, hidden }),
    loadShare: (text: string) => send({ type: "load_share", text }),
    openBuilder: () => send({ type: "open_builder" }),
  };
}

export type Senders = ReturnType<typeof senders>;

/** The senders of this view's model (stable while the model is). */
export function useSenders(): Senders {
  const model = useModel();
  return useMemo(() => senders(model), [model]);
}
