/**
 * `npm run plan`: plans for every stack file (JSON snapshot, secrets masked), validation first
 * with the key in the message, unknown stacks and broken YAML reported precisely, no secret value
 * in any format, Mermaid that parses, and nothing written outside --out.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runPlan, writeFiles } from "../tools/plan";
import { toMermaid, type Plan } from "../tools/planReport";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, PROJECT_DIR } from "../tools/mockEngine";
import { checkMermaidFlowchart } from "./support/mermaidSubset";

const SNAPSHOTS = path.join(__dirname, "fixtures", "plans");

/** A throwaway project: the real program and Pulumi.yaml linked in, stack files of our own. */
function scratchProject(stacks: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kong-plan-"));
  for (const entry of ["index.ts", "components", "Pulumi.yaml", "Pulumi.dev.yaml"]) fs.symlinkSync(path.join(PROJECT_DIR, entry), path.join(dir, entry));
  for (const [name, text] of Object.entries(stacks)) fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}
const scratch: string[] = [];
after(() => scratch.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("plan: every stack", () => {
  const runs = new Map<string, { json: Plan; markdown: string; text: string }>();
  before(async () => {
    for (const stack of listStacks()) {
      const [json, markdown, text] = await Promise.all(["json", "markdown", "text"].map((format) => runPlan([stack, "--format", format])));
      for (const r of [json!, markdown!, text!]) assert.equal(r.exitCode, 0, r.stderr);
      runs.set(stack, { json: JSON.parse(json!.stdout) as Plan, markdown: markdown!.stdout, text: text!.stdout });
    }
  });

  for (const stack of listStacks()) {
    it(`plans ${stack} (JSON snapshot, secrets masked)`, () => {
      const run = runs.get(stack)!;
      const file = path.join(SNAPSHOTS, `${stack}.json`);
      const actual = JSON.stringify(run.json, null, 2) + "\n";
      if (process.env.UPDATE_SNAPSHOTS === "1") {
        fs.mkdirSync(SNAPSHOTS, { recursive: true });
        fs.writeFileSync(file, actual);
      }
      assert.ok(fs.existsSync(file), `no snapshot ${file}; run with UPDATE_SNAPSHOTS=1 and review`);
      assert.equal(actual, fs.readFileSync(file, "utf8"), `plan of ${stack} changed; review, then UPDATE_SNAPSHOTS=1`);
      assert.ok(run.json.resources.some((r) => r.type === "Server" && r.properties.auth === "Entra Enabled, password Enabled"));
      assert.ok(run.json.timing && run.json.timing.criticalPath.length > 3);
      assert.equal(run.json.timing!.totalMinutes, run.json.timing!.idealMinutes, "no ordering beyond what Azure requires");
    });

    it(`shows no secret value of ${stack} in any format`, async () => {
      const e = await evaluateStack({ stack });
      const secrets = [
        ...e.resources.flatMap((r) => r.secretOutputs.map((p) => r.outputs[p.split(/[.[]/)[0]!])),
        ...Object.values(e.outputs).filter((o) => o.secret).map((o) => o.value),
      ].flatMap((v) => (typeof v === "string" ? [v] : JSON.stringify(v).match(/mock-secret-[A-Za-z0-9!-]+/g) ?? []));
      assert.ok(secrets.length > 0, "the evaluation has secrets to hide");
      const run = runs.get(stack)!;
      for (const text of [JSON.stringify(run.json), run.markdown, run.text]) {
        for (const s of secrets) assert.ok(!text.includes(s), `a secret of ${stack} leaked into the plan`);
        assert.doesNotMatch(text, /mock-secret-/);
      }
      if (run.json.kongSettings.env.KONG_PG_AZURE_CLIENT_SECRET !== undefined) assert.equal(run.json.kongSettings.env.KONG_PG_AZURE_CLIENT_SECRET, "[secret]");
    });

    it(`draws ${stack}'s graph as valid Mermaid with the critical path marked`, () => {
      const run = runs.get(stack)!;
      const mermaid = toMermaid(run.json);
      assert.deepEqual(checkMermaidFlowchart(mermaid), []);
      assert.match(mermaid, /^  class .* critical$/m);
      assert.ok(run.markdown.includes("```mermaid\n" + mermaid.trimEnd() + "\n```"));
      for (const step of run.json.timing!.criticalPath) assert.ok(run.text.includes(step.name));
    });
  }

  it("the Mermaid checker rejects what Mermaid would (so the check above can fail)", () => {
    assert.notDeepEqual(checkMermaidFlowchart('flowchart LR\n  a["x"]\n  a --> b\n'), []);
    assert.notDeepEqual(checkMermaidFlowchart('flowchart LR\n  subgraph s["x"]\n  a["x"]\n'), []);
    assert.notDeepEqual(checkMermaidFlowchart('flowchart LR\n  a["say "hi""]\n'), []);
    assert.deepEqual(checkMermaidFlowchart('flowchart LR\n  a["x"]\n  b["y"]\n  a --> b\n'), []);
  });
});

describe("plan: bad input", () => {
  it("an unknown stack lists the stacks found", async () => {
    const run = await runPlan(["nosuch"]);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, new RegExp(`unknown stack "nosuch".*stacks found: ${listStacks().join(", ")}`));
  });

  it("a stack file that is not valid YAML is reported with file, line and column", async () => {
    const dir = scratchProject({ broken: "config:\n  kong-entra-postgres:location: westeurope\n  bad: [unclosed\n" });
    scratch.push(dir);
    const run = await runPlan(["broken"], dir);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /Pulumi\.broken\.yaml:\d+:\d+: /);
  });

  it("invalid config fails first, with every problem and its key, and nothing else printed", async () => {
    const dir = scratchProject({
      bad: "config:\n  kong-entra-postgres:deploymentAdminName: X\n  kong-entra-postgres:storageSizeGb: abc\n  kong-entra-postgres:highAvailability: true\n",
    });
    scratch.push(dir);
    const run = await runPlan(["bad", "--format", "json"], dir);
    assert.equal(run.exitCode, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /kong-entra-postgres:storageSizeGb: must be a whole number/);
    assert.match(run.stderr, /kong-entra-postgres:highAvailability: /);
  });

  it("a licence set in a stack file is masked in every format", async () => {
    const licence = '{"license":{"payload":"mock-licence-do-not-show-1234"}}';
    const dir = scratchProject({ lic: `${fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")}  kong-entra-postgres:kongLicense: '${licence}'\n` });
    scratch.push(dir);
    for (const format of ["json", "markdown", "text"]) {
      const run = await runPlan(["lic", "--format", format, "--out", "x"], dir);
      assert.equal(run.exitCode, 0, run.stderr);
      for (const text of [run.stdout, ...Object.values(run.files)]) assert.ok(!text.includes("mock-licence-do-not-show"), `licence leaked (${format})`);
    }
  });

  it("--all with --out writes only <stack>.md, <stack>.json and index.md inside the directory", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "kong-plan-out-"));
    scratch.push(out);
    const run = await runPlan(["--all", "--out", out]);
    assert.equal(run.exitCode, 0, run.stderr);
    writeFiles(out, run.files);
    const expected = ["index.md", ...listStacks().flatMap((s) => [`${s}.json`, `${s}.md`])].sort();
    assert.deepEqual(fs.readdirSync(out).sort(), expected);
    const index = fs.readFileSync(path.join(out, "index.md"), "utf8");
    for (const s of listStacks()) assert.match(index, new RegExp(`\\| \`${s}\` \\|`));
    assert.throws(() => writeFiles(out, { "../escape.md": "x" }), /outside/);
    assert.ok(!fs.existsSync(path.join(out, "..", "escape.md")));
  });

  it("runs as npm run plan does, exiting non-zero on a bad stack", async () => {
    const code = await new Promise<number>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", path.join(PROJECT_DIR, "tools", "plan.ts"), "nosuch"], { cwd: PROJECT_DIR }, (err) => resolve(err ? (err as { code?: number }).code ?? 1 : 0));
    });
    assert.equal(code, 2);
  });
});
