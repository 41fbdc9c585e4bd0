/**
 * Runs the real index.ts under mocks for every Pulumi.<stack>.yaml in the repository (read from
 * disk, config merged as the CLI does) and asserts the resource graph each one declares, derived
 * from that stack's own config rather than from hand-copied values.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PROJECT, type StackConfig } from "../components/config";
import { addDays } from "../components/kongIdentity";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, type RecordedResource } from "../tools/mockEngine";
import { MOCK_NOW, MOCK_TENANT_ID, placeholderGuid } from "../tools/mockCloud";
import { Graph, T } from "./support/graph";
import { assertSerialisedPerServer, expectedRuleNames, secretOutputKeys, stackModel } from "./support/stackAssertions";

const stacks = listStacks();

it("the repository has the dev and prod stacks", () => {
  assert.ok(stacks.includes("dev") && stacks.includes("prod"), `stacks: ${stacks.join(", ")}`);
});

for (const stack of stacks) {
  describe(`stack ${stack}`, () => {
    let g: Graph;
    let config: StackConfig;
    before(async () => {
      config = stackModel(stack);
      g = new Graph(await evaluateStack({ stack }));
    });

    const primary = () => g.named("kong-db-server");

    it("declares a primary with PostgreSQL and Microsoft Entra authentication", () => {
      const server = primary();
      assert.deepEqual(server.inputs.authConfig, { activeDirectoryAuth: "Enabled", passwordAuth: "Enabled", tenantId: MOCK_TENANT_ID });
      assert.equal(server.inputs.administratorLogin, "psqladmin");
      assert.ok(server.secretInputs.includes("administratorLoginPassword"), "the admin password reaches Azure as a secret");
      assert.equal(server.inputs.version, config.server.version);
      assert.deepEqual(server.inputs.sku, { name: config.server.sku.name, tier: config.server.sku.tier });
      assert.deepEqual(server.inputs.storage, { storageSizeGB: config.server.storageSizeGb });
      assert.deepEqual(server.inputs.backup, { backupRetentionDays: config.server.backupRetentionDays, geoRedundantBackup: config.server.geoRedundantBackup ? "Enabled" : "Disabled" });
      assert.equal((server.inputs.highAvailability as { mode: string }).mode, config.server.highAvailability ? "ZoneRedundant" : "Disabled");
      assert.equal(server.inputs.createMode, undefined);
    });

    it("names resources CAF-style with a stable suffix and tags them", () => {
      const server = primary();
      assert.match(String(server.inputs.serverName), new RegExp(`^psql-kong-${stack}-[a-z0-9]{3,8}$`));
      assert.ok(String(server.inputs.serverName).length <= 63);
      assert.deepEqual(server.inputs.tags, { environment: stack, project: PROJECT, "managed-by": "pulumi" });
      const suffix = String(server.inputs.serverName).split("-").pop();
      if (config.nameSuffix) assert.equal(suffix, config.nameSuffix);
      else assert.equal(g.ofType(T.randomString).length, 1, "the suffix is generated once and kept in state");
      if (!config.resourceGroupName) assert.equal(g.named("kong-rg").inputs.resourceGroupName, `rg-kong-${stack}-${suffix}`);
    });

    it("pins TLS on the primary: require_secure_transport ON and TLS 1.2 minimum", () => {
      const settings = Object.fromEntries(
        g.ofType(T.configuration).filter((r) => r.inputs.serverName === primary().outputs.name).map((r) => [r.inputs.configurationName, r.inputs.value]),
      );
      assert.deepEqual(settings, { require_secure_transport: "ON", ssl_min_protocol_version: "TLSv1.2" });
    });

    it("declares the deployment administrator the database layer signs in as", () => {
      const admin = g.named("kong-db-deployment-admin");
      assert.equal(admin.inputs.principalType, config.deploymentAdmin.type, "spelled as Azure's API wants, not the SDK enum");
      assert.equal(admin.inputs.principalName, config.deploymentAdmin.name);
      assert.equal(admin.inputs.objectId, config.deploymentAdmin.objectId ?? placeholderGuid(`group:${config.deploymentAdmin.name}`));
      assert.equal(admin.inputs.tenantId, MOCK_TENANT_ID);
      assert.equal(g.output("deploymentAdministrator"), config.deploymentAdmin.name);
    });

    it("makes Kong an Entra administrator only in administrator role mode", () => {
      const kongAdmin = g.maybeNamed("kong-db-kong-admin");
      if (config.kong.roleMode === "administrator") {
        assert.ok(kongAdmin);
        assert.equal(kongAdmin.inputs.principalType, "ServicePrincipal");
        assert.equal(kongAdmin.inputs.objectId, g.output("kongObjectId"));
        assert.equal(kongAdmin.inputs.principalName, g.output("kongRoleName"));
      } else {
        assert.equal(kongAdmin, undefined);
        assert.equal(g.ofType(T.administrator).length, 1, "only the deployment administrator");
      }
    });

    it("declares Kong's identity in the configured mode, with a rotation that is stable across ups", () => {
      if (config.kong.identityMode === "servicePrincipal") {
        const app = g.ofType(T.application)[0]!;
        const sp = g.ofType(T.servicePrincipal)[0]!;
        const password = g.ofType(T.applicationPassword)[0]!;
        assert.equal(sp.inputs.clientId, app.outputs.clientId);
        assert.equal(password.inputs.applicationId, `/applications/${app.outputs.objectId}`, "the application's id, not its object or client id");
        assert.ok(password.secretOutputs.includes("value"), "the client secret is a secret");
        const anchor = config.kong.clientSecret.rotationAnchor ?? MOCK_NOW;
        assert.equal(password.inputs.endDate, addDays(anchor, config.kong.clientSecret.lifetimeDays), "end date derives from the anchor, never from now");
        if (!config.kong.clientSecret.rotationAnchor) {
          const rotation = g.ofType(T.rotating)[0]!;
          assert.equal(rotation.inputs.rotationDays, config.kong.clientSecret.rotationDays);
          assert.deepEqual(password.inputs.rotateWhenChanged, { rotation: rotation.outputs.rotationRfc3339 });
        }
        assert.equal(g.output("kongClientId"), app.outputs.clientId);
        assert.equal(g.output("kongObjectId"), sp.outputs.objectId);
        assert.equal(g.output("kongRoleName"), app.inputs.displayName);
      } else {
        const mi = g.ofType(T.managedIdentity)[0]!;
        assert.equal(g.ofType(T.application).length, 0);
        assert.equal(g.output("kongClientId"), mi.outputs.clientId);
        assert.equal(g.output("kongObjectId"), mi.outputs.principalId);
      }
    });

    it("wires the read replica from the primary, with no administrator of its own", () => {
      const replica = g.maybeNamed("kong-db-replica");
      if (!config.replica) {
        assert.equal(replica, undefined);
        assert.equal(g.output("replicaHost"), undefined);
        return;
      }
      assert.ok(replica);
      assert.equal(replica.inputs.createMode, "Replica");
      assert.equal(replica.inputs.sourceServerResourceId, primary().outputs.id);
      assert.equal(replica.inputs.location, config.replica.location);
      assert.deepEqual(replica.inputs.sku, { name: config.replica.sku.name, tier: config.replica.sku.tier });
      assert.deepEqual(replica.inputs.storage, { storageSizeGB: config.replica.storageSizeGb });
      assert.equal(replica.inputs.authConfig, undefined, "inherited from the primary");
      assert.equal(replica.inputs.administratorLoginPassword, undefined);
      assert.ok(!g.ofType(T.administrator).some((a) => a.inputs.serverName === replica.outputs.name), "no administrator on the replica");
      assert.equal(g.output("replicaHost"), replica.outputs.fullyQualifiedDomainName);
      // Created after the primary's configurations and administrators…
      for (const op of g.ofType(T.configuration).concat(g.ofType(T.administrator)).filter((r) => r.inputs.serverName === primary().outputs.name)) {
        assert.ok(g.dependsOn(replica, op), `replica waits for ${op.name}`);
      }
      // …and before any firewall rule on the primary (it would copy them as unmanaged rules).
      for (const rule of g.ofType(T.firewallRule).filter((r) => r.inputs.serverName === primary().outputs.name)) {
        assert.ok(g.dependsOn(rule, replica), `${rule.name} waits for the replica`);
      }
      const replicaSettings = g.ofType(T.configuration).filter((r) => r.inputs.serverName === replica.outputs.name);
      assert.deepEqual(replicaSettings.map((r) => [r.inputs.configurationName, r.inputs.value]), [["require_secure_transport", "ON"], ["ssl_min_protocol_version", "TLSv1.2"]]);
    });

    it("allows exactly the configured ranges on every server, nothing wider", () => {
      const egress = g.ofType(T.publicIp)[0]!.outputs.ipAddress as string;
      assert.equal(g.output("kongEgressIp"), egress);
      const expected = expectedRuleNames(config, egress);
      const servers = [primary(), g.maybeNamed("kong-db-replica")].filter((s) => s !== undefined);
      for (const server of servers) {
        const rules = g.ofType(T.firewallRule).filter((r) => r.inputs.serverName === server.outputs.name);
        // The deployer's machine needs the primary only (the database layer never touches the replica).
        const names = [...expected.keys()].filter((n) => server.name === "kong-db-server" || !n.startsWith("deployer-"));
        assert.deepEqual(rules.map((r) => r.inputs.firewallRuleName).sort(), names.sort(), `rules on ${server.name}`);
        for (const rule of rules) {
          assert.deepEqual([rule.inputs.startIpAddress, rule.inputs.endIpAddress], expected.get(String(rule.inputs.firewallRuleName)));
        }
      }
      if (config.production) assert.ok(!g.ofType(T.firewallRule).some((r) => r.inputs.startIpAddress === "0.0.0.0"), "no allow-Azure-services rule in production");
    });

    it("runs one child operation at a time on each server, in a chain", () => {
      assertSerialisedPerServer(g, [primary(), g.maybeNamed("kong-db-replica")]);
    });

    it("protects the servers exactly when the stack asks", () => {
      assert.equal(primary().options.protect, config.protectData);
      const replica = g.maybeNamed("kong-db-replica");
      if (replica) assert.equal(replica.options.protect, config.protectData);
      if (config.production) assert.equal(primary().options.protect, true);
    });

    it("keeps secrets secret and nothing else", () => {
      assert.deepEqual(secretOutputKeys(g), ["administratorPassword"]);
      const secretInputs = g.resources.flatMap((r) => r.secretInputs.map((k) => `${r.name}.${k}`)).sort();
      const expectedInputs = ["kong-db-server.administratorLoginPassword"];
      if (config.kong.runtime === "container") {
        // azure-native applies defaults to `configuration` as one value, so the secret inside it
        // (the client secret) makes the whole object secret; the template (env, image, probes) stays readable.
        expectedInputs.push("kong-gateway-app.configuration", "kong-gateway-finish-job.configuration", "kong-gateway-migrate-job.configuration");
      }
      assert.deepEqual(secretInputs, expectedInputs.sort());
      const secretResourceOutputs = g.resources.flatMap((r) => r.secretOutputs.map((k) => `${r.name}.${k}`)).sort();
      const expected = [...expectedInputs, "kong-db-admin-password.result"];
      if (config.kong.identityMode === "servicePrincipal") expected.push("kong-identity-secret.value");
      assert.deepEqual(secretResourceOutputs, expected.sort());
    });

    it("points the postgresql provider at the primary as the deployment administrator, over verified TLS and an Entra token", () => {
      const provider = g.ofType(T.postgresqlProvider)[0]!;
      // Bridged provider config reaches the engine as strings.
      assert.deepEqual(provider.inputs, {
        host: primary().outputs.fullyQualifiedDomainName,
        port: "5432",
        database: "postgres",
        username: config.deploymentAdmin.name,
        azureIdentityAuth: "true",
        azureTenantId: MOCK_TENANT_ID,
        sslmode: "verify-full",
        superuser: "false",
        connectTimeout: "30",
      });
      assert.ok(!("password" in provider.inputs), "the token is fetched at configure time, never stored");
    });

    it("creates Kong's role (principal mode) from Kong's identity, as the deployment administrator", () => {
      const role = g.maybeNamed("kong-role");
      if (config.kong.roleMode !== "principal") {
        assert.equal(role, undefined);
        return;
      }
      assert.ok(role);
      assert.equal(role.type, T.entraPrincipal);
      assert.equal(role.inputs.host, primary().outputs.fullyQualifiedDomainName);
      assert.equal(role.inputs.administratorName, config.deploymentAdmin.name);
      assert.equal(role.inputs.objectId, g.output("kongObjectId"), "the service principal's (or managed identity's) object id");
      assert.equal(role.inputs.roleName, g.output("kongRoleName"), "the role is Kong's pg_user");
      assert.equal(role.options.deletedWith, primary().urn, "tearing down the environment is not blocked by the role's refusing delete");
      for (const rule of g.ofType(T.firewallRule).filter((r) => r.inputs.serverName === primary().outputs.name && String(r.inputs.firewallRuleName).startsWith("deployer-"))) {
        assert.ok(g.dependsOn(role, rule), `the role waits for ${rule.name}`);
      }
      assert.ok(g.dependsOn(role, g.named("kong-db-deployment-admin")), "no Entra sign-in before the administrator exists");
    });

    it("serialises the principal provider without any secret in it", () => {
      const role = g.maybeNamed("kong-role");
      if (!role) return;
      const text = String(role.inputs.__provider);
      assert.match(text, /^exports\.handler = __f0;/);
      const secrets = Object.values(g.evaluation.config).concat(
        g.resources.flatMap((r) => r.secretOutputs.map((k) => String(r.outputs[k]))),
      ).filter((v) => v.startsWith("mock-secret-"));
      for (const secret of secrets) assert.ok(!text.includes(secret), "a secret landed in the serialized provider");
      assert.doesNotMatch(text, /mock-secret-|AZURE_CLIENT_SECRET=|access_token"?\s*[:=]\s*"/);
    });

    it("declares database kong without an owner and grants Kong's role exactly what migrations need", () => {
      const provider = g.ofType(T.postgresqlProvider)[0]!;
      const db = g.ofType(T.database)[0]!;
      assert.deepEqual(db.inputs, { name: "kong", encoding: "UTF8", allowConnections: true });
      assert.ok(db.options.provider.startsWith(provider.urn), "created through the Entra-token provider");
      assert.equal(db.options.protect, config.protectData);
      assert.equal(db.options.retainOnDelete, config.protectData);
      assert.equal(db.options.deletedWith, primary().urn);
      const grants: Record<string, RecordedResource> = Object.fromEntries(g.ofType(T.grant).map((gr) => [String(gr.inputs.objectType), gr]));
      assert.deepEqual(Object.keys(grants).sort(), ["database", "schema"]);
      assert.deepEqual(grants.database!.inputs, { database: "kong", role: g.output("kongRoleName"), objectType: "database", privileges: ["CONNECT", "CREATE", "TEMPORARY"] });
      assert.deepEqual(grants.schema!.inputs, { database: "kong", role: g.output("kongRoleName"), schema: "public", objectType: "schema", privileges: ["CREATE", "USAGE"] });
      const roleSource = g.maybeNamed("kong-role") ?? g.named("kong-db-kong-admin");
      for (const grant of Object.values(grants)) {
        assert.ok(g.dependsOn(grant, roleSource), `${grant.name} waits for Kong's role`);
        assert.ok(g.dependsOn(grant, db));
        assert.equal(grant.options.deletedWith, primary().urn);
      }
      const deployerRules = g.ofType(T.firewallRule).filter((r) => r.inputs.serverName === primary().outputs.name && String(r.inputs.firewallRuleName).startsWith("deployer-"));
      for (const r of [db, provider]) {
        assert.ok(g.dependsOn(r, g.named("kong-db-deployment-admin")), `${r.name} waits for the administrator`);
        for (const rule of deployerRules) assert.ok(g.dependsOn(r, rule), `${r.name} waits for ${rule.name}`);
      }
      assert.ok(!g.dependsOn(db, roleSource) || config.kong.roleMode === "administrator", "the database itself does not wait for Kong's role");
      assert.equal(g.output("databaseName"), "kong");
    });

    it("exports the server host the way Kong will use it", () => {
      assert.equal(g.output("serverHost"), `${primary().outputs.name}.postgres.database.azure.com`);
      assert.equal(g.output("port"), 5432);
    });
  });
}
