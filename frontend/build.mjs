// Builds the player into review/static/review/build/ (served by Django), or with --tests the unit tests
// into .test-build/ for `node --test`.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";

const tests = process.argv.includes("--tests");
if (tests) {
  rmSync(".test-build", { recursive: true, force: true });
  await build({
    entryPoints: readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`),
    outdir: ".test-build",
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    target: "node20",
    logLevel: "warning",
  });
} else {
  await build({
    entryPoints: { player: "src/main.ts" },
    outdir: "../review/static/review/build",
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
  });
}
