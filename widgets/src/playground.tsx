/**
 * Entry point of the Playground bundle (anywidget ES module): dlstudio/ui/playground.py's view,
 * TensorFlow Playground drawn from a PyTorch model's traits (src/playground/).
 */
import { createRender } from "@anywidget/react";
import { Playground } from "./playground/Playground";
import { injectPlaygroundStyles } from "./playground/styles";

const renderPlayground = createRender(Playground);

export default {
  render(props: Parameters<typeof renderPlayground>[0]) {
    injectPlaygroundStyles();
    return renderPlayground(props);
  },
};
