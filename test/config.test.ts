/**
 * The config model: every validation rule fails with a message naming its key and the fix;
 * several problems arrive together; Pulumi.yaml declares exactly the keys the model reads.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, ConfigError, parseStackConfig, PROJECT, SECRET_CONFIG_KEYS, STORAGE_SIZES_GB, type StackConfig } from "../components/config";
import { listStacks, PROJECT_DIR } from "../tools/mockEngine";
import { rawStackConfig, stackModel } from "./support/stackAssertions";

/** The dev stack's config as the CLI would hand it over (defaults applied), prefix stripped. */
const devConfig = () => rawStackConfig("dev");

function parse(overrides: Record<string, string | undefined>, base = devConfig()): StackConfig {
  const raw: Record<string, string | undefined> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete raw[k];
    else raw[k] = v;
  }
  return parseStackConfig("test", raw);
}

function problems(overrides: Record<string, string | undefined>, base?: Record<string, string>): ConfigError["problems"] {
  try {
    parse(overrides, base);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`expected ${JSON.stringify(overrides)} to be rejected`);
}

/** Asserts exactly one problem, on `key`, whose message matches `pattern`. */
function rejects(overrides: Record<string, string | undefined>, key: string, pattern: RegExp, base?: Record<string, string>): void {
  const found = problems(overrides, base);
  assert.equal(found.length, 1, `expected one problem, got ${JSON.stringify(found, null, 1)}`);
  assert.equal(found[0]!.key, `${PROJECT}:${key}`);
  assert.match(found[0]!.message, pattern);
}

const generalPurpose = { skuTier: "GeneralPurpose", skuName: "Standard_D2ds_v5" };

describe("config: valid stacks", () => {
  it("parses the dev stack into the typed model", () => {
    const c = parse({});
    assert.equal(c.server.sku.tier, "Burstable");
    assert.equal(c.server.sku.vCores, 1);
    assert.equal(c.server.version, "17");
    assert.equal(c.replica, undefined);
    assert.deepEqual(c.network.deployerIpRanges.map((r) => r.cidr), ["203.0.113.10/32"]);
    assert.deepEqual(c.deploymentAdmin, { type: "Group", name: "Kong Deployers dev", objectId: undefined });
  });

  for (const stack of listStacks()) {
    it(`parses Pulumi.${stack}.yaml`, () => {
      const c = stackModel(stack);
      assert.equal(c.stack, stack);
    });
  }

  it("reads values as the CLI passes them: strings, lists as JSON", () => {
    const c = parse({ storageSizeGb: "64", highAvailability: "TRUE", ...generalPurpose, allowedIpRanges: '["198.51.100.7"]' });
    assert.equal(c.server.storageSizeGb, 64);
    assert.equal(c.server.highAvailability, true);
    assert.deepEqual(c.network.allowedIpRanges, [{ cidr: "198.51.100.7/32", start: "198.51.100.7", end: "198.51.100.7", prefix: 32 }]);
  });

  it("derives the replica from the primary unless overridden", () => {
    const c = parse({ ...generalPurpose, replicaEnabled: "true" });
    assert.deepEqual(c.replica, { location: "westeurope", sku: { name: "Standard_D2ds_v5", tier: "GeneralPurpose", vCores: 2 }, storageSizeGb: 32 });
    const bigger = parse({ ...generalPurpose, replicaEnabled: "true", replicaSkuTier: "MemoryOptimized", replicaSkuName: "Standard_E4ds_v5", replicaStorageSizeGb: "64", replicaLocation: "northeurope" });
    assert.deepEqual(bigger.replica, { location: "northeurope", sku: { name: "Standard_E4ds_v5", tier: "MemoryOptimized", vCores: 4 }, storageSizeGb: 64 });
  });

  it("accepts every storage step Azure offers and PostgreSQL 16", () => {
    for (const size of STORAGE_SIZES_GB) assert.equal(parse({ storageSizeGb: String(size) }).server.storageSizeGb, size);
    assert.equal(parse({ postgresVersion: "16" }).server.version, "16");
  });

  it("accepts the deployment admin by object id alone, and every principal type", () => {
    const id = "11111111-2222-4333-8444-555555555555";
    assert.equal(parse({ deploymentAdminName: undefined, deploymentAdminObjectId: id }).deploymentAdmin.objectId, id);
    for (const type of ["Group", "User", "ServicePrincipal"]) assert.equal(parse({ deploymentAdminType: type }).deploymentAdmin.type, type);
  });

  it("accepts managed identity with the VM runtime", () => {
    const c = parse({ identityMode: "managedIdentity", kongRuntime: "vm", kongVmSshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ops@example" });
    assert.equal(c.kong.identityMode, "managedIdentity");
    assert.equal(c.kong.runtime, "vm");
  });
});

describe("config: each rule names its key and the fix", () => {
  it("a value that does not parse as its declared type", () => {
    rejects({ storageSizeGb: "abc" }, "storageSizeGb", /whole number.*"abc"/);
    rejects({ backupRetentionDays: "7.5" }, "backupRetentionDays", /whole number/);
    rejects({ highAvailability: "yes" }, "highAvailability", /true or false/);
    rejects({ allowedIpRanges: "198.51.100.7" }, "allowedIpRanges", /must be a list/);
    rejects({ allowedIpRanges: "[1, 2]" }, "allowedIpRanges", /list of strings/);
  });

  it("unsupported PostgreSQL version", () => {
    rejects({ postgresVersion: "15" }, "postgresVersion", /one of 16, 17/);
    rejects({ postgresVersion: "18" }, "postgresVersion", /tested on/);
  });

  it("storage size Azure does not offer", () => {
    rejects({ storageSizeGb: "100" }, "storageSizeGb", /100 GiB is not a size Azure offers; use one of 32, 64/);
    rejects({ storageSizeGb: "16" }, "storageSizeGb", /at least 32/);
  });

  it("backup retention outside 7–35 days", () => {
    rejects({ backupRetentionDays: "3" }, "backupRetentionDays", /at least 7/);
    rejects({ backupRetentionDays: "40" }, "backupRetentionDays", /at most 35/);
  });

  it("SKU name and tier that disagree, or a SKU that is not one", () => {
    rejects({ skuTier: "GeneralPurpose", skuName: "Standard_B2s" }, "skuName", /Burstable SKU but the tier is GeneralPurpose/);
    rejects({ skuName: "D2ds_v5" }, "skuName", /not a Flexible Server SKU name/);
    rejects({ skuTier: "Premium" }, "skuTier", /one of Burstable, GeneralPurpose, MemoryOptimized/);
  });

  it("HA on Burstable", () => {
    rejects({ highAvailability: "true" }, "highAvailability", /not available on the Burstable tier/);
  });

  it("replica on a Burstable primary", () => {
    const found = problems({ replicaEnabled: "true" });
    assert.ok(found.some((p) => p.key === `${PROJECT}:replicaEnabled` && /Burstable primary/.test(p.message)), JSON.stringify(found));
  });

  it("replica on the Burstable tier", () => {
    rejects({ ...generalPurpose, replicaEnabled: "true", replicaSkuTier: "Burstable", replicaSkuName: "Standard_B2s" }, "replicaSkuTier", /cannot run on the Burstable tier/);
  });

  it("replica smaller than the primary (vCores or storage)", () => {
    rejects({ skuTier: "GeneralPurpose", skuName: "Standard_D4ds_v5", replicaEnabled: "true", replicaSkuName: "Standard_D2ds_v5" }, "replicaSkuName", /smaller than the primary.*4 vCores/);
    rejects({ ...generalPurpose, storageSizeGb: "128", replicaEnabled: "true", replicaStorageSizeGb: "64" }, "replicaStorageSizeGb", /smaller than the primary's \(128 GiB\)/);
  });

  it("replica settings while the replica is off are not ignored silently", () => {
    rejects({ replicaLocation: "northeurope" }, "replicaLocation", /replicaEnabled is false/);
  });

  it("an allow-list entry that is not IPv4, has host bits, or opens the internet", () => {
    rejects({ allowedIpRanges: '["2001:db8::/32"]' }, "allowedIpRanges", /not an IPv4 address or CIDR/);
    rejects({ allowedIpRanges: '["198.51.100.7/24"]' }, "allowedIpRanges", /did you mean 198\.51\.100\.0\/24/);
    rejects({ allowedIpRanges: '["0.0.0.0/0"]' }, "allowedIpRanges", /wider than \/8/);
    rejects({ deployerIpRanges: '["10.0.0.0/7"]' }, "deployerIpRanges", /wider than \/8/);
    rejects({ allowedIpRanges: '["0.0.0.0"]' }, "allowedIpRanges", /allowAzureServices/);
    rejects({ allowedIpRanges: '["198.51.100.7", "198.51.100.7/32"]' }, "allowedIpRanges", /listed twice/);
  });

  it("allow Azure services in production", () => {
    rejects({ production: "true", protectData: "true", allowAzureServices: "true" }, "allowAzureServices", /never allowed in production/);
  });

  it("production without protection", () => {
    rejects({ production: "true" }, "protectData", /set protectData true/);
  });

  it("a missing deployment admin", () => {
    rejects({ deploymentAdminName: undefined }, "deploymentAdminName", /deployment administrator is required.*deploymentAdminObjectId/);
    rejects({ deploymentAdminObjectId: "not-a-guid" }, "deploymentAdminObjectId", /must be an object id/);
    rejects({ deploymentAdminType: "Robot" }, "deploymentAdminType", /one of Group, User, ServicePrincipal/);
  });

  it("managed identity with the container runtime", () => {
    rejects({ identityMode: "managedIdentity" }, "identityMode", /Container Apps.*IMDS|IMDS.*Container Apps/);
  });

  it("service principal with the VM runtime", () => {
    rejects({ kongRuntime: "vm", kongVmSshPublicKey: "ssh-ed25519 AAAAC3Nza" }, "identityMode", /customData/);
  });

  it("client secret lifetime above two years, or rotation not before expiry", () => {
    rejects({ clientSecretLifetimeDays: "800" }, "clientSecretLifetimeDays", /two-year maximum \(730\)/);
    rejects({ clientSecretRotationDays: "210" }, "clientSecretRotationDays", /smaller than clientSecretLifetimeDays/);
    rejects({ clientSecretRotationAnchor: "2026-01-01" }, "clientSecretRotationAnchor", /RFC 3339/);
  });

  it("Kong versions without pg_azure_*, replica bounds, VM-only keys", () => {
    rejects({ kongVersion: "3.11" }, "kongVersion", /3\.12 or newer/);
    rejects({ kongVersion: "latest" }, "kongVersion", /version like 3\.14/);
    rejects({ kongMinReplicas: "4", kongMaxReplicas: "3" }, "kongMinReplicas", /above kongMaxReplicas/);
    rejects({ kongMinReplicas: "0" }, "kongMinReplicas", /at least 1/);
    rejects({ kongCpu: "3" }, "kongCpu", /0\.5, 1\.0, 1\.5, 2\.0/);
    rejects({ identityMode: "managedIdentity", kongRuntime: "vm" }, "kongVmSshPublicKey", /SSH public key/);
    rejects({ kongVmSshPublicKey: "ssh-ed25519 AAAAC3Nza" }, "kongVmSshPublicKey", /kongRuntime is not vm/);
    rejects({ sshAllowedIpRanges: '["198.51.100.7"]' }, "sshAllowedIpRanges", /kongRuntime is not vm/);
    rejects({ identityMode: "managedIdentity", kongRuntime: "vm", kongVmSshPublicKey: "ssh-ed25519 AAAAC3Nza", kongLicense: "{}" }, "kongLicense", /customData/);
    rejects({ identityMode: "managedIdentity", kongRuntime: "vm", kongVmSshPublicKey: "not a key" }, "kongVmSshPublicKey", /OpenSSH public key/);
  });

  it("other enumerations and formats", () => {
    rejects({ kongRoleMode: "owner" }, "kongRoleMode", /one of principal, administrator/);
    rejects({ kongRuntime: "lambda" }, "kongRuntime", /one of container, vm/);
    rejects({ nameSuffix: "AB" }, "nameSuffix", /3–8 lowercase/);
    rejects({ location: "" }, "location", /must not be empty/);
    rejects({ kongIdentityChangeAcknowledged: "yes" }, "kongIdentityChangeAcknowledged", /object id/);
  });

  it("a key with no value and no default is reported as required with the command to set it", () => {
    rejects({ location: undefined }, "location", /is required; set it with `pulumi config set location <value>`/);
  });
});

describe("config: several problems arrive together", () => {
  it("lists every problem in one error, each with its key", () => {
    let error: unknown;
    try {
      parse({ storageSizeGb: "abc", highAvailability: "true", identityMode: "managedIdentity", deploymentAdminName: undefined, allowedIpRanges: '["1.2.3.4/4"]' });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    const keys = error.problems.map((p) => p.key.replace(`${PROJECT}:`, "")).sort();
    assert.deepEqual(keys, ["allowedIpRanges", "deploymentAdminName", "highAvailability", "identityMode", "storageSizeGb"]);
    assert.match(error.message, /Invalid configuration for stack "test" \(5 problems\)/);
    for (const key of keys) assert.match(error.message, new RegExp(`- ${PROJECT}:${key}: `));
  });
});

describe("config: Pulumi.yaml declares exactly the model's keys", () => {
  const project = parseYaml(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config: Record<string, { type: string; default?: unknown; description?: string; items?: { type: string } }>;
  };

  it("uses the project name the model namespaces keys with", () => {
    assert.equal(project.name, PROJECT);
  });

  it("has the same keys, and marks exactly the secret ones secret", () => {
    assert.deepEqual(Object.keys(project.config).sort(), [...Object.keys(CONFIG_KEYS), ...SECRET_CONFIG_KEYS].sort());
    const secret = Object.entries(project.config).filter(([, d]) => (d as { secret?: boolean }).secret).map(([k]) => k);
    assert.deepEqual(secret.sort(), [...SECRET_CONFIG_KEYS].sort());
  });

  it("describes every key and declares a type the CLI knows", () => {
    for (const [key, decl] of Object.entries(project.config)) {
      assert.ok(decl.description && decl.description.length > 10, `${key} has no description`);
      assert.ok(["string", "integer", "boolean", "array"].includes(decl.type), `${key}: type ${decl.type}`);
      if (decl.type === "array") assert.equal(decl.items?.type, "string", `${key}: array items`);
    }
  });

  it("declares defaults the model accepts, typed as declared", () => {
    for (const [key, decl] of Object.entries(project.config)) {
      if (!("default" in decl)) continue;
      const expected = { string: "string", integer: "number", boolean: "boolean", array: "object" }[decl.type];
      assert.equal(typeof decl.default, expected, `${key}: default ${JSON.stringify(decl.default)} is not a ${decl.type}`);
      const parser = CONFIG_KEYS[key as keyof typeof CONFIG_KEYS];
      const raw = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
      assert.ok(parser.safeParse(raw).success, `${key}: default ${raw} does not parse`);
    }
  });

  it("documents every key in the README's config table", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    for (const key of [...Object.keys(CONFIG_KEYS), ...SECRET_CONFIG_KEYS]) assert.match(readme, new RegExp(`\\| \`${key}\` \\|`), `README lacks ${key}`);
  });

  it("stack files carry no secure: ciphertext the CLI could not have made here", () => {
    for (const stack of listStacks()) {
      const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
      assert.doesNotMatch(text, /secure:/, `Pulumi.${stack}.yaml holds a secure: value`);
    }
  });
});
