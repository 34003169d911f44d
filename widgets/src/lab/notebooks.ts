/**
 * The notebooks the commands write: a first cell that opens the Studio (on a graph document, on
 * a CSV file, or as it starts), created beside the file and opened, the cell already run where
 * the notebook opens in this page (JupyterLab).
 */
import type { JupyterFrontEnd } from "@jupyterlab/application";
import { PathExt } from "@jupyterlab/coreutils";
import type { DocumentWidget } from "@jupyterlab/docregistry";
import type { ISessionContext } from "@jupyterlab/apputils";

/** Python's text for a string literal (the file names come from the file browser). */
export function pyString(text: string): string {
  return JSON.stringify(text);
}

/** The first cell of a new Studio notebook. */
export function studioSource(): string {
  return ["from dlstudio import Studio", "", "studio = Studio()", "studio"].join("\n");
}

/** The first cell of a new Playground notebook. */
export function playgroundSource(): string {
  return ["from dlstudio import Playground", "", "playground = Playground()", "playground"].join("\n");
}

/** A Studio whose model is the graph document `name` (in the notebook's folder). */
export function graphStudioSource(name: string): string {
  return [
    "from dlstudio import Studio",
    "from dlstudio.graph import Graph",
    "",
    "studio = Studio()",
    `studio.model.show_template(None, Graph.load(${pyString(name)}))`,
    "studio",
  ].join("\n");
}

/** A Studio with the CSV file `name` (in the notebook's folder) chosen as its data set. */
export function csvStudioSource(name: string): string {
  return [
    "from dlstudio import Studio",
    "",
    `# The Data tab has ${name} chosen: pick the column to predict under "Predict", then "Use this data".`,
    `studio = Studio.for_csv(${pyString(name)})`,
    "studio",
  ].join("\n");
}

function notebookContent(source: string): Record<string, unknown> {
  return {
    cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source }],
    metadata: {
      kernelspec: { display_name: "Python 3 (ipykernel)", language: "python", name: "python3" },
      language_info: { name: "python" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/**
 * Writes a new notebook `stem.ipynb` (or `stem1.ipynb`, ... : never over a learner's file) in
 * `folder` with `source` as its one cell, opens it, and runs the cell once its kernel is ready.
 */
export async function openStudioNotebook(app: JupyterFrontEnd, folder: string, stem: string, source: string): Promise<string> {
  const path = await freePath(app, folder, stem, ".ipynb");
  await app.serviceManager.contents.save(path, { type: "notebook", format: "json", content: notebookContent(source) });
  const widget = (await app.commands.execute("docmanager:open", {
    path,
    factory: "Notebook",
    kernel: { name: "python3" },
  })) as DocumentWidget | undefined;
  // Notebook 7 opens a notebook in a page of its own: there the learner runs the cell.
  const session = widget?.context?.sessionContext as ISessionContext | undefined;
  if (widget && session) {
    await session.ready;
    app.shell.activateById(widget.id);
    await app.commands.execute("notebook:run-all-cells");
  }
  return path;
}

/** `folder/stem.ext`, or the first of `stem1.ext`, `stem2.ext`, ... that does not exist yet. */
export async function freePath(app: JupyterFrontEnd, folder: string, stem: string, ext: string): Promise<string> {
  for (let n = 0; n < 1000; n++) {
    const path = PathExt.join(folder, `${stem}${n ? n : ""}${ext}`);
    if (!(await exists(app, path))) return path;
  }
  throw new Error(`Every name from ${stem}${ext} to ${stem}999${ext} is taken in ${folder || "this folder"}.`);
}

async function exists(app: JupyterFrontEnd, path: string): Promise<boolean> {
  try {
    await app.serviceManager.contents.get(path, { content: false });
    return true;
  } catch {
    return false;
  }
}
