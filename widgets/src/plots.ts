/**
 * Entry point of the plots bundle (anywidget ES module): LossPlot and the results views of
 * dlstudio/ui/live, drawn with plotly.js. The Python class says which one by its `_kind`.
 */
import type { AnyModel } from "@anywidget/types";
import { renderLossPlot } from "./plots/lossPlot";
import { renderResults } from "./plots/results";
import { injectStyles } from "./plots/styles";

type Props = { model: AnyModel; el: HTMLElement };

export default {
  render(props: Props) {
    injectStyles();
    const kind = props.model.get("_kind");
    if (kind === "loss") return renderLossPlot(props as never);
    if (kind === "results") return renderResults(props as never);
    props.el.textContent = `dlstudio: unknown plot kind ${JSON.stringify(kind)}.`;
    return undefined;
  },
};
