/**
 * The policies of the kong-entra-postgres pack: the second line of defence behind the config
 * model (components/config.ts). The config model refuses a bad *stack*; these refuse a bad
 * *resource*, whatever code declared it — a component edited by hand, a new component that skips
 * the model, a transformation — during `pulumi preview` and before every create or update in
 * `pulumi up`.
 *
 * Resource policies see a resource's *inputs* before it is created or updated; the stack policy
 * sees every resource's *outputs* at the end of the preview or update (Azure's shape: `name`,
 * `id`, `replicationRole`, no `configurationName` or `createMode`), so it reads both shapes.
 * A value unknown during a preview (an address Azure has not assigned yet) makes the SDK report
 * "can't run policy during preview" as advisory; the same check then runs on the real value during
 * the update.
 *
 * Every message says what is wrong and how to fix it.
 */
import type { Policies, PolicyConfigSchema, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_PROD_STACKS, productionReason, type PackEnvironment } from "./environment";
import { adminListenSettings, ADMIN_LISTEN_ENV, decodeCustomData, publicListenEntries } from "./kongListeners";
import { blockSize, ipv4RangeSize, isAllowAzureServices, portSpecIncludes, prefixCovering, protocolCarriesTcp } from "./networks";
import { forType, forTypes, known, list, readConfig, sameText, str } from "./validation";

/** Resource type tokens the policies look at. */
export const TYPES = {
  server: "azure-native:dbforpostgresql:Server",
  configuration: "azure-native:dbforpostgresql:Configuration",
  firewallRule: "azure-native:dbforpostgresql:FirewallRule",
  applicationPassword: "azuread:index/applicationPassword:ApplicationPassword",
  database: "postgresql:index/database:Database",
  postgresqlProvider: "pulumi:providers:postgresql",
  containerApp: "azure-native:app:ContainerApp",
  networkSecurityGroup: "azure-native:network:NetworkSecurityGroup",
  securityRule: "azure-native:network:SecurityRule",
  virtualMachine: "azure-native:compute:VirtualMachine",
} as const;

/** Policy names: the unit of `--policy-pack-config` and of every violation report. */
export const POLICY = {
  entraAuth: "postgres-entra-auth-enabled",
  tlsSettings: "postgres-tls-settings",
  tlsPinned: "postgres-tls-pinned",
  firewallWidth: "postgres-firewall-rule-width",
  noAzureServicesInProd: "postgres-no-azure-services-in-prod",
  noBurstableReplica: "postgres-no-burstable-replica",
  secretLifetime: "entra-client-secret-lifetime",
  prodResilience: "prod-postgres-resilience",
  prodProtected: "prod-data-protected",
  adminApiPrivate: "kong-admin-api-private",
  providerVerifyFull: "postgresql-provider-verify-full",
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

// ---------------------------------------------------------------------------------------------
// Reading resources
// ---------------------------------------------------------------------------------------------

/** A display name for messages; never throws on a value unknown during a preview. */
function label(read: () => unknown, fallback: string): string {
  const value = known(read);
  return typeof value === "string" && value !== "" ? `"${value}"` : fallback;
}

/**
 * "replica" or "primary". Inputs say `createMode: "Replica"`; Azure's outputs say
 * `replicationRole: "AsyncReplica" | "GeoAsyncReplica"` (a primary reports "Primary" or "None").
 */
export function serverRole(props: Record<string, any>): "replica" | "primary" {
  if (sameText(props.createMode, "Replica")) return "replica";
  const role = str(props.replicationRole);
  return role !== undefined && /replica/i.test(role) ? "replica" : "primary";
}

/** A Configuration's parameter name: `configurationName` (inputs) or `name` (outputs). */
function configurationName(props: Record<string, any>): string | undefined {
  return (str(props.configurationName) ?? str(props.name))?.trim().toLowerCase();
}

/** The SKU tier a server declares, or undefined. */
function declaredTier(props: Record<string, any>): string | undefined {
  return str(props.sku?.tier);
}

/** Parses a Go duration of hours/minutes/seconds (`8760h`, `720h30m`), as azuread's endDateRelative takes. */
export function parseGoDurationMs(text: string): number | undefined {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text.trim());
  if (!m || text.trim() === "" || (!m[1] && !m[2] && !m[3])) return undefined;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** A value for a message: `unset`, or its JSON. */
function shown(value: unknown): string {
  return value === undefined || value === null ? "unset" : JSON.stringify(value);
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  return Number.isInteger(days) ? `${days}` : days.toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Config schemas
// ---------------------------------------------------------------------------------------------

const PROD_SCHEMA: PolicyConfigSchema = {
  properties: {
    prodStacks: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: [...DEFAULT_PROD_STACKS],
      description:
        "Stack names (`*` wildcards) treated as production. A stack is also production when its config sets kong-entra-postgres:production=true, or when the resource is tagged environment=<one of these>.",
    },
  },
};

const FIREWALL_WIDTH_SCHEMA: PolicyConfigSchema = {
  properties: {
    widestPrefixLength: {
      type: "integer",
      minimum: 0,
      maximum: 32,
      default: 8,
      description: "The widest block a firewall rule may allow, as a prefix length: 8 allows a /8 (16,777,216 addresses) and nothing wider.",
    },
  },
};

const SECRET_LIFETIME_SCHEMA: PolicyConfigSchema = {
  properties: {
    maxSecretLifetimeDays: {
      type: "integer",
      minimum: 1,
      default: 730,
      description: "Longest lifetime of an Entra client secret, in days, from its startDate (or from now when it has none). Entra's portal caps secrets at 24 months.",
    },
  },
};

/** Kong's Admin API ports (HTTP, HTTPS): Kong's defaults, and this program's KONG_PORTS. */
export const DEFAULT_ADMIN_PORTS: readonly number[] = [8001, 8444];

const ADMIN_API_SCHEMA: PolicyConfigSchema = {
  properties: {
    adminPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: 65535 },
      default: [...DEFAULT_ADMIN_PORTS],
      description: "Ports Kong's Admin API listens on; no ingress may target them and no NSG may allow them inbound. Add 8002/8445 to cover Kong Manager too.",
    },
    allowedAdminSources: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: [],
      description:
        "NSG source prefixes (exact CIDRs or service tags) that may reach the Admin API ports, e.g. a bastion subnet. Empty (the default): no inbound Allow rule may include them at all.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

/** The pack's policies, for the stack described by `env`. */
export function createPolicies(env: PackEnvironment): Policies {
  return [
    entraAuthEnabled(),
    tlsSettings(),
    tlsPinned(),
    firewallRuleWidth(),
    noAzureServicesInProd(env),
    noBurstableReplica(),
    clientSecretLifetime(env),
    prodPostgresResilience(env),
    prodDataProtected(env),
    adminApiPrivate(),
    providerVerifyFull(),
  ];
}

/** 1. Entra authentication on every server that is not a replica (replicas inherit the primary's). */
export function entraAuthEnabled(): ResourceValidationPolicy {
  return {
    name: POLICY.entraAuth,
    description: "PostgreSQL flexible servers accept Microsoft Entra sign-in, with the tenant named explicitly.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: forType(TYPES.server, (props, _args, report) => {
      if (serverRole(props) === "replica") return;
      const auth = props.authConfig;
      const ad = auth?.activeDirectoryAuth;
      if (!sameText(ad, "Enabled")) {
        report(
          `authConfig.activeDirectoryAuth is ${shown(ad)}: Kong signs in to PostgreSQL with a Microsoft Entra token, which the server refuses unless Entra authentication is on. ` +
            `Set authConfig: { activeDirectoryAuth: "Enabled", passwordAuth: "Enabled", tenantId: <tenant id> } on the server (components/postgresServer.ts).`,
        );
      }
      const tenant = auth?.tenantId;
      if (typeof tenant !== "string" || !GUID.test(tenant.trim())) {
        report(
          `authConfig.tenantId is ${typeof tenant === "string" && tenant !== "" ? JSON.stringify(tenant) : "empty"}: the server must name the Entra tenant whose tokens it accepts ` +
            `(the SDK defaults tenantId to "", which leaves Entra sign-in unusable). Set it to the tenant id, a GUID (azuread.getClientConfig().tenantId).`,
        );
      }
    }),
  };
}

/** 2a. Pinned TLS parameters have safe values: require_secure_transport ON, TLS 1.2 or newer. */
export function tlsSettings(): ResourceValidationPolicy {
  return {
    name: POLICY.tlsSettings,
    description: "PostgreSQL server parameters keep TLS mandatory (require_secure_transport ON) and at least TLS 1.2 (ssl_min_protocol_version).",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: forType(TYPES.configuration, (props, _args, report) => {
      const name = configurationName(props);
      if (name === "require_secure_transport") {
        if (!sameText(props.value, "ON")) {
          report(
            `require_secure_transport is ${shown(props.value)}: the server would accept unencrypted connections, and Kong's Entra token travels as the password. ` +
              `Set the Configuration's value to "ON" (components/postgresServer.ts TLS_CONFIGURATIONS).`,
          );
        }
      } else if (name === "ssl_min_protocol_version") {
        if (!["tlsv1.2", "tlsv1.3"].includes(String(props.value ?? "").trim().toLowerCase())) {
          report(`ssl_min_protocol_version is ${shown(props.value)}: TLS older than 1.2 is not allowed. Set the Configuration's value to "TLSv1.2" (or "TLSv1.3").`);
        }
      }
    }),
  };
}

/** True when `config` (a Configuration) is a parameter of `server`, in inputs or outputs shape. */
function configurationBelongsTo(config: PolicyResource, server: PolicyResource): boolean {
  // The program passes `serverName: server.name`, so the engine records the server as what the
  // serverName input came from: exact, and known even while the name itself is not.
  const fromServer = config.propertyDependencies?.serverName ?? [];
  if (fromServer.some((r) => r.urn === server.urn)) return true;
  // Outputs: ARM ids nest (…/flexibleServers/<server>/configurations/<name>); case-insensitive.
  const configId = known(() => str(config.props.id));
  const serverId = known(() => str(server.props.id));
  if (typeof configId === "string" && typeof serverId === "string" && configId.toLowerCase().startsWith(`${serverId.toLowerCase()}/configurations/`)) return true;
  // Inputs with literal names.
  const same = (a: () => unknown, b: () => unknown) => {
    const x = known(a);
    const y = known(b);
    return typeof x === "string" && typeof y === "string" && x.toLowerCase() === y.toLowerCase();
  };
  return same(() => config.props.serverName, () => server.props.serverName ?? server.props.name) && same(() => config.props.resourceGroupName, () => server.props.resourceGroupName);
}

/** 2b. Every primary pins require_secure_transport with a Configuration (so drift cannot turn it off unseen). */
export function tlsPinned(): StackValidationPolicy {
  return {
    name: POLICY.tlsPinned,
    description: "Every primary PostgreSQL server pins require_secure_transport with a Configuration resource.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, report) => {
      const configs = args.resources.filter((r) => r.type === TYPES.configuration);
      for (const server of args.resources.filter((r) => r.type === TYPES.server)) {
        const role = known(() => serverRole(server.props));
        if (role !== "primary") continue;
        const pinned = configs.some((c) => known(() => configurationName(c.props)) === "require_secure_transport" && configurationBelongsTo(c, server));
        if (!pinned) {
          report(
            `server ${label(() => server.props.serverName ?? server.props.name, server.name)} has no require_secure_transport Configuration: its TLS requirement is whatever Azure's default or a portal change leaves. ` +
              `Declare an azure-native dbforpostgresql.Configuration on it with configurationName "require_secure_transport", value "ON", source "user-override" (components/postgresServer.ts TLS_CONFIGURATIONS).`,
            server.urn,
          );
        }
      }
    },
  };
}

/** 3a. No firewall rule wider than a /8 (the "allow Azure services" rule is policy 3b's). */
export function firewallRuleWidth(): ResourceValidationPolicy {
  return {
    name: POLICY.firewallWidth,
    description: "PostgreSQL firewall rules allow at most a /8 each.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: FIREWALL_WIDTH_SCHEMA,
    validateResource: forType(TYPES.firewallRule, (props, args, report) => {
      const { widestPrefixLength } = readConfig<{ widestPrefixLength: number }>(POLICY.firewallWidth, FIREWALL_WIDTH_SCHEMA, args);
      const rule = label(() => props.firewallRuleName, args.name);
      const start = props.startIpAddress;
      const end = props.endIpAddress;
      if (isAllowAzureServices(start, end)) return;
      const range = ipv4RangeSize(start, end);
      if (!range.ok) {
        report(`firewall rule ${rule}: ${range.problem}. Give startIpAddress and endIpAddress as IPv4 addresses, start ≤ end (allowedIpRanges/deployerIpRanges take addresses or CIDR blocks).`);
        return;
      }
      const limit = blockSize(widestPrefixLength);
      if (range.size > limit) {
        report(
          `firewall rule ${rule} allows ${start}–${end}, ${range.size.toLocaleString("en-US")} addresses (a /${prefixCovering(range.size)} or wider); ` +
            `a rule may allow at most a /${widestPrefixLength} (${limit.toLocaleString("en-US")} addresses). List the clients' own addresses or narrower CIDR blocks (allowedIpRanges, deployerIpRanges).`,
        );
      }
    }),
  };
}

/** 3b. No "allow Azure services" rule (0.0.0.0–0.0.0.0) in production. */
export function noAzureServicesInProd(env: PackEnvironment): ResourceValidationPolicy {
  return {
    name: POLICY.noAzureServicesInProd,
    description: 'Production PostgreSQL servers have no "allow Azure services" firewall rule (0.0.0.0–0.0.0.0).',
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: PROD_SCHEMA,
    validateResource: forType(TYPES.firewallRule, (props, args, report) => {
      const { prodStacks } = readConfig<{ prodStacks: string[] }>(POLICY.noAzureServicesInProd, PROD_SCHEMA, args);
      // Firewall rules carry no tags: production is the stack's name or config.
      const reason = productionReason(env, prodStacks);
      if (reason === undefined) return;
      if (isAllowAzureServices(props.startIpAddress, props.endIpAddress)) {
        report(
          `firewall rule ${label(() => props.firewallRuleName, args.name)} is Azure's "allow Azure services" rule (0.0.0.0–0.0.0.0), which admits every address inside Azure — any customer's — and ${reason}. ` +
            `Remove it (allowAzureServices: false) and allow Kong's fixed egress address instead.`,
        );
      }
    }),
  };
}

/** 4. No read replica on the Burstable tier (Azure allows General Purpose or Memory Optimized only). */
export function noBurstableReplica(): ResourceValidationPolicy {
  return {
    name: POLICY.noBurstableReplica,
    description: "Read replicas run on General Purpose or Memory Optimized, never Burstable.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: forType(TYPES.server, (props, _args, report) => {
      if (serverRole(props) !== "replica") return;
      const tier = declaredTier(props);
      const skuName = str(props.sku?.name);
      if (tier === undefined && skuName === undefined) {
        report(`this read replica declares no sku, so it inherits the primary's, which this policy cannot see. Declare sku: { name, tier } with tier "GeneralPurpose" or "MemoryOptimized" (replicaSkuTier/replicaSkuName).`);
      } else if (sameText(tier, "Burstable") || (skuName !== undefined && /^standard_b/i.test(skuName.trim()))) {
        report(
          `this read replica is on the Burstable tier (sku ${JSON.stringify({ name: skuName, tier })}); Azure supports replicas only on General Purpose or Memory Optimized. ` +
            `Use replicaSkuTier GeneralPurpose (Standard_D*) or MemoryOptimized (Standard_E*), or disable the replica (replicaEnabled: false).`,
        );
      }
    }),
  };
}

/** 5. Kong's client secret lives no longer than the configured maximum. */
export function clientSecretLifetime(env: PackEnvironment): ResourceValidationPolicy {
  return {
    name: POLICY.secretLifetime,
    description: "Entra application passwords (client secrets) expire within the configured maximum lifetime.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: SECRET_LIFETIME_SCHEMA,
    validateResource: forType(TYPES.applicationPassword, (props, args, report) => {
      const { maxSecretLifetimeDays } = readConfig<{ maxSecretLifetimeDays: number }>(POLICY.secretLifetime, SECRET_LIFETIME_SCHEMA, args);
      const fix = `Shorten it (clientSecretLifetimeDays, at most ${maxSecretLifetimeDays}) or raise the policy config maxSecretLifetimeDays.`;
      const startText = str(props.startDate);
      let start: number;
      if (startText !== undefined && startText.trim() !== "") {
        if (!RFC3339.test(startText.trim())) {
          report(`startDate ${JSON.stringify(startText)} is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z), so the secret's lifetime cannot be checked.`);
          return;
        }
        start = Date.parse(startText);
      } else {
        start = env.now().getTime();
      }
      const startLabel = startText ? `startDate ${startText}` : `now, ${new Date(start).toISOString()} (it has no startDate)`;
      const endText = str(props.endDate);
      let end: number;
      if (endText !== undefined && endText.trim() !== "") {
        if (!RFC3339.test(endText.trim())) {
          report(`endDate ${JSON.stringify(endText)} is not an RFC 3339 time (e.g. 2026-07-01T00:00:00Z), so the secret's lifetime cannot be checked.`);
          return;
        }
        end = Date.parse(endText);
      } else if (str(props.endDateRelative) !== undefined) {
        const relative = parseGoDurationMs(props.endDateRelative);
        if (relative === undefined) {
          report(`endDateRelative ${JSON.stringify(props.endDateRelative)} is not a duration such as "4320h", so the secret's lifetime cannot be checked. Prefer endDate (RFC 3339).`);
          return;
        }
        end = start + relative;
      } else {
        report(
          `this client secret has no endDate, so Entra picks its lifetime and this policy cannot check it against the maximum of ${maxSecretLifetimeDays} days. ` +
            `Set endDate (RFC 3339), derived from a stable rotation anchor (components/kongIdentity.ts).`,
        );
        return;
      }
      // Only against an explicit start: an existing secret past its endDate is expired, not too
      // long-lived, and blocking the `up` that replaces it would not help.
      if (startText && end <= start) {
        report(`endDate ${endText ?? new Date(end).toISOString()} is not after startDate ${startText}: the secret would be expired from the moment it exists. Set an endDate after its start.`);
        return;
      }
      if (end - start > maxSecretLifetimeDays * DAY_MS) {
        report(`this client secret is valid for ${formatDays(end - start)} days (from ${startLabel} to ${endText ?? new Date(end).toISOString()}), more than the ${maxSecretLifetimeDays} days allowed. ${fix}`);
      }
    }),
  };
}

/** 6a. Production primaries: zone-redundant HA and geo-redundant backups. */
export function prodPostgresResilience(env: PackEnvironment): ResourceValidationPolicy {
  return {
    name: POLICY.prodResilience,
    description: "Production PostgreSQL primaries run zone-redundant high availability and geo-redundant backups.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: PROD_SCHEMA,
    validateResource: forType(TYPES.server, (props, args, report) => {
      const { prodStacks } = readConfig<{ prodStacks: string[] }>(POLICY.prodResilience, PROD_SCHEMA, args);
      const reason = productionReason(env, prodStacks, props.tags);
      // Replicas have neither HA nor backups of their own (Azure).
      if (reason === undefined || serverRole(props) === "replica") return;
      const mode = props.highAvailability?.mode;
      if (!sameText(mode, "ZoneRedundant")) {
        report(
          `highAvailability.mode is ${shown(mode)} and ${reason}: a production primary must survive losing a zone. ` +
            `Set highAvailability: { mode: "ZoneRedundant" } (config highAvailability: true, on GeneralPurpose or MemoryOptimized).`,
        );
      }
      const geo = props.backup?.geoRedundantBackup;
      if (!sameText(geo, "Enabled")) {
        report(
          `backup.geoRedundantBackup is ${shown(geo)} and ${reason}: a production primary's backups must survive losing the region. ` +
            `Set backup.geoRedundantBackup to "Enabled" (config geoRedundantBackup: true). Azure fixes it at creation, so an existing server must be recreated or restored.`,
        );
      }
    }),
  };
}

/** 6b. Production servers (primary and replica) and the kong database are `protect`ed. */
export function prodDataProtected(env: PackEnvironment): ResourceValidationPolicy {
  return {
    name: POLICY.prodProtected,
    description: "In production, PostgreSQL servers and the kong database carry the protect resource option.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: PROD_SCHEMA,
    validateResource: forTypes([TYPES.server, TYPES.database], (props, args, report) => {
      const { prodStacks } = readConfig<{ prodStacks: string[] }>(POLICY.prodProtected, PROD_SCHEMA, args);
      // The PostgreSQL database has no tags: only the stack's name or config can say production.
      const reason = productionReason(env, prodStacks, args.type === TYPES.server ? props.tags : undefined);
      if (reason === undefined || args.opts.protect) return;
      const what = args.type === TYPES.server ? `${serverRole(props) === "replica" ? "read replica" : "server"} ${args.name}` : `database ${label(() => props.name, args.name)}`;
      report(
        `${what} is not protected and ${reason}: a mistaken change or \`pulumi destroy\` could delete production data. ` +
          `Declare it with the resource option protect: true (config protectData: true); unprotect deliberately with \`pulumi state unprotect\` when it must go.`,
      );
    }),
  };
}

/** NSG rules as a list of plain objects, whether inline (NSG) or standalone (SecurityRule). */
function securityRules(type: string, props: Record<string, any>): Record<string, any>[] {
  if (type === TYPES.securityRule) return [props];
  return list(props.securityRules).map((r) => (r?.properties && typeof r.properties === "object" ? { name: r.name, ...r.properties } : r));
}

/** 7. Kong's Admin API is not reachable from outside: no ingress, NSG rule or listen address exposes it. */
export function adminApiPrivate(): ResourceValidationPolicy {
  return {
    name: POLICY.adminApiPrivate,
    description: "Kong's Admin API (8001/8444) stays private: no ingress targets it, no NSG allows it inbound, and admin_listen binds only loopback.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: ADMIN_API_SCHEMA,
    validateResource: forTypes([TYPES.containerApp, TYPES.networkSecurityGroup, TYPES.securityRule, TYPES.virtualMachine], (props, args, report) => {
      const { adminPorts, allowedAdminSources } = readConfig<{ adminPorts: number[]; allowedAdminSources: string[] }>(POLICY.adminApiPrivate, ADMIN_API_SCHEMA, args);
      const isAdminPort = (port: unknown) => adminPorts.includes(Number(port));
      const badListen = (where: string, value: unknown) => {
        if (typeof value !== "string") return;
        const exposed = publicListenEntries(value);
        if (exposed.length > 0) {
          report(
            `${where} binds Kong's Admin API beyond loopback (${exposed.map((e) => JSON.stringify(e)).join(", ")}): anyone who reaches it can reconfigure the gateway. ` +
              `Bind it to 127.0.0.1 only (e.g. "127.0.0.1:8001, 127.0.0.1:8444 ssl", as components/kongSettings.ts does) or set it to "off".`,
          );
        }
      };

      if (args.type === TYPES.containerApp) {
        // Ingress first: it is known during a preview even when the env (built from outputs) is not.
        const ingress = props.configuration?.ingress;
        if (ingress && isAdminPort(ingress.targetPort)) {
          report(
            `the app's ingress targets port ${ingress.targetPort}, Kong's Admin API: ${ingress.external === false ? "every app in the environment" : "the internet"} could reconfigure the gateway. ` +
              `Target the proxy port (8000) and keep the Admin API on localhost.`,
          );
        }
        for (const mapping of list(ingress?.additionalPortMappings)) {
          if (isAdminPort(mapping?.targetPort)) {
            report(`an additional port mapping targets port ${mapping.targetPort} (exposed as ${mapping.exposedPort ?? mapping.targetPort}), Kong's Admin API. Remove the mapping; operate Kong through its declarative config or from inside the container.`);
          }
        }
        const containers = [...list(props.template?.containers), ...list(props.template?.initContainers)];
        for (const container of containers) {
          for (const variable of list(container?.env)) {
            if (!sameText(variable?.name, ADMIN_LISTEN_ENV)) continue;
            if (variable.value === undefined && variable.secretRef !== undefined) {
              report(`container ${label(() => container.name, "(unnamed)")} takes ${ADMIN_LISTEN_ENV} from secret ${JSON.stringify(variable.secretRef)}, which this policy cannot check. Set it as a plain value bound to 127.0.0.1.`);
            } else {
              badListen(`container ${label(() => container.name, "(unnamed)")}'s ${ADMIN_LISTEN_ENV}`, variable.value);
            }
          }
        }
        return;
      }

      if (args.type === TYPES.networkSecurityGroup || args.type === TYPES.securityRule) {
        for (const rule of securityRules(args.type, props)) {
          if (!sameText(rule.direction, "Inbound") || !sameText(rule.access, "Allow") || !protocolCarriesTcp(rule.protocol)) continue;
          const portSpecs = [rule.destinationPortRange, ...list(rule.destinationPortRanges)].filter((p) => p !== undefined && p !== null && p !== "");
          const ports = adminPorts.filter((port) => portSpecs.some((spec) => portSpecIncludes(spec, port)));
          if (ports.length === 0) continue;
          const sources: string[] = [rule.sourceAddressPrefix, ...list(rule.sourceAddressPrefixes)].filter((s): s is string => typeof s === "string" && s !== "");
          const allowed = sources.length > 0 && sources.every((s) => allowedAdminSources.some((a) => a.trim().toLowerCase() === s.trim().toLowerCase()));
          if (allowed) continue;
          const from = sources.length > 0 ? sources.map((s) => JSON.stringify(s)).join(", ") : list(rule.sourceApplicationSecurityGroups).length > 0 ? "application security groups" : "any source";
          report(
            `NSG rule ${label(() => rule.name ?? (args.type === TYPES.securityRule ? props.securityRuleName : undefined), "(unnamed)")} allows inbound ${ports.join("/")} (Kong's Admin API) ` +
              `from ${from} (destination ports ${portSpecs.map((p) => JSON.stringify(p)).join(", ") || "unset"}). ` +
              `Open only the proxy ports (8000/8443); if operators need the Admin API, list their exact source prefixes in the policy config allowedAdminSources.`,
          );
        }
        return;
      }

      // Virtual machine: Kong's kong.conf (and any KONG_ADMIN_LISTEN) inside its boot data.
      for (const [field, value] of [
        ["osProfile.customData", props.osProfile?.customData],
        ["userData", props.userData],
      ] as const) {
        if (value === undefined || value === null || value === "") continue;
        if (typeof value !== "string") {
          report(`${field} is not a string, so Kong's admin_listen inside it cannot be checked. Pass the cloud-config base64-encoded.`);
          continue;
        }
        const decoded = decodeCustomData(value);
        if (!decoded.ok) {
          report(`${field} ${decoded.problem}, so Kong's admin_listen inside it cannot be checked. Encode the cloud-config with base64 (components/kongVmGateway.ts).`);
          continue;
        }
        for (const setting of adminListenSettings(decoded.text)) badListen(`${field}'s ${setting.source}`, setting.value);
      }
    }),
  };
}

/** 8. The postgresql provider verifies the server's certificate (the Entra token is the password). */
export function providerVerifyFull(): ResourceValidationPolicy {
  return {
    name: POLICY.providerVerifyFull,
    description: "The postgresql provider connects with sslmode verify-full, checking the server's certificate and host name.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: forType(TYPES.postgresqlProvider, (props, _args, report) => {
      // Provider inputs reach the engine as strings; sslMode is the deprecated spelling.
      const modes = (["sslmode", "sslMode"] as const).filter((k) => props[k] !== undefined).map((k) => [k, props[k]] as const);
      if (modes.length === 0) {
        report(
          `the provider sets no sslmode, so lib/pq's default (or a PGSSLMODE on the deployer's machine) decides, and neither checks the server's certificate — while the password is an Entra token. ` +
            `Set sslmode: "verify-full" (components/kongDatabase.ts).`,
        );
      }
      for (const [key, value] of modes) {
        if (value !== "verify-full") {
          report(`${key} is ${JSON.stringify(value)}: only "verify-full" checks the server's certificate and host name ("require" encrypts but trusts any certificate), and the password is an Entra token. Set ${key === "sslMode" ? 'sslmode (not the deprecated sslMode)' : "sslmode"} to "verify-full".`);
        }
      }
    }),
  };
}
