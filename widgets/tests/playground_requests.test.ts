import { describe, expect, it } from "vitest";
import { senders } from "../src/playground/requests";

describe("Playground requests", () => {
  it("sends the protocol's messages, fields named as docs/playground-protocol.md names them", () => {
    const sent: unknown[] = [];
    const send = senders({ send: (m) => sent.push(m) });
    send.set("noise", 10);
    send.toggleFeature("xSquared", true);
    send.addNeuron(2);
    send.setWeight(1, 2, 0, 0.5);
    send.setBias(3, 0, -1);
    send.focus("h1_0");
    send.addPoint(1.5, -2, 1);
    send.loadCsv("p.csv", "x,y,label\n");
    send.hide("noise", true);
    send.loadShare("noise=5");
    expect(sent).toEqual([
      { type: "set", name: "noise", value: 10 },
      { type: "set", name: "xSquared", value: true },
      { type: "add_neuron", layer: 2 },
      { type: "set_weight", layer: 1, to: 2, from: 0, value: 0.5 },
      { type: "set_bias", layer: 3, node: 0, value: -1 },
      { type: "focus", node: "h1_0" },
      { type: "add_point", x: 1.5, y: -2, label: 1 },
      { type: "load_csv", name: "p.csv", text: "x,y,label\n" },
      { type: "hide", control: "noise", hidden: true },
      { type: "load_share", text: "noise=5" },
    ]);
  });
});
