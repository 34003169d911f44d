/**
 * dlstudio's JupyterLab (and Notebook 7) extension: model graph documents, the launcher's
 * "dlstudio" section, and the commands that open the Studio, the tutorials and the exports.
 * Built by build.mjs into a prebuilt extension inside the Python package (no `jupyter lab
 * build`); every answer about a graph comes from the server extension (dlstudio/server).
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, Notification, WidgetTracker } from "@jupyterlab/apputils";
import { PathExt } from "@jupyterlab/coreutils";
import type { DocumentWidget } from "@jupyterlab/docregistry";
import { IDefaultFileBrowser } from "@jupyterlab/filebrowser";
import { ILauncher } from "@jupyterlab/launcher";
import { IMainMenu } from "@jupyterlab/mainmenu";
import { LabIcon } from "@jupyterlab/ui-components";
import { callServer } from "./api";
import {
  DOCUMENT_CSS,
  documentText,
  FACTORY,
  FILE_TYPE,
  fetchCatalog,
  GRAPH_EXTENSION,
  GraphEditorFactory,
  type GraphEditorPanel,
} from "./graphDocument";
import { csvStudioSource, freePath, graphStudioSource, openStudioNotebook, playgroundSource, studioSource } from "./notebooks";
import type { TutorialsAnswer } from "../protocol";

const GRAPH_ICON = new LabIcon({
  name: "dlstudio:graph",
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">
<rect x="9" y="2" width="6" height="4" rx="1"/><rect x="3" y="11" width="6" height="4" rx="1"/>
<rect x="15" y="11" width="6" height="4" rx="1"/><rect x="9" y="19" width="6" height="4" rx="1"/>
<path d="M11.5 6h1v2.5H18V11h-1V9.5H7V11H6V8.5h5.5zM6 15h1v2.5h4.5V19h-1v-.5H6zm11 0h1v3.5h-5.5V19h-1v-1.5H17z"/></g></svg>`,
});

export const COMMANDS = {
  newGraph: "dlstudio:new-graph",
  openStudio: "dlstudio:open-studio",
  openPlayground: "dlstudio:open-playground",
  openTutorials: "dlstudio:open-tutorials",
  exportPython: "dlstudio:export-python",
  graphInStudio: "dlstudio:open-graph-in-studio",
  trainOnCsv: "dlstudio:train-on-csv",
} as const;

const CATEGORY = "dlstudio";

interface Context {
  app: JupyterFrontEnd;
  browser: IDefaultFileBrowser | null;
  tracker: WidgetTracker<DocumentWidget<GraphEditorPanel>>;
}

/** The folder the file browser shows ("" at the server's root). */
function currentFolder({ browser }: Context): string {
  return browser?.model.path ?? "";
}

/** The file a command acts on: its `path` argument, the graph in the current tab, or the file
 * selected in the file browser. */
function targetFile(ctx: Context, args: { path?: unknown }, extension: string): string | null {
  if (typeof args.path === "string") return args.path;
  const current = ctx.tracker.currentWidget;
  if (extension === GRAPH_EXTENSION && current && ctx.app.shell.currentWidget === current) return current.context.path;
  const selected = ctx.browser?.selectedItems().next();
  const item = selected && !selected.done ? selected.value : null;
  return item && item.path.toLowerCase().endsWith(extension) ? item.path : null;
}

async function newGraph(ctx: Context, folder: string): Promise<string> {
  const { starter } = await fetchCatalog();
  const path = await freePath(ctx.app, folder, "model", GRAPH_EXTENSION);
  await ctx.app.serviceManager.contents.save(path, { type: "file", format: "text", content: documentText(starter) });
  await ctx.app.commands.execute("docmanager:open", { path, factory: FACTORY });
  return path;
}

async function openTutorials(ctx: Context): Promise<string> {
  const answer = await callServer<TutorialsAnswer>("tutorials", {});
  if (answer.copied.length) {
    Notification.info(`Copied ${answer.copied.length} tutorial notebooks into ${answer.folder}/.`, { autoClose: 5000 });
  }
  await ctx.app.commands.execute("filebrowser:go-to-path", { path: answer.folder, dontShowBrowser: true }).catch(() => undefined);
  const first = answer.notebooks[0];
  if (first) await ctx.app.commands.execute("docmanager:open", { path: first, factory: "Notebook" });
  return answer.folder;
}

async function exportPython(ctx: Context, path: string): Promise<string> {
  const open = ctx.tracker.find((w) => w.context.path === path);
  if (open?.context.model.dirty) await open.context.save();
  const { path: written } = await callServer<{ path: string }>("export-python", { path });
  Notification.success(`Wrote ${written}: the PyTorch module of ${PathExt.basename(path)}.`, { autoClose: 5000 });
  return written;
}

/** Runs `action`, and says what went wrong in a notification rather than in the console. */
function reported<T>(action: () => Promise<T>): Promise<T | undefined> {
  return action().catch((error: unknown) => {
    Notification.error(error instanceof Error ? error.message : String(error), { autoClose: false });
    return undefined;
  });
}

function addCommands(ctx: Context): void {
  const { commands } = ctx.app;
  const fileArg = (ext: string) => (args: { path?: unknown }) => targetFile(ctx, args, ext) !== null;
  commands.addCommand(COMMANDS.newGraph, {
    label: (args) => (args.isLauncher ? "Model graph" : "New Model Graph"),
    caption: "A new, empty model graph document (.dlgraph) edited on a canvas",
    icon: GRAPH_ICON,
    execute: (args) =>
      reported(() => newGraph(ctx, typeof args.cwd === "string" ? args.cwd : currentFolder(ctx))),
  });
  commands.addCommand(COMMANDS.openStudio, {
    label: (args) => (args.isLauncher ? "Studio" : "Open Studio"),
    caption: "A new notebook whose first cell opens the dlstudio Studio (data, model, training)",
    icon: GRAPH_ICON,
    execute: (args) =>
      reported(() =>
        openStudioNotebook(ctx.app, typeof args.cwd === "string" ? args.cwd : currentFolder(ctx), "Studio", studioSource()),
      ),
  });
  commands.addCommand(COMMANDS.openPlayground, {
    label: (args) => (args.isLauncher ? "Playground" : "Open Playground"),
    caption: "A new notebook whose first cell opens the Playground (watch a small network learn)",
    icon: GRAPH_ICON,
    execute: (args) =>
      reported(() =>
        openStudioNotebook(ctx.app, typeof args.cwd === "string" ? args.cwd : currentFolder(ctx), "Playground", playgroundSource()),
      ),
  });
  commands.addCommand(COMMANDS.openTutorials, {
    label: (args) => (args.isLauncher ? "Tutorials" : "Open dlstudio Tutorials"),
    caption: "The tutorial notebooks, copied into dlstudio-tutorials/ (an edited copy is kept)",
    icon: GRAPH_ICON,
    execute: () => reported(() => openTutorials(ctx)),
  });
  commands.addCommand(COMMANDS.exportPython, {
    label: "Export Graph to Python",
    caption: "Writes the graph's PyTorch module as name.py beside the .dlgraph file",
    isEnabled: fileArg(GRAPH_EXTENSION),
    execute: (args) => {
      const path = targetFile(ctx, args, GRAPH_EXTENSION);
      return path ? reported(() => exportPython(ctx, path)) : undefined;
    },
  });
  commands.addCommand(COMMANDS.graphInStudio, {
    label: "Open Graph in Studio",
    caption: "A new notebook beside the graph whose Studio trains it",
    isEnabled: fileArg(GRAPH_EXTENSION),
    execute: (args) => {
      const path = targetFile(ctx, args, GRAPH_EXTENSION);
      if (!path) return undefined;
      const source = graphStudioSource(PathExt.basename(path));
      return reported(() => openStudioNotebook(ctx.app, PathExt.dirname(path), "Studio", source));
    },
  });
  commands.addCommand(COMMANDS.trainOnCsv, {
    label: "Train a Model on This CSV",
    caption: "A new Studio notebook with this file chosen as the data set",
    isEnabled: fileArg(".csv"),
    execute: (args) => {
      const path = targetFile(ctx, args, ".csv");
      if (!path) return undefined;
      const stem = `Train on ${PathExt.basename(path, PathExt.extname(path))}`;
      const source = csvStudioSource(PathExt.basename(path));
      return reported(() => openStudioNotebook(ctx.app, PathExt.dirname(path), stem, source));
    },
  });
}

function addStyles(): void {
  const style = document.createElement("style");
  style.textContent = DOCUMENT_CSS;
  document.head.appendChild(style);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "dlstudio:plugin",
  description: "Model graph documents, the dlstudio launcher section and commands.",
  autoStart: true,
  optional: [ILauncher, ICommandPalette, IMainMenu, IDefaultFileBrowser, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    browser: IDefaultFileBrowser | null,
    restorer: ILayoutRestorer | null,
  ) => {
    addStyles();
    app.docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: "Model Graph",
      extensions: [GRAPH_EXTENSION],
      mimeTypes: ["application/json"],
      fileFormat: "text",
      contentType: "file",
      icon: GRAPH_ICON,
    });
    const factory = new GraphEditorFactory({
      name: FACTORY,
      label: "Model Graph Editor",
      fileTypes: [FILE_TYPE],
      defaultFor: [FILE_TYPE],
      modelName: "text",
    });
    const tracker = new WidgetTracker<DocumentWidget<GraphEditorPanel>>({ namespace: "dlstudio-graph" });
    factory.widgetCreated.connect((_, widget) => {
      widget.title.icon = GRAPH_ICON;
      widget.context.pathChanged.connect(() => void tracker.save(widget));
      void tracker.add(widget);
    });
    app.docRegistry.addWidgetFactory(factory);
    void restorer?.restore(tracker, {
      command: "docmanager:open",
      args: (widget) => ({ path: widget.context.path, factory: FACTORY }),
      name: (widget) => widget.context.path,
    });

    const ctx: Context = { app, browser, tracker };
    addCommands(ctx);
    const tiles = [COMMANDS.openStudio, COMMANDS.newGraph, COMMANDS.openPlayground, COMMANDS.openTutorials];
    tiles.forEach((command, rank) => launcher?.add({ command, category: CATEGORY, rank, args: { isLauncher: true } }));
    for (const command of Object.values(COMMANDS)) palette?.addItem({ command, category: CATEGORY });
    mainMenu?.fileMenu.newMenu.addGroup([{ command: COMMANDS.newGraph }], 30);
    const onGraph = `.jp-DirListing-item[data-file-type="${FILE_TYPE}"]`;
    app.contextMenu.addItem({ command: COMMANDS.exportPython, selector: onGraph, rank: 3 });
    app.contextMenu.addItem({ command: COMMANDS.graphInStudio, selector: onGraph, rank: 3 });
    app.contextMenu.addItem({ command: COMMANDS.trainOnCsv, selector: '.jp-DirListing-item[data-file-type="csv"]', rank: 3 });
  },
};

export default plugin;
