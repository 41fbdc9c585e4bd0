#!/usr/bin/env node
// Kong's settings, base branch vs pull request, from two offline plan reports.
//
//   node kong-settings-diff.mjs <base plan-report dir> <head plan-report dir> <out.md>
//
// Each `<stack>.json` of `npm run plan -- --all --format markdown --out plan-report` holds
// `kongSettings.env` (object: Kong's environment, container runtime) and `kongSettings.conf`
// (string: kong.conf, VM runtime). Both are rendered as text per stack and compared with `diff -u`.
// When some stack's settings differ, <out.md> gets one unified diff per changed stack (markdown,
// ready for a PR comment); when none does, <out.md> is not written. Either way `changed=true|false`
// is appended to $GITHUB_OUTPUT when it is set. A stack present on one side only counts as changed.
// Exit status: 0 (compared), 2 (bad arguments or unreadable report).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// GitHub refuses comments over 65,536 characters; keep room for the surrounding text.
const MAX_DIFF_CHARS = 60_000;

function fail(message) {
  console.error(`kong-settings-diff: ${message}`);
  process.exit(2);
}

/** stack name → kongSettings, for every `<stack>.json` report in `dir` that has them. */
function readReports(dir) {
  if (!existsSync(dir)) fail(`no plan report directory ${dir}`);
  const reports = new Map();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".json")) continue;
    let plan;
    try {
      plan = JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (err) {
      fail(`${join(dir, file)} is not JSON: ${err.message}`);
    }
    const settings = plan?.kongSettings;
    if (!settings || typeof settings !== "object") continue; // e.g. an index, not a stack report
    const env = settings.env ?? {};
    const conf = settings.conf ?? "";
    if (typeof env !== "object" || Array.isArray(env)) fail(`${file}: kongSettings.env is not an object`);
    if (typeof conf !== "string") fail(`${file}: kongSettings.conf is not a string`);
    reports.set(typeof plan.stack === "string" && plan.stack ? plan.stack : file.slice(0, -".json".length), { env, conf });
  }
  return reports;
}

/** One text rendering of a stack's settings: sorted env lines, then kong.conf. */
function render(settings) {
  if (!settings) return "";
  const env = Object.keys(settings.env)
    .sort()
    .map((key) => `${key}=${settings.env[key]}`);
  const conf = settings.conf.replace(/\s+$/, "");
  return [
    "# Kong environment (container runtime)",
    ...env,
    "",
    "# kong.conf (VM runtime)",
    ...(conf === "" ? [] : conf.split("\n")),
    "",
  ].join("\n");
}

function unifiedDiff(stack, before, after, work) {
  const a = join(work, `${stack}.base`);
  const b = join(work, `${stack}.head`);
  writeFileSync(a, before);
  writeFileSync(b, after);
  const result = spawnSync("diff", ["-u", "--label", `base/${stack}`, "--label", `pull-request/${stack}`, a, b], {
    encoding: "utf8",
  });
  if (result.status === 0) return "";
  if (result.status === 1) return result.stdout;
  fail(`diff failed for ${stack}: ${result.stderr || result.error?.message}`);
}

function fence(text) {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

function main() {
  const [baseDir, headDir, outFile] = process.argv.slice(2);
  if (!baseDir || !headDir || !outFile) fail("usage: kong-settings-diff.mjs <base plan-report> <head plan-report> <out.md>");
  const base = readReports(baseDir);
  const head = readReports(headDir);
  if (head.size === 0) fail(`${headDir} has no <stack>.json report with kongSettings`);

  const work = mkdtempSync(join(tmpdir(), "kong-settings-diff-"));
  const sections = [];
  try {
    for (const stack of [...new Set([...base.keys(), ...head.keys()])].sort()) {
      const diff = unifiedDiff(stack, render(base.get(stack)), render(head.get(stack)), work);
      if (diff === "") continue;
      const note = !base.has(stack) ? " (new stack)" : !head.has(stack) ? " (stack removed)" : "";
      const clipped = diff.length > MAX_DIFF_CHARS / 2 ? `${diff.slice(0, MAX_DIFF_CHARS / 2)}\n… (truncated)\n` : diff;
      const f = fence(clipped);
      sections.push(`<details open><summary><code>${stack}</code>${note}</summary>\n\n${f}diff\n${clipped.replace(/\n$/, "")}\n${f}\n\n</details>\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const changed = sections.length > 0;
  if (changed) {
    let body = [
      "### Kong settings changed by this pull request",
      "",
      "Kong's generated settings (`kongSettings` of the offline plan) differ from the base branch's:",
      "",
      ...sections,
    ].join("\n");
    if (body.length > MAX_DIFF_CHARS) body = `${body.slice(0, MAX_DIFF_CHARS)}\n\n… (truncated: see the job summary)\n`;
    writeFileSync(outFile, body);
    console.log(`Kong settings changed for: ${sections.length} stack(s); wrote ${outFile}`);
  } else {
    console.log("Kong settings unchanged for every stack.");
  }
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `changed=${changed}\n`);
}

main();
