/**
 * Benchmark child (bare cost): loads exactly the given SDK modules, resolved from the project as
 * the program resolves them, and reports its peak RSS. Nothing else: no mock engine, no program.
 * Started by `tools/bench.ts` in the same process model as an evaluation
 * (`node --import tsx`, a fresh process per repetition).
 *
 *   node --import tsx tools/benchLoadOnly.ts '<json array of module specifiers>' [--packages]
 *
 * Prints one line `BENCH <json>`: `{ ms: { entered, loaded }, maxRssKiB, packages? }` (times are
 * milliseconds since the process started; `--packages` adds the npm packages that ended up loaded,
 * listed after the measurement).
 */
import { createRequire } from "node:module";
import * as path from "node:path";

const entered = performance.now();
const [modulesJson, flag] = process.argv.slice(2);
if (!modulesJson) {
  console.error("usage: benchLoadOnly.ts '<json array of module specifiers>' [--packages]");
  process.exit(2);
}
const projectRequire = createRequire(path.join(__dirname, "..", "index.ts"));
for (const specifier of JSON.parse(modulesJson) as string[]) projectRequire(specifier);
const loaded = performance.now();
const maxRssKiB = process.resourceUsage().maxRSS;

/** npm packages with files in the module cache (the innermost node_modules/<name>). */
function loadedPackages(): string[] {
  const names = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (m) names.add(m[1]!.replace(/\\/g, "/"));
  }
  return [...names].sort();
}

process.stdout.write(`BENCH ${JSON.stringify({ ms: { entered, loaded }, maxRssKiB, ...(flag === "--packages" ? { packages: loadedPackages() } : {}) })}\n`);
process.exit(0);
