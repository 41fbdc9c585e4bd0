/**
 * The offline plan of one stack, built from what the mock engine recorded: the resources grouped
 * by component with the properties that matter, Kong's settings in both forms, and the dependency
 * graph as a Mermaid flowchart with the simulated critical path marked. Pure: no I/O.
 *
 * Secrets never appear: values at secret paths are replaced by `[secret]`, and every rendering is
 * scrubbed once more of every secret value the evaluation knows (config secrets and secret
 * inputs/outputs), so a secret copied somewhere unexpected is still masked.
 */
import type { Evaluation, RecordedResource } from "./mockEngine";
import { isPlaceholder } from "./mockCloud";

export const SECRET_MASK = "[secret]";

/** One resource row of the plan. */
export interface PlanResource {
  readonly component: string;
  readonly type: string;
  readonly name: string;
  /** The properties that matter for this type, already masked. */
  readonly properties: Record<string, string>;
  /** protect / retainOnDelete / deletedWith / replaceOnChanges / deleteBeforeReplace, when set. */
  readonly flags: string[];
}

export interface PlanEdge {
  readonly from: string;
  readonly to: string;
  /** `data` (an input uses the other's output) or `ordering` (dependsOn, with its reason). */
  readonly kind: "data" | "ordering";
  readonly reason?: string;
}

export interface PlanTiming {
  /** Simulated `pulumi up` time, minutes. */
  readonly totalMinutes: number;
  /** Longest chain through data dependencies and the orderings Azure requires, minutes. */
  readonly idealMinutes: number;
  /** Resource names on the critical path, first to last, with simulated start/finish minutes. */
  readonly criticalPath: { readonly name: string; readonly start: number; readonly finish: number }[];
}

export interface Plan {
  readonly stack: string;
  readonly resources: PlanResource[];
  readonly kongSettings: { readonly env: Record<string, string>; readonly conf: string };
  readonly edges: PlanEdge[];
  readonly timing?: PlanTiming;
  readonly resourceCount: number;
  /** The name suffix the plan shows when the stack sets none (Pulumi generates one at the first up). */
  readonly suffixPlaceholder?: string;
}

/** Every secret value the evaluation knows of. */
export function secretValues(e: Evaluation): string[] {
  const found = new Set<string>();
  const collect = (obj: unknown, paths: readonly string[]) => {
    for (const p of paths) {
      const v = valueAt(obj, p);
      for (const s of strings(v)) if (s.length >= 4) found.add(s);
    }
  };
  for (const r of e.resources) {
    collect(r.inputs, r.secretInputs);
    collect(r.outputs, r.secretOutputs);
  }
  for (const o of Object.values(e.outputs)) {
    if (o.secret) for (const s of strings(o.value)) if (s.length >= 4) found.add(s);
    collect(o.value, o.secretPaths);
  }
  for (const [key, value] of Object.entries(e.config)) {
    if (/license|secret|password/i.test(key) && value.length >= 4) found.add(value);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}

function valueAt(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const step of path.match(/[^.[\]]+/g) ?? []) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[step];
  }
  return cur;
}

/** Replaces every occurrence of a secret value in `text` by the mask. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(SECRET_MASK);
  return out;
}

const shortType = (type: string) => {
  const parts = type.split(":");
  return parts[parts.length - 1]!.replace(/^.*\//, "");
};

/** Marks values only Azure knows: `00000000-…` GUIDs, TEST-NET addresses, mock names. */
export function markPlaceholder(value: string): string {
  return isPlaceholder(value) || /^192\.0\.2\.\d+$/.test(value) ? `⟨${value}⟩` : value;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return markPlaceholder(v);
  return JSON.stringify(v);
}

/** The properties that matter, per resource type. */
function propertiesOf(r: RecordedResource): Record<string, string> {
  const i = r.inputs as Record<string, any>;
  const p: Record<string, string> = {};
  const set = (k: string, v: unknown) => {
    const s = show(v);
    if (s !== "") p[k] = s;
  };
  switch (r.type) {
    case "azure-native:dbforpostgresql:Server":
      set("name", i.serverName);
      set("location", i.location);
      set("sku", i.sku && `${i.sku.name} (${i.sku.tier})`);
      set("version", i.version);
      set("storage", i.storage?.storageSizeGB && `${i.storage.storageSizeGB} GiB`);
      set("auth", i.authConfig && `Entra ${i.authConfig.activeDirectoryAuth}, password ${i.authConfig.passwordAuth}`);
      set("HA", i.highAvailability?.mode);
      set("backup", i.backup && `${i.backup.backupRetentionDays} days, geo ${i.backup.geoRedundantBackup}`);
      set("createMode", i.createMode);
      set("source", i.sourceServerResourceId);
      break;
    case "azure-native:dbforpostgresql:Configuration":
      set("setting", `${i.configurationName} = ${i.value}`);
      set("server", i.serverName);
      break;
    case "azure-native:dbforpostgresql:FirewallRule":
      set("rule", i.firewallRuleName);
      set("range", i.startIpAddress === i.endIpAddress ? i.startIpAddress : `${i.startIpAddress}–${i.endIpAddress}`);
      set("server", i.serverName);
      break;
    case "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra":
      set("principal", `${i.principalName} (${i.principalType})`);
      set("objectId", i.objectId);
      break;
    case "azure-native:app:ContainerApp": {
      const c = i.template?.containers?.[0];
      set("image", c?.image);
      set("probes", (c?.probes ?? []).map((pr: any) => `${pr.type} ${pr.httpGet?.path}:${pr.httpGet?.port}`).join(", "));
      set("ingress", i.configuration?.ingress && `external ${i.configuration.ingress.external}, port ${i.configuration.ingress.targetPort}`);
      set("replicas", i.template?.scale && `${i.template.scale.minReplicas}–${i.template.scale.maxReplicas}`);
      break;
    }
    case "azure-native:app:Job":
      set("command", i.template?.containers?.[0]?.command?.join(" "));
      set("image", i.template?.containers?.[0]?.image);
      break;
    case "azure-native:compute:VirtualMachine":
      set("size", i.hardwareProfile?.vmSize);
      set("image", i.storageProfile?.imageReference && `${i.storageProfile.imageReference.offer}/${i.storageProfile.imageReference.sku}`);
      set("identity", i.identity?.type);
      break;
    case "azure-native:network:PublicIPAddress":
      set("allocation", i.publicIPAllocationMethod);
      set("address", r.outputs.ipAddress);
      break;
    case "azure-native:network:NetworkSecurityGroup":
      set("inbound", (i.securityRules ?? []).map((s: any) => `${s.destinationPortRange} from ${s.sourceAddressPrefix ?? (s.sourceAddressPrefixes ?? []).join(" ")}`).join("; "));
      break;
    case "postgresql:index/database:Database":
      set("database", i.name);
      set("owner", i.owner ?? "(deployment administrator)");
      break;
    case "postgresql:index/grant:Grant":
      set("grant", `${(i.privileges ?? []).join(", ")} on ${i.objectType} ${i.schema ?? i.database} to ${i.role}`);
      break;
    case "pulumi:providers:postgresql":
      set("host", i.host);
      set("username", i.username);
      set("sslmode", i.sslmode);
      break;
    case "pulumi-nodejs:dynamic/postgresql:EntraPrincipal":
      set("role", i.roleName);
      set("objectId", i.objectId);
      break;
    case "pulumi-nodejs:dynamic/containerapps:JobExecution":
      set("job", i.jobId);
      break;
    case "azuread:index/applicationPassword:ApplicationPassword":
      set("endDate", i.endDate);
      break;
    default:
      for (const key of ["resourceName", "displayName", "virtualNetworkName", "natGatewayName", "networkInterfaceName", "resourceGroupName", "environmentName"]) {
        if (i[key] !== undefined) {
          set(key, i[key]);
          break;
        }
      }
  }
  return p;
}

function flagsOf(r: RecordedResource): string[] {
  const f: string[] = [];
  if (r.options.protect) f.push("protect");
  if (r.options.retainOnDelete) f.push("retainOnDelete");
  if (r.options.deletedWith) f.push(`deletedWith ${r.options.deletedWith.split("::").pop()}`);
  if (r.options.replaceOnChanges.length) f.push(`replaceOnChanges ${r.options.replaceOnChanges.join(",")}`);
  if (r.options.deleteBeforeReplace) f.push("deleteBeforeReplace");
  return f;
}

/** Builds the plan of one evaluated stack. `timing` and ordering reasons come from the critical-path module. */
export function buildPlan(e: Evaluation, edges: PlanEdge[], timing?: PlanTiming): Plan {
  const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
  const componentOf = (r: RecordedResource) => {
    const parent = byUrn.get(r.parent);
    return parent && !parent.custom ? parent.name : "(stack)";
  };
  const resources = e.resources
    .filter((r) => r.custom)
    .map((r) => ({ component: componentOf(r), type: shortType(r.type), name: r.name, properties: propertiesOf(r), flags: flagsOf(r) }))
    .sort((a, b) => a.component.localeCompare(b.component) || a.name.localeCompare(b.name));
  const env = (e.outputs.kongEnvironment?.value ?? {}) as Record<string, string>;
  const envSecretPaths = e.outputs.kongEnvironment?.secretPaths ?? [];
  const maskedEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envSecretPaths.includes(k) ? SECRET_MASK : v]));
  const suffixResource = e.resources.find((r) => r.type === "random:index/randomString:RandomString" && r.name.endsWith("-suffix"));
  return {
    stack: e.stack,
    ...(suffixResource ? { suffixPlaceholder: String(suffixResource.outputs.result) } : {}),
    resources,
    kongSettings: { env: maskedEnv, conf: String(e.outputs.kongConf?.value ?? "") },
    edges,
    timing,
    resourceCount: resources.length,
  };
}

/** Mermaid node ids: stable, [A-Za-z0-9_] only. */
export function nodeId(name: string): string {
  return "n_" + name.replace(/[^A-Za-z0-9]/g, "_");
}

/** Mermaid label text: no characters that end a quoted label. */
function label(text: string): string {
  return text.replace(/["<>]/g, "'");
}

/**
 * The dependency graph as a Mermaid flowchart: one subgraph per component, data edges solid,
 * ordering edges dashed, critical-path nodes and edges highlighted.
 */
export function toMermaid(plan: Plan): string {
  const critical = new Set(plan.timing?.criticalPath.map((c) => c.name) ?? []);
  const lines = ["flowchart LR"];
  const byComponent = new Map<string, PlanResource[]>();
  for (const r of plan.resources) byComponent.set(r.component, [...(byComponent.get(r.component) ?? []), r]);
  let s = 0;
  for (const [component, rs] of byComponent) {
    lines.push(`  subgraph sg${s++}["${label(component)}"]`);
    for (const r of rs) lines.push(`    ${nodeId(r.name)}["${label(`${r.type}: ${r.name}`)}"]`);
    lines.push("  end");
  }
  const known = new Set(plan.resources.map((r) => r.name));
  const criticalEdges: number[] = [];
  let index = 0;
  for (const edge of plan.edges) {
    if (!known.has(edge.from) || !known.has(edge.to)) continue;
    lines.push(`  ${nodeId(edge.from)} ${edge.kind === "data" ? "-->" : "-.->"} ${nodeId(edge.to)}`);
    if (critical.has(edge.from) && critical.has(edge.to) && adjacentOnPath(plan, edge)) criticalEdges.push(index);
    index++;
  }
  lines.push("  classDef critical fill:#ffe0b3,stroke:#d9480f,stroke-width:2px");
  if (critical.size > 0) lines.push(`  class ${[...critical].filter((n) => known.has(n)).map(nodeId).join(",")} critical`);
  if (criticalEdges.length > 0) lines.push(`  linkStyle ${criticalEdges.join(",")} stroke:#d9480f,stroke-width:3px`);
  return lines.join("\n") + "\n";
}

function adjacentOnPath(plan: Plan, edge: PlanEdge): boolean {
  const path = plan.timing?.criticalPath.map((c) => c.name) ?? [];
  const i = path.indexOf(edge.from);
  return i >= 0 && path[i + 1] === edge.to;
}

const minutes = (m: number) => `${m.toFixed(1)} min`;

/** Markdown report (what the PR workflow posts and `--out` writes). */
export function toMarkdown(plan: Plan): string {
  const out: string[] = [`# Plan for stack \`${plan.stack}\``, ""];
  out.push(
    `${plan.resourceCount} resources. Values in ⟨…⟩ are placeholders for what only Azure or Entra know before \`pulumi up\`; secrets show as \`${SECRET_MASK}\`.` +
      (plan.suffixPlaceholder ? ` Names end in \`${plan.suffixPlaceholder}\`, a stand-in for the suffix generated at the first \`up\` (set \`nameSuffix\` to choose it).` : ""),
    "",
  );
  if (plan.timing) {
    out.push(
      `Simulated \`pulumi up\`: **${minutes(plan.timing.totalMinutes)}** (ideal ${minutes(plan.timing.idealMinutes)}, ratio ${(plan.timing.totalMinutes / plan.timing.idealMinutes).toFixed(2)}).`,
      "",
    );
  }
  out.push("## Resources", "");
  let component = "";
  for (const r of plan.resources) {
    if (r.component !== component) {
      component = r.component;
      out.push("", `### ${component}`, "", "| Type | Name | Properties | Flags |", "|---|---|---|---|");
    }
    const props = Object.entries(r.properties).map(([k, v]) => `${k}: ${v}`).join("<br>");
    out.push(`| ${r.type} | ${r.name} | ${props.replace(/\|/g, "\\|")} | ${r.flags.join(", ")} |`);
  }
  out.push("", "## Kong's settings", "", "Environment (container runtime):", "", "```sh");
  for (const [k, v] of Object.entries(plan.kongSettings.env)) out.push(`${k}=${v}`);
  out.push("```", "", "kong.conf (VM runtime; never carries the secret):", "", "```ini", plan.kongSettings.conf.trimEnd(), "```", "");
  out.push("## Dependency graph", "", "Solid: data dependency. Dashed: an ordering Azure requires. Highlighted: the simulated critical path.", "", "```mermaid", toMermaid(plan).trimEnd(), "```", "");
  if (plan.timing) {
    out.push("## Critical path", "", "| Resource | Start | Finish |", "|---|---|---|");
    for (const c of plan.timing.criticalPath) out.push(`| ${c.name} | ${minutes(c.start)} | ${minutes(c.finish)} |`);
    out.push("");
  }
  const reasons = plan.edges.filter((e) => e.kind === "ordering");
  if (reasons.length > 0) {
    out.push("## Orderings", "", "| Before | After | Why |", "|---|---|---|");
    for (const e of reasons) out.push(`| ${e.from} | ${e.to} | ${e.reason ?? ""} |`);
    out.push("");
  }
  return out.join("\n");
}

/** Plain-text report for the terminal. */
export function toText(plan: Plan): string {
  const out: string[] = [`Plan for stack ${plan.stack}: ${plan.resourceCount} resources (⟨…⟩ = known only after up; secrets shown as ${SECRET_MASK})`];
  if (plan.suffixPlaceholder) out.push(`Names end in "${plan.suffixPlaceholder}", a stand-in for the suffix generated at the first up (set nameSuffix to choose it).`);
  if (plan.timing) out.push(`Simulated up: ${minutes(plan.timing.totalMinutes)} (ideal ${minutes(plan.timing.idealMinutes)})`);
  let component = "";
  for (const r of plan.resources) {
    if (r.component !== component) {
      component = r.component;
      out.push("", `[${component}]`);
    }
    const props = Object.entries(r.properties).map(([k, v]) => `${k}=${v}`).join("  ");
    out.push(`  ${r.type.padEnd(28)} ${r.name}${props ? `\n      ${props}` : ""}${r.flags.length ? `\n      flags: ${r.flags.join(", ")}` : ""}`);
  }
  out.push("", "Kong environment:");
  for (const [k, v] of Object.entries(plan.kongSettings.env)) out.push(`  ${k}=${v}`);
  out.push("", "kong.conf:", ...plan.kongSettings.conf.trimEnd().split("\n").map((l) => `  ${l}`));
  if (plan.timing) {
    out.push("", "Critical path:");
    for (const c of plan.timing.criticalPath) out.push(`  ${minutes(c.start).padStart(9)} → ${minutes(c.finish).padStart(9)}  ${c.name}`);
  }
  return out.join("\n") + "\n";
}
