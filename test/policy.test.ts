/**
 * The policy pack (policy/): each policy against resources that violate it and a compliant twin;
 * every real stack (the real index.ts under mocks) through @pulumi/policy's own analyzer
 * functions with zero violations, also as a first preview sees it (values Azure assigns still
 * unknown); mutated real stacks caught by exactly the policy concerned; and the pack itself
 * started as the CLI starts it and spoken to over gRPC.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { createPolicies, DEFAULT_ADMIN_PORTS, POLICY, TYPES } from "../policy/policies";
import { DEFAULT_PROD_STACKS, PRODUCTION_CONFIG_KEY, productionReason, readPackEnvironment, stackMatches, type PackEnvironment } from "../policy/environment";
import { ipv4RangeSize, isAllowAzureServices, portSpecIncludes } from "../policy/networks";
import { adminListenSettings, decodeCustomData, kongConfValues, publicListenEntries } from "../policy/kongListeners";
import { PACK_NAME, packArgs } from "../policy/pack";
import { KONG_PORTS } from "../components/kongSettings";
import { ALLOW_AZURE_SERVICES } from "../components/firewallRules";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, PROJECT_DIR, type Evaluation, type RecordedResource } from "../tools/mockEngine";
import { MOCK_NOW, MOCK_TENANT_ID } from "../tools/mockCloud";
import {
  analyzeStackWithSdk,
  analyzeWithSdk,
  fromRecorded,
  POLICY_DIR,
  startPolicyPack,
  subject,
  UNKNOWN_STRING,
  validateResource,
  validateStack,
  type PolicySubject,
  type RunningPack,
  type Violation,
} from "./support/policyHarness";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 86_400_000;
const TENANT = MOCK_TENANT_ID;

function env(stack: string | undefined, config: Record<string, unknown> = {}): PackEnvironment {
  return { stack, config, now: () => NOW };
}

/** The named policy of a pack built for `e`. */
function policy<P extends ResourceValidationPolicy | StackValidationPolicy>(name: string, e: PackEnvironment = env("dev")): P {
  const found = createPolicies(e).find((p) => p.name === name);
  assert.ok(found, `no policy ${name}`);
  return found as P;
}

/** Messages `name` reports for `s` (directly, with `config`). */
function check(name: string, s: PolicySubject, e: PackEnvironment = env("dev"), config: Record<string, unknown> = {}): Promise<string[]> {
  return validateResource(policy<ResourceValidationPolicy>(name, e), s, config);
}

async function assertViolation(messages: Promise<string[]> | string[], pattern: RegExp): Promise<void> {
  const list = await messages;
  assert.ok(list.length > 0, `expected a violation matching ${pattern}, got none`);
  assert.ok(
    list.some((m) => pattern.test(m)),
    `expected a violation matching ${pattern}, got:\n${list.join("\n")}`,
  );
}

async function assertPasses(messages: Promise<string[]> | string[]): Promise<void> {
  assert.deepEqual(await messages, []);
}

const primary = (props: Record<string, unknown> = {}, extra: Partial<PolicySubject> = {}) =>
  subject(
    TYPES.server,
    "db",
    {
      serverName: "psql-kong-x",
      resourceGroupName: "rg",
      tags: { environment: "dev" },
      sku: { name: "Standard_D2ds_v5", tier: "GeneralPurpose" },
      authConfig: { activeDirectoryAuth: "Enabled", passwordAuth: "Enabled", tenantId: TENANT },
      highAvailability: { mode: "ZoneRedundant" },
      backup: { backupRetentionDays: 7, geoRedundantBackup: "Enabled" },
      ...props,
    },
    extra,
  );
const replica = (props: Record<string, unknown> = {}, extra: Partial<PolicySubject> = {}) =>
  subject(
    TYPES.server,
    "db-replica",
    { serverName: "psql-kong-ro-x", resourceGroupName: "rg", createMode: "Replica", sourceServerResourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-kong-x", sku: { name: "Standard_D2ds_v5", tier: "GeneralPurpose" }, tags: { environment: "dev" }, ...props },
    extra,
  );
const configuration = (name: string, value: unknown, extra: Partial<PolicySubject> = {}) =>
  subject(TYPES.configuration, `cfg-${name}`, { resourceGroupName: "rg", serverName: "psql-kong-x", configurationName: name, value, source: "user-override" }, extra);
const firewallRule = (start: unknown, end: unknown, name = "client") =>
  subject(TYPES.firewallRule, `fw-${name}`, { resourceGroupName: "rg", serverName: "psql-kong-x", firewallRuleName: name, startIpAddress: start, endIpAddress: end });
const secret = (props: Record<string, unknown>) => subject(TYPES.applicationPassword, "secret", { applicationId: "/applications/x", displayName: "kong-postgres", ...props });
const isoDaysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString().replace(/\.\d{3}Z$/, "Z");

// ---------------------------------------------------------------------------------------------
// Each policy, directly
// ---------------------------------------------------------------------------------------------

describe(`${POLICY.entraAuth}`, () => {
  it("passes a primary with Entra authentication and an explicit tenant", () => assertPasses(check(POLICY.entraAuth, primary())));
  it("reports Entra authentication turned off, saying how to turn it on", () =>
    assertViolation(check(POLICY.entraAuth, primary({ authConfig: { activeDirectoryAuth: "Disabled", passwordAuth: "Enabled", tenantId: TENANT } })), /activeDirectoryAuth is "Disabled".*Set authConfig: \{ activeDirectoryAuth: "Enabled"/));
  it("reports an empty tenant id (the SDK's default)", () =>
    assertViolation(check(POLICY.entraAuth, primary({ authConfig: { activeDirectoryAuth: "Enabled", tenantId: "" } })), /tenantId is empty.*tenant id, a GUID/));
  it("reports a server without authConfig twice: auth and tenant", async () => {
    const messages = await check(POLICY.entraAuth, primary({ authConfig: undefined }));
    assert.equal(messages.length, 2, messages.join("\n"));
  });
  it("accepts Azure's enum values in any case", () => assertPasses(check(POLICY.entraAuth, primary({ authConfig: { activeDirectoryAuth: "enabled", tenantId: TENANT } }))));
  it("leaves replicas alone (they inherit the primary's), in inputs and in outputs shape", async () => {
    await assertPasses(check(POLICY.entraAuth, replica()));
    await assertPasses(check(POLICY.entraAuth, subject(TYPES.server, "r", { name: "psql-ro", replicationRole: "GeoAsyncReplica" })));
  });
  it("ignores other resource types", () => assertPasses(check(POLICY.entraAuth, firewallRule("1.2.3.4", "1.2.3.4"))));
});

describe(`${POLICY.tlsSettings}`, () => {
  it("passes require_secure_transport ON in any case, and TLS 1.2 or 1.3", async () => {
    for (const value of ["ON", "on"]) await assertPasses(check(POLICY.tlsSettings, configuration("require_secure_transport", value)));
    for (const value of ["TLSv1.2", "TLSv1.3", "tlsv1.2"]) await assertPasses(check(POLICY.tlsSettings, configuration("ssl_min_protocol_version", value)));
  });
  it("reports require_secure_transport OFF or unset", async () => {
    await assertViolation(check(POLICY.tlsSettings, configuration("require_secure_transport", "OFF")), /require_secure_transport is "OFF".*Set the Configuration's value to "ON"/);
    await assertViolation(check(POLICY.tlsSettings, configuration("require_secure_transport", undefined)), /require_secure_transport is unset/);
  });
  it("reads Azure's output shape too (name instead of configurationName)", () =>
    assertViolation(check(POLICY.tlsSettings, subject(TYPES.configuration, "c", { name: "require_secure_transport", value: "off" })), /require_secure_transport is "off"/));
  it("reports a TLS minimum below 1.2", () => assertViolation(check(POLICY.tlsSettings, configuration("ssl_min_protocol_version", "TLSv1.1")), /ssl_min_protocol_version is "TLSv1.1".*"TLSv1.2"/));
  it("ignores other parameters", () => assertPasses(check(POLICY.tlsSettings, configuration("log_connections", "off"))));
});

describe(`${POLICY.tlsPinned} (stack)`, () => {
  const pinned = () => policy<StackValidationPolicy>(POLICY.tlsPinned);
  it("reports a primary without a require_secure_transport Configuration, on the server's URN", async () => {
    const server = primary();
    const reported = await validateStack(pinned(), [server, configuration("ssl_min_protocol_version", "TLSv1.2")]);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.urn, server.urn);
    assert.match(reported[0]!.message, /server "psql-kong-x" has no require_secure_transport Configuration.*configurationName "require_secure_transport", value "ON"/);
  });
  it("passes when the Configuration's serverName came from the server (property dependency)", async () => {
    const server = primary({ serverName: UNKNOWN_STRING });
    const config = configuration("require_secure_transport", "ON", { propertyDependencies: { serverName: [server.urn] } });
    assert.deepEqual(await validateStack(pinned(), [server, { ...config, props: { ...config.props, serverName: UNKNOWN_STRING } }]), []);
  });
  it("passes by literal names in inputs shape", async () => assert.deepEqual(await validateStack(pinned(), [primary(), configuration("require_secure_transport", "ON")]), []));
  it("matches by ARM id in Azure's output shape, and not to another server's parameter", async () => {
    const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-a";
    const server = subject(TYPES.server, "a", { name: "psql-a", id, replicationRole: "Primary" });
    const own = subject(TYPES.configuration, "c", { name: "require_secure_transport", value: "on", id: `${id.toUpperCase()}/configurations/require_secure_transport` });
    const other = subject(TYPES.configuration, "c2", { name: "require_secure_transport", value: "on", id: `${id}-other/configurations/require_secure_transport` });
    assert.deepEqual(await validateStack(pinned(), [server, own]), []);
    assert.equal((await validateStack(pinned(), [server, other])).length, 1);
  });
  it("asks nothing of replicas", async () => assert.deepEqual(await validateStack(pinned(), [primary(), configuration("require_secure_transport", "ON"), replica()]), []));
  it("through the SDK, a server whose role is unknown during a preview is skipped, not a crash", async () => {
    const violations = await analyzeStackWithSdk(createPolicies(env("dev")), [primary({ createMode: UNKNOWN_STRING })]);
    assert.deepEqual(violations, []);
  });
});

describe(`${POLICY.firewallWidth}`, () => {
  it("passes a single address and exactly a /8", async () => {
    await assertPasses(check(POLICY.firewallWidth, firewallRule("203.0.113.10", "203.0.113.10")));
    await assertPasses(check(POLICY.firewallWidth, firewallRule("10.0.0.0", "10.255.255.255")));
  });
  it("reports one address more than a /8, with the count and the fix", () =>
    assertViolation(check(POLICY.firewallWidth, firewallRule("10.0.0.0", "11.0.0.0")), /allows 10\.0\.0\.0–11\.0\.0\.0, 16,777,217 addresses \(a \/7 or wider\); a rule may allow at most a \/8.*allowedIpRanges/));
  it("reports everything (0.0.0.0–255.255.255.255)", () => assertViolation(check(POLICY.firewallWidth, firewallRule("0.0.0.0", "255.255.255.255")), /4,294,967,296 addresses/));
  it("leaves the 0.0.0.0–0.0.0.0 'allow Azure services' rule to its own policy", () => assertPasses(check(POLICY.firewallWidth, firewallRule("0.0.0.0", "0.0.0.0"))));
  it("reports reversed and malformed ranges", async () => {
    await assertViolation(check(POLICY.firewallWidth, firewallRule("10.0.0.9", "10.0.0.1")), /endIpAddress 10\.0\.0\.1 comes before startIpAddress 10\.0\.0\.9/);
    await assertViolation(check(POLICY.firewallWidth, firewallRule("10.0.0.256", "10.0.0.1")), /startIpAddress "10\.0\.0\.256" is not an IPv4 address/);
  });
  it("takes a narrower limit from policy config, and refuses a nonsensical one", async () => {
    await assertViolation(check(POLICY.firewallWidth, firewallRule("10.1.0.0", "10.1.255.255"), env("dev"), { widestPrefixLength: 24 }), /at most a \/24 \(256 addresses\)/);
    await assert.rejects(check(POLICY.firewallWidth, firewallRule("10.1.0.0", "10.1.0.1"), env("dev"), { widestPrefixLength: 40 }), /widestPrefixLength must be an integer ≥ 0 and ≤ 32, got 40/);
  });
});

describe(`${POLICY.noAzureServicesInProd}`, () => {
  const azure = () => firewallRule(ALLOW_AZURE_SERVICES.startIpAddress, ALLOW_AZURE_SERVICES.endIpAddress, ALLOW_AZURE_SERVICES.name);
  it("recognises the program's own 'allow Azure services' rule", () => assert.ok(isAllowAzureServices(ALLOW_AZURE_SERVICES.startIpAddress, ALLOW_AZURE_SERVICES.endIpAddress)));
  it("reports it in a stack named prod, saying why the stack is production", () =>
    assertViolation(check(POLICY.noAzureServicesInProd, azure(), env("prod")), /"allow Azure services" rule.*stack "prod" is a production stack.*allowAzureServices: false/));
  it("reports it where the stack's config declares production", () =>
    assertViolation(check(POLICY.noAzureServicesInProd, azure(), env("live", { [PRODUCTION_CONFIG_KEY]: "true" })), /config sets kong-entra-postgres:production=true/));
  it("follows prodStacks from policy config (wildcards)", async () => {
    await assertViolation(check(POLICY.noAzureServicesInProd, azure(), env("live-eu"), { prodStacks: ["live-*"] }), /stack "live-eu"/);
    await assertPasses(check(POLICY.noAzureServicesInProd, azure(), env("prod"), { prodStacks: ["live-*"] }));
  });
  it("allows it outside production, and allows ordinary rules in production", async () => {
    await assertPasses(check(POLICY.noAzureServicesInProd, azure(), env("dev")));
    await assertPasses(check(POLICY.noAzureServicesInProd, firewallRule("203.0.113.20", "203.0.113.20"), env("prod")));
  });
  it("through the SDK, a rule whose address is unknown during a preview yields an advisory note at most", async () => {
    const violations = await analyzeWithSdk(createPolicies(env("prod")), firewallRule(UNKNOWN_STRING, UNKNOWN_STRING, "kong-egress"));
    assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    assert.ok(violations.every((v) => /can't run policy .* during preview/.test(v.message)), JSON.stringify(violations));
  });
});

describe(`${POLICY.noBurstableReplica}`, () => {
  it("passes a General Purpose replica and a Burstable primary", async () => {
    await assertPasses(check(POLICY.noBurstableReplica, replica()));
    await assertPasses(check(POLICY.noBurstableReplica, primary({ sku: { name: "Standard_B1ms", tier: "Burstable" } })));
  });
  it("reports a Burstable replica", () =>
    assertViolation(check(POLICY.noBurstableReplica, replica({ sku: { name: "Standard_B1ms", tier: "Burstable" } })), /read replica is on the Burstable tier.*GeneralPurpose.*MemoryOptimized/));
  it("reports a B-series SKU even under another tier's label", () => assertViolation(check(POLICY.noBurstableReplica, replica({ sku: { name: "Standard_B2s", tier: "GeneralPurpose" } })), /Burstable tier/));
  it("reports a replica that declares no sku (it would inherit the primary's, unseen)", () => assertViolation(check(POLICY.noBurstableReplica, replica({ sku: undefined })), /declares no sku/));
});

describe(`${POLICY.secretLifetime}`, () => {
  it("passes exactly the default maximum (730 days from now)", () => assertPasses(check(POLICY.secretLifetime, secret({ endDate: isoDaysFromNow(730) }))));
  it("reports a day more, with the lifetime, both ends and the fix", () =>
    assertViolation(check(POLICY.secretLifetime, secret({ endDate: isoDaysFromNow(731) })), /valid for 731 days \(from now, 2026-01-01T00:00:00\.000Z \(it has no startDate\) to 2028-01-02T00:00:00Z\), more than the 730 days allowed.*clientSecretLifetimeDays/));
  it("counts from startDate when there is one", async () => {
    await assertPasses(check(POLICY.secretLifetime, secret({ startDate: "2030-01-01T00:00:00Z", endDate: "2030-07-01T00:00:00Z" })));
    await assertViolation(check(POLICY.secretLifetime, secret({ startDate: "2030-01-01T00:00:00Z", endDate: "2032-06-01T00:00:00Z" })), /valid for 882 days \(from startDate 2030-01-01T00:00:00Z/);
  });
  it("takes the maximum from policy config", async () => {
    await assertViolation(check(POLICY.secretLifetime, secret({ endDate: isoDaysFromNow(120) }), env("dev"), { maxSecretLifetimeDays: 90 }), /120 days.*more than the 90 days allowed/);
    await assertPasses(check(POLICY.secretLifetime, secret({ endDate: isoDaysFromNow(90) }), env("dev"), { maxSecretLifetimeDays: 90 }));
  });
  it("reads the deprecated endDateRelative", async () => {
    await assertPasses(check(POLICY.secretLifetime, secret({ endDateRelative: "8760h" })));
    await assertViolation(check(POLICY.secretLifetime, secret({ endDateRelative: "17544h" })), /valid for 731 days/);
  });
  it("reports a secret without an end date, an unreadable one, and one ending before its start", async () => {
    await assertViolation(check(POLICY.secretLifetime, secret({})), /no endDate, so Entra picks its lifetime/);
    await assertViolation(check(POLICY.secretLifetime, secret({ endDate: "next year" })), /endDate "next year" is not an RFC 3339 time/);
    await assertViolation(check(POLICY.secretLifetime, secret({ startDate: "2026-06-01T00:00:00Z", endDate: "2026-05-01T00:00:00Z" })), /is not after startDate/);
  });
  it("does not block on a secret already past its end date (no start date): that is expiry, not lifetime", () =>
    assertPasses(check(POLICY.secretLifetime, secret({ endDate: isoDaysFromNow(-10) }))));
});

describe(`${POLICY.prodResilience}`, () => {
  const prod = env("prod");
  it("passes a zone-redundant, geo-backed primary in prod", () => assertPasses(check(POLICY.prodResilience, primary(), prod)));
  it("reports a prod primary without zone-redundant HA", () =>
    assertViolation(check(POLICY.prodResilience, primary({ highAvailability: { mode: "SameZone" } }), prod), /highAvailability.mode is "SameZone" and stack "prod" is a production stack.*"ZoneRedundant"/));
  it("reports a prod primary without geo-redundant backup", () =>
    assertViolation(check(POLICY.prodResilience, primary({ backup: { backupRetentionDays: 35, geoRedundantBackup: "Disabled" } }), prod), /geoRedundantBackup is "Disabled".*"Enabled"/));
  it("asks neither of replicas (Azure gives them no HA or backups)", () => assertPasses(check(POLICY.prodResilience, replica(), prod)));
  it("asks nothing outside production", () => assertPasses(check(POLICY.prodResilience, primary({ highAvailability: { mode: "Disabled" }, backup: {} }), env("dev"))));
  it("treats a resource tagged environment=prod as production whatever the stack is called", () =>
    assertViolation(check(POLICY.prodResilience, primary({ tags: { environment: "prod" }, highAvailability: { mode: "Disabled" } }), env("scratch")), /tagged environment=prod/));
});

describe(`${POLICY.prodProtected}`, () => {
  const prod = env("prod");
  const database = (protect: boolean) => subject(TYPES.database, "kong-database-db", { name: "kong", encoding: "UTF8" }, { protect });
  it("passes protected servers and database in prod", async () => {
    await assertPasses(check(POLICY.prodProtected, primary({}, { protect: true }), prod));
    await assertPasses(check(POLICY.prodProtected, replica({}, { protect: true }), prod));
    await assertPasses(check(POLICY.prodProtected, database(true), prod));
  });
  it("reports an unprotected prod server, replica and database, saying how to protect them", async () => {
    await assertViolation(check(POLICY.prodProtected, primary({}, { protect: false }), prod), /server db is not protected and stack "prod".*protect: true/);
    await assertViolation(check(POLICY.prodProtected, replica({}, { protect: false }), prod), /read replica db-replica is not protected/);
    await assertViolation(check(POLICY.prodProtected, database(false), prod), /database "kong" is not protected/);
  });
  it("knows production from the stack's config for the untagged database", () =>
    assertViolation(check(POLICY.prodProtected, database(false), env("live", { [PRODUCTION_CONFIG_KEY]: true })), /production=true/));
  it("asks nothing outside production", async () => {
    await assertPasses(check(POLICY.prodProtected, primary({}, { protect: false }), env("dev")));
    await assertPasses(check(POLICY.prodProtected, database(false), env("dev")));
  });
});

describe(`${POLICY.adminApiPrivate}`, () => {
  it("covers exactly the program's Admin API ports by default", () => assert.deepEqual([...DEFAULT_ADMIN_PORTS], [KONG_PORTS.adminHttp, KONG_PORTS.adminHttps]));

  const app = (ingress: Record<string, unknown>, vars: unknown[] = [], initVars: unknown[] = []) =>
    subject(TYPES.containerApp, "app", {
      configuration: { ingress: { external: true, transport: "http", ...ingress } },
      template: { containers: [{ name: "kong", image: "kong/kong-gateway:3.14", env: vars }], initContainers: initVars.length ? [{ name: "init", image: "x", env: initVars }] : undefined },
    });
  it("passes an app whose ingress targets the proxy and whose admin_listen is loopback", () =>
    assertPasses(check(POLICY.adminApiPrivate, app({ targetPort: 8000 }, [{ name: "KONG_ADMIN_LISTEN", value: "127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl" }, { name: "KONG_PROXY_LISTEN", value: "0.0.0.0:8000" }]))));
  it("reports ingress targeting the Admin API", async () => {
    await assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8001 })), /ingress targets port 8001, Kong's Admin API: the internet/);
    await assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8444, external: false })), /every app in the environment/);
  });
  it("reports an additional port mapping to the Admin API", () =>
    assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8000, additionalPortMappings: [{ external: true, targetPort: 8444, exposedPort: 9444 }] })), /additional port mapping targets port 8444 \(exposed as 9444\)/));
  it("reports KONG_ADMIN_LISTEN bound beyond loopback, in containers and init containers", async () => {
    await assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8000 }, [{ name: "KONG_ADMIN_LISTEN", value: "0.0.0.0:8001, 127.0.0.1:8444 ssl" }])), /container "kong"'s KONG_ADMIN_LISTEN binds Kong's Admin API beyond loopback \("0\.0\.0\.0:8001"\).*127\.0\.0\.1 only/);
    await assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8000 }, [], [{ name: "KONG_ADMIN_LISTEN", value: "[::]:8001" }])), /container "init"/);
  });
  it("accepts off, localhost and [::1]", () =>
    assertPasses(check(POLICY.adminApiPrivate, app({ targetPort: 8000 }, [{ name: "KONG_ADMIN_LISTEN", value: "localhost:8001, [::1]:8444 ssl, 127.0.0.2:9001" }, { name: "KONG_ADMIN_LISTEN", value: "off" }]))));
  it("reports KONG_ADMIN_LISTEN taken from a secret (uncheckable)", () =>
    assertViolation(check(POLICY.adminApiPrivate, app({ targetPort: 8000 }, [{ name: "KONG_ADMIN_LISTEN", secretRef: "listen" }])), /from secret "listen", which this policy cannot check/));

  const nsg = (rules: Record<string, unknown>[]) => subject(TYPES.networkSecurityGroup, "nsg", { securityRules: rules });
  const inbound = (extra: Record<string, unknown>) => ({ name: "r", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", sourcePortRange: "*", destinationAddressPrefix: "*", ...extra });
  it("passes an NSG that opens only the proxy ports (as the VM runtime's does)", () =>
    assertPasses(check(POLICY.adminApiPrivate, nsg([inbound({ name: "p1", destinationPortRange: "8000", sourceAddressPrefix: "Internet" }), inbound({ name: "p2", destinationPortRange: "8443", sourceAddressPrefix: "Internet" })]))));
  it("reports inbound Allow rules reaching an Admin API port by range, by '*' or in a port list", async () => {
    await assertViolation(check(POLICY.adminApiPrivate, nsg([inbound({ name: "wide", destinationPortRange: "8000-8500", sourceAddressPrefix: "Internet" })])), /NSG rule "wide" allows inbound 8001\/8444 \(Kong's Admin API\) from "Internet" \(destination ports "8000-8500"\)/);
    await assertViolation(check(POLICY.adminApiPrivate, nsg([inbound({ name: "all", destinationPortRange: "*", sourceAddressPrefix: "*", protocol: "*" })])), /NSG rule "all" allows inbound 8001\/8444/);
    await assertViolation(check(POLICY.adminApiPrivate, nsg([inbound({ name: "list", destinationPortRanges: ["8443", "8444"], sourceAddressPrefixes: ["198.51.100.0/24"] })])), /allows inbound 8444 .*from "198\.51\.100\.0\/24"/);
  });
  it("ignores outbound, Deny and UDP-only rules", () =>
    assertPasses(
      check(
        POLICY.adminApiPrivate,
        nsg([
          inbound({ direction: "Outbound", destinationPortRange: "*", sourceAddressPrefix: "*" }),
          inbound({ access: "Deny", destinationPortRange: "*", sourceAddressPrefix: "*" }),
          inbound({ protocol: "Udp", destinationPortRange: "8001", sourceAddressPrefix: "*" }),
        ]),
      ),
    ));
  it("lets policy config allow exact operator sources, and nothing more", async () => {
    const config = { allowedAdminSources: ["10.0.0.0/24"] };
    await assertPasses(check(POLICY.adminApiPrivate, nsg([inbound({ destinationPortRange: "8444", sourceAddressPrefix: "10.0.0.0/24" })]), env("dev"), config));
    await assertViolation(check(POLICY.adminApiPrivate, nsg([inbound({ destinationPortRange: "8444", sourceAddressPrefixes: ["10.0.0.0/24", "Internet"] })]), env("dev"), config), /from "10\.0\.0\.0\/24", "Internet"/);
  });
  it("checks standalone SecurityRule resources too", () =>
    assertViolation(check(POLICY.adminApiPrivate, subject(TYPES.securityRule, "sr", { securityRuleName: "admin", ...inbound({ name: undefined, destinationPortRange: "8001", sourceAddressPrefix: "*" }) })), /NSG rule "admin" allows inbound 8001/));

  const vm = (customData: string | undefined, userData?: string) => subject(TYPES.virtualMachine, "vm", { osProfile: { computerName: "vm", adminUsername: "kongadmin", customData }, userData });
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  const cloudConfig = (kongConf: string, extra = "") => `#cloud-config\nwrite_files:\n  - path: /etc/kong/kong.conf\n    content: |\n${kongConf.split("\n").map((l) => `      ${l}`).join("\n")}\n${extra}`;
  it("passes a VM whose kong.conf binds the Admin API to loopback", () =>
    assertPasses(check(POLICY.adminApiPrivate, vm(b64(cloudConfig("database = postgres\nadmin_listen = 127.0.0.1:8001 reuseport, 127.0.0.1:8444 http2 ssl\n# admin_listen = 0.0.0.0:8001 (commented out)"))))));
  it("decodes customData and reports a public admin_listen in kong.conf", () =>
    assertViolation(check(POLICY.adminApiPrivate, vm(b64(cloudConfig("admin_listen = 0.0.0.0:8001, 127.0.0.1:8444 ssl")))), /osProfile\.customData's kong\.conf admin_listen binds Kong's Admin API beyond loopback \("0\.0\.0\.0:8001"\)/));
  it("finds kong.conf in a base64-encoded write_files entry and in gzip-compressed customData", async () => {
    const encoded = `#cloud-config\nwrite_files:\n  - path: /etc/kong/kong.conf\n    encoding: b64\n    content: ${b64("admin_listen = 10.0.0.4:8001\n")}\n`;
    await assertViolation(check(POLICY.adminApiPrivate, vm(b64(encoded))), /"10\.0\.0\.4:8001"/);
    const gz = gzipSync(Buffer.from(cloudConfig("admin_listen = 0.0.0.0:8444 ssl"))).toString("base64");
    await assertViolation(check(POLICY.adminApiPrivate, vm(gz)), /"0\.0\.0\.0:8444 ssl"/);
  });
  it("reports KONG_ADMIN_LISTEN set in a unit's environment, and checks userData too", async () => {
    const unit = cloudConfig("admin_listen = 127.0.0.1:8001", `  - path: /etc/systemd/system/kong.service.d/override.conf\n    content: |\n      [Service]\n      Environment="KONG_ADMIN_LISTEN=0.0.0.0:8001"\n`);
    await assertViolation(check(POLICY.adminApiPrivate, vm(b64(unit))), /KONG_ADMIN_LISTEN binds .*"0\.0\.0\.0:8001"/);
    await assertViolation(check(POLICY.adminApiPrivate, vm(undefined, b64("#!/bin/sh\nexport KONG_ADMIN_LISTEN=0.0.0.0:8001\nkong start\n"))), /userData's KONG_ADMIN_LISTEN/);
  });
  it("reports customData that is not base64 (uncheckable)", () => assertViolation(check(POLICY.adminApiPrivate, vm("#cloud-config\nadmin_listen = 0.0.0.0:8001")), /customData is not base64/));
});

describe(`${POLICY.providerVerifyFull}`, () => {
  const provider = (props: Record<string, unknown>) => subject(TYPES.postgresqlProvider, "pg", { host: "h", port: "5432", superuser: "false", ...props });
  it("passes sslmode verify-full (and the deprecated sslMode spelling)", async () => {
    await assertPasses(check(POLICY.providerVerifyFull, provider({ sslmode: "verify-full" })));
    await assertPasses(check(POLICY.providerVerifyFull, provider({ sslMode: "verify-full" })));
  });
  it("reports require (encrypts, trusts any certificate) and the like", async () => {
    await assertViolation(check(POLICY.providerVerifyFull, provider({ sslmode: "require" })), /sslmode is "require": only "verify-full" checks the server's certificate/);
    await assertViolation(check(POLICY.providerVerifyFull, provider({ sslMode: "disable" })), /sslMode is "disable".*not the deprecated sslMode/);
  });
  it("reports a provider with no sslmode at all", () => assertViolation(check(POLICY.providerVerifyFull, provider({})), /sets no sslmode.*PGSSLMODE/));
});

// ---------------------------------------------------------------------------------------------
// Pure pieces
// ---------------------------------------------------------------------------------------------

describe("policy pack building blocks", () => {
  it("reads the stack's identity and config as the CLI passes them", () => {
    const e = readPackEnvironment({ PULUMI_STACK: "prod", PULUMI_CONFIG: JSON.stringify({ [PRODUCTION_CONFIG_KEY]: "true" }) });
    assert.equal(e.stack, "prod");
    assert.equal(e.config[PRODUCTION_CONFIG_KEY], "true");
    assert.equal(readPackEnvironment({ PULUMI_NODEJS_STACK: "dev" }).stack, "dev");
    assert.equal(readPackEnvironment({}).stack, undefined);
    assert.throws(() => readPackEnvironment({ PULUMI_CONFIG: "{" }), /PULUMI_CONFIG is not JSON/);
  });
  it("matches production stacks by name, wildcard, qualified name, case", () => {
    assert.ok(stackMatches("prod", ["prod"]));
    assert.ok(productionReason(env("production"), DEFAULT_PROD_STACKS), "the default covers prod and production");
    assert.ok(stackMatches("PROD", ["prod"]));
    assert.ok(stackMatches("acme/kong-entra-postgres/prod", ["prod"]));
    assert.ok(stackMatches("prod-eu", ["prod-*"]));
    assert.ok(!stackMatches("preprod", ["prod"]));
    assert.ok(!stackMatches("prod.x", ["prod"]));
    assert.equal(productionReason(env("dev", { [PRODUCTION_CONFIG_KEY]: "false" }), ["prod"]), undefined);
  });
  it("measures IPv4 ranges and port specs", () => {
    assert.deepEqual(ipv4RangeSize("10.0.0.0", "10.0.0.255"), { ok: true, size: 256 });
    assert.equal(ipv4RangeSize("010.0.0.0", "10.0.0.1").ok, false);
    assert.ok(portSpecIncludes("8000-8500", 8444) && portSpecIncludes("*", 1) && portSpecIncludes(" 8001 ", 8001) && !portSpecIncludes("8002-8443", 8001) && portSpecIncludes("nonsense", 8001));
  });
  it("reads kong.conf as Kong does: comments, escapes, continuation, every occurrence", () => {
    assert.deepEqual(kongConfValues("admin_listen = a # comment\nadmin_listen=b\\#c\n  admin_listen = d \\\n e\n#admin_listen = x\n", "admin_listen"), ["a", "b#c", "d  e"]);
    assert.deepEqual(publicListenEntries("127.0.0.1:8001 ssl, 0.0.0.0:8444, off, [::]:1, localhost:2"), ["0.0.0.0:8444", "[::]:1"]);
    assert.deepEqual(adminListenSettings("KONG_ADMIN_LISTEN: '0.0.0.0:1'\nX_KONG_ADMIN_LISTEN=9\n  # KONG_ADMIN_LISTEN=0.0.0.0:2 would expose it\n"), [{ source: "KONG_ADMIN_LISTEN", value: "0.0.0.0:1" }]);
    assert.equal(decodeCustomData("not base64!").ok, false);
  });
});

// ---------------------------------------------------------------------------------------------
// Every real stack, through @pulumi/policy's own analyzer functions
// ---------------------------------------------------------------------------------------------

/** The pack for a real stack, as the CLI would start it for that stack ("now" is the mock clock). */
function policiesFor(evaluation: Evaluation) {
  return createPolicies({ stack: evaluation.stack, config: evaluation.config, now: () => new Date(MOCK_NOW) });
}

/** Every diagnostic the pack reports for an evaluated stack: Analyze per resource, then AnalyzeStack. */
async function analyzeEvaluation(evaluation: Evaluation, resources: readonly RecordedResource[] = evaluation.resources): Promise<Violation[]> {
  const policies = policiesFor(evaluation);
  const found: Violation[] = [];
  for (const r of resources) {
    for (const v of await analyzeWithSdk(policies, fromRecorded(r, resources, "inputs"))) found.push({ ...v, urn: r.urn });
  }
  found.push(...(await analyzeStackWithSdk(policies, resources.map((r) => fromRecorded(r, resources, "outputs")))));
  return found;
}

function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `[${v.enforcementLevel}] ${v.policy} ${v.urn ?? ""}\n  ${v.message.replace(/\n/g, "\n  ")}`).join("\n");
}

/** A deep copy of a recorded resource with `change` applied to the copy. */
function mutated(r: RecordedResource, change: (copy: { inputs: any; outputs: any; options: any }) => void): RecordedResource {
  const copy = JSON.parse(JSON.stringify(r)) as RecordedResource & { inputs: any; outputs: any; options: any };
  change(copy);
  return copy;
}

const stacks = listStacks();
const evaluations = new Map<string, Promise<Evaluation>>();

/** The real program evaluated for `stack` under mocks (once per file). */
function evaluated(stack: string): Promise<Evaluation> {
  let evaluation = evaluations.get(stack);
  if (!evaluation) {
    evaluation = evaluateStack({ stack }).then((e) => {
      assert.equal(e.error, undefined, `stack ${stack} failed under mocks: ${e.error}`);
      return e;
    });
    evaluations.set(stack, evaluation);
  }
  return evaluation;
}

describe("every real stack passes the pack", () => {
  it("covers dev and prod (production by name and by config) and both Kong runtimes", async () => {
    assert.ok(stacks.includes("dev") && stacks.includes("prod"), stacks.join(", "));
    const prod = await evaluated("prod");
    assert.equal(prod.config[PRODUCTION_CONFIG_KEY], "true");
    assert.ok(productionReason(policiesEnv(prod), ["prod"]), "prod counts as production");
    assert.equal(productionReason(policiesEnv(await evaluated("dev")), ["prod"]), undefined, "dev does not");
    const all = await Promise.all(stacks.map(evaluated));
    assert.ok(all.some((e) => e.resources.some((r) => r.type === TYPES.containerApp)), "some stack runs Container Apps");
    assert.ok(all.some((e) => e.resources.some((r) => r.type === TYPES.virtualMachine)), "some stack runs the VM runtime");
  });

  for (const stack of stacks) {
    it(`${stack}: no diagnostic at all from Analyze (inputs) or AnalyzeStack (outputs)`, async () => {
      const violations = await analyzeEvaluation(await evaluated(stack));
      assert.equal(violations.length, 0, describeViolations(violations));
    });

    it(`${stack}: a first preview (every value that comes from another resource unknown) reports nothing mandatory`, async () => {
      const evaluation = await evaluated(stack);
      // What the engine sends during a first preview: inputs fed by other resources' outputs are
      // unknown (coarsely: the whole top-level input), and so are outputs only Azure computes.
      const unknownInputs = (r: RecordedResource) => {
        const inputs: Record<string, unknown> = { ...r.inputs };
        for (const [key, urns] of Object.entries(r.options.propertyDependencies)) if (urns.length > 0 && key in inputs) inputs[key] = UNKNOWN_STRING;
        return inputs;
      };
      const preview = evaluation.resources.map((r) => {
        const inputs = unknownInputs(r);
        const outputs: Record<string, unknown> = { ...r.outputs, ...inputs };
        for (const key of Object.keys(r.outputs)) if (!(key in r.inputs)) outputs[key] = UNKNOWN_STRING;
        return { ...r, inputs, outputs };
      });
      assert.ok(preview.some((r) => Object.values(r.inputs).includes(UNKNOWN_STRING)), "the simulation makes something unknown");
      const violations = await analyzeEvaluation(evaluation, preview);
      const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
      assert.equal(mandatory.length, 0, describeViolations(mandatory));
      for (const v of violations) assert.match(v.message, /can't run policy .* during preview/);
    });
  }
});

function policiesEnv(evaluation: Evaluation): PackEnvironment {
  return { stack: evaluation.stack, config: evaluation.config, now: () => new Date(MOCK_NOW) };
}

describe("mutated real stacks are caught, by exactly the policy concerned", () => {
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  const cases: { stack: string; what: string; policy: string; message: RegExp; mutate: (resources: RecordedResource[]) => RecordedResource[] }[] = [
    {
      stack: "prod",
      what: "the primary server unprotected",
      policy: POLICY.prodProtected,
      message: /server kong-db-server is not protected/,
      mutate: (rs) => rs.map((r) => (r.name === "kong-db-server" ? mutated(r, (c) => (c.options.protect = false)) : r)),
    },
    {
      stack: "prod",
      what: "the kong database unprotected",
      policy: POLICY.prodProtected,
      message: /database "kong" is not protected/,
      mutate: (rs) => rs.map((r) => (r.type === TYPES.database ? mutated(r, (c) => (c.options.protect = false)) : r)),
    },
    {
      stack: "prod",
      what: "HA switched off on the primary",
      policy: POLICY.prodResilience,
      message: /highAvailability.mode is "Disabled"/,
      mutate: (rs) => rs.map((r) => (r.name === "kong-db-server" ? mutated(r, (c) => (c.inputs.highAvailability = { mode: "Disabled" })) : r)),
    },
    {
      stack: "prod",
      what: "Entra authentication switched off",
      policy: POLICY.entraAuth,
      message: /activeDirectoryAuth is "Disabled"/,
      mutate: (rs) => rs.map((r) => (r.name === "kong-db-server" ? mutated(r, (c) => (c.inputs.authConfig = { ...c.inputs.authConfig, activeDirectoryAuth: "Disabled" })) : r)),
    },
    {
      stack: "prod",
      what: "the deployer's firewall rule widened to everything",
      policy: POLICY.firewallWidth,
      message: /4,294,967,296 addresses/,
      mutate: (rs) => rs.map((r) => (r.type === TYPES.firewallRule && r.name.includes("primary-deployer") ? mutated(r, (c) => Object.assign(c.inputs, { startIpAddress: "0.0.0.0", endIpAddress: "255.255.255.255" })) : r)),
    },
    {
      stack: "prod",
      what: "an 'allow Azure services' rule added",
      policy: POLICY.noAzureServicesInProd,
      message: /"allow Azure services" rule/,
      mutate: (rs) => {
        const rule = rs.find((r) => r.type === TYPES.firewallRule)!;
        return [...rs, mutated(rule, (c) => Object.assign(c, { name: "azure", urn: `${rule.urn}-azure` }, { inputs: { ...c.inputs, ...ALLOW_AZURE_SERVICES, firewallRuleName: ALLOW_AZURE_SERVICES.name } }))];
      },
    },
    {
      stack: "prod",
      what: "require_secure_transport turned OFF",
      policy: POLICY.tlsSettings,
      message: /require_secure_transport is "OFF"/,
      mutate: (rs) => rs.map((r) => (r.name === "kong-db-require-secure-transport" ? mutated(r, (c) => Object.assign(c.inputs, { value: "OFF" })) : r)),
    },
    {
      stack: "dev",
      what: "the primary's require_secure_transport Configuration removed",
      policy: POLICY.tlsPinned,
      message: /has no require_secure_transport Configuration/,
      mutate: (rs) => rs.filter((r) => r.name !== "kong-db-require-secure-transport"),
    },
    {
      stack: "staging",
      what: "the replica moved to Burstable",
      policy: POLICY.noBurstableReplica,
      message: /read replica is on the Burstable tier/,
      mutate: (rs) => rs.map((r) => (r.name === "kong-db-replica" ? mutated(r, (c) => (c.inputs.sku = { name: "Standard_B2s", tier: "Burstable" })) : r)),
    },
    {
      stack: "dev",
      what: "the client secret made to last three years",
      policy: POLICY.secretLifetime,
      message: /valid for 1096 days/,
      mutate: (rs) => rs.map((r) => (r.type === TYPES.applicationPassword ? mutated(r, (c) => (c.inputs.endDate = "2029-01-01T00:00:00Z")) : r)),
    },
    {
      stack: "dev",
      what: "the ingress pointed at the Admin API",
      policy: POLICY.adminApiPrivate,
      message: /ingress targets port 8001/,
      mutate: (rs) => rs.map((r) => (r.type === TYPES.containerApp ? mutated(r, (c) => (c.inputs.configuration.ingress.targetPort = 8001)) : r)),
    },
    {
      stack: "prod",
      what: "KONG_ADMIN_LISTEN bound to every interface",
      policy: POLICY.adminApiPrivate,
      message: /KONG_ADMIN_LISTEN binds Kong's Admin API beyond loopback/,
      mutate: (rs) =>
        rs.map((r) =>
          r.type === TYPES.containerApp
            ? mutated(r, (c) => {
                const variable = c.inputs.template.containers[0].env.find((e: { name: string }) => e.name === "KONG_ADMIN_LISTEN");
                variable.value = "0.0.0.0:8001, 0.0.0.0:8444 ssl";
              })
            : r,
        ),
    },
    {
      stack: "staging",
      what: "the VM's kong.conf admin_listen bound to every interface",
      policy: POLICY.adminApiPrivate,
      message: /customData's kong\.conf admin_listen binds .*"0\.0\.0\.0:8001 reuseport backlog=16384"/,
      mutate: (rs) =>
        rs.map((r) =>
          r.type === TYPES.virtualMachine
            ? mutated(r, (c) => {
                const text = Buffer.from(c.inputs.osProfile.customData, "base64").toString("utf8");
                assert.ok(text.includes("admin_listen = 127.0.0.1:8001"), "the real cloud-init carries admin_listen");
                c.inputs.osProfile.customData = b64(text.replace(/admin_listen = 127\.0\.0\.1:8001/, "admin_listen = 0.0.0.0:8001"));
              })
            : r,
        ),
    },
    {
      stack: "staging",
      what: "the NSG opened to the Admin API",
      policy: POLICY.adminApiPrivate,
      message: /NSG rule "admin" allows inbound 8001\/8444/,
      mutate: (rs) =>
        rs.map((r) =>
          r.type === TYPES.networkSecurityGroup
            ? mutated(r, (c) => c.inputs.securityRules.push({ name: "admin", priority: 300, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "Internet", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "8000-8500" }))
            : r,
        ),
    },
    {
      stack: "prod",
      what: "the postgresql provider downgraded to sslmode require",
      policy: POLICY.providerVerifyFull,
      message: /sslmode is "require"/,
      mutate: (rs) => rs.map((r) => (r.type === TYPES.postgresqlProvider ? mutated(r, (c) => (c.inputs.sslmode = "require")) : r)),
    },
  ];

  for (const c of cases) {
    it(`${c.stack}: ${c.what} → ${c.policy}`, async () => {
      assert.ok(stacks.includes(c.stack), `no stack ${c.stack}`);
      const evaluation = await evaluated(c.stack);
      const violations = await analyzeEvaluation(evaluation, c.mutate(evaluation.resources));
      assert.ok(violations.length > 0, "nothing reported");
      assert.deepEqual([...new Set(violations.map((v) => v.policy))], [c.policy], describeViolations(violations));
      assert.ok(violations.every((v) => v.enforcementLevel === "mandatory"), describeViolations(violations));
      assert.ok(violations.some((v) => c.message.test(v.message)), describeViolations(violations));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The pack as the CLI runs it
// ---------------------------------------------------------------------------------------------

describe("the pack, started as the Pulumi CLI starts it", () => {
  let byName: RunningPack | undefined;
  let byConfig: RunningPack | undefined;
  before(async () => {
    const started = await Promise.allSettled([startPolicyPack({ stack: "prod" }), startPolicyPack({ stack: "live", config: { [PRODUCTION_CONFIG_KEY]: "true" } })]);
    [byName, byConfig] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
  });
  after(() => {
    byName?.stop();
    byConfig?.stop();
  });

  it("serves every policy of the pack, all mandatory", async () => {
    const info = await byName!.policyInfo();
    const expected = packArgs(env("prod")).policies.map((p) => p.name);
    assert.deepEqual(info.map((p) => p.name), expected);
    assert.deepEqual(new Set(info.map((p) => p.enforcementLevel)), new Set(["mandatory"]));
    assert.deepEqual(new Set(expected), new Set(Object.values(POLICY)), "POLICY names every policy in the pack");
  });

  it("passes the real prod stack, resource by resource and as a whole", async () => {
    const prod = await evaluated("prod");
    const found: Violation[] = [];
    for (const r of prod.resources) found.push(...(await byName!.analyze(fromRecorded(r, prod.resources, "inputs"))));
    found.push(...(await byName!.analyzeStack(prod.resources.map((r) => fromRecorded(r, prod.resources, "outputs")))));
    // The pack runs on the real clock: the mock secret's end date (from the mock clock) is only earlier.
    assert.equal(found.length, 0, describeViolations(found));
  });

  it("knows production from PULUMI_STACK, and from PULUMI_CONFIG's production flag", async () => {
    const unprotected = subject(TYPES.database, "kong-database-db", { name: "kong" }, { protect: false });
    await assertViolation((await byName!.analyze(unprotected)).map((v) => v.message), /stack "prod" is a production stack/);
    await assertViolation((await byConfig!.analyze(unprotected)).map((v) => v.message), /config sets kong-entra-postgres:production=true/);
  });

  it("applies policy config sent by the CLI (--policy-pack-config)", async () => {
    const inHundredDays = subject(TYPES.applicationPassword, "secret", { endDate: new Date(Date.now() + 100 * DAY).toISOString() });
    assert.deepEqual(await byConfig!.analyze(inHundredDays), []);
    await byConfig!.configure({ [POLICY.secretLifetime]: { enforcementLevel: "mandatory", maxSecretLifetimeDays: 60 } });
    const violations = await byConfig!.analyze(inHundredDays);
    assert.equal(violations.length, 1, describeViolations(violations));
    assert.match(violations[0]!.message, /more than the 60 days allowed/);
    assert.equal(violations[0]!.enforcementLevel, "mandatory");
  });
});

// ---------------------------------------------------------------------------------------------
// The pack's project files
// ---------------------------------------------------------------------------------------------

describe("the pack's project files", () => {
  const read = (file: string) => fs.readFileSync(path.join(POLICY_DIR, file), "utf8");
  it("PulumiPolicy.yaml is a Node.js pack whose version matches package.json (PolicyPack requires one)", () => {
    const project = parseYaml(read("PulumiPolicy.yaml")) as { runtime: string; version: string };
    const pkg = JSON.parse(read("package.json")) as { version: string; main: string };
    assert.equal(project.runtime, "nodejs");
    assert.equal(project.version, pkg.version);
    assert.ok(fs.existsSync(path.join(POLICY_DIR, pkg.main)), `main ${pkg.main} exists`);
    assert.equal(PACK_NAME, "kong-entra-postgres");
  });
  it("declares the dependencies it resolves from the repository root, at the root's versions", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const root = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      assert.equal(version, rootVersions[name], `${name}: policy/package.json says ${version}, the root installs ${rootVersions[name]}`);
    }
  });
  it("README.md documents every policy and its config", () => {
    const readme = read("README.md");
    for (const p of packArgs(env("dev")).policies) {
      assert.ok(readme.includes(`\`${p.name}\``), `README.md does not mention ${p.name}`);
      for (const key of Object.keys(p.configSchema?.properties ?? {})) assert.ok(readme.includes(`\`${key}\``), `README.md does not document ${p.name}'s ${key}`);
    }
    assert.ok(readme.includes("--policy-pack policy"), "README.md shows the CLI flag");
  });
});
