/**
 * Entry point of the ModelBuilder bundle (anywidget ES module).
 */
import { createRender } from "@anywidget/react";
import flowCss from "@xyflow/react/dist/style.css";
import { Builder } from "./editor/Builder";
import { BUILDER_CSS } from "./editor/styles";

const STYLE_ID = "dlstudio-builder-style";

// Injected once per page, however many builders it shows.
function injectStyles() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${flowCss}\n${BUILDER_CSS}`;
  document.head.appendChild(style);
}

const renderBuilder = createRender(Builder);

export default {
  render(props: Parameters<typeof renderBuilder>[0]) {
    injectStyles();
    return renderBuilder(props);
  },
};
