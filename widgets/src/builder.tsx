/**
 * Entry point of the React bundle (anywidget ES module): the ModelBuilder, and the code view
 * (src/code) when the Python class says so by its `_kind`.
 */
import { createRender } from "@anywidget/react";
import { renderCodeView } from "./code/widget";
import { Builder } from "./editor/Builder";
import { injectBuilderStyles } from "./editor/pageStyles";

const renderBuilder = createRender(Builder);

export default {
  render(props: Parameters<typeof renderBuilder>[0]) {
    injectBuilderStyles();
    return props.model.get("_kind") === "code" ? renderCodeView(props) : renderBuilder(props);
  },
};
