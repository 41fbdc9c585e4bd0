/**
 * Benchmark child (evaluation cost): evaluates the real program for one stack under mocks, with the
 * same engine substitute the tests use (`evaluateInProcess`), and reports its peak RSS. Started by
 * `tools/bench.ts`, a fresh process per repetition (`node --import tsx`).
 *
 *   node --import tsx tools/benchEvaluate.ts <stack> [--record <file>]
 *
 * Prints one line `BENCH <json>`: `{ ms: { entered, engineLoaded, evaluated }, maxRssKiB,
 * resources, error? }` (milliseconds since the process started).
 *
 * `--record <file>` (untimed runs only: it hooks `require`) also writes the evaluation, the bare
 * module specifiers the program's own files (index.ts, components/) and the harness (tools/)
 * required, the npm packages loaded, how long loading `typescript` took, and how long Pulumi's
 * closure serializer ran (`serializeFunction`: it serializes each dynamic provider into the
 * `__provider` input, opening a V8 inspector session to read the closure).
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";

const entered = performance.now();
const [stack, flag, recordFile] = process.argv.slice(2);
if (!stack || (flag !== undefined && (flag !== "--record" || !recordFile))) {
  console.error("usage: benchEvaluate.ts <stack> [--record <file>]");
  process.exit(2);
}

const projectDir = path.resolve(__dirname, "..");
const programRequires = new Set<string>();
const harnessRequires = new Set<string>();
let typescriptMs = 0;
if (recordFile) {
  const loader = Module as unknown as { _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown };
  const original = loader._load;
  loader._load = function (request, parent, isMain) {
    const from = parent?.filename ?? "";
    const bare = !request.startsWith(".") && !path.isAbsolute(request) && !Module.isBuiltin(request);
    if (bare && from.startsWith(projectDir + path.sep) && !from.includes(`${path.sep}node_modules${path.sep}`)) {
      const relative = path.relative(projectDir, from);
      if (relative === "index.ts" || relative.startsWith(`components${path.sep}`)) programRequires.add(request);
      else if (relative.startsWith(`tools${path.sep}`)) harnessRequires.add(request);
    }
    if (request !== "typescript") return original.call(this, request, parent, isMain);
    const t0 = performance.now();
    try {
      return original.call(this, request, parent, isMain);
    } finally {
      typescriptMs += performance.now() - t0;
    }
  };
}

// Pulumi's closure serializer, timed (record runs only): calls, and the wall time they span together.
const closureSpans: [number, number][] = [];
if (recordFile) {
  try {
    const serializer = require(Module.createRequire(path.join(projectDir, "index.ts")).resolve("@pulumi/pulumi/runtime/closure/serializeClosure")) as {
      serializeFunction: (...args: unknown[]) => Promise<unknown>;
    };
    const original = serializer.serializeFunction;
    serializer.serializeFunction = async function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        closureSpans.push([t0, performance.now()]);
      }
    };
  } catch {
    // Another SDK layout: no closure timing.
  }
}

function loadedPackages(): string[] {
  const names = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (m) names.add(m[1]!.replace(/\\/g, "/"));
  }
  return [...names].sort();
}

const { evaluateInProcess } = require("./mockEngine") as typeof import("./mockEngine");
const engineLoaded = performance.now();
evaluateInProcess({ stack }).then(
  (evaluation) => {
    const evaluated = performance.now();
    const maxRssKiB = process.resourceUsage().maxRSS;
    if (recordFile) {
      fs.writeFileSync(
        recordFile,
        JSON.stringify({
          evaluation,
          programRequires: [...programRequires].sort(),
          harnessRequires: [...harnessRequires].sort(),
          packages: loadedPackages(),
          typescriptMs,
          closure: {
            calls: closureSpans.length,
            wallMs: closureSpans.length ? Math.max(...closureSpans.map((x) => x[1])) - Math.min(...closureSpans.map((x) => x[0])) : 0,
          },
          evaluateMs: evaluated - engineLoaded,
        }),
      );
    }
    const result = { ms: { entered, engineLoaded, evaluated }, maxRssKiB, resources: evaluation.resources.length, ...(evaluation.error ? { error: evaluation.error } : {}) };
    process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
