/**
 * The stack's configuration model: every key the program reads, its type, and every rule that
 * makes a combination invalid. Pure: no Pulumi resources, so it is tested exhaustively on its own
 * and can fail a preview before anything is declared.
 *
 * Values arrive as the Pulumi CLI hands them to a Node program: strings (`pulumi config set`
 * writes strings; arrays arrive as JSON text). Each key is parsed against the type `Pulumi.yaml`
 * declares for it (a test keeps the two in step), defaults come from `Pulumi.yaml` (the CLI
 * applies them), and every problem is reported at once, each naming its key and the fix.
 */
import { z } from "zod";
import { parseIpv4Range, type Ipv4Range } from "./ipRanges";

/** The Pulumi project name: config keys are namespaced with it (`kong-entra-postgres:skuTier`). */
export const PROJECT = "kong-entra-postgres";

/** PostgreSQL major versions the role model is proven on (test/ runs the SQL against each). */
export const SUPPORTED_POSTGRES_VERSIONS = ["16", "17"] as const;

/** Storage sizes (GiB) Azure Flexible Server offers; 32767 is Azure's "32 TiB" step. */
export const STORAGE_SIZES_GB = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767] as const;

/** Compute tiers, with the SKU-name letter each uses (`Standard_B2s`, `Standard_D4ds_v5`, `Standard_E4ds_v5`). */
export const SKU_TIERS = { Burstable: "B", GeneralPurpose: "D", MemoryOptimized: "E" } as const;
export type SkuTier = keyof typeof SKU_TIERS;

/** Kong versions whose Gateway supports `pg_azure_*` (Enterprise 3.12+). */
export const MIN_KONG_VERSION = [3, 12] as const;

/** Container Apps consumption sizes: vCPU with the memory Azure pairs with it. */
export const CONTAINER_SIZES = [
  { cpu: "0.5", memory: "1Gi" },
  { cpu: "1.0", memory: "2Gi" },
  { cpu: "1.5", memory: "3Gi" },
  { cpu: "2.0", memory: "4Gi" },
] as const;

/** Longest client-secret lifetime accepted (two years, as Microsoft recommends at most). */
export const MAX_SECRET_LIFETIME_DAYS = 730;

export const PRINCIPAL_TYPES = ["Group", "User", "ServicePrincipal"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export const IDENTITY_MODES = ["servicePrincipal", "managedIdentity"] as const;
export const ROLE_MODES = ["principal", "administrator"] as const;
export const KONG_RUNTIMES = ["container", "vm"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- value parsers: one per declared Pulumi.yaml type -------------------------------------------

const text = () => z.string().trim().min(1, "must not be empty");

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const boolean = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["true", "false"], { error: "must be true or false" }))
    .transform((v) => v === "true");

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().trim().pipe(z.enum(values, { error: `must be one of ${values.join(", ")}` }));

const stringList = () =>
  z.string().transform((raw, ctx): string[] => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a list (YAML sequence, or JSON like [\"203.0.113.7/32\"])" });
      return z.NEVER;
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      ctx.addIssue({ code: "custom", message: "must be a list of strings" });
      return z.NEVER;
    }
    return value as string[];
  });

const ipRangeList = () =>
  stringList().transform((entries, ctx): Ipv4Range[] => {
    const ranges: Ipv4Range[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      const parsed = parseIpv4Range(entry);
      if ("problem" in parsed) {
        ctx.addIssue({ code: "custom", message: parsed.problem });
        continue;
      }
      if (seen.has(parsed.range.cidr)) {
        ctx.addIssue({ code: "custom", message: `"${entry}" is listed twice; remove the duplicate` });
        continue;
      }
      seen.add(parsed.range.cidr);
      ranges.push(parsed.range);
    }
    return ranges;
  });

const uuid = () => z.string().trim().regex(UUID, "must be an object id (a GUID like 00000000-0000-0000-0000-000000000000)");

// ---- the keys ------------------------------------------------------------------------------------

/**
 * Every config key, its parser and whether it is optional. `Pulumi.yaml` declares the same keys
 * with their types, defaults and descriptions; `test/config.test.ts` fails if the two differ.
 */
export const CONFIG_KEYS = {
  location: text(),
  nameSuffix: z.string().trim().regex(/^[a-z0-9]{3,8}$/, "must be 3–8 lowercase letters or digits").optional(),
  resourceGroupName: text().optional(),
  production: boolean(),
  protectData: boolean(),

  postgresVersion: z.string().trim().pipe(z.enum(SUPPORTED_POSTGRES_VERSIONS, { error: `must be one of ${SUPPORTED_POSTGRES_VERSIONS.join(", ")} (the versions this project's role model is tested on)` })),
  skuTier: oneOf(Object.keys(SKU_TIERS) as [SkuTier, ...SkuTier[]]),
  skuName: text(),
  storageSizeGb: integer(32, 32767),
  backupRetentionDays: integer(7, 35),
  geoRedundantBackup: boolean(),
  highAvailability: boolean(),

  replicaEnabled: boolean(),
  replicaLocation: text().optional(),
  replicaSkuTier: oneOf(Object.keys(SKU_TIERS) as [SkuTier, ...SkuTier[]]).optional(),
  replicaSkuName: text().optional(),
  replicaStorageSizeGb: integer(32, 32767).optional(),

  allowedIpRanges: ipRangeList(),
  deployerIpRanges: ipRangeList(),
  allowAzureServices: boolean(),

  deploymentAdminType: oneOf(PRINCIPAL_TYPES),
  deploymentAdminName: text().optional(),
  deploymentAdminObjectId: uuid().optional(),

  identityMode: oneOf(IDENTITY_MODES),
  kongRoleMode: oneOf(ROLE_MODES),
  clientSecretRotationDays: integer(1, MAX_SECRET_LIFETIME_DAYS),
  clientSecretLifetimeDays: integer(1, 3650),
  clientSecretRotationAnchor: z.string().trim().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z").optional(),
  kongIdentityChangeAcknowledged: uuid().optional(),

  kongRuntime: oneOf(KONG_RUNTIMES),
  kongVersion: z.string().trim().regex(/^\d+\.\d+(\.\d+){0,2}$/, "must be a Kong Gateway version like 3.14 or 3.14.0.1"),
  kongImageRepository: text(),
  kongMinReplicas: integer(1, 300),
  kongMaxReplicas: integer(1, 300),
  kongCpu: z.string().trim().pipe(z.enum(CONTAINER_SIZES.map((s) => s.cpu) as [string, ...string[]], { error: `must be one of ${CONTAINER_SIZES.map((s) => s.cpu).join(", ")} (Container Apps consumption sizes)` })),
  kongVmSize: text(),
  kongVmSshPublicKey: z.string().trim().regex(/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+( .*)?$/, "must be an OpenSSH public key line (ssh-ed25519 AAAA… or ssh-rsa AAAA…)").optional(),
  sshAllowedIpRanges: ipRangeList(),
} as const;

/** Keys declared `secret: true` in Pulumi.yaml: read as Pulumi secrets, never into the plain model. */
export const SECRET_CONFIG_KEYS = ["kongLicense"] as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Hints appended to a key's type error: the command that fixes it. */
function fixFor(key: ConfigKey): string {
  return `set it with \`pulumi config set ${key} <value>\` (see the README's config table)`;
}

// ---- the typed model -----------------------------------------------------------------------------

/** A compute SKU with the facts derived from its name. */
export interface Sku {
  readonly name: string;
  readonly tier: SkuTier;
  /** vCores, read from the SKU name (`Standard_D4ds_v5` → 4). */
  readonly vCores: number;
}

/** The principal the database layer signs in as: always named explicitly in every stack. */
export interface DeploymentAdminRef {
  readonly type: PrincipalType;
  /** Display name (group, service principal) or user principal name (user). */
  readonly name?: string;
  readonly objectId?: string;
}

/** The validated configuration of one stack. */
export interface StackConfig {
  readonly stack: string;
  readonly location: string;
  readonly nameSuffix?: string;
  readonly resourceGroupName?: string;
  readonly production: boolean;
  readonly protectData: boolean;
  readonly server: {
    readonly version: (typeof SUPPORTED_POSTGRES_VERSIONS)[number];
    readonly sku: Sku;
    readonly storageSizeGb: number;
    readonly backupRetentionDays: number;
    readonly geoRedundantBackup: boolean;
    readonly highAvailability: boolean;
  };
  readonly replica?: {
    readonly location: string;
    readonly sku: Sku;
    readonly storageSizeGb: number;
  };
  readonly network: {
    /** Client ranges allowed to reach both servers. */
    readonly allowedIpRanges: readonly Ipv4Range[];
    /** Where `pulumi up` runs: the database layer connects from there. */
    readonly deployerIpRanges: readonly Ipv4Range[];
    readonly allowAzureServices: boolean;
  };
  readonly deploymentAdmin: DeploymentAdminRef;
  readonly kong: {
    readonly identityMode: (typeof IDENTITY_MODES)[number];
    readonly roleMode: (typeof ROLE_MODES)[number];
    readonly runtime: (typeof KONG_RUNTIMES)[number];
    readonly clientSecret: { readonly rotationDays: number; readonly lifetimeDays: number; readonly rotationAnchor?: string };
    readonly identityChangeAcknowledged?: string;
    /** Kong Gateway version: the image tag (container) and the package version (VM). */
    readonly version: string;
    /** `<repository>:<version>`. */
    readonly image: string;
    readonly container: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpu: number; readonly memory: string };
    readonly vm: { readonly size: string; readonly sshPublicKey?: string; readonly sshAllowedIpRanges: readonly Ipv4Range[] };
  };
}

/** One problem in the stack's configuration. */
export interface ConfigProblem {
  /** The key, namespaced as `pulumi config` shows it (`kong-entra-postgres:skuTier`). */
  readonly key: string;
  readonly message: string;
}

/** Thrown (at preview time, before any resource is declared) when a stack's config is invalid. */
export class ConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

function skuOf(name: string, tier: SkuTier): Sku | string {
  const match = /^Standard_([BDE])(\d+)[a-z]*(_v\d+)?$/.exec(name);
  if (!match) return `"${name}" is not a Flexible Server SKU name; use e.g. Standard_B1ms, Standard_D2ds_v5 or Standard_E4ds_v5`;
  if (match[1] !== SKU_TIERS[tier]) {
    const fitting = (Object.keys(SKU_TIERS) as SkuTier[]).find((t) => SKU_TIERS[t] === match[1]);
    return `"${name}" is a ${fitting} SKU but the tier is ${tier}; make the SKU and the tier agree`;
  }
  return { name, tier, vCores: Number(match[2]) };
}

const storageStep = (size: number) => (STORAGE_SIZES_GB as readonly number[]).includes(size);

/**
 * Parses and validates one stack's raw config (`key` → string, keys without the project prefix;
 * defaults from `Pulumi.yaml` already applied, as the CLI does). Returns the typed model, or
 * throws a {@link ConfigError} listing every problem.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, string | undefined>>): StackConfig {
  const problems: ConfigProblem[] = [];
  const report = (key: ConfigKey, message: string) => problems.push({ key: `${PROJECT}:${key}`, message });

  // Pass 1: each key against its own type.
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const parser: z.ZodType = CONFIG_KEYS[key];
    const value = raw[key];
    const result = parser.safeParse(value);
    if (result.success) {
      values[key] = result.data;
      continue;
    }
    if (value === undefined) {
      report(key, `is required; ${fixFor(key)}`);
      continue;
    }
    for (const issue of result.error.issues) {
      report(key, `${issue.message} (got ${JSON.stringify(value)})`);
    }
  }
  const v = values as { [K in ConfigKey]: z.output<(typeof CONFIG_KEYS)[K]> };
  const has = (key: ConfigKey) => values[key] !== undefined;

  // Pass 2: rules that span keys. Each is checked only when its keys parsed, so one typo does
  // not drown the report in follow-on errors.
  let sku: Sku | undefined;
  if (has("skuName") && has("skuTier")) {
    const parsed = skuOf(v.skuName, v.skuTier);
    if (typeof parsed === "string") report("skuName", parsed);
    else sku = parsed;
  }
  if (has("storageSizeGb") && !storageStep(v.storageSizeGb)) {
    report("storageSizeGb", `${v.storageSizeGb} GiB is not a size Azure offers; use one of ${STORAGE_SIZES_GB.join(", ")}`);
  }
  if (v.highAvailability && v.skuTier === "Burstable") {
    report("highAvailability", "zone-redundant HA is not available on the Burstable tier; use GeneralPurpose or MemoryOptimized, or set highAvailability false");
  }

  let replica: StackConfig["replica"];
  if (v.replicaEnabled) {
    if (v.skuTier === "Burstable") {
      report("replicaEnabled", "read replicas are not available for a Burstable primary; move the primary to GeneralPurpose or MemoryOptimized, or set replicaEnabled false");
    }
    const tier = v.replicaSkuTier ?? v.skuTier;
    const name = v.replicaSkuName ?? v.skuName;
    if (tier === "Burstable") {
      report(has("replicaSkuTier") ? "replicaSkuTier" : "skuTier", "a read replica cannot run on the Burstable tier; use GeneralPurpose or MemoryOptimized");
    }
    const replicaSku = tier !== undefined && name !== undefined ? skuOf(name, tier) : undefined;
    if (typeof replicaSku === "string") report("replicaSkuName", replicaSku);
    const storage = v.replicaStorageSizeGb ?? v.storageSizeGb;
    if (has("replicaStorageSizeGb") && !storageStep(v.replicaStorageSizeGb as number)) {
      report("replicaStorageSizeGb", `${v.replicaStorageSizeGb} GiB is not a size Azure offers; use one of ${STORAGE_SIZES_GB.join(", ")}`);
    }
    if (sku && typeof replicaSku === "object" && replicaSku.vCores < sku.vCores) {
      report("replicaSkuName", `the replica (${replicaSku.name}, ${replicaSku.vCores} vCores) is smaller than the primary (${sku.name}, ${sku.vCores} vCores); Azure requires at least the primary's size`);
    }
    if (storage !== undefined && v.storageSizeGb !== undefined && storage < v.storageSizeGb) {
      report("replicaStorageSizeGb", `the replica's storage (${storage} GiB) is smaller than the primary's (${v.storageSizeGb} GiB); Azure requires at least the primary's`);
    }
    if (typeof replicaSku === "object" && storage !== undefined && has("location")) {
      replica = { location: v.replicaLocation ?? v.location, sku: replicaSku, storageSizeGb: storage };
    }
  } else {
    for (const key of ["replicaLocation", "replicaSkuTier", "replicaSkuName", "replicaStorageSizeGb"] as const) {
      if (raw[key] !== undefined) report(key, "is set but replicaEnabled is false; enable the replica or remove the key, so nothing is ignored silently");
    }
  }

  if (v.allowAzureServices && v.production) {
    report("allowAzureServices", "the \"allow Azure services\" rule admits every Azure customer's addresses and is never allowed in production; list Kong's egress address instead");
  }
  if (v.production && has("protectData") && !v.protectData) {
    report("protectData", "production stacks must protect the server, replica and database; set protectData true");
  }

  if (has("deploymentAdminType") && v.deploymentAdminName === undefined && v.deploymentAdminObjectId === undefined) {
    report("deploymentAdminName", "a deployment administrator is required: the Entra principal (a group is best) the database layer signs in as; set deploymentAdminName (display name, or UPN for a user) or deploymentAdminObjectId");
  }

  if (v.identityMode === "managedIdentity" && v.kongRuntime === "container") {
    report("identityMode", "managedIdentity does not work with the container runtime: Kong's Azure library reaches managed identity through IMDS only, which Container Apps do not offer; use servicePrincipal, or kongRuntime vm");
  }
  if (v.identityMode === "servicePrincipal" && v.kongRuntime === "vm") {
    report("identityMode", "the VM runtime uses its managed identity: Azure says no secret may travel in a VM's customData; use managedIdentity with kongRuntime vm");
  }
  if (has("clientSecretLifetimeDays") && v.clientSecretLifetimeDays > MAX_SECRET_LIFETIME_DAYS) {
    report("clientSecretLifetimeDays", `${v.clientSecretLifetimeDays} days is above the two-year maximum (${MAX_SECRET_LIFETIME_DAYS}); shorten it`);
  }
  if (has("clientSecretLifetimeDays") && has("clientSecretRotationDays") && v.clientSecretRotationDays >= v.clientSecretLifetimeDays) {
    report("clientSecretRotationDays", `the secret must be rotated (${v.clientSecretRotationDays} days) before it expires (${v.clientSecretLifetimeDays} days); make clientSecretRotationDays smaller than clientSecretLifetimeDays`);
  }

  if (has("kongVersion")) {
    const [major = 0, minor = 0] = v.kongVersion.split(".").map(Number);
    if (major < MIN_KONG_VERSION[0] || (major === MIN_KONG_VERSION[0] && minor < MIN_KONG_VERSION[1])) {
      report("kongVersion", `Kong ${v.kongVersion} has no pg_azure_* settings; use Kong Gateway 3.12 or newer (default 3.14, the LTS line)`);
    }
  }
  if (has("kongMinReplicas") && has("kongMaxReplicas") && v.kongMinReplicas > v.kongMaxReplicas) {
    report("kongMinReplicas", `kongMinReplicas (${v.kongMinReplicas}) is above kongMaxReplicas (${v.kongMaxReplicas}); lower it or raise kongMaxReplicas`);
  }
  if (v.kongRuntime === "vm" && raw.kongVmSshPublicKey === undefined) {
    report("kongVmSshPublicKey", "the VM runtime needs an SSH public key (Azure requires one for a Linux VM without a password); set it to the contents of e.g. ~/.ssh/id_ed25519.pub — SSH stays closed unless sshAllowedIpRanges lists addresses");
  }
  if (v.kongRuntime !== "vm") {
    for (const key of ["kongVmSshPublicKey"] as const) {
      if (raw[key] !== undefined) report(key, "is set but kongRuntime is not vm; remove it, so nothing is ignored silently");
    }
    if (has("sshAllowedIpRanges") && v.sshAllowedIpRanges.length > 0) report("sshAllowedIpRanges", "is set but kongRuntime is not vm; remove it, so nothing is ignored silently");
  }
  if (v.kongRuntime === "vm" && raw.kongLicense !== undefined) {
    // Only presence is checked here: the value stays out of the plain model.
    problems.push({ key: `${PROJECT}:kongLicense`, message: "the VM runtime cannot receive the licence: Azure says no secret may travel in customData; remove kongLicense and install it on the VM out of band (see the README's VM section)" });
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);

  return {
    stack,
    location: v.location,
    nameSuffix: v.nameSuffix,
    resourceGroupName: v.resourceGroupName,
    production: v.production,
    protectData: v.protectData,
    server: {
      version: v.postgresVersion,
      sku: sku as Sku,
      storageSizeGb: v.storageSizeGb,
      backupRetentionDays: v.backupRetentionDays,
      geoRedundantBackup: v.geoRedundantBackup,
      highAvailability: v.highAvailability,
    },
    replica,
    network: { allowedIpRanges: v.allowedIpRanges, deployerIpRanges: v.deployerIpRanges, allowAzureServices: v.allowAzureServices },
    deploymentAdmin: { type: v.deploymentAdminType, name: v.deploymentAdminName, objectId: v.deploymentAdminObjectId },
    kong: {
      identityMode: v.identityMode,
      roleMode: v.kongRoleMode,
      runtime: v.kongRuntime,
      clientSecret: { rotationDays: v.clientSecretRotationDays, lifetimeDays: v.clientSecretLifetimeDays, rotationAnchor: v.clientSecretRotationAnchor },
      identityChangeAcknowledged: v.kongIdentityChangeAcknowledged,
      version: v.kongVersion,
      image: `${v.kongImageRepository}:${v.kongVersion}`,
      container: {
        minReplicas: v.kongMinReplicas,
        maxReplicas: v.kongMaxReplicas,
        cpu: Number(v.kongCpu),
        memory: CONTAINER_SIZES.find((size) => size.cpu === v.kongCpu)!.memory,
      },
      vm: { size: v.kongVmSize, sshPublicKey: v.kongVmSshPublicKey, sshAllowedIpRanges: v.sshAllowedIpRanges },
    },
  };
}
