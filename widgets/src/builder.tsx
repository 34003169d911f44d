/**
 * Entry point of the React bundle (anywidget ES module): the ModelBuilder, and the code view
 * (src/code) when the Python class says so by its `_kind`.
 */
import { createRender } from "@anywidget/react";
import flowCss from "@xyflow/react/dist/style.css";
import { CODE_CSS } from "./code/styles";
import { renderCodeView } from "./code/widget";
import { Builder } from "./editor/Builder";
import { BUILDER_CSS } from "./editor/styles";

const STYLE_ID = "dlstudio-builder-style";

// Injected once per page, however many builders it shows.
function injectStyles() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${flowCss}\n${BUILDER_CSS}\n${CODE_CSS}`;
  document.head.appendChild(style);
}

const renderBuilder = createRender(Builder);

export default {
  render(props: Parameters<typeof renderBuilder>[0]) {
    injectStyles();
    return props.model.get("_kind") === "code" ? renderCodeView(props) : renderBuilder(props);
  },
};
