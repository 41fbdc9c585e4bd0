/**
 * `npm run plan -- <stack> [<stack>…] | --all [--format text|json|markdown] [--out DIR]`
 *
 * An offline plan of a stack, no Azure account needed: runs the real index.ts with the stack's
 * Pulumi.<stack>.yaml under the same engine substitute the tests use, and prints the validation
 * result, every resource with the properties that matter, Kong's settings in both forms (secrets
 * masked), and the dependency graph as Mermaid with the simulated critical path. `--out DIR` also
 * writes `<stack>.md`, `<stack>.json` and `index.md` there — and nothing anywhere else.
 *
 * Exit codes: 0 planned; 1 a stack's config or program is invalid (every problem printed, as
 * `pulumi preview` would fail); 2 bad usage (unknown stack, unreadable stack file).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { analyse, clock } from "./criticalPath";
import { provisioningSeconds } from "./bench";
import { evaluateStack } from "./evaluateStack";
import { listStacks, PROJECT_DIR, type Evaluation } from "./mockEngine";
import { buildPlan, scrub, secretValues, toMarkdown, toText, type Plan, type PlanEdge } from "./planReport";

type Format = "text" | "json" | "markdown";

interface Options {
  readonly stacks: string[];
  readonly format: Format;
  readonly out?: string;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], known: readonly string[]): Options {
  const stacks: string[] = [];
  let format: Format = "text";
  let out: string | undefined;
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--all") all = true;
    else if (arg === "--format") {
      const value = argv[++i];
      if (value !== "text" && value !== "json" && value !== "markdown") throw new UsageError(`--format takes text, json or markdown (got ${value ?? "nothing"})`);
      format = value;
    } else if (arg === "--out") {
      out = argv[++i];
      if (!out) throw new UsageError("--out takes a directory");
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
    else stacks.push(arg);
  }
  if (all) stacks.push(...known.filter((s) => !stacks.includes(s)));
  if (stacks.length === 0) throw new UsageError(`name a stack or --all; stacks found: ${known.join(", ")}`);
  for (const s of stacks) {
    if (!known.includes(s)) throw new UsageError(`unknown stack "${s}": there is no Pulumi.${s}.yaml; stacks found: ${known.join(", ")}`);
  }
  return { stacks, format, out };
}

/** A stack file that is not valid YAML: file, line and column of every error. */
export function yamlProblems(file: string): string[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, "utf8"), { lineCounter, prettyErrors: false });
  return doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return `${path.basename(file)}:${pos.line}:${pos.col}: ${e.message.split("\n")[0]}`;
  });
}

/** Plans one evaluated stack: critical path and orderings from the shared critical-path module. */
export function planOf(e: Evaluation): Plan {
  const analysis = analyse(e.resources, provisioningSeconds);
  const label = (urn: string) => analysis.graph.label(urn);
  const edges: PlanEdge[] = [];
  const seen = new Set<string>();
  for (const edge of analysis.graph.edges) {
    if (edge.kind === "provider") continue;
    const key = `${edge.from}>${edge.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const classified = analysis.edges.find((c) => c.from === edge.from && c.to === edge.to);
    edges.push({
      from: label(edge.from),
      to: label(edge.to),
      kind: edge.kind === "data" ? "data" : "ordering",
      ...(classified ? { reason: classified.extra ? `not required: ${classified.unjustified}` : classified.rules.map((r) => r.because).join("; ") } : {}),
    });
  }
  // Edges between components are drawn between the custom resources they stand for.
  const customNames = new Set(e.resources.filter((r) => r.custom).map((r) => r.name));
  const drawable = edges.filter((x) => customNames.has(x.from) && customNames.has(x.to));
  return buildPlan(e, drawable, {
    totalMinutes: analysis.total / 60,
    idealMinutes: analysis.ideal / 60,
    criticalPath: analysis.criticalPath.map((s) => ({ name: s.name, start: s.start / 60, finish: s.finish / 60 })),
  });
}

export interface PlanRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Files to write (relative names inside `--out`). */
  readonly files: Record<string, string>;
}

/**
 * Runs the whole command without touching the file system except to read the project
 * (`projectDir`, default this repository).
 */
export async function runPlan(argv: readonly string[], projectDir = PROJECT_DIR): Promise<PlanRun> {
  let options: Options;
  try {
    options = parseArgs(argv, listStacks(projectDir));
  } catch (err) {
    if (err instanceof UsageError) return { exitCode: 2, stdout: "", stderr: `plan: ${err.message}\n`, files: {} };
    throw err;
  }
  const problems = [path.join(projectDir, "Pulumi.yaml"), ...options.stacks.map((s) => path.join(projectDir, `Pulumi.${s}.yaml`))].flatMap(yamlProblems);
  if (problems.length > 0) return { exitCode: 2, stdout: "", stderr: problems.map((p) => `plan: ${p}\n`).join(""), files: {} };

  const evaluations = await Promise.all(options.stacks.map((stack) => evaluateStack({ stack, projectDir })));
  const failed = evaluations.filter((e) => e.error);
  if (failed.length > 0) {
    // Validation first: nothing else is printed for an invalid stack, exactly as preview fails.
    const stderr = failed.map((e) => `plan: stack ${e.stack} is invalid:\n${scrub(e.error!, secretValues(e))}\n`).join("\n");
    return { exitCode: 1, stdout: "", stderr, files: {} };
  }

  const rendered = evaluations.map((e) => {
    const secrets = secretValues(e);
    const plan = planOf(e);
    const json = scrub(JSON.stringify(plan, null, 2), secrets) + "\n";
    return {
      stack: e.stack,
      text: scrub(toText(plan), secrets),
      markdown: scrub(toMarkdown(plan), secrets),
      json,
      summary: `| \`${e.stack}\` | ${plan.resourceCount} | ${plan.timing ? clock(plan.timing.totalMinutes * 60) : ""} |`,
    };
  });

  const stdout =
    options.format === "json"
      ? (rendered.length === 1 ? rendered[0]!.json : `[\n${rendered.map((r) => r.json.trimEnd()).join(",\n")}\n]\n`)
      : rendered.map((r) => (options.format === "markdown" ? r.markdown : r.text)).join("\n");

  const files: Record<string, string> = {};
  if (options.out) {
    for (const r of rendered) {
      files[`${r.stack}.md`] = r.markdown;
      files[`${r.stack}.json`] = r.json;
    }
    files["index.md"] = [
      "# Offline plan",
      "",
      "| Stack | Resources | Simulated `up` |",
      "|---|---|---|",
      ...rendered.map((r) => r.summary),
      "",
      ...rendered.map((r) => `<details><summary>Stack <code>${r.stack}</code></summary>\n\n${r.markdown}\n</details>\n`),
    ].join("\n");
  }
  return { exitCode: 0, stdout, stderr: "", files };
}

/** Writes the files strictly inside `dir` (names are `<known stack>.md|json` or `index.md`). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const target = path.resolve(root, name);
    if (path.dirname(target) !== root) throw new Error(`refusing to write ${name} outside ${root}`);
    fs.writeFileSync(target, content);
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  runPlan(argv).then(
    (run) => {
      process.stdout.write(run.stdout);
      process.stderr.write(run.stderr);
      const outIndex = argv.indexOf("--out");
      if (run.exitCode === 0 && outIndex >= 0) writeFiles(argv[outIndex + 1]!, run.files);
      process.exitCode = run.exitCode;
    },
    (err: unknown) => {
      process.stderr.write(`plan: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
