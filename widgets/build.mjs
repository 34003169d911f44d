// Builds the front-end into the Python package:
// - the widget bundles into dlstudio/ui/static/ (one ES module per widget, loaded by anywidget);
// - the JupyterLab extension (src/lab) into dlstudio/labextension/, a prebuilt extension that
//   the wheel installs (no `jupyter lab build`): esbuild bundles it with React and the builder
//   inside, then JupyterLab's builder federates it against the installed JupyterLab's packages.
// Run by `npm run build`, which hatch-jupyter-builder runs during `pip install`.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const watch = process.argv.includes("--watch");
// --dev: readable React errors and stacks (React's development build), no minifying.
const dev = watch || process.argv.includes("--dev");
// --widgets: the widget bundles only (the JupyterLab extension takes ~30 s more).
const widgetsOnly = watch || process.argv.includes("--widgets");

const common = {
  bundle: true,
  format: "esm",
  minify: !dev,
  jsx: "automatic",
  loader: { ".css": "text" },
  define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
  target: ["es2022"],
  legalComments: "none",
  logLevel: "info",
};

const widgets = {
  ...common,
  entryPoints: { builder: "src/builder.tsx", plots: "src/plots.ts", playground: "src/playground.tsx" },
  outdir: "../dlstudio/ui/static",
};

// JupyterLab and Lumino are shared with the running JupyterLab; React stays inside (the builder
// uses React 19, JupyterLab its own).
const lab = {
  ...common,
  minify: false, // webpack minifies the federated build
  entryPoints: { index: "src/lab/index.ts" },
  outdir: "lab/lib",
  external: ["@jupyterlab/*", "@lumino/*"],
};

/** The Python that has JupyterLab: $PYTHON, the first python on PATH (pip's build env), or the
 * checkout's .venv (scripts/setup.sh). */
function jupyterlabCore() {
  const script = "import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), 'staging'))";
  for (const python of [process.env.PYTHON, "python", "python3", join("..", ".venv", "bin", "python")].filter(Boolean)) {
    try {
      const core = execFileSync(python, ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      if (existsSync(join(core, "package.json"))) return core;
    } catch {
      // not this one
    }
  }
  throw new Error(
    "Building the JupyterLab extension needs the jupyterlab Python package (its staging/ folder); " +
      "install it (it is in pyproject's build-system.requires), or set PYTHON to a Python that has it.",
  );
}

function federate() {
  const builder = join("node_modules", "@jupyterlab", "builder", "lib", "build-labextension.js");
  const args = [builder, "--core-path", jupyterlabCore(), ...(dev ? ["--development"] : []), "lab"];
  execFileSync(process.execPath, args, { stdio: "inherit" });
}

if (watch) {
  const { context } = await import("esbuild");
  const ctx = await context(widgets);
  await ctx.watch();
} else {
  await build(widgets);
  if (!widgetsOnly) {
    await build(lab);
    federate();
  }
}
