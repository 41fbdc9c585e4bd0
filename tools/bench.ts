/**
 * `npm run bench`: what evaluating the program costs, and how long a deployment of each stack
 * would take, measured in one run on this machine.
 *
 * 1. Evaluation cost. For every `Pulumi.<stack>.yaml`: wall time and peak RSS of evaluating the
 *    real program under mocks (`tools/benchEvaluate.ts`), next to the bare cost of loading exactly
 *    the SDK modules the program imports (`tools/benchLoadOnly.ts`). Same process model for both:
 *    `node --import tsx`, a fresh process per repetition, repetitions interleaved, medians. The
 *    module list comes from the program's import graph (index.ts and what it imports, type-only
 *    imports left out), cross-checked against the `require` calls the program's files make during
 *    a real evaluation. Also `tsc --noEmit` for the project.
 * 2. Deployment critical path, on a simulated clock (`tools/criticalPath.ts`), with the
 *    provisioning times below: the simulated `up`, the ideal (true data dependencies plus the
 *    orderings Azure requires), their ratio, the critical path, and every explicit edge classified.
 * 3. Resource counts.
 *
 * Environment: BENCH_REPS (default 5) repetitions per measurement.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { analyse, clock, requiredOnly, RULES, simulate, type Analysis, type GraphNode, type RuleId } from "./criticalPath";
import { listStacks, PROJECT_DIR, type Evaluation } from "./mockEngine";

// ---------------------------------------------------------------------------------------------
// Provisioning times (simulated seconds)
// ---------------------------------------------------------------------------------------------

/** One row of the table: a type (a trailing `*` matches a prefix), optionally narrowed by `when`. */
export interface ProvisioningFigure {
  readonly type: string;
  readonly when?: { readonly label: string; readonly test: (node: GraphNode) => boolean };
  readonly seconds: number;
  /** Where the figure comes from. */
  readonly source: string;
}

const ESTIMATE = "estimate (the issue's table), not measured";

/**
 * Typical create times on Azure. Most are estimates: Azure documents no provisioning times; where
 * a figure rests on something documented, `source` says so. First match wins.
 */
export const PROVISIONING: readonly ProvisioningFigure[] = [
  {
    type: "azure-native:dbforpostgresql:Server",
    when: { label: "read replica (createMode Replica)", test: (n) => n.resource.inputs?.createMode === "Replica" },
    seconds: 900,
    source: `${ESTIMATE}; Microsoft's replica docs: same-region replicas come from a snapshot (time independent of data size), geo-replicas from a base backup (minutes to hours)`,
  },
  { type: "azure-native:dbforpostgresql:Server", seconds: 600, source: ESTIMATE },
  { type: "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra", seconds: 90, source: ESTIMATE },
  { type: "azure-native:dbforpostgresql:Administrator", seconds: 90, source: `${ESTIMATE} (the preview API of the same Azure resource)` },
  { type: "azure-native:dbforpostgresql:FirewallRule", seconds: 60, source: ESTIMATE },
  { type: "azure-native:dbforpostgresql:Configuration", seconds: 60, source: ESTIMATE },
  { type: "azure-native:dbforpostgresql:Database", seconds: 60, source: `${ESTIMATE} (a child operation like a configuration)` },
  { type: "azure-native:app:ManagedEnvironment", seconds: 240, source: ESTIMATE },
  { type: "azure-native:app:ContainerApp", seconds: 120, source: ESTIMATE },
  { type: "azure-native:app:Job", seconds: 60, source: ESTIMATE },
  { type: "pulumi-nodejs:dynamic/containerapps:JobExecution", seconds: 120, source: `${ESTIMATE} (a migration run; used for \`finish\` too)` },
  { type: "azure-native:compute:VirtualMachine", seconds: 180, source: `${ESTIMATE} (until Azure reports it running; cloud-init continues after)` },
  { type: "azure-native:network:NetworkInterface", seconds: 30, source: ESTIMATE },
  { type: "azure-native:network:NetworkSecurityGroup", seconds: 30, source: ESTIMATE },
  { type: "azure-native:network:PublicIPAddress", seconds: 30, source: ESTIMATE },
  { type: "azure-native:network:VirtualNetwork", seconds: 60, source: ESTIMATE },
  { type: "azure-native:network:NatGateway", seconds: 60, source: ESTIMATE },
  { type: "azure-native:resources:ResourceGroup", seconds: 10, source: ESTIMATE },
  { type: "azure-native:managedidentity:UserAssignedIdentity", seconds: 20, source: ESTIMATE },
  { type: "azuread:*", seconds: 5, source: `${ESTIMATE} (Entra objects: seconds)` },
  { type: "random:*", seconds: 0, source: "computed by the provider locally: no cloud call" },
  { type: "time:*", seconds: 0, source: "computed by the provider locally: no cloud call" },
  { type: "pulumi:providers:postgresql", seconds: 5, source: `${ESTIMATE} (configure: one Entra token, one connection)` },
  { type: "postgresql:index/database:Database", seconds: 10, source: ESTIMATE },
  { type: "postgresql:*", seconds: 5, source: `${ESTIMATE} (a grant or role: a few statements)` },
  { type: "pulumi-nodejs:dynamic/postgresql:EntraPrincipal", seconds: 10, source: `${ESTIMATE} (token, TLS connection, pgaadauth_create_principal_with_oid)` },
  { type: "pulumi:providers:*", seconds: 0, source: "explicit provider resources configure locally" },
];

/** Seconds for types the table lacks (listed by the bench, so the table can be completed). */
export const UNKNOWN_TYPE_SECONDS = 60;

function figureFor(node: GraphNode): ProvisioningFigure | undefined {
  return PROVISIONING.find(
    (f) => (f.type.endsWith("*") ? node.type.startsWith(f.type.slice(0, -1)) : node.type === f.type) && (f.when === undefined || f.when.test(node)),
  );
}

/** The duration function for `simulate`: the table, or {@link UNKNOWN_TYPE_SECONDS}. */
export function provisioningSeconds(node: GraphNode): number {
  return figureFor(node)?.seconds ?? UNKNOWN_TYPE_SECONDS;
}

// ---------------------------------------------------------------------------------------------
// The program's import graph
// ---------------------------------------------------------------------------------------------

export interface ProgramImports {
  /** Bare specifiers loaded when the program is (`@pulumi/azure-native/app`, `zod`, …). */
  readonly modules: string[];
  /** `require` calls inside functions (not loaded by evaluating the program). */
  readonly lazy: string[];
  /** The program's own files walked, relative to the project. */
  readonly files: string[];
}

/**
 * Walks `entry` and every relative import it reaches, collecting the packages they load at
 * module-evaluation time. Type-only imports (`import type`, or all named bindings `type`) are left
 * out: they are erased before the program runs.
 */
export function programImports(entry = path.join(PROJECT_DIR, "index.ts")): ProgramImports {
  const ts = require("typescript") as typeof import("typescript");
  const modules = new Set<string>();
  const lazy = new Set<string>();
  const files: string[] = [];
  const seen = new Set<string>();
  const resolveLocal = (from: string, specifier: string): string => {
    const base = path.resolve(path.dirname(from), specifier);
    for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), `${base}.js`]) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
    }
    throw new Error(`cannot resolve ${specifier} from ${path.relative(PROJECT_DIR, from)}`);
  };
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(path.relative(PROJECT_DIR, file));
    if (!/\.tsx?$/.test(file)) return;
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const found = (specifier: string, eager: boolean) => {
      if (specifier.startsWith(".")) {
        if (eager) visit(resolveLocal(file, specifier));
      } else if (!Module.isBuiltin(specifier)) {
        (eager ? modules : lazy).add(specifier);
      }
    };
    const inFunction = (node: import("typescript").Node): boolean => {
      for (let p = node.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return true;
      return false;
    };
    const walk = (node: import("typescript").Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        if (!typeOnly) found(node.moduleSpecifier.text, true);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
        found(node.moduleSpecifier.text, true);
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression) && !node.isTypeOnly) {
        found(node.moduleReference.expression.text, true);
      } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require" && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
        found((node.arguments[0] as import("typescript").StringLiteral).text, !inFunction(node));
      }
      ts.forEachChild(node, walk);
    };
    walk(source);
  };
  visit(entry);
  return { modules: [...modules].sort(), lazy: [...lazy].filter((m) => !modules.has(m)).sort(), files };
}

// ---------------------------------------------------------------------------------------------
// Children and statistics
// ---------------------------------------------------------------------------------------------

interface ChildRun<T> {
  /** Spawn to exit, measured here. */
  readonly wallMs: number;
  readonly result: T;
}

interface LoadResult {
  readonly ms: { readonly entered: number; readonly loaded: number };
  readonly maxRssKiB: number;
  readonly packages?: string[];
}

interface EvaluateResult {
  readonly ms: { readonly entered: number; readonly engineLoaded: number; readonly evaluated: number };
  readonly maxRssKiB: number;
  readonly resources: number;
  readonly error?: string;
}

interface Recording {
  readonly evaluation: Evaluation;
  readonly programRequires: string[];
  readonly harnessRequires: string[];
  readonly packages: string[];
  readonly typescriptMs: number;
  /** Pulumi's closure serializer (dynamic providers): calls and the wall time they spanned. */
  readonly closure: { readonly calls: number; readonly wallMs: number };
  /** The evaluation proper in that run (after the engine was loaded). */
  readonly evaluateMs: number;
}

function runChild<T>(script: string, args: string[]): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, script), ...args], { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - t0;
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH "));
      if (code !== 0 || !line) reject(new Error(`${script} ${args.join(" ")} exited ${code}: ${stderr.trim() || stdout.trim()}`));
      else resolve({ wallMs, result: JSON.parse(line.slice("BENCH ".length)) as T });
    });
  });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const spread = (values: readonly number[], fmt: (v: number) => string) => `${fmt(median(values))} [${fmt(Math.min(...values))}–${fmt(Math.max(...values))}]`;
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

function machine(): string[] {
  let nproc = String(os.availableParallelism());
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    // nproc missing: Node's count stands in.
  }
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // Not Linux.
  }
  return [`nproc ${nproc}`, `node ${process.version}`, `CPU ${cpu}`, `memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`, `${os.platform()} ${os.release()}`];
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

function runTsc(): { wallMs: number; exit: number; totalTime?: string; memory?: string; output: string } {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [PROJECT_DIR] });
  const t0 = performance.now();
  let output = "";
  let exit = 0;
  try {
    output = execFileSync(process.execPath, [tsc, "--noEmit", "-p", PROJECT_DIR, "--extendedDiagnostics"], { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { status?: number; stdout?: string };
    exit = e.status ?? 1;
    output = e.stdout ?? "";
  }
  const wallMs = performance.now() - t0;
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "m").exec(output)?.[1]?.trim();
  return { wallMs, exit, totalTime: field("Total time"), memory: field("Memory used"), output };
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

function printAnalysis(stack: string, a: Analysis): void {
  const customs = a.graph.order.filter((n) => n.custom).length;
  console.log(`\n  stack ${stack}: ${a.graph.nodes.size} resources (${customs} custom, ${a.graph.nodes.size - customs} components)`);
  console.log(`    simulated \`up\`  ${clock(a.total)}`);
  console.log(`    ideal           ${clock(a.ideal)}   (true data dependencies + justified orderings)`);
  console.log(`    ratio           ${a.ratio.toFixed(2)}   (goal 1.00: ${a.ratio === 1 ? "met" : "NOT met"})`);

  console.log(`    critical path (simulated clock, start → finish):`);
  const width = Math.max(...a.criticalPath.map((s) => s.name.length));
  for (const step of a.criticalPath) {
    const via = step.via ? `after previous: ${step.via.kind}${step.via.through.length ? ` via ${step.via.through.join(", ")}` : ""}` : "start";
    console.log(`      ${clock(step.start).padStart(7)} → ${clock(step.finish).padStart(7)}  ${pad(step.name, width)}  ${pad(step.type, 52)}  ${via}`);
  }
  const sameIdeal = a.idealCriticalPath.map((s) => s.urn).join() === a.criticalPath.map((s) => s.urn).join();
  if (!sameIdeal) {
    console.log(`    ideal critical path:`);
    for (const step of a.idealCriticalPath) console.log(`      ${clock(step.start).padStart(7)} → ${clock(step.finish).padStart(7)}  ${step.name}`);
  }

  console.log(`    explicit (non-data) edges: ${a.edges.length}, justified ${a.edges.length - a.extra.length}, extra ${a.extra.length}`);
  for (const e of a.edges) {
    const what = e.extra ? `EXTRA: ${e.unjustified}` : e.rules.map((m) => `(${m.rule}) ${m.because}`).join("; ");
    console.log(`      ${a.graph.label(e.from)} → ${a.graph.label(e.to)}`);
    console.log(`          ${what}`);
  }
  const byRule = (Object.keys(RULES) as RuleId[]).map((r) => `(${r}) ${a.edges.filter((e) => e.rules.some((m) => m.rule === r)).length}`).join("  ");
  console.log(`    edges per rule: ${byRule}`);
  console.log(`    extra edges: ${a.extra.length === 0 ? "none" : a.extra.map((e) => `${a.graph.label(e.from)} → ${a.graph.label(e.to)}`).join("; ")}`);
  const withoutF = simulate(a.graph, provisioningSeconds, requiredOnly(a.edges, ["a", "b", "c", "d", "e"])).total;
  console.log(`    ideal from rules (a)–(e) only, the (f) edges dropped: ${clock(withoutF)}${withoutF === a.ideal ? " (the same: (f) costs nothing)" : ` (${clock(a.ideal - withoutF)} less: (f) is on the critical path)`}`);
  console.log(
    `    required orderings missing from the graph: ${a.missing.length === 0 ? "none" : ""}`,
  );
  for (const m of a.missing) console.log(`      (${m.rule}) ${m.before} before ${m.after}: ${m.why}`);
}

async function main(): Promise<void> {
  const reps = Math.max(1, Number(process.env.BENCH_REPS ?? 5) || 5);
  const stacks = listStacks();
  console.log(`kong-entra-postgres benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${machine().join(", ")}`);
  console.log(`load average at start: ${loadavg()} (other work on the machine skews wall times; medians of interleaved runs)`);

  // ---- 1. Evaluation cost ----
  const imports = programImports();
  console.log(`\n1. Evaluation cost (node --import tsx, fresh process per repetition, ${reps} repetitions interleaved, median [min–max])`);
  console.log(`  SDK modules the program imports (import graph of index.ts: ${imports.files.length} files, type-only imports left out):`);
  console.log(`    ${imports.modules.join(", ")}`);
  if (imports.lazy.length) console.log(`  required only inside functions (dynamic providers' methods; not loaded by evaluation): ${imports.lazy.join(", ")}`);

  // Untimed first runs: the graph for sections 2–3, the require() cross-check, and a warm tsx cache.
  const recordings = new Map<string, Recording>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kong-bench-"));
  try {
    for (const stack of stacks) {
      const file = path.join(dir, `${stack}.json`);
      const run = await runChild<EvaluateResult>("benchEvaluate.ts", [stack, "--record", file]);
      if (run.result.error) throw new Error(`stack ${stack} fails to evaluate: ${run.result.error}`);
      recordings.set(stack, JSON.parse(fs.readFileSync(file, "utf8")) as Recording);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const bareWarm = await runChild<LoadResult>("benchLoadOnly.ts", [JSON.stringify(imports.modules), "--packages"]);

  const recorded = [...new Set([...recordings.values()].flatMap((r) => r.programRequires))].sort();
  const onlyStatic = imports.modules.filter((m) => !recorded.includes(m));
  const onlyRecorded = recorded.filter((m) => !imports.modules.includes(m));
  console.log(
    `  cross-check, require() calls from index.ts and components/ during real evaluations of all stacks: ${
      onlyStatic.length === 0 && onlyRecorded.length === 0 ? "the same list" : `differs (import graph only: ${onlyStatic.join(", ") || "-"}; recorded only: ${onlyRecorded.join(", ") || "-"})`
    }`,
  );
  const harness = [...new Set([...recordings.values()].flatMap((r) => r.harnessRequires))].filter((m) => !imports.modules.includes(m)).sort();
  const extraPackages = [...new Set([...recordings.values()].flatMap((r) => r.packages))].filter((p) => !(bareWarm.result.packages ?? []).includes(p)).sort();
  console.log(`  the mock engine (tools/) adds: ${harness.join(", ") || "nothing"}`);
  console.log(`  packages an evaluation loads that the bare load does not: ${extraPackages.join(", ") || "none"}`);
  const tsMs = [...recordings.values()].map((r) => r.typescriptMs).filter((ms) => ms > 0);
  if (tsMs.length) {
    const inBare = (bareWarm.result.packages ?? []).includes("typescript");
    console.log(
      `  \`typescript\` (Pulumi's closure serializer) takes ${seconds(median(tsMs))} of an evaluation to load${inBare ? "; @pulumi/pulumi loads it on import, so the bare load pays it too" : ""}`,
    );
  }

  const bare: ChildRun<LoadResult>[] = [];
  const evals = new Map<string, ChildRun<EvaluateResult>[]>(stacks.map((s) => [s, []]));
  for (let i = 0; i < reps; i++) {
    bare.push(await runChild<LoadResult>("benchLoadOnly.ts", [JSON.stringify(imports.modules)]));
    for (const stack of stacks) evals.get(stack)!.push(await runChild<EvaluateResult>("benchEvaluate.ts", [stack]));
  }

  const bareWall = median(bare.map((r) => r.wallMs));
  const bareRss = median(bare.map((r) => r.result.maxRssKiB));
  console.log(`\n  ${pad("", 22)}${pad("wall time", 28)}${pad("peak RSS", 26)}ratio to bare load (wall / RSS)`);
  console.log(`  ${pad("bare SDK load", 22)}${pad(spread(bare.map((r) => r.wallMs), seconds), 28)}${pad(spread(bare.map((r) => r.result.maxRssKiB), mib), 26)}1.00× / 1.00×`);
  let worst = 0;
  for (const stack of stacks) {
    const runs = evals.get(stack)!;
    const wall = median(runs.map((r) => r.wallMs));
    const rss = median(runs.map((r) => r.result.maxRssKiB));
    worst = Math.max(worst, wall / bareWall, rss / bareRss);
    console.log(
      `  ${pad(`evaluate ${stack}`, 22)}${pad(spread(runs.map((r) => r.wallMs), seconds), 28)}${pad(spread(runs.map((r) => r.result.maxRssKiB), mib), 26)}${(wall / bareWall).toFixed(2)}× / ${(rss / bareRss).toFixed(2)}×`,
    );
  }
  console.log(`  goal ≤ 1.30×: ${worst <= 1.3 ? "met" : `NOT met (worst ${worst.toFixed(2)}×)`}`);
  console.log(`  where the time goes (medians, ms since the child process started):`);
  console.log(`    bare load:  node + tsx ready ${median(bare.map((r) => r.result.ms.entered)).toFixed(0)}, modules loaded ${median(bare.map((r) => r.result.ms.loaded)).toFixed(0)}`);
  for (const stack of stacks) {
    const runs = evals.get(stack)!;
    console.log(
      `    ${pad(stack, 10)}  node + tsx ready ${median(runs.map((r) => r.result.ms.entered)).toFixed(0)}, mock engine + @pulumi/pulumi loaded ${median(runs.map((r) => r.result.ms.engineLoaded)).toFixed(0)}, program evaluated ${median(runs.map((r) => r.result.ms.evaluated)).toFixed(0)}`,
    );
  }

  for (const [stack, r] of recordings) {
    if (r.closure.calls > 0)
      console.log(
        `    ${pad(stack, 10)}  Pulumi's closure serializer (dynamic providers' \`__provider\`): ${r.closure.calls} call(s), ${seconds(r.closure.wallMs)} of a ${seconds(r.evaluateMs)} evaluation (untimed instrumented run)`,
      );
  }

  const tsc = runTsc();
  console.log(
    `\n  tsc --noEmit (whole project, one run): ${seconds(tsc.wallMs)} wall${tsc.totalTime ? `, tsc's total time ${tsc.totalTime}` : ""}${tsc.memory ? `, memory used ${tsc.memory}` : ""}, exit ${tsc.exit}`,
  );
  if (tsc.exit !== 0) console.log(tsc.output.split("\n").filter((l) => /error TS/.test(l)).slice(0, 10).map((l) => `    ${l}`).join("\n"));

  // ---- 2. Critical path ----
  console.log(`\n2. Deployment critical path (simulated clock; unlimited parallelism, as Pulumi's default)`);
  console.log(`  provisioning times (seconds):`);
  for (const f of PROVISIONING) console.log(`    ${pad(`${f.type}${f.when ? ` — ${f.when.label}` : ""}`, 86)} ${String(f.seconds).padStart(4)}  ${f.source}`);
  console.log(`  rules that justify an explicit edge:`);
  for (const [id, text] of Object.entries(RULES)) console.log(`    (${id}) ${text}`);
  console.log(`    (f) is not in the issue's list of Azure orderings: it is PostgreSQL's (see the report). The ideal is also shown without it.`);
  const analyses = new Map<string, Analysis>();
  for (const stack of stacks) {
    const evaluation = recordings.get(stack)!.evaluation;
    const a = analyse(evaluation.resources, provisioningSeconds);
    analyses.set(stack, a);
    const unknown = [...new Set(a.graph.order.filter((n) => n.custom && !figureFor(n)).map((n) => n.type))];
    if (unknown.length) console.log(`\n  types without a figure (${UNKNOWN_TYPE_SECONDS} s assumed): ${unknown.join(", ")}`);
    printAnalysis(stack, a);
  }

  // ---- 3. Resource counts ----
  console.log(`\n3. Resources per stack`);
  for (const stack of stacks) {
    const a = analyses.get(stack)!;
    const customs = a.graph.order.filter((n) => n.custom).length;
    console.log(`  ${pad(stack, 10)} ${String(a.graph.nodes.size).padStart(3)} resources (${customs} custom, ${a.graph.nodes.size - customs} components)`);
  }
  console.log(`\nload average at end: ${loadavg()}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
