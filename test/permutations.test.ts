/**
 * Config permutations beyond the committed stack files, each run through the real program under
 * mocks: role modes, identity modes, an existing resource group, fixed suffix, the "allow Azure
 * services" rule, deployment admins of every kind, and failures that must stop the program before
 * any resource is declared.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluateStack } from "../tools/evaluateStack";
import type { EvaluateOptions } from "../tools/mockEngine";
import { MOCK_TENANT_ID } from "../tools/mockCloud";
import { Graph, T } from "./support/graph";
import { assertSerialisedPerServer } from "./support/stackAssertions";

const gp = { skuTier: "GeneralPurpose", skuName: "Standard_D2ds_v5" };
const VM_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockKeyForTestsOnly ops@example";

async function run(overrides: EvaluateOptions["overrides"], stack = "dev"): Promise<Graph> {
  return new Graph(await evaluateStack({ stack, overrides }));
}

describe("permutations", () => {
  it("administrator role mode: Kong's service principal is a second Entra administrator, chained after the first", async () => {
    const g = await run({ kongRoleMode: "administrator" });
    const deployer = g.named("kong-db-deployment-admin");
    const kong = g.named("kong-db-kong-admin");
    const sp = g.ofType(T.servicePrincipal)[0]!;
    assert.equal(kong.inputs.objectId, sp.outputs.objectId, "the service principal's object id, not the app's");
    assert.equal(kong.inputs.principalName, sp.outputs.displayName);
    assert.equal(kong.inputs.principalType, "ServicePrincipal");
    assert.ok(g.dependsOn(kong, deployer), "administrators are chained (ServerBusy)");
    assertSerialisedPerServer(g, [g.named("kong-db-server")]);
    // Azure made Kong's role when Kong became an administrator: no principal resource, and the
    // grants wait for the administrator assignment instead.
    assert.equal(g.ofType(T.entraPrincipal).length, 0);
    for (const grant of g.ofType(T.grant)) {
      assert.ok(g.dependsOn(grant, kong), `${grant.name} waits for Kong's administrator assignment`);
      assert.equal(grant.inputs.role, sp.outputs.displayName);
    }
  });

  it("managed identity on the VM runtime: a user-assigned identity and no app registration or secret", async () => {
    const g = await run({ identityMode: "managedIdentity", kongRuntime: "vm", kongRoleMode: "administrator", kongVmSshPublicKey: VM_KEY });
    const mi = g.ofType(T.managedIdentity);
    assert.equal(mi.length, 1);
    assert.match(String(mi[0]!.inputs.resourceName), /^id-kong-dev-[a-z0-9]+$/);
    assert.equal(g.ofType(T.application).length + g.ofType(T.applicationPassword).length + g.ofType(T.rotating).length, 0);
    assert.equal(g.named("kong-db-kong-admin").inputs.objectId, mi[0]!.outputs.principalId, "a managed identity is known by its principal id");
    assert.equal(g.output("kongRoleName"), mi[0]!.inputs.resourceName);
    assert.deepEqual(g.resources.flatMap((r) => r.secretOutputs.map((k) => `${r.name}.${k}`)).sort(), ["kong-db-admin-password.result", "kong-db-server.administratorLoginPassword"]);
  });

  it("an existing resource group is used by name and not created", async () => {
    const g = await run({ resourceGroupName: "rg-shared-platform" });
    assert.equal(g.ofType(T.resourceGroup).length, 0);
    for (const r of g.resources.filter((x) => x.custom && "resourceGroupName" in x.inputs)) {
      assert.equal(r.inputs.resourceGroupName, "rg-shared-platform", r.name);
    }
    assert.equal(g.output("resourceGroupName"), "rg-shared-platform");
  });

  it("a configured suffix replaces the generated one", async () => {
    const g = await run({ nameSuffix: "ab12" });
    assert.equal(g.ofType(T.randomString).length, 0);
    assert.equal(g.named("kong-db-server").inputs.serverName, "psql-kong-dev-ab12");
    assert.equal(g.named("kong-rg").inputs.resourceGroupName, "rg-kong-dev-ab12");
    assert.equal(g.ofType(T.application)[0]!.inputs.displayName, "app-kong-dev-ab12");
  });

  it("allow Azure services, when a non-production stack enables it, lands on primary and replica", async () => {
    const g = await run({ ...gp, replicaEnabled: true, allowAzureServices: true });
    const rules = g.ofType(T.firewallRule).filter((r) => r.inputs.startIpAddress === "0.0.0.0");
    assert.equal(rules.length, 2);
    assert.deepEqual(new Set(rules.map((r) => r.inputs.serverName)), new Set([g.named("kong-db-server").outputs.name, g.named("kong-db-replica").outputs.name]));
    for (const r of rules) assert.equal(r.inputs.endIpAddress, "0.0.0.0");
    assertSerialisedPerServer(g, [g.named("kong-db-server"), g.named("kong-db-replica")]);
  });

  it("a replica in the same region defaults to the primary's location, SKU and storage", async () => {
    const g = await run({ ...gp, storageSizeGb: 256, replicaEnabled: true });
    const replica = g.named("kong-db-replica");
    assert.equal(replica.inputs.location, "westeurope");
    assert.deepEqual(replica.inputs.sku, { name: "Standard_D2ds_v5", tier: "GeneralPurpose" });
    assert.deepEqual(replica.inputs.storage, { storageSizeGB: 256 });
    assert.match(String(replica.inputs.serverName), /^psql-kong-dev-ro-[a-z0-9]+$/);
  });

  it("no allow-list at all: Kong's egress address is the only rule", async () => {
    const g = await run({ deployerIpRanges: [], allowedIpRanges: [] });
    assert.deepEqual(g.ofType(T.firewallRule).map((r) => r.inputs.firewallRuleName), ["kong-egress"]);
    // With no deployer rule (CI opens a temporary one), the database layer still waits for
    // everything the server needs first.
    assert.ok(g.dependsOn(g.ofType(T.database)[0]!, g.named("kong-db-deployment-admin")));
  });

  for (const [type, lookup] of [
    ["User", "getUser"],
    ["ServicePrincipal", "getServicePrincipal"],
    ["Group", "getGroup"],
  ] as const) {
    it(`a ${type} deployment administrator by object id is resolved through ${lookup}`, async () => {
      const objectId = "11111111-2222-4333-8444-555555555555";
      const g = await run({ deploymentAdminType: type, deploymentAdminName: null, deploymentAdminObjectId: objectId });
      const admin = g.named("kong-db-deployment-admin");
      assert.equal(admin.inputs.objectId, objectId);
      assert.equal(admin.inputs.principalType, type);
      // The mock directory names principals looked up by id after their kind.
      assert.match(String(admin.inputs.principalName), new RegExp(`^(${type === "User" ? "user" : type === "Group" ? "group" : "sp"})-${objectId}`));
      assert.equal(admin.inputs.tenantId, MOCK_TENANT_ID);
    });
  }

  it("a deployment administrator whose name does not match its object id fails, naming the keys", async () => {
    const evaluation = await evaluateStack({ stack: "dev", overrides: { deploymentAdminObjectId: "11111111-2222-4333-8444-555555555555" } });
    assert.match(evaluation.error ?? "", /deploymentAdminName: "Kong Deployers dev" does not match the Group with object id 11111111-/);
    assert.ok(!evaluation.resources.some((r) => r.type === T.administrator), "no administrator is declared for a mismatched principal");
  });

  it("a fixed rotation anchor replaces the Rotating schedule; the secret rotates when the anchor changes", async () => {
    const g = await run({ clientSecretRotationAnchor: "2026-03-01T00:00:00Z", clientSecretLifetimeDays: 365 });
    assert.equal(g.ofType(T.rotating).length, 0);
    const password = g.ofType(T.applicationPassword)[0]!;
    assert.equal(password.inputs.endDate, "2027-03-01T00:00:00Z");
    assert.deepEqual(password.inputs.rotateWhenChanged, { rotation: "2026-03-01T00:00:00Z" });
  });

  it("PostgreSQL 16 is declared as asked", async () => {
    const g = await run({ postgresVersion: "16" });
    assert.equal(g.named("kong-db-server").inputs.version, "16");
  });

  it("invalid config fails before any resource is declared, listing every problem with its key", async () => {
    const evaluation = await evaluateStack({ stack: "prod", overrides: { storageSizeGb: "abc", allowAzureServices: true, skuTier: "Burstable", skuName: "Standard_B2s" } });
    assert.equal(evaluation.resources.length, 0, "nothing declared");
    const error = evaluation.error ?? "";
    assert.match(error, /Invalid configuration for stack "prod"/);
    for (const key of ["storageSizeGb", "allowAzureServices", "highAvailability", "replicaEnabled"]) {
      assert.match(error, new RegExp(`kong-entra-postgres:${key}: `), `error names ${key}`);
    }
  });
});
