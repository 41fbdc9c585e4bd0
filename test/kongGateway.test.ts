/**
 * Kong itself, for every stack file and both runtimes: its resources carry exactly the settings
 * derived from the deployed server, replica, role and identity (recomputed here from the recorded
 * graph with the settings model); no secret in a plain value; probes, ports and ordering as the
 * runtime requires. The rendered settings (env form, kong.conf, cloud-init) are pinned per stack
 * by snapshots under test/fixtures/stacks/ (regenerate with UPDATE_SNAPSHOTS=1 and review the diff).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { StackConfig } from "../components/config";
import { kongDatabaseSettings, toEnvironment, toKongConf, type KongSettings } from "../components/kongSettings";
import { CONTAINER_SECRET_NAMES, MIGRATION_COMMANDS, SECRET_VERSION_ENV } from "../components/kongContainerGateway";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, type RecordedResource } from "../tools/mockEngine";
import { MOCK_TENANT_ID } from "../tools/mockCloud";
import { Graph, T } from "./support/graph";
import { stackModel } from "./support/stackAssertions";

const SNAPSHOTS = path.join(__dirname, "fixtures", "stacks");

function snapshot(name: string, actual: string): void {
  const file = path.join(SNAPSHOTS, name);
  if (process.env.UPDATE_SNAPSHOTS === "1" || !fs.existsSync(file)) {
    fs.mkdirSync(SNAPSHOTS, { recursive: true });
    fs.writeFileSync(file, actual);
    if (process.env.UPDATE_SNAPSHOTS !== "1") assert.fail(`snapshot ${name} was missing and has been written; review and commit it`);
    return;
  }
  assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} changed; review, then UPDATE_SNAPSHOTS=1`);
}

/** Kong's settings recomputed from what the graph deployed, independently of index.ts's wiring. */
function expectedSettings(g: Graph, config: StackConfig, withReplica: boolean): KongSettings {
  const server = g.named("kong-db-server");
  const replica = g.maybeNamed("kong-db-replica");
  const role = g.maybeNamed("kong-role");
  const user = String(role ? role.outputs.roleName : g.named("kong-db-kong-admin").inputs.principalName);
  const clientId =
    config.kong.identityMode === "servicePrincipal" ? String(g.ofType(T.application)[0]!.outputs.clientId) : String(g.ofType(T.managedIdentity)[0]!.outputs.clientId);
  return kongDatabaseSettings({
    host: String(server.outputs.fullyQualifiedDomainName),
    port: 5432,
    database: String(g.ofType(T.database)[0]!.outputs.name),
    user,
    identity: config.kong.identityMode === "servicePrincipal" ? { kind: "servicePrincipal", tenantId: MOCK_TENANT_ID, clientId } : { kind: "managedIdentity", clientId },
    replicaHost: withReplica && replica ? String(replica.outputs.fullyQualifiedDomainName) : undefined,
  });
}

type EnvVar = { name: string; value?: string; secretRef?: string };
const containerEnv = (r: RecordedResource): EnvVar[] => ((r.inputs.template as any).containers[0].env as EnvVar[]);

for (const stack of listStacks()) {
  describe(`Kong on stack ${stack}`, () => {
    let g: Graph;
    let config: StackConfig;
    before(async () => {
      config = stackModel(stack);
      g = new Graph(await evaluateStack({ stack }));
    });

    it("exports the readable settings the deployed graph implies, never pg_password", () => {
      const settings = g.output("kongSettings") as KongSettings;
      assert.deepEqual(settings, expectedSettings(g, config, true));
      assert.equal(settings.pg_host, g.output("serverHost"));
      assert.equal(settings.pg_user, g.output("kongRoleName"), "pg_user is the role the database layer made");
      assert.equal(settings.pg_azure_client_id, g.output("kongClientId"));
      assert.equal(settings.pg_ro_host, config.replica ? g.output("replicaHost") : undefined);
      assert.ok(!Object.keys(settings).some((k) => k.includes("password") || k.includes("secret")));
      snapshot(`${stack}.kong.conf`, toKongConf(settings));
    });

    it("allows Kong's egress address, known before Kong exists, on every server", () => {
      const ip = g.output("kongEgressIp");
      const rules = g.ofType(T.firewallRule).filter((r) => r.inputs.firewallRuleName === "kong-egress");
      assert.equal(rules.length, config.replica ? 2 : 1);
      for (const rule of rules) assert.deepEqual([rule.inputs.startIpAddress, rule.inputs.endIpAddress], [ip, ip]);
      const pip = g.ofType(T.publicIp)[0]!;
      assert.equal(pip.inputs.publicIPAllocationMethod, "Static");
      for (const rule of rules) assert.ok(!g.dependsOn(rule, g.ofType(config.kong.runtime === "container" ? T.containerApp : T.vm)[0]!), "the rule does not wait for Kong");
    });

    it("runs on its configured runtime with that runtime's settings, secrets, ports and ordering", () => {
      if (config.kong.runtime === "container") containerChecks(g, config, stack);
      else vmChecks(g, config, stack);
    });
  });
}

function containerChecks(g: Graph, config: StackConfig, stack: string): void {
  const app = g.ofType(T.containerApp)[0]!;
  const env = containerEnv(app);
  const settings = expectedSettings(g, config, true);
  const password = g.ofType(T.applicationPassword)[0]!;

  // Exactly the model's env form, plus the secret references and the rotation marker.
  const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  assert.deepEqual(plain, { ...toEnvironment(settings), [SECRET_VERSION_ENV]: password.outputs.keyId });
  assert.deepEqual(env.filter((e) => e.secretRef).map((e) => [e.name, e.secretRef]), [["KONG_PG_AZURE_CLIENT_SECRET", CONTAINER_SECRET_NAMES.clientSecret]]);
  assert.ok(!env.some((e) => e.value === password.outputs.value), "no secret in a plain env value");
  assert.ok(!env.some((e) => /^AZURE_/.test(e.name)), "no AZURE_* variable steers Kong's credential choice");
  snapshot(`${stack}.container.env`, Object.entries(plain).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");

  const configuration = app.inputs.configuration as any;
  assert.deepEqual(configuration.secrets, [{ name: CONTAINER_SECRET_NAMES.clientSecret, value: password.outputs.value }]);
  assert.equal(configuration.ingress.external, true);
  assert.equal(configuration.ingress.targetPort, 8000, "ingress reaches the proxy only");
  assert.equal(configuration.ingress.allowInsecure, false);
  assert.equal(configuration.ingress.additionalPortMappings, undefined, "no second port (Admin API) exposed");
  assert.equal(configuration.activeRevisionsMode, "Single");
  assert.match(plain.KONG_ADMIN_LISTEN!, /^127\.0\.0\.1:8001/);
  assert.ok(app.secretInputs.every((p) => p === "configuration"), "only the configuration carrying the secret is secret");
  assert.ok(!(app.secretInputs as string[]).includes("template"), "env, image and probes stay readable");

  const container = (app.inputs.template as any).containers[0];
  assert.equal(container.image, config.kong.image);
  assert.match(container.image, /^kong\/kong-gateway:3\.1[2-9]/);
  assert.deepEqual(
    container.probes.map((p: any) => [p.type, p.httpGet.path, p.httpGet.port]),
    [["Readiness", "/status/ready", 8100], ["Liveness", "/status", 8100]],
  );
  assert.match(plain.KONG_STATUS_LISTEN!, /^0\.0\.0\.0:8100/);
  assert.deepEqual((app.inputs.template as any).scale, { minReplicas: config.kong.container.minReplicas, maxReplicas: config.kong.container.maxReplicas });

  const environment = g.ofType(T.managedEnvironment)[0]!;
  assert.equal(app.inputs.environmentId, environment.outputs.id);
  assert.deepEqual((environment.inputs.vnetConfiguration as any).infrastructureSubnetId, (g.ofType(T.virtualNetwork)[0]!.outputs.subnets as any)[0].id);
  const subnet = (g.ofType(T.virtualNetwork)[0]!.inputs.subnets as any)[0];
  assert.equal(subnet.natGateway.id, g.ofType(T.natGateway)[0]!.outputs.id, "egress leaves through the NAT gateway");
  assert.deepEqual(g.ofType(T.natGateway)[0]!.inputs.publicIpAddresses, [{ id: g.ofType(T.publicIp)[0]!.outputs.id }]);

  // Migrations: bootstrap && up before the revision, finish after; the job needs no replica.
  const [migrate, finish] = ["kong-gateway-migrate-job", "kong-gateway-finish-job"].map((n) => g.named(n));
  assert.deepEqual((migrate!.inputs.template as any).containers[0].command, [...MIGRATION_COMMANDS.up]);
  assert.deepEqual((finish!.inputs.template as any).containers[0].command, [...MIGRATION_COMMANDS.finish]);
  assert.doesNotMatch(JSON.stringify(MIGRATION_COMMANDS), /-f\b|--force/);
  const jobEnv = Object.fromEntries(containerEnv(migrate!).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  assert.deepEqual(jobEnv, { ...toEnvironment(expectedSettings(g, config, false)), [SECRET_VERSION_ENV]: password.outputs.keyId });
  assert.equal((migrate!.inputs.configuration as any).triggerType, "Manual");
  const [upRun, finishRun] = ["kong-gateway-migrations", "kong-gateway-migrations-finish"].map((n) => g.named(n));
  assert.equal(upRun!.inputs.jobId, migrate!.outputs.id);
  assert.equal(finishRun!.inputs.jobId, finish!.outputs.id);
  assert.ok(g.dependsOn(app, upRun!), "the revision waits for bootstrap && up");
  assert.ok(g.dependsOn(finishRun!, app), "finish runs after the revision is live");
  for (const grant of g.ofType(T.grant)) assert.ok(g.dependsOn(upRun!, grant), `migrations wait for ${grant.name}`);
  const kongRules = g.ofType(T.firewallRule).filter((r) => r.inputs.firewallRuleName === "kong-egress");
  const replica = g.maybeNamed("kong-db-replica");
  for (const rule of kongRules) {
    if (rule.inputs.serverName === g.named("kong-db-server").outputs.name) assert.ok(g.dependsOn(upRun!, rule));
    assert.ok(g.dependsOn(app, rule), `Kong serves only once ${rule.name} exists`);
  }
  if (replica) {
    assert.ok(g.dependsOn(app, replica), "Kong waits for the replica it reads from");
    // The replica's creation precedes every firewall rule on the primary (Azure's ordering), so
    // migrations follow it transitively; they wait for nothing on the replica itself.
    for (const op of g.operationsOn(String(replica.outputs.name))) assert.ok(!g.dependsOn(upRun!, op), `migrations do not wait for ${op.name}`);
  }
  assert.deepEqual(upRun!.inputs.triggers, { image: config.kong.image, host: settings.pg_host, database: settings.pg_database, user: settings.pg_user });
  assert.equal(g.output("kongProxyUrl"), `https://${(app.outputs.configuration as any).ingress.fqdn}`);
}

function vmChecks(g: Graph, config: StackConfig, stack: string): void {
  const vm = g.ofType(T.vm)[0]!;
  const osProfile = vm.inputs.osProfile as any;
  const cloudInit = Buffer.from(osProfile.customData, "base64").toString("utf8");
  assert.ok(cloudInit.startsWith("#cloud-config\n"));
  const doc = parseYaml(cloudInit) as { write_files: { path: string; content?: string; permissions?: string }[] };
  const conf = doc.write_files.find((f) => f.path === "/etc/kong/kong.conf")!;
  assert.equal(conf.content, toKongConf(expectedSettings(g, config, true)), "cloud-init embeds the config-file rendering of the deployed settings");
  assert.equal(conf.permissions, "0600");
  assert.doesNotMatch(cloudInit, /pg_password|pg_azure_client_secret|pg_azure_tenant_id|AZURE_/);
  snapshot(`${stack}.cloud-init.yaml`, cloudInit);

  assert.equal(config.kong.identityMode, "managedIdentity");
  assert.deepEqual(vm.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [g.ofType(T.managedIdentity)[0]!.outputs.id] });
  assert.equal(osProfile.linuxConfiguration.disablePasswordAuthentication, true);
  assert.equal(osProfile.adminPassword, undefined);
  assert.deepEqual(vm.options.replaceOnChanges, ["osProfile.customData"], "customData cannot change in place: replacement is declared");
  assert.equal(vm.options.deleteBeforeReplace, true, "never two VMs running migrations against one database");
  assert.equal(vm.secretInputs.length, 0, "nothing secret on the VM");

  const nsgRules = (g.ofType(T.nsg)[0]!.inputs.securityRules as any[]).map((r) => [r.destinationPortRange, r.sourceAddressPrefix ?? r.sourceAddressPrefixes]);
  const expected: unknown[] = [["8000", "Internet"], ["8443", "Internet"]];
  if (config.kong.vm.sshAllowedIpRanges.length > 0) expected.push(["22", config.kong.vm.sshAllowedIpRanges.map((r) => r.cidr)]);
  assert.deepEqual(nsgRules, expected, "proxy open, SSH only from the allow-list, Admin API never");
  const nic = g.ofType(T.nic)[0]!;
  assert.equal((nic.inputs.ipConfigurations as any)[0].publicIPAddress.id, g.ofType(T.publicIp)[0]!.outputs.id);
  for (const grant of g.ofType(T.grant)) assert.ok(g.dependsOn(vm, grant));
  for (const rule of g.ofType(T.firewallRule).filter((r) => r.inputs.firewallRuleName === "kong-egress")) assert.ok(g.dependsOn(vm, rule));
  assert.equal(g.output("kongProxyUrl"), `http://${g.output("kongEgressIp")}:8000`);
}

describe("Kong permutations", () => {
  it("a licence reaches the container only as a Container Apps secret referenced from env", async () => {
    const g = new Graph(await evaluateStack({ stack: "dev", overrides: { kongLicense: '{"license":"mock-secret-licence"}' } }));
    const app = g.ofType(T.containerApp)[0]!;
    const env = containerEnv(app);
    assert.deepEqual(env.find((e) => e.name === "KONG_LICENSE_DATA"), { name: "KONG_LICENSE_DATA", secretRef: CONTAINER_SECRET_NAMES.license });
    assert.deepEqual((app.inputs.configuration as any).secrets.map((s: any) => s.name), [CONTAINER_SECRET_NAMES.clientSecret, CONTAINER_SECRET_NAMES.license]);
    assert.ok(!JSON.stringify(app.inputs.template).includes("mock-secret-licence"));
    assert.ok(!JSON.stringify(g.output("kongSettings")).includes("mock-secret-licence"));
  });

  it("the VM runtime in a stack without a replica has no pg_ro_* and still waits for its grants", async () => {
    const g = new Graph(
      await evaluateStack({ stack: "staging", overrides: { replicaEnabled: false, sshAllowedIpRanges: [] } }),
    );
    const settings = g.output("kongSettings") as KongSettings;
    assert.equal(settings.pg_ro_host, undefined);
    const nsgRules = (g.ofType(T.nsg)[0]!.inputs.securityRules as any[]).map((r) => r.destinationPortRange);
    assert.deepEqual(nsgRules, ["8000", "8443"], "SSH closed without an allow-list");
  });

  it("a rotated client secret changes the revision's template", async () => {
    const [a, b] = await Promise.all(
      ["2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"].map((anchor) => evaluateStack({ stack: "dev", overrides: { clientSecretRotationAnchor: anchor } })),
    );
    const keyOf = (e: Awaited<typeof a>) => {
      const g = new Graph(e);
      return containerEnv(g.ofType(T.containerApp)[0]!).find((v) => v.name === SECRET_VERSION_ENV)!.value;
    };
    // The mock derives the key id from the password's inputs, as Entra mints a new key per password.
    assert.notEqual(new Graph(a).ofType(T.applicationPassword)[0]!.inputs.endDate, new Graph(b).ofType(T.applicationPassword)[0]!.inputs.endDate);
    assert.equal(keyOf(a), new Graph(a).ofType(T.applicationPassword)[0]!.outputs.keyId);
    assert.notEqual(keyOf(a), keyOf(b));
  });
});

describe("README", () => {
  it("shows the dev stack's generated settings exactly as the program renders them", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### The generated settings"));
    const block = (lang: string) => {
      const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
      assert.ok(m, `no ${lang} block`);
      return m[1];
    };
    assert.equal(block("sh"), fs.readFileSync(path.join(SNAPSHOTS, "dev.container.env"), "utf8"));
    assert.equal(block("ini"), fs.readFileSync(path.join(SNAPSHOTS, "dev.kong.conf"), "utf8"));
  });
});
