/** The builder's stylesheet (React Flow's, the editor's and the code view's), put on the page
 * once however many builders it shows: notebook widgets and graph documents alike. */
import flowCss from "@xyflow/react/dist/style.css";
import { CODE_CSS } from "../code/styles";
import { BUILDER_CSS } from "./styles";

const STYLE_ID = "dlstudio-builder-style";

export function injectBuilderStyles(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${flowCss}\n${BUILDER_CSS}\n${CODE_CSS}`;
  document.head.appendChild(style);
}
