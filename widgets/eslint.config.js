// ESLint for the widgets' TypeScript (`npm run lint`, a phase of scripts/test.sh).
//
// Syntax-only typescript-eslint rules: type-aware ones would need the JS TypeScript compiler
// to build a program (8 s here) on top of `npm run typecheck`, which already runs tsc.
// The JS-API `typescript` package is here for the parser; the type check uses the native
// compiler (`typescript-native`).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default defineConfig(
  // The esbuild output that JupyterLab's builder federates (build.mjs).
  { ignores: ["lab/lib/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  // The two Node scripts (TypeScript files get no-undef from tsc instead).
  { files: ["*.js", "*.mjs"], languageOptions: { globals: { process: "readonly" } } },
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A missing dependency is a stale value in a callback: an error, not a warning.
      "react-hooks/exhaustive-deps": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
