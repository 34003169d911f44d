// Builds the widget bundles into dlstudio/ui/static/ (one ES module per widget).
// Run by `npm run build`, which hatch-jupyter-builder runs during `pip install`.
import { build } from "esbuild";

const watch = process.argv.includes("--watch");
// --dev: readable React errors and stacks (React's development build), no minifying.
const dev = watch || process.argv.includes("--dev");

const options = {
  entryPoints: { builder: "src/builder.tsx", plots: "src/plots.ts" },
  outdir: "../dlstudio/ui/static",
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

if (watch) {
  const { context } = await import("esbuild");
  const ctx = await context(options);
  await ctx.watch();
} else {
  await build(options);
}
