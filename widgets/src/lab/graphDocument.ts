/**
 * Model graph documents (`*.dlgraph`, the version-1 graph JSON) open in a tab holding the
 * notebook widget's React builder. The file's text is the document: every document the
 * builder's model takes (an edit, a fix, a template) is written into the text model, so
 * JupyterLab's dirty marker, Ctrl+S, revert and "Open With → Editor" work as for any file, and a
 * text changed under the editor (revert, reload, another view) is drawn again.
 */
import { createRender } from "@anywidget/react";
import type { AnyModel } from "@anywidget/types";
import { ABCWidgetFactory, type DocumentRegistry, DocumentWidget } from "@jupyterlab/docregistry";
import { Widget } from "@lumino/widgets";
import { Builder, HOST_SHORTCUTS } from "../editor/Builder";
import { injectBuilderStyles } from "../editor/pageStyles";
import type { BuilderTraits, CatalogAnswer, GraphDoc } from "../protocol";
import { callServer } from "./api";
import { initialTraits, ServerModel } from "./serverModel";

export const FILE_TYPE = "dlgraph";
export const GRAPH_EXTENSION = ".dlgraph";
export const FACTORY = "Model Graph Editor";

const renderBuilder = createRender(Builder);

/** What the palette offers (`GET dlstudio/catalog`), fetched once per page. */
let catalog: Promise<CatalogAnswer> | null = null;

export function fetchCatalog(): Promise<CatalogAnswer> {
  catalog ??= callServer<CatalogAnswer>("catalog").catch((error) => {
    catalog = null; // the next document asks again
    throw error;
  });
  return catalog;
}

/** The file's text for `doc`: as `Graph.save` writes it (two-space JSON and a newline). */
export function documentText(doc: GraphDoc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The editor inside a graph document's tab. */
export class GraphEditorPanel extends Widget {
  private model: ServerModel | null = null;
  private unmount: (() => void) | null = null;
  /** The text this panel last wrote or drew: a different one came from elsewhere. */
  private text = "";

  constructor(private readonly context: DocumentRegistry.Context) {
    super();
    this.addClass("dls-graph-document");
    this.node.setAttribute(HOST_SHORTCUTS, ""); // Ctrl+S and the other document shortcuts

    void context.ready.then(() => this.open());
  }

  /** The builder's model, once the document is drawn (tests and benchmarks read it). */
  get builderModel(): ServerModel | null {
    return this.model;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.unmount?.();
    this.context.model.contentChanged.disconnect(this.onText, this);
    super.dispose();
  }

  private async open(): Promise<void> {
    this.text = this.context.model.toString();
    this.context.model.contentChanged.connect(this.onText, this);
    let doc: GraphDoc;
    let traits: BuilderTraits;
    try {
      doc = readDocument(this.text);
      traits = initialTraits(doc, await fetchCatalog());
    } catch (error) {
      this.showProblem(error);
      return;
    }
    const model = new ServerModel(traits, callServer);
    try {
      await model.replace(doc);
    } catch (error) {
      this.showProblem(error);
      return;
    }
    if (this.isDisposed) return;
    model.on("change:graph", () => this.write(model.get("graph")));
    this.model = model;
    injectBuilderStyles();
    this.node.replaceChildren();
    const controller = new AbortController();
    const cleanup = renderBuilder({
      model: model as unknown as AnyModel,
      el: this.node,
      signal: controller.signal,
      experimental: undefined as never,
      host: undefined as never,
    });
    this.unmount = () => {
      controller.abort();
      if (typeof cleanup === "function") void cleanup();
    };
  }

  /** A document the builder's model took goes into the file's text (the tab turns dirty). */
  private write(doc: GraphDoc): void {
    const text = documentText(doc);
    if (text === this.context.model.toString()) return;
    this.text = text;
    this.context.model.fromString(text);
    // Since JupyterLab 4 the editor, not the text model, says a change makes the file dirty.
    this.context.model.dirty = true;
  }

  /** The text changed elsewhere (revert, reload, the JSON editor): the canvas draws it. */
  private onText(): void {
    const text = this.context.model.toString();
    if (text === this.text || !this.model) return;
    this.text = text;
    let doc: GraphDoc;
    try {
      doc = readDocument(text);
    } catch (error) {
      this.model.set("error", sentenceOf(error));
      return;
    }
    this.model.replace(doc).catch((error) => this.model?.set("error", sentenceOf(error)));
  }

  private showProblem(error: unknown): void {
    const box = document.createElement("div");
    box.className = "dls-graph-problem";
    const title = document.createElement("h3");
    title.textContent = `${this.context.path} is not a graph document dlstudio can open.`;
    const detail = document.createElement("pre");
    detail.textContent = sentenceOf(error);
    const hint = document.createElement("p");
    hint.textContent = "Right-click the file and choose Open With → Editor to fix its JSON, then open it again.";
    box.append(title, detail, hint);
    this.node.replaceChildren(box);
  }
}

function readDocument(text: string): GraphDoc {
  let data: unknown;
  try {
    data = JSON.parse(text || "{}");
  } catch (error) {
    throw new Error(`Its text is not valid JSON: ${sentenceOf(error)}`, { cause: error });
  }
  if (typeof data !== "object" || data === null || !Array.isArray((data as GraphDoc).nodes)) {
    throw new Error('It is not a graph document: a JSON object with "version", "nodes" and "edges".');
  }
  return data as GraphDoc;
}

function sentenceOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class GraphEditorFactory extends ABCWidgetFactory<DocumentWidget<GraphEditorPanel>> {
  protected createNewWidget(context: DocumentRegistry.Context): DocumentWidget<GraphEditorPanel> {
    return new DocumentWidget({ context, content: new GraphEditorPanel(context) });
  }
}

export const DOCUMENT_CSS = `
.dls-graph-document { overflow: hidden; }
.dls-graph-document > .dls-builder { height: 100%; border: none; }
.dls-graph-problem { padding: 16px 24px; color: var(--jp-ui-font-color1); font-family: var(--jp-ui-font-family); }
.dls-graph-problem pre { white-space: pre-wrap; color: var(--jp-error-color1); }
`;
