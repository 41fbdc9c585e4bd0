/**
 * The deployment critical path of a recorded resource graph: what `pulumi up` would take on a
 * simulated clock, and what it would take with only the orderings that are actually required.
 * Pure (no I/O, no Pulumi runtime): the benchmark (`tools/bench.ts`) and the offline plan use this
 * one implementation over what the mock engine records (`tools/mockEngine.ts`).
 *
 *   const graph = buildGraph(evaluation.resources);
 *   const edges = classifyEdges(graph);                    // every explicit edge, with its rule(s)
 *   const schedule = simulate(graph, durations);           // all edges: what `up` does
 *   const ideal = simulate(graph, durations, requiredOnly(edges)); // data edges + justified orderings
 *   const path = criticalPath(schedule);
 * or all at once: `analyse(resources, durations)`.
 *
 * Model (Pulumi's default, unlimited parallelism):
 * - Edges into a resource: **data** (the URNs in its `propertyDependencies`: inputs computed from
 *   other resources), **provider** (its explicit provider resource; a resource cannot be created
 *   before its provider is configured), and **explicit** (`dependencies` that are not data: the
 *   `dependsOn` orderings). Data and provider edges are true dependencies; an explicit edge is
 *   required only when a rule justifies it (see {@link azureOrderingRules}).
 * - A custom resource starts when every kept edge's source has finished and its parent is
 *   registered, and takes `duration(node)`. A component takes no time: it is registered when its
 *   own dependencies have finished and completes when its children have. Depending on a component
 *   means waiting for its completion.
 * - Parents: the Node SDK awaits the parent's URN before registering a child
 *   (`runtime/resource.js`, `prepareResource`), so a child starts no earlier than its parent's
 *   registration (a component's start; a custom parent's finish). A component's own `dependsOn`
 *   therefore delays all its children, and is classified like an edge into each of them.
 */

// ---------------------------------------------------------------------------------------------
// Input and graph
// ---------------------------------------------------------------------------------------------

/** The fields of a recorded resource this module reads (a structural subset of `RecordedResource`). */
export interface ResourceRecord {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Parent URN ("" or absent at the stack's root). */
  readonly parent?: string;
  readonly custom: boolean;
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly options: {
    /** dependsOn plus input dependencies, as URNs. */
    readonly dependencies: readonly string[];
    /** Per input key, the URNs its value came from: the data dependencies. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** Provider reference `urn::id` ("" or absent for a default provider). */
    readonly provider?: string;
  };
}

/** Why a resource waits for another. */
export type EdgeKind = "data" | "provider" | "explicit";

/** `from` must finish before `to` starts. */
export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** Data edges: the input keys whose values came from `from`. */
  readonly inputs: readonly string[];
}

export interface GraphNode {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  readonly custom: boolean;
  /** Parent URN when the parent is in the graph. */
  readonly parent?: string;
  /** Child URNs, in registration order. */
  readonly children: readonly string[];
  /** Edges into this node: data, provider, explicit (in that order). */
  readonly incoming: readonly Edge[];
  readonly resource: ResourceRecord;
}

/** A recorded resource graph: nodes by URN in registration order, and every dependency edge. */
export class ResourceGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly edges: readonly Edge[];

  constructor(nodes: readonly GraphNode[]) {
    this.nodes = new Map(nodes.map((n) => [n.urn, n]));
    this.edges = nodes.flatMap((n) => n.incoming);
  }

  /** Nodes in registration order. */
  get order(): GraphNode[] {
    return [...this.nodes.values()];
  }

  node(urn: string): GraphNode {
    const found = this.nodes.get(urn);
    if (!found) throw new Error(`no resource ${urn} in the graph`);
    return found;
  }

  /** The node with this logical name (the first, if names repeat across types). */
  named(name: string): GraphNode {
    const found = this.order.find((n) => n.name === name);
    if (!found) throw new Error(`no resource named ${name}; have: ${this.order.map((n) => n.name).join(", ")}`);
    return found;
  }

  /** A readable name: the logical name, qualified by type when two resources share it. */
  label(urn: string): string {
    const node = this.nodes.get(urn);
    if (!node) return urn;
    const clash = this.order.some((n) => n.urn !== urn && n.name === node.name);
    return clash ? `${node.name} (${node.type})` : node.name;
  }

  /** Custom resources under a node (itself if custom), depth first. */
  customDescendants(urn: string): GraphNode[] {
    const node = this.node(urn);
    if (node.custom) return [node];
    return node.children.flatMap((c) => this.customDescendants(c));
  }
}

/** The URN part of a provider reference `urn::id`. */
export function providerUrn(reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const cut = reference.lastIndexOf("::");
  return cut > 0 ? reference.slice(0, cut) : reference;
}

/**
 * Builds the graph. URNs the records do not contain (default providers, resources outside the
 * program) are ignored; a resource's edge to itself too.
 */
export function buildGraph(resources: readonly ResourceRecord[]): ResourceGraph {
  const known = new Set(resources.map((r) => r.urn));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (r.parent && known.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  }
  const nodes = resources.map((r): GraphNode => {
    const dataInputs = new Map<string, string[]>();
    for (const [key, urns] of Object.entries(r.options.propertyDependencies ?? {})) {
      for (const urn of urns) if (known.has(urn) && urn !== r.urn) dataInputs.set(urn, [...(dataInputs.get(urn) ?? []), key]);
    }
    const incoming: Edge[] = [...dataInputs].map(([from, inputs]) => ({ from, to: r.urn, kind: "data", inputs }));
    const provider = providerUrn(r.options.provider);
    if (provider && known.has(provider) && !dataInputs.has(provider)) incoming.push({ from: provider, to: r.urn, kind: "provider", inputs: [] });
    for (const from of new Set(r.options.dependencies ?? [])) {
      if (known.has(from) && from !== r.urn && !dataInputs.has(from) && from !== provider) incoming.push({ from, to: r.urn, kind: "explicit", inputs: [] });
    }
    return {
      urn: r.urn,
      name: r.name,
      type: r.type,
      custom: r.custom,
      parent: r.parent && known.has(r.parent) ? r.parent : undefined,
      children: children.get(r.urn) ?? [],
      incoming,
      resource: r,
    };
  });
  return new ResourceGraph(nodes);
}

// ---------------------------------------------------------------------------------------------
// Classification of explicit edges
// ---------------------------------------------------------------------------------------------

/** The orderings an explicit edge may stand for. */
export type RuleId = "a" | "b" | "c" | "d" | "e" | "f";

/** Each rule in a sentence. (a)–(e) are the orderings Azure requires; (f) is PostgreSQL's. */
export const RULES: Readonly<Record<RuleId, string>> = {
  a: "one operation at a time per server (ServerBusy); creating a replica is an operation on its primary",
  b: "an Entra administrator exists before any Entra sign-in to the server",
  c: "the replica after the primary's child operations and before the primary's firewall rules",
  d: "a client connects only after the firewall rule admitting it exists",
  e: "Kong's migrations before Kong's new revision, and `finish` after it",
  f: "privileges are granted before the grantee uses them (Kong's migrations need CREATE on schema public)",
};

export interface RuleMatch {
  readonly rule: RuleId;
  /** The rule applied to this edge, in a sentence. */
  readonly because: string;
}

export interface ClassifiedEdge extends Edge {
  /** The rules that justify the edge (empty for an extra edge). */
  readonly rules: readonly RuleMatch[];
  /** No rule justifies it: it can only make `up` slower than the ideal. */
  readonly extra: boolean;
  /** For an extra edge: why not (which expanded pair fits no rule). */
  readonly unjustified?: string;
}

/**
 * Decides which rules justify `from` → `to` for two custom resources (component endpoints are
 * expanded by {@link classifyEdges}). Returns no match for an edge no rule justifies.
 */
export type EdgeClassifier = (from: GraphNode, to: GraphNode, graph: ResourceGraph) => RuleMatch[];

/** `a→b` key of an edge. */
export function edgeKey(edge: Pick<Edge, "from" | "to">): string {
  return `${edge.from}\u0000${edge.to}`;
}

/**
 * Classifies every explicit edge. An edge from or to a component stands for edges between all
 * their custom descendants (a dependency on a component waits for all of them; a component's
 * dependsOn delays all its children): it is justified only if every such pair is.
 */
export function classifyEdges(graph: ResourceGraph, classifier: EdgeClassifier = azureOrderingRules): ClassifiedEdge[] {
  return graph.edges
    .filter((e) => e.kind === "explicit")
    .map((edge): ClassifiedEdge => {
      const froms = graph.customDescendants(edge.from);
      const tos = graph.customDescendants(edge.to);
      const rules = new Map<RuleId, RuleMatch>();
      let unjustified: string | undefined;
      if (froms.length === 0 || tos.length === 0) unjustified = "a component with no custom resources under it";
      for (const from of froms) {
        for (const to of tos) {
          if (from.urn === to.urn) continue;
          const matches = classifier(from, to, graph);
          if (matches.length === 0) unjustified ??= `${graph.label(from.urn)} → ${graph.label(to.urn)} fits no rule`;
          for (const m of matches) if (!rules.has(m.rule)) rules.set(m.rule, m);
        }
      }
      const extra = unjustified !== undefined;
      return { ...edge, rules: extra ? [] : [...rules.values()].sort((x, y) => x.rule.localeCompare(y.rule)), extra, ...(extra ? { unjustified } : {}) };
    });
}

// What this project's resources are, for the rules. Types are Pulumi tokens as recorded.
const T = {
  server: "azure-native:dbforpostgresql:Server",
  configuration: "azure-native:dbforpostgresql:Configuration",
  firewallRule: "azure-native:dbforpostgresql:FirewallRule",
  administrators: ["azure-native:dbforpostgresql:AdministratorsMicrosoftEntra", "azure-native:dbforpostgresql:Administrator"],
  armDatabase: "azure-native:dbforpostgresql:Database",
  publicIp: "azure-native:network:PublicIPAddress",
  postgresqlProvider: "pulumi:providers:postgresql",
  postgresqlResource: "postgresql:",
  grant: "postgresql:index/grant:Grant",
  entraPrincipal: "pulumi-nodejs:dynamic/postgresql:EntraPrincipal",
  jobExecution: "pulumi-nodejs:dynamic/containerapps:JobExecution",
  containerApp: "azure-native:app:ContainerApp",
  vm: "azure-native:compute:VirtualMachine",
} as const;

/** Who a firewall rule admits. Names come from `components/firewallRules.ts` (`deployer-…`, `client-…`). */
export type FirewallAudience = "deployer" | "kong" | "client" | "azureServices";

/** What the rules need to know about one custom resource. */
export interface ResourceFacts {
  /** A Flexible Server: a primary, or a replica of `primary`. */
  readonly server?: { readonly role: "primary" | "replica"; readonly primary?: string };
  /** A child operation on a server (configuration, firewall rule, administrator, ARM database). */
  readonly operation?: { readonly kind: "configuration" | "firewallRule" | "administrator" | "database"; readonly server: string; readonly audience?: FirewallAudience };
  /**
   * Signs in to PostgreSQL with Entra: `deployer` = the database layer (runs where `pulumi up`
   * runs), `kong` = Kong's migrations and runtime. `servers`: the servers it connects to (the
   * servers among its data dependencies and its provider's).
   */
  readonly client?: { readonly audience: "deployer" | "kong"; readonly servers: readonly string[] };
  /** Kong's migration run (a Container Apps job execution), or Kong serving (app or VM). */
  readonly kong?: "migrations" | "runtime";
  /** A privilege grant (database layer). */
  readonly grant?: boolean;
}

const factsCache = new WeakMap<ResourceGraph, Map<string, ResourceFacts>>();

function dataSources(node: GraphNode, input?: string): string[] {
  return node.incoming.filter((e) => e.kind === "data" && (input === undefined || e.inputs.includes(input))).map((e) => e.from);
}

/** What {@link azureOrderingRules} knows about a custom resource (derived from types and data edges). */
export function factsOf(graph: ResourceGraph, urn: string): ResourceFacts {
  let cache = factsCache.get(graph);
  if (!cache) factsCache.set(graph, (cache = new Map()));
  const cached = cache.get(urn);
  if (cached) return cached;

  const node = graph.node(urn);
  const isServer = (u: string) => graph.nodes.get(u)?.type === T.server;
  const inputs = node.resource.inputs ?? {};
  // The server an operation acts on: its `serverName` came from it (or, failing that, names match).
  const serverOf = (n: GraphNode): string | undefined =>
    dataSources(n, "serverName").find(isServer) ??
    graph.order.find((s) => s.type === T.server && s.resource.inputs?.serverName !== undefined && s.resource.inputs?.serverName === n.resource.inputs?.serverName)?.urn;
  const connectsTo = (n: GraphNode): string[] => {
    const direct = dataSources(n).filter(isServer);
    const provider = n.incoming.find((e) => e.kind === "provider");
    const viaProvider = provider ? dataSources(graph.node(provider.from)).filter(isServer) : [];
    return [...new Set([...direct, ...viaProvider])];
  };

  let facts: ResourceFacts = {};
  if (node.type === T.server) {
    const replica = inputs.createMode === "Replica";
    facts = { server: replica ? { role: "replica", primary: dataSources(node, "sourceServerResourceId").find(isServer) } : { role: "primary" } };
  } else if (node.type === T.configuration || node.type === T.firewallRule || node.type === T.armDatabase || (T.administrators as readonly string[]).includes(node.type)) {
    const server = serverOf(node);
    if (server) {
      const kind = node.type === T.configuration ? "configuration" : node.type === T.firewallRule ? "firewallRule" : node.type === T.armDatabase ? "database" : "administrator";
      let audience: FirewallAudience | undefined;
      if (kind === "firewallRule") {
        const ruleName = String(inputs.firewallRuleName ?? "");
        const fromPublicIp = [...dataSources(node, "startIpAddress"), ...dataSources(node, "endIpAddress")].some((u) => graph.nodes.get(u)?.type === T.publicIp);
        audience = fromPublicIp ? "kong" : inputs.startIpAddress === "0.0.0.0" && inputs.endIpAddress === "0.0.0.0" ? "azureServices" : ruleName.startsWith("deployer-") ? "deployer" : "client";
      }
      facts = { operation: { kind, server, ...(audience ? { audience } : {}) } };
    }
  } else if (node.type === T.postgresqlProvider || node.type.startsWith(T.postgresqlResource) || node.type === T.entraPrincipal) {
    facts = { client: { audience: "deployer", servers: connectsTo(node) }, ...(node.type === T.grant ? { grant: true } : {}) };
  } else if (node.type === T.jobExecution) {
    facts = { client: { audience: "kong", servers: connectsTo(node) }, kong: "migrations" };
  } else if (node.type === T.containerApp || node.type === T.vm) {
    facts = { client: { audience: "kong", servers: connectsTo(node) }, kong: "runtime" };
  }
  cache.set(urn, facts);
  return facts;
}

/**
 * This project's rules (a)–(f) for one explicit edge between custom resources:
 * (a) both are operations on one server: its child operations, and its replicas' creation;
 * (b) an administrator assignment on a server → an Entra client of that server or its replicas
 *     (this covers Kong's assignment in administrator mode, which also creates Kong's role);
 * (c) a configuration/administrator on the primary → the replica; the replica → a firewall rule
 *     on the primary;
 * (d) a firewall rule on a server → a client it admits that connects to that server (deployer
 *     rules admit the database layer; Kong's egress rule, or "allow Azure services", Kong);
 * (e) Kong's migrations → Kong's runtime, or Kong's runtime → a migration run (`finish`);
 * (f) a grant → Kong's migrations or runtime (Kong's role uses the privileges it receives).
 */
export const azureOrderingRules: EdgeClassifier = (from, to, graph) => {
  const f = factsOf(graph, from.urn);
  const t = factsOf(graph, to.urn);
  const label = (u: string) => graph.label(u);
  const matches: RuleMatch[] = [];

  // The servers an operation occupies: a child operation its server; a server itself (the first
  // link of its chain); a replica also its primary (its creation is an operation there).
  const occupies = (urn: string, x: ResourceFacts): string[] =>
    x.operation ? [x.operation.server] : x.server ? [urn, ...(x.server.primary ? [x.server.primary] : [])] : [];
  const shared = occupies(from.urn, f).find((s) => occupies(to.urn, t).includes(s));
  if (shared !== undefined) matches.push({ rule: "a", because: `both are operations on ${label(shared)}` });

  if (f.operation?.kind === "administrator" && t.client) {
    const admitted = t.client.servers.filter((s) => s === f.operation!.server || factsOf(graph, s).server?.primary === f.operation!.server);
    if (admitted.length > 0) matches.push({ rule: "b", because: `${label(to.urn)} signs in with Entra to ${admitted.map(label).join(", ")}` });
  }

  if (t.server?.role === "replica" && (f.operation?.kind === "configuration" || f.operation?.kind === "administrator") && f.operation.server === t.server.primary) {
    matches.push({ rule: "c", because: `the replica copies ${label(from.urn)} from its primary` });
  }
  if (f.server?.role === "replica" && t.operation?.kind === "firewallRule" && t.operation.server === f.server.primary) {
    matches.push({ rule: "c", because: "a replica created after this rule would copy it as an unmanaged rule" });
  }

  if (f.operation?.kind === "firewallRule" && t.client && t.client.servers.includes(f.operation.server)) {
    const audience = f.operation.audience;
    const admits = audience === t.client.audience || (audience === "azureServices" && t.client.audience === "kong");
    if (admits) matches.push({ rule: "d", because: `${label(to.urn)} connects to ${label(f.operation.server)} from the address this rule admits (${audience})` });
  }

  if ((f.kong === "migrations" && t.kong === "runtime") || (f.kong === "runtime" && t.kong === "migrations")) {
    matches.push({ rule: "e", because: f.kong === "migrations" ? "the new revision starts on a migrated database" : "`finish` runs once the new revision serves" });
  }

  if (f.grant && t.client?.audience === "kong") matches.push({ rule: "f", because: `${label(to.urn)} signs in as the grantee and uses the privileges` });
  return matches;
};

// ---------------------------------------------------------------------------------------------
// Required orderings that are missing
// ---------------------------------------------------------------------------------------------

/**
 * The custom resources whose finish `urn`'s start waits for, transitively, over every edge and
 * parent registration (a wait on a component is a wait on all its custom descendants).
 */
export function prerequisites(graph: ResourceGraph, urn: string, memo = new Map<string, Set<string>>()): Set<string> {
  const known = memo.get(urn);
  if (known) return known;
  const result = new Set<string>();
  memo.set(urn, result); // a cycle stops here (simulate() reports cycles)
  const node = graph.node(urn);
  const waitOnFinish = (u: string) => {
    for (const d of graph.customDescendants(u)) {
      result.add(d.urn);
      for (const p of prerequisites(graph, d.urn, memo)) result.add(p);
    }
    if (!graph.node(u).custom) for (const p of prerequisites(graph, u, memo)) result.add(p);
  };
  for (const e of node.incoming) waitOnFinish(e.from);
  if (node.parent) {
    const parent = graph.node(node.parent);
    if (parent.custom) waitOnFinish(parent.urn);
    else for (const p of prerequisites(graph, parent.urn, memo)) result.add(p);
  }
  return result;
}

export interface MissingOrdering {
  readonly rule: RuleId;
  /** Must finish first. */
  readonly before: string;
  /** Must not start until then (for rule (a) and (e): either way round). */
  readonly after: string;
  readonly why: string;
}

/**
 * The orderings rules (a)–(f) require that the graph does not guarantee, even transitively
 * (the other half of {@link classifyEdges}: an extra edge slows `up`, a missing one breaks it,
 * and the ideal assumes none is missing):
 * (a) every two operations occupying one server are ordered;
 * (b) every Entra client of a primary or its replicas waits for each administrator on the primary;
 * (c) a replica waits for its primary's configurations and administrators, and its primary's
 *     firewall rules wait for it;
 * (d) a client waits for every firewall rule admitting it on each server it connects to;
 * (e) every migration run and every Kong runtime are ordered;
 * (f) Kong's migrations and runtime wait for every grant.
 */
export function missingOrderings(graph: ResourceGraph): MissingOrdering[] {
  const memo = new Map<string, Set<string>>();
  const waits = (later: string, earlier: string) => prerequisites(graph, later, memo).has(earlier);
  const ordered = (x: string, y: string) => waits(x, y) || waits(y, x);
  const customs = graph.order.filter((n) => n.custom);
  const facts = new Map(customs.map((n) => [n.urn, factsOf(graph, n.urn)]));
  const label = (u: string) => graph.label(u);
  const missing: MissingOrdering[] = [];
  const need = (rule: RuleId, before: string, after: string, why: string, either = false) => {
    if (!(either ? ordered(before, after) : waits(after, before))) missing.push({ rule, before: label(before), after: label(after), why });
  };

  const servers = customs.filter((n) => facts.get(n.urn)!.server);
  for (const server of servers) {
    const occupants = customs.filter((n) => {
      const f = facts.get(n.urn)!;
      return f.operation?.server === server.urn || f.server?.primary === server.urn;
    });
    for (let i = 0; i < occupants.length; i++)
      for (let j = i + 1; j < occupants.length; j++) need("a", occupants[i]!.urn, occupants[j]!.urn, `both are operations on ${label(server.urn)}`, true);
  }
  for (const [urn, f] of facts) {
    const op = f.operation;
    if (op?.kind === "administrator") {
      for (const [client, c] of facts) {
        if (c.client?.servers.some((s) => s === op.server || facts.get(s)?.server?.primary === op.server)) need("b", urn, client, "an Entra sign-in needs the administrator");
      }
    }
    if (f.server?.role === "replica" && f.server.primary) {
      for (const [other, o] of facts) {
        if (o.operation?.server !== f.server.primary) continue;
        if (o.operation.kind === "configuration" || o.operation.kind === "administrator") need("c", other, urn, "the replica copies it");
        if (o.operation.kind === "firewallRule") need("c", urn, other, "a replica created later would copy the rule");
      }
    }
    if (op?.kind === "firewallRule") {
      for (const [client, c] of facts) {
        const admits = op.audience === c.client?.audience || (op.audience === "azureServices" && c.client?.audience === "kong");
        // "allow Azure services" is one way in for Kong, not one it needs: only its own rules are required.
        if (admits && op.audience !== "azureServices" && c.client!.servers.includes(op.server)) need("d", urn, client, `it connects to ${label(op.server)} from the address this rule admits`);
      }
    }
    if (f.kong === "migrations") for (const [other, o] of facts) if (o.kong === "runtime") need("e", urn, other, "migrations and Kong's revision are ordered", true);
    if (f.grant) for (const [client, c] of facts) if (c.client?.audience === "kong") need("f", urn, client, "Kong's role uses the privileges");
  }
  return missing;
}

/** An edge filter keeping true dependencies (data, provider) and the explicit edges some rule justifies. */
export function requiredOnly(classified: readonly ClassifiedEdge[], rules?: readonly RuleId[]): EdgeFilter {
  const keep = new Set(classified.filter((e) => !e.extra && (rules === undefined || e.rules.some((m) => rules.includes(m.rule)))).map(edgeKey));
  return (edge) => edge.kind !== "explicit" || keep.has(edgeKey(edge));
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

/** Provisioning time of a custom resource, in seconds of simulated time. */
export type DurationFn = (node: GraphNode) => number;
/** Which dependency edges the simulation honours (default: all). */
export type EdgeFilter = (edge: Edge) => boolean;

/** What made a resource start (or a component complete) when it did. */
export interface Cause {
  readonly urn: string;
  /** The edge kind, or `parent` (waiting for the parent's registration), or `child` (a component completing). */
  readonly kind: EdgeKind | "parent" | "child";
  /** Whether the cause's start (a component parent's registration) or finish counted. */
  readonly at: "start" | "finish";
}

export interface ScheduledResource {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  readonly custom: boolean;
  /** Simulated seconds since the start of `up`. */
  readonly start: number;
  readonly finish: number;
  readonly duration: number;
  /** The latest-finishing prerequisite (none: started at 0). */
  readonly startedBy?: Cause;
  /** Components: the child that completed last (none: no child ended after its registration). */
  readonly finishedBy?: Cause;
}

export interface Schedule {
  readonly graph: ResourceGraph;
  /** By URN, in registration order. */
  readonly entries: ReadonlyMap<string, ScheduledResource>;
  /** When the last resource finishes: the simulated `up` time. */
  readonly total: number;
}

const KIND_PREFERENCE: Record<Cause["kind"], number> = { data: 0, provider: 1, explicit: 2, parent: 3, child: 4 };

/**
 * Runs `up` on a simulated clock with unlimited parallelism. Throws on a dependency cycle (which
 * the real engine would also reject), naming it.
 */
export function simulate(graph: ResourceGraph, duration: DurationFn, keep: EdgeFilter = () => true): Schedule {
  const starts = new Map<string, { at: number; cause?: Cause }>();
  const finishes = new Map<string, { at: number; cause?: Cause }>();
  const visiting: string[] = [];

  // The latest candidate; among equals, the preferred kind (a data edge explains a wait best).
  const latest = (candidates: { at: number; cause: Cause }[]): { at: number; cause?: Cause } => {
    let best: { at: number; cause: Cause } | undefined;
    for (const c of candidates) {
      if (!best || c.at > best.at || (c.at === best.at && KIND_PREFERENCE[c.cause.kind] < KIND_PREFERENCE[best.cause.kind])) best = c;
    }
    return best ?? { at: 0 };
  };
  const guard = <T>(key: string, compute: () => T): T => {
    if (visiting.includes(key)) {
      const cycle = visiting.slice(visiting.indexOf(key)).map((k) => `${k.slice(0, 1) === "s" ? "start" : "finish"} of ${graph.label(k.slice(2))}`);
      throw new Error(`dependency cycle: ${[...cycle, cycle[0]].join(" → ")}`);
    }
    visiting.push(key);
    try {
      return compute();
    } finally {
      visiting.pop();
    }
  };

  const startOf = (urn: string): { at: number; cause?: Cause } => {
    const known = starts.get(urn);
    if (known) return known;
    const result = guard(`s:${urn}`, () => {
      const node = graph.node(urn);
      const candidates: { at: number; cause: Cause }[] = node.incoming.filter(keep).map((e) => ({ at: finishOf(e.from).at, cause: { urn: e.from, kind: e.kind, at: "finish" } }));
      if (node.parent) {
        const parent = graph.node(node.parent);
        candidates.push(
          parent.custom
            ? { at: finishOf(parent.urn).at, cause: { urn: parent.urn, kind: "parent", at: "finish" } }
            : { at: startOf(parent.urn).at, cause: { urn: parent.urn, kind: "parent", at: "start" } },
        );
      }
      return latest(candidates);
    });
    starts.set(urn, result);
    return result;
  };

  const finishOf = (urn: string): { at: number; cause?: Cause } => {
    const known = finishes.get(urn);
    if (known) return known;
    const result = guard(`f:${urn}`, () => {
      const node = graph.node(urn);
      const start = startOf(urn).at;
      if (node.custom) {
        const d = duration(node);
        if (!(d >= 0) || !Number.isFinite(d)) throw new Error(`duration of ${graph.label(urn)} is ${d}: expected a finite number ≥ 0`);
        return { at: start + d };
      }
      const last = latest(node.children.map((c) => ({ at: finishOf(c).at, cause: { urn: c, kind: "child" as const, at: "finish" as const } })));
      return last.at > start ? last : { at: start };
    });
    finishes.set(urn, result);
    return result;
  };

  const entries = new Map<string, ScheduledResource>();
  let total = 0;
  for (const node of graph.order) {
    const s = startOf(node.urn);
    const f = finishOf(node.urn);
    total = Math.max(total, f.at);
    entries.set(node.urn, {
      urn: node.urn,
      name: node.name,
      type: node.type,
      custom: node.custom,
      start: s.at,
      finish: f.at,
      duration: f.at - s.at,
      ...(s.cause ? { startedBy: s.cause } : {}),
      ...(f.cause ? { finishedBy: f.cause } : {}),
    });
  }
  return { graph, entries, total };
}

// ---------------------------------------------------------------------------------------------
// Critical path
// ---------------------------------------------------------------------------------------------

export interface CriticalStep {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  readonly start: number;
  readonly finish: number;
  /**
   * How this step waited for the previous one: the edge kind (`data`, `provider`, `explicit`), or
   * `parent`. Absent on the first step. `through` names components the wait went through.
   */
  readonly via?: { readonly kind: EdgeKind | "parent"; readonly through: readonly string[] };
}

/**
 * The chain of custom resources that ends last, first to last: each step started when the
 * previous one finished. Components are walked through (a wait on a component is a wait on the
 * child that completed it; a wait on a component's registration is a wait on its own
 * prerequisites). Ties go to data edges first, then provider, explicit, parent.
 */
export function criticalPath(schedule: Schedule): CriticalStep[] {
  const { graph, entries } = schedule;
  const customs = [...entries.values()].filter((e) => e.custom);
  if (customs.length === 0) return [];
  let end = customs[0]!;
  for (const e of customs) if (e.finish > end.finish) end = e;

  const steps: CriticalStep[] = [];
  // Resolves a cause to the custom resource whose finish it stands for (or none: the clock's start).
  const resolve = (cause: Cause | undefined, through: string[]): { urn: string; through: string[] } | undefined => {
    if (!cause) return undefined;
    const entry = entries.get(cause.urn)!;
    if (entry.custom) return cause.at === "finish" ? { urn: cause.urn, through } : undefined;
    const next = cause.at === "start" ? entry.startedBy : (entry.finishedBy ?? entry.startedBy);
    return resolve(next, [...through, graph.label(cause.urn)]);
  };
  let current: ScheduledResource | undefined = end;
  let via: CriticalStep["via"];
  while (current) {
    const cause = current.startedBy;
    const previous = resolve(cause, []);
    via = previous && cause ? { kind: cause.kind === "child" ? "parent" : cause.kind, through: previous.through } : undefined;
    steps.unshift({ urn: current.urn, name: graph.label(current.urn), type: current.type, start: current.start, finish: current.finish, ...(via ? { via } : {}) });
    current = previous ? entries.get(previous.urn) : undefined;
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// All of it
// ---------------------------------------------------------------------------------------------

export interface Analysis {
  readonly graph: ResourceGraph;
  /** Every explicit edge, classified. */
  readonly edges: readonly ClassifiedEdge[];
  /** Explicit edges no rule justifies. */
  readonly extra: readonly ClassifiedEdge[];
  /** `up` as the program declares it (every edge). */
  readonly schedule: Schedule;
  readonly total: number;
  /** `up` with true dependencies and the justified orderings only. */
  readonly idealSchedule: Schedule;
  readonly ideal: number;
  /** total / ideal (1 when both are 0). */
  readonly ratio: number;
  readonly criticalPath: readonly CriticalStep[];
  readonly idealCriticalPath: readonly CriticalStep[];
  /** Orderings the rules require that the graph does not guarantee (the ideal assumes none). */
  readonly missing: readonly MissingOrdering[];
}

/** Builds, classifies, simulates both ways and extracts the critical paths. */
export function analyse(resources: readonly ResourceRecord[], duration: DurationFn, classifier: EdgeClassifier = azureOrderingRules): Analysis {
  const graph = buildGraph(resources);
  const edges = classifyEdges(graph, classifier);
  const schedule = simulate(graph, duration);
  const idealSchedule = simulate(graph, duration, requiredOnly(edges));
  return {
    graph,
    edges,
    extra: edges.filter((e) => e.extra),
    schedule,
    total: schedule.total,
    idealSchedule,
    ideal: idealSchedule.total,
    ratio: idealSchedule.total === 0 ? (schedule.total === 0 ? 1 : Infinity) : schedule.total / idealSchedule.total,
    criticalPath: criticalPath(schedule),
    idealCriticalPath: criticalPath(idealSchedule),
    missing: missingOrderings(graph),
  };
}

/** `m:ss` (or `h:mm:ss`) of simulated seconds. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
