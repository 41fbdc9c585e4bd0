/**
 * tools/criticalPath.ts on small hand-built graphs (simulation arithmetic, each rule, extra and
 * missing orderings, critical-path extraction), and the real dev and prod stacks: no extra edge, no
 * missing ordering, ratio exactly 1. That last one is a property of the graph (the two
 * simulations honour the same edges), not of timing; no test here reads a clock.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  analyse,
  buildGraph,
  classifyEdges,
  clock,
  criticalPath,
  missingOrderings,
  requiredOnly,
  simulate,
  type ClassifiedEdge,
  type DurationFn,
  type ResourceRecord,
  type RuleId,
} from "../tools/criticalPath";
import { provisioningSeconds } from "../tools/bench";
import { evaluateStack } from "../tools/evaluateStack";

const TY = {
  rg: "azure-native:resources:ResourceGroup",
  server: "azure-native:dbforpostgresql:Server",
  configuration: "azure-native:dbforpostgresql:Configuration",
  admin: "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra",
  rule: "azure-native:dbforpostgresql:FirewallRule",
  pip: "azure-native:network:PublicIPAddress",
  provider: "pulumi:providers:postgresql",
  database: "postgresql:index/database:Database",
  grant: "postgresql:index/grant:Grant",
  principal: "pulumi-nodejs:dynamic/postgresql:EntraPrincipal",
  job: "azure-native:app:Job",
  execution: "pulumi-nodejs:dynamic/containerapps:JobExecution",
  app: "azure-native:app:ContainerApp",
  vm: "azure-native:compute:VirtualMachine",
  component: "test:index:Component",
  thing: "test:index:Thing",
} as const;

interface Spec {
  readonly type?: string;
  readonly component?: boolean;
  readonly parent?: string;
  /** input key → names of the resources its value came from */
  readonly data?: Record<string, string[]>;
  /** dependsOn, by name */
  readonly after?: string[];
  readonly provider?: string;
  readonly inputs?: Record<string, unknown>;
}

/** A graph under construction, by logical name (names are unique here). */
class Records {
  readonly list: ResourceRecord[] = [];
  private readonly types = new Map<string, string>();

  urn(name: string): string {
    const type = this.types.get(name);
    assert.ok(type, `no resource ${name} declared yet`);
    return `urn:pulumi:t::p::${type}::${name}`;
  }

  add(name: string, spec: Spec = {}): this {
    const type = spec.type ?? (spec.component ? TY.component : TY.thing);
    this.types.set(name, type);
    const propertyDependencies = Object.fromEntries(Object.entries(spec.data ?? {}).map(([k, names]) => [k, names.map((n) => this.urn(n))]));
    const dependencies = [...new Set([...Object.values(propertyDependencies).flat(), ...(spec.after ?? []).map((n) => this.urn(n))])];
    this.list.push({
      urn: this.urn(name),
      type,
      name,
      parent: spec.parent ? this.urn(spec.parent) : "",
      custom: !spec.component,
      inputs: spec.inputs ?? {},
      options: { dependencies, propertyDependencies, provider: spec.provider ? `${this.urn(spec.provider)}::provider-id` : "" },
    });
    return this;
  }

  /** A copy without the explicit edge from → to. */
  without(from: string, to: string): ResourceRecord[] {
    const f = this.urn(from);
    return this.list.map((r) => (r.urn === this.urn(to) ? { ...r, options: { ...r.options, dependencies: r.options.dependencies.filter((d) => d !== f) } } : r));
  }
}

const durations =
  (table: Record<string, number>, fallback = 1): DurationFn =>
  (node) =>
    table[node.name] ?? fallback;

/**
 * A small copy of the program's shape: a primary with a configuration and an administrator, a
 * replica, firewall rules for the deployer and Kong, the database layer (a component), Kong's
 * role, migrations, the app and `finish`. Every explicit edge fits a rule.
 */
function azureShape(): Records {
  return new Records()
    .add("rg", { type: TY.rg })
    .add("pip", { type: TY.pip, data: { resourceGroupName: ["rg"] } })
    .add("server", { type: TY.server, data: { resourceGroupName: ["rg"] }, inputs: { serverName: "psql" } })
    .add("tls", { type: TY.configuration, data: { serverName: ["server"] } })
    .add("admin", { type: TY.admin, data: { serverName: ["server"] }, after: ["tls"] })
    .add("replica", { type: TY.server, data: { sourceServerResourceId: ["server"] }, after: ["admin"], inputs: { createMode: "Replica", serverName: "psql-ro" } })
    .add("replica-tls", { type: TY.configuration, data: { serverName: ["replica"] } })
    .add("deployer-rule", { type: TY.rule, data: { serverName: ["server"] }, after: ["replica"], inputs: { firewallRuleName: "deployer-203-0-113-10-32" } })
    .add("kong-rule", { type: TY.rule, data: { serverName: ["server"], startIpAddress: ["pip"], endIpAddress: ["pip"] }, after: ["deployer-rule"], inputs: { firewallRuleName: "kong-egress" } })
    .add("replica-kong-rule", { type: TY.rule, data: { serverName: ["replica"], startIpAddress: ["pip"], endIpAddress: ["pip"] }, after: ["replica-tls"], inputs: { firewallRuleName: "kong-egress" } })
    .add("db-layer", { component: true, after: ["deployer-rule"] })
    .add("provider", { type: TY.provider, parent: "db-layer", data: { host: ["server"] }, after: ["deployer-rule"] })
    .add("role", { type: TY.principal, data: { host: ["server"] }, after: ["deployer-rule"] })
    .add("db", { type: TY.database, parent: "db-layer", provider: "provider", after: ["deployer-rule"] })
    .add("grant", { type: TY.grant, parent: "db-layer", provider: "provider", data: { database: ["db"], role: ["role"] }, after: ["deployer-rule"] })
    .add("job", { type: TY.job, data: { env: ["db", "role"] } })
    .add("migrations", { type: TY.execution, data: { jobId: ["job"], triggers: ["server", "db"] }, after: ["grant", "kong-rule"] })
    .add("app", { type: TY.app, data: { env: ["server", "replica", "db"] }, after: ["migrations", "replica-kong-rule"] })
    .add("finish", { type: TY.execution, data: { jobId: ["job"], triggers: ["server", "app"] } });
}

function edge(edges: readonly ClassifiedEdge[], r: Records, from: string, to: string): ClassifiedEdge {
  const found = edges.find((e) => e.from === r.urn(from) && e.to === r.urn(to));
  assert.ok(found, `no explicit edge ${from} → ${to}`);
  return found;
}

const rulesOf = (e: ClassifiedEdge): RuleId[] => e.rules.map((m) => m.rule);

describe("buildGraph", () => {
  it("splits dependencies into data, provider and explicit edges", () => {
    const r = new Records()
      .add("a")
      .add("p", { type: TY.provider })
      .add("b", { data: { x: ["a"] }, after: ["a"], provider: "p" })
      .add("c", { after: ["b"] });
    const g = buildGraph(r.list);
    assert.deepEqual(
      g.node(r.urn("b")).incoming.map((e) => [e.kind, g.label(e.from), e.inputs]),
      [
        ["data", "a", ["x"]],
        ["provider", "p", []],
      ],
      "a dependsOn that is also a data dependency is a data edge",
    );
    assert.deepEqual(g.node(r.urn("c")).incoming.map((e) => [e.kind, g.label(e.from)]), [["explicit", "b"]]);
  });

  it("ignores URNs outside the records (default providers, other stacks)", () => {
    const records: ResourceRecord[] = [
      { urn: "u:a", type: TY.thing, name: "a", custom: true, options: { dependencies: ["u:elsewhere"], propertyDependencies: { x: ["u:elsewhere"] }, provider: "u:default::id" } },
    ];
    assert.deepEqual(buildGraph(records).edges, []);
  });
});

describe("simulate", () => {
  it("starts each resource when its last prerequisite finishes (unlimited parallelism)", () => {
    const r = new Records()
      .add("a")
      .add("b")
      .add("c", { data: { x: ["a"] }, after: ["b"] })
      .add("d", { data: { y: ["c"] } })
      .add("e");
    const s = simulate(buildGraph(r.list), durations({ a: 10, b: 25, c: 5, d: 7, e: 3 }));
    const at = (n: string) => {
      const e = s.entries.get(r.urn(n))!;
      return [e.start, e.finish];
    };
    assert.deepEqual(at("a"), [0, 10]);
    assert.deepEqual(at("b"), [0, 25]);
    assert.deepEqual(at("c"), [25, 30], "waits for the later of a (data) and b (explicit)");
    assert.deepEqual(at("d"), [30, 37]);
    assert.deepEqual(at("e"), [0, 3], "independent resources run in parallel");
    assert.equal(s.total, 37);
  });

  it("honours only the edges the filter keeps", () => {
    const r = new Records().add("a").add("b", { after: ["a"] }).add("c", { data: { x: ["a"] } });
    const g = buildGraph(r.list);
    const d = durations({ a: 10, b: 4, c: 2 });
    assert.equal(simulate(g, d).total, 14);
    assert.equal(simulate(g, d, (e) => e.kind !== "explicit").total, 12);
  });

  it("waits for an explicit provider", () => {
    const r = new Records().add("p", { type: TY.provider }).add("db", { type: TY.database, provider: "p" });
    const s = simulate(buildGraph(r.list), durations({ p: 5, db: 10 }));
    assert.deepEqual([s.entries.get(r.urn("db"))!.start, s.total], [5, 15]);
  });

  it("gives components no time: they complete with their last child, and a dependency on one waits for all its children", () => {
    const r = new Records()
      .add("k", { component: true })
      .add("k1", { parent: "k" })
      .add("k2", { parent: "k" })
      .add("z", { after: ["k"] });
    const s = simulate(buildGraph(r.list), durations({ k1: 4, k2: 9, z: 1 }));
    assert.deepEqual([s.entries.get(r.urn("k"))!.start, s.entries.get(r.urn("k"))!.finish, s.entries.get(r.urn("k"))!.duration], [0, 9, 9]);
    assert.equal(s.entries.get(r.urn("z"))!.start, 9);
    assert.equal(s.total, 10);
  });

  it("starts a component's children only once the component is registered (its own dependsOn)", () => {
    const r = new Records().add("w").add("c", { component: true, after: ["w"] }).add("c1", { parent: "c" });
    const s = simulate(buildGraph(r.list), durations({ w: 6, c1: 1 }));
    assert.deepEqual([s.entries.get(r.urn("c1"))!.start, s.total], [6, 7]);
  });

  it("rejects a dependency cycle, naming it", () => {
    const r = new Records().add("c", { component: true });
    r.add("c1", { parent: "c" });
    // c1 waits for c, which completes only when c1 does.
    const records = r.list.map((x) => (x.name === "c1" ? { ...x, options: { ...x.options, dependencies: [r.urn("c")] } } : x));
    assert.throws(() => simulate(buildGraph(records), durations({})), /dependency cycle: .*c1.*c/);
  });

  it("rejects a negative or non-finite duration", () => {
    const r = new Records().add("a");
    assert.throws(() => simulate(buildGraph(r.list), () => -1), /duration of a is -1/);
  });
});

describe("criticalPath", () => {
  it("follows the latest prerequisite back from the resource that ends last, through components", () => {
    const r = new Records()
      .add("x")
      .add("y", { data: { v: ["x"] } })
      .add("k", { component: true })
      .add("k1", { parent: "k", data: { v: ["y"] } })
      .add("k2", { parent: "k" })
      .add("z", { after: ["k"] })
      .add("short");
    const path = criticalPath(simulate(buildGraph(r.list), durations({ x: 2, y: 3, k1: 4, k2: 1, z: 5, short: 13 })));
    assert.deepEqual(
      path.map((s) => [s.name, s.start, s.finish, s.via?.kind, s.via?.through]),
      [
        ["x", 0, 2, undefined, undefined],
        ["y", 2, 5, "data", []],
        ["k1", 5, 9, "data", []],
        ["z", 9, 14, "explicit", ["k"]],
      ],
    );
  });

  it("goes through a component's registration to what the component waited for", () => {
    const r = new Records().add("w").add("c", { component: true, after: ["w"] }).add("c1", { parent: "c" });
    const path = criticalPath(simulate(buildGraph(r.list), durations({ w: 6, c1: 1 })));
    assert.deepEqual(
      path.map((s) => [s.name, s.via?.kind, s.via?.through]),
      [
        ["w", undefined, undefined],
        ["c1", "parent", ["c"]],
      ],
    );
  });

  it("prefers a data edge to an explicit one that finishes at the same time", () => {
    const r = new Records().add("a").add("b").add("c", { data: { v: ["b"] }, after: ["a"] });
    const path = criticalPath(simulate(buildGraph(r.list), durations({ a: 3, b: 3, c: 1 })));
    assert.deepEqual(path.map((s) => s.name), ["b", "c"]);
  });

  it("formats the simulated clock", () => {
    assert.deepEqual([clock(0), clock(65), clock(600), clock(3725)], ["0:00", "1:05", "10:00", "1:02:05"]);
  });
});

describe("classifyEdges", () => {
  const r = azureShape();
  const g = buildGraph(r.list);
  const edges = classifyEdges(g);

  it("(a) orders operations on one server, a replica's creation counting on its primary", () => {
    assert.deepEqual(rulesOf(edge(edges, r, "tls", "admin")), ["a"]);
    assert.deepEqual(rulesOf(edge(edges, r, "deployer-rule", "kong-rule")), ["a"]);
    assert.deepEqual(rulesOf(edge(edges, r, "replica-tls", "replica-kong-rule")), ["a"], "operations on the replica, chained on the replica");
  });

  it("(c) puts the replica after the primary's child operations and before its firewall rules", () => {
    assert.deepEqual(rulesOf(edge(edges, r, "admin", "replica")), ["a", "c"]);
    assert.deepEqual(rulesOf(edge(edges, r, "replica", "deployer-rule")), ["a", "c"]);
  });

  it("(d) lets a client wait for the rule that admits it, on a server it connects to", () => {
    for (const client of ["provider", "db", "grant", "role"]) assert.deepEqual(rulesOf(edge(edges, r, "deployer-rule", client)), ["d"], client);
    assert.deepEqual(rulesOf(edge(edges, r, "deployer-rule", "db-layer")), ["d"], "a component's dependsOn: justified for every child");
    assert.deepEqual(rulesOf(edge(edges, r, "kong-rule", "migrations")), ["d"]);
    assert.deepEqual(rulesOf(edge(edges, r, "replica-kong-rule", "app")), ["d"], "Kong serves reads from the replica");
  });

  it("(e) puts migrations before Kong's revision, (f) grants before Kong signs in", () => {
    assert.deepEqual(rulesOf(edge(edges, r, "migrations", "app")), ["e"]);
    assert.deepEqual(rulesOf(edge(edges, r, "grant", "migrations")), ["f"]);
  });

  it("(e) also justifies `finish` waiting for the runtime explicitly", () => {
    const s = new Records()
      .add("server", { type: TY.server })
      .add("app", { type: TY.app, data: { env: ["server"] } })
      .add("finish", { type: TY.execution, data: { triggers: ["server"] }, after: ["app"] });
    assert.deepEqual(rulesOf(edge(classifyEdges(buildGraph(s.list)), s, "app", "finish")), ["e"]);
  });

  it("(b) lets an Entra client of the primary, or of its replica, wait for an administrator", () => {
    const s = new Records()
      .add("server", { type: TY.server })
      .add("admin", { type: TY.admin, data: { serverName: ["server"] } })
      .add("replica", { type: TY.server, data: { sourceServerResourceId: ["server"] }, inputs: { createMode: "Replica" } })
      .add("provider", { type: TY.provider, data: { host: ["server"] }, after: ["admin"] })
      .add("vm", { type: TY.vm, data: { customData: ["replica"] }, after: ["admin"] });
    const e = classifyEdges(buildGraph(s.list));
    assert.deepEqual(rulesOf(edge(e, s, "admin", "provider")), ["b"]);
    assert.deepEqual(rulesOf(edge(e, s, "admin", "vm")), ["b"], "replicas inherit the primary's administrators");
  });

  it("justifies every explicit edge of the program's shape, so the ratio is 1", () => {
    assert.deepEqual(edges.filter((e) => e.extra).map((e) => `${g.label(e.from)} → ${g.label(e.to)}`), []);
    const a = analyse(r.list, durations({ server: 600, replica: 900, admin: 90 }, 60));
    assert.equal(a.ratio, 1);
    assert.equal(a.total, a.ideal);
    assert.deepEqual(a.missing, []);
  });
});

describe("extra edges", () => {
  it("flags edges no rule justifies", () => {
    const r = azureShape()
      .add("stray-1", { type: TY.thing, after: ["kong-rule"] }) // not a client or an operation
      .add("vm", { type: TY.vm, data: { customData: ["server"] }, after: ["deployer-rule", "replica-kong-rule", "job"] });
    // the deployer's rule does not admit Kong; Kong's VM here does not connect to the replica;
    // a job definition is no ordering at all
    const edges = classifyEdges(buildGraph(r.list));
    for (const [from, to] of [
      ["kong-rule", "stray-1"],
      ["deployer-rule", "vm"],
      ["replica-kong-rule", "vm"],
      ["job", "vm"],
    ] as const) {
      const e = edge(edges, r, from, to);
      assert.equal(e.extra, true, `${from} → ${to}`);
      assert.deepEqual(e.rules, []);
      assert.match(e.unjustified!, /fits no rule/);
    }
  });

  it("flags a rule on one server ordering an operation on another", () => {
    const r = azureShape();
    r.add("replica-extra-rule", { type: TY.rule, data: { serverName: ["replica"] }, after: ["kong-rule"], inputs: { firewallRuleName: "client-1" } });
    assert.equal(edge(classifyEdges(buildGraph(r.list)), r, "kong-rule", "replica-extra-rule").extra, true);
  });

  it("flags a component edge that some child does not justify", () => {
    const r = new Records()
      .add("server", { type: TY.server })
      .add("pip", { type: TY.pip })
      .add("kong-rule", { type: TY.rule, data: { serverName: ["server"], startIpAddress: ["pip"] }, inputs: { firewallRuleName: "kong-egress" } })
      .add("gateway", { component: true, after: ["kong-rule"] })
      .add("app", { type: TY.app, parent: "gateway", data: { env: ["server"] } })
      .add("job", { type: TY.job, parent: "gateway" });
    const e = edge(classifyEdges(buildGraph(r.list)), r, "kong-rule", "gateway");
    assert.equal(e.extra, true);
    assert.match(e.unjustified!, /kong-rule → job fits no rule/);
  });

  it("measures what an extra edge on the critical path costs: the ratio rises above 1", () => {
    const r = azureShape();
    // Migrations never use the replica: waiting for its Kong rule is an ordering no rule needs.
    const records = r.list.map((x) => (x.name === "migrations" ? { ...x, options: { ...x.options, dependencies: [...x.options.dependencies, r.urn("replica-kong-rule")] } } : x));
    const d = durations({ server: 600, replica: 900, admin: 90, "replica-tls": 300 }, 60);
    const a = analyse(records, d);
    assert.deepEqual(a.extra.map((e) => `${a.graph.label(e.from)} → ${a.graph.label(e.to)}`), ["replica-kong-rule → migrations"]);
    assert.equal(a.ideal, analyse(r.list, d).ideal, "the ideal ignores the extra edge");
    assert.ok(a.total > a.ideal && a.ratio > 1, `total ${a.total}, ideal ${a.ideal}`);
    assert.ok(a.criticalPath.some((s) => s.name === "replica-kong-rule"));
    assert.equal(simulate(a.graph, d, requiredOnly(a.edges)).total, a.ideal);
  });
});

describe("missingOrderings", () => {
  it("finds none in the program's shape", () => {
    assert.deepEqual(missingOrderings(buildGraph(azureShape().list)), []);
  });

  it("reports a client that no longer waits for its firewall rule (and so for the administrator)", () => {
    const r = azureShape();
    const missing = missingOrderings(buildGraph(r.without("deployer-rule", "role")));
    assert.deepEqual(
      missing.map((m) => [m.rule, m.before, m.after]),
      [
        ["b", "admin", "role"],
        ["d", "deployer-rule", "role"],
      ],
    );
  });

  it("reports unordered operations on one server, and migrations unordered with Kong", () => {
    const r = azureShape();
    const a = missingOrderings(buildGraph(r.without("tls", "admin")));
    assert.ok(a.some((m) => m.rule === "a" && m.before === "tls" && m.after === "admin"), JSON.stringify(a));
    const e = missingOrderings(buildGraph(r.without("migrations", "app")));
    assert.ok(e.some((m) => m.rule === "e" && m.before === "migrations" && m.after === "app"), JSON.stringify(e));
  });
});

describe("the real stacks", () => {
  for (const stack of ["dev", "prod"]) {
    it(`${stack}: every explicit edge fits a rule, no required ordering is missing, ratio exactly 1`, async () => {
      const evaluation = await evaluateStack({ stack });
      assert.equal(evaluation.error, undefined);
      // Any durations: with no extra edge both simulations honour the same edges.
      for (const d of [provisioningSeconds, () => 1]) {
        const a = analyse(evaluation.resources, d);
        assert.deepEqual(
          a.extra.map((e) => `${a.graph.label(e.from)} → ${a.graph.label(e.to)}: ${e.unjustified}`),
          [],
        );
        assert.deepEqual(a.missing, []);
        assert.equal(a.ratio, 1);
        assert.ok(a.edges.length > 0, "the chains are there to classify");
      }
    });
  }
});
