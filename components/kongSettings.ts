/**
 * Kong's settings model: the only place in this program that knows Kong's configuration key names.
 *
 * One model, two renderings. `kongDatabaseSettings` turns plain values (server FQDN, port,
 * database, role, identity, optional replica) into readable `key → value` settings; `toEnvironment`
 * renders them as `KONG_*` variables (Container Apps) and `toKongConf` as `kong.conf` text (VM).
 * Both renderings read the same object and refuse the same unrepresentable values, so they cannot
 * disagree.
 *
 * Secrecy: the client secret of a service principal is the only secret setting. The readable
 * settings are computed without it (so a caller can build them inside `apply` over non-secret
 * outputs and keep them visible in previews and diffs); the secret travels on its own, as
 * `KONG_PG_AZURE_CLIENT_SECRET` (see `secretSettingKeys`, `clientSecretEnvironment`). A `kong.conf`
 * text never carries it, and `pg_password` is never emitted.
 *
 * Sources (cited below as [ref], [conf_loader], [parse], [penlight], [connector]):
 * - [ref] Kong Gateway Enterprise configuration reference, https://developer.konghq.com/gateway/configuration/
 *   (data: Kong/developer.konghq.com app/_data/kong-conf/3.14.json; key list pinned in
 *   test/fixtures/kong-documented-keys-3.14.json).
 * - [conf_loader] Kong/kong kong/conf_loader/init.lua `load_config`: reads kong.conf with penlight
 *   `pl.config.read{ smart = false, list_delim = "_blank_" }`, then strips `\s*(?<!\\)#.*$` (an
 *   unescaped `#` starts a comment anywhere) and turns `\#` into `#`.
 * - [parse] Kong/kong kong/conf_loader/parse.lua: `overrides` takes `KONG_<KEY>` from the
 *   environment as is; `parse_value` then trims every value (space, \t \n \v \f \r) in both forms
 *   and treats an empty value as unset.
 * - [penlight] lunarmodules/Penlight lua/pl/config.lua: a line ending in `\` continues on the next
 *   line; values starting with a digit, `+` or `-` that Lua's `tonumber` accepts become numbers
 *   (`convert_numbers`, default on), so `007` comes back as `7`; quotes are kept literally.
 * - [connector] Kong/kong kong/db/strategies/postgres/connector.lua: the read-only connection is a
 *   copy of the read-write configuration overridden by the `pg_ro_*` values that are set.
 */

// ---------------------------------------------------------------------------------------------
// Constants callers need besides the settings themselves
// ---------------------------------------------------------------------------------------------

/**
 * The licence is not a kong.conf key: Kong reads it from this environment variable only, and it
 * must be in the environment of the process that runs Kong (it cannot be passed inline to a `kong`
 * command). Deliver it as a secret. Source: https://developer.konghq.com/gateway/entities/license/
 */
export const KONG_LICENSE_ENV = "KONG_LICENSE_DATA";

/** The one secret setting: a service principal's client secret. Never rendered into kong.conf. */
export const KONG_CLIENT_SECRET_SETTING = "pg_azure_client_secret";

/** Environment name of the client secret (`KONG_PG_AZURE_CLIENT_SECRET`). */
export const KONG_CLIENT_SECRET_ENV = "KONG_PG_AZURE_CLIENT_SECRET";

/**
 * Ports Kong listens on with these settings, for ingress targets, probes and firewall rules.
 * Proxy and Admin API ports are Kong's defaults [ref]; the status port is ours (Kong's default
 * status listener is 127.0.0.1:8007, unreachable for a platform probe).
 */
export const KONG_PORTS = {
  proxyHttp: 8000,
  proxyHttps: 8443,
  adminHttp: 8001,
  adminHttps: 8444,
  adminGuiHttp: 8002,
  adminGuiHttps: 8445,
  status: 8100,
} as const;

/**
 * Status API paths for probes: `/status/ready` answers 200 only once the database is reachable and
 * the router is built (Kong 3.3+); `/status` answers while the node is alive.
 */
export const KONG_STATUS_PATHS = { readiness: "/status/ready", liveness: "/status" } as const;

/** Azure Database for PostgreSQL listens on 5432. */
export const DEFAULT_PG_PORT = 5432;

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/**
 * How Kong signs in to PostgreSQL with Microsoft Entra (Kong Gateway Enterprise 3.12+ [ref]).
 * - `servicePrincipal`: tenant id + client id, plus a client secret delivered separately.
 * - `managedIdentity`: the client id of a user-assigned identity only. No tenant id and no secret:
 *   Kong's reference says a missing tenant id makes it attempt managed identity [ref
 *   `pg_azure_tenant_id`], and its Azure library prefers client credentials whenever a secret is
 *   present.
 */
export type KongAzureIdentity =
  | { readonly kind: "servicePrincipal"; readonly tenantId: string; readonly clientId: string }
  | { readonly kind: "managedIdentity"; readonly clientId: string };

/** Plain, non-secret values the settings are computed from. */
export interface KongDatabaseInput {
  /** FQDN of the (primary) flexible server: `pg_host`. */
  readonly host: string;
  /** PostgreSQL port: `pg_port` (default 5432). */
  readonly port?: number;
  /** Database Kong keeps its schema in: `pg_database`. */
  readonly database: string;
  /** Exactly the PostgreSQL role name of Kong's Entra principal: `pg_user`. */
  readonly user: string;
  /** Kong's Entra identity, without any secret. */
  readonly identity: KongAzureIdentity;
  /** FQDN of a read replica: enables Kong's read-only connection (`pg_ro_host`). */
  readonly replicaHost?: string;
}

/** Every readable key this model may emit, in rendering order. */
export const KONG_SETTING_KEYS = [
  "database",
  "pg_host",
  "pg_port",
  "pg_database",
  "pg_user",
  "pg_azure_auth",
  "pg_azure_tenant_id",
  "pg_azure_client_id",
  "pg_ssl",
  "pg_ssl_required",
  "pg_ssl_verify",
  "lua_ssl_trusted_certificate",
  "pg_ro_host",
  "proxy_listen",
  "admin_listen",
  "admin_gui_listen",
  "status_listen",
] as const;

export type KongSettingKey = (typeof KONG_SETTING_KEYS)[number];

/** Keys whose value is secret; none of them is ever part of `KongSettings`. */
export type KongSecretSettingKey = typeof KONG_CLIENT_SECRET_SETTING;

/** Readable Kong settings, `key → value`, in rendering order. Never holds a secret. */
export type KongSettings = Readonly<Partial<Record<KongSettingKey, string>>>;

/**
 * Kong's settings for a password-less Entra connection to Azure Database for PostgreSQL, plus the
 * listeners that go with it. Throws, naming the input, when a value is invalid or could not be
 * passed to Kong unchanged.
 */
export function kongDatabaseSettings(input: KongDatabaseInput): KongSettings {
  const port = input.port ?? DEFAULT_PG_PORT;
  checkHost("host", input.host);
  checkPort(port);
  checkPostgresName("database", "pg_database", input.database);
  checkPostgresName("user", "pg_user", input.user);
  checkIdentity(input.identity);
  if (input.replicaHost !== undefined) {
    checkHost("replicaHost", input.replicaHost);
    if (input.replicaHost.toLowerCase() === input.host.toLowerCase()) {
      fail("replicaHost", "pg_ro_host", "is the primary itself: the read-only connection must point at the replica");
    }
  }

  const settings: { -readonly [K in KongSettingKey]?: string } = {
    database: "postgres",
    pg_host: input.host,
    pg_port: String(port),
    pg_database: input.database,
    pg_user: input.user,
    // With pg_azure_auth on, Kong ignores pg_password and forces TLS [ref pg_azure_auth]; we never
    // set a password at all.
    pg_azure_auth: "on",
  };
  if (input.identity.kind === "servicePrincipal") settings.pg_azure_tenant_id = input.identity.tenantId;
  settings.pg_azure_client_id = input.identity.clientId;

  // TLS stated explicitly rather than left to defaults that changed between lines (pg_ssl_verify
  // defaults to off up to 3.13, on from 3.14 [ref]). `system` (the default) is the distribution's
  // CA bundle, which holds the roots Azure's server certificates chain to.
  settings.pg_ssl = "on";
  settings.pg_ssl_required = "on";
  settings.pg_ssl_verify = "on";
  settings.lua_ssl_trusted_certificate = "system";

  // Read replica: only pg_ro_host. Kong documents every other pg_ro_* key (port, database, user,
  // ssl*, azure_auth, azure_tenant_id, azure_client_id and azure_client_secret) as defaulting to
  // its pg_* twin, from 3.12 to 3.15 [ref], and the connector builds the read-only configuration as
  // a copy of the read-write one overridden only by the pg_ro_* values that are set [connector]. A
  // replica of a flexible server has the same port, databases and roles (physical replication), so
  // the host is the only value that differs; inheriting the rest keeps one source of truth, and
  // the client secret travels once.
  if (input.replicaHost !== undefined) settings.pg_ro_host = input.replicaHost;

  // Listeners. Proxy and Admin API keep Kong's 3.14 defaults [ref] but are pinned here so the Admin
  // API and Kong Manager (whose default, 0.0.0.0:8002/8445, listens on every interface) stay on
  // loopback whatever the image's defaults become. The status listener moves from 127.0.0.1:8007 to all
  // interfaces on 8100 so the platform's probes can reach /status/ready; it is read-only and
  // exposes no configuration.
  const p = KONG_PORTS;
  settings.proxy_listen = `0.0.0.0:${p.proxyHttp} reuseport backlog=16384, 0.0.0.0:${p.proxyHttps} http2 ssl reuseport backlog=16384`;
  settings.admin_listen = `127.0.0.1:${p.adminHttp} reuseport backlog=16384, 127.0.0.1:${p.adminHttps} http2 ssl reuseport backlog=16384`;
  settings.admin_gui_listen = `127.0.0.1:${p.adminGuiHttp}, 127.0.0.1:${p.adminGuiHttps} ssl`;
  settings.status_listen = `0.0.0.0:${p.status} reuseport backlog=16384`;

  // Check every value against what both renderings can carry, so an unrepresentable value fails
  // here, naming its input, instead of in one rendering only.
  const ordered: { -readonly [K in KongSettingKey]?: string } = {};
  for (const key of KONG_SETTING_KEYS) {
    const value = settings[key];
    if (value === undefined) continue;
    checkValue(key, value, INPUT_FIELDS[key] ?? "value");
    ordered[key] = value;
  }
  return Object.freeze(ordered);
}

/**
 * Which settings carry a secret for this identity: `pg_azure_client_secret` for a service
 * principal, none for a managed identity. Deliver each as a secret environment variable named
 * `envName(key)` (for example a Container Apps secret referenced from `env`).
 */
export function secretSettingKeys(identity: KongAzureIdentity): readonly KongSecretSettingKey[] {
  return identity.kind === "servicePrincipal" ? [KONG_CLIENT_SECRET_SETTING] : [];
}

/**
 * The client secret as its own environment entry, `{ KONG_PG_AZURE_CLIENT_SECRET: secret }`, for
 * callers that pass a key → value map where only this key is secret. Checked like every other
 * value (Kong trims it and treats empty as unset [parse]); errors never quote it.
 */
export function clientSecretEnvironment(secret: string): Record<string, string> {
  checkRepresentable(KONG_CLIENT_SECRET_SETTING, secret, { secret: true });
  return { [KONG_CLIENT_SECRET_ENV]: secret };
}

// ---------------------------------------------------------------------------------------------
// Renderings
// ---------------------------------------------------------------------------------------------

/** Kong's environment name for a key: `KONG_` + the key upper-cased [parse `overrides`]. */
export function envName(key: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(key)) {
    throw new Error(`Kong setting key ${JSON.stringify(key)} is not a kong.conf key (lower-case letters, digits, underscores)`);
  }
  return `KONG_${key.toUpperCase()}`;
}

/**
 * The settings as environment variables (`KONG_PG_HOST` …). Kong takes environment values as they
 * are, with no comment or escape processing, only trimming [parse]; the model already refused
 * values trimming would change.
 */
export function toEnvironment(settings: KongSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of readableEntries(settings)) env[envName(key)] = value;
  return env;
}

/**
 * The settings as `kong.conf` lines, `key = value`, one per line. `#` is written `\#` (an
 * unescaped `#` starts a comment anywhere [conf_loader]). Values kong.conf cannot carry unchanged
 * are refused rather than altered: a trailing `\` (line continuation [penlight]), the text
 * `_blank_` (Kong's list delimiter, which penlight would split on [conf_loader]) and numbers other
 * than canonical integers, which penlight turns into Lua numbers and Kong prints back (`007` → `7`,
 * `1e3` → `1000` [penlight]). Never contains a secret.
 */
export function toKongConf(settings: KongSettings): string {
  return readableEntries(settings)
    .map(([key, value]) => `${key} = ${kongConfValue(value)}\n`)
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** Which input each value comes from, so errors name what the caller passed. */
const INPUT_FIELDS: Partial<Record<KongSettingKey, string>> = {
  pg_host: "host",
  pg_database: "database",
  pg_user: "user",
  pg_azure_tenant_id: "identity.tenantId",
  pg_azure_client_id: "identity.clientId",
  pg_ro_host: "replicaHost",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
/** Bytes Kong's `strip` removes at both ends: space and \t \n \v \f \r [parse]. */
const KONG_WHITESPACE = /^[ \t\n\v\f\r]|[ \t\n\v\f\r]$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** What Lua/LuaJIT `tonumber` accepts (decimal, hex, binary, inf/nan), optionally with pl.config's ` kB`. */
const LUA_NUMBER =
  /^[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)(?: kB)?$/i;
/** Integers LuaJIT prints back unchanged (`%.14g`, no leading zero or sign). */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d{0,13})$/;
/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes. */
const MAX_PG_NAME_BYTES = 63;

function fail(field: string, key: string, problem: string): never {
  throw new Error(`Kong settings: ${field} (${key}) ${problem}`);
}

function checkHost(field: string, host: unknown): void {
  const key = field === "host" ? "pg_host" : "pg_ro_host";
  if (typeof host !== "string" || host === "") fail(field, key, "must be a non-empty host name");
  if (!HOSTNAME.test(host)) fail(field, key, `must be a DNS name such as myserver.postgres.database.azure.com, got ${JSON.stringify(host)}`);
}

function checkPort(port: unknown): void {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail("port", "pg_port", `must be an integer from 1 to 65535, got ${String(port)}`);
  }
}

function checkPostgresName(field: string, key: string, name: unknown): void {
  if (typeof name !== "string" || name === "") fail(field, key, "must be a non-empty PostgreSQL name");
  if (Buffer.byteLength(name, "utf8") > MAX_PG_NAME_BYTES) {
    fail(field, key, `is longer than ${MAX_PG_NAME_BYTES} bytes: PostgreSQL truncates names, so no role or database could match it`);
  }
  checkRepresentable(key, name, { field });
}

function checkIdentity(identity: KongAzureIdentity): void {
  const kind: unknown = (identity as { kind?: unknown } | undefined)?.kind;
  if (kind !== "servicePrincipal" && kind !== "managedIdentity") {
    fail("identity.kind", "pg_azure_auth", `must be "servicePrincipal" or "managedIdentity", got ${JSON.stringify(kind)}`);
  }
  checkUuid("identity.clientId", "pg_azure_client_id", identity.clientId);
  if (identity.kind === "servicePrincipal") {
    checkUuid("identity.tenantId", "pg_azure_tenant_id", identity.tenantId);
  } else if ((identity as { tenantId?: unknown }).tenantId !== undefined || (identity as { clientSecret?: unknown }).clientSecret !== undefined) {
    // A tenant id would make Kong try a service principal first [ref pg_azure_tenant_id].
    fail("identity", "pg_azure_tenant_id", "of kind managedIdentity takes a client id only: no tenant id, no secret");
  }
}

function checkUuid(field: string, key: string, id: unknown): void {
  if (typeof id !== "string" || !UUID.test(id)) {
    fail(field, key, `must be a GUID like 00000000-0000-0000-0000-000000000000, got ${JSON.stringify(id)}`);
  }
}

/** What both renderings can carry unchanged: non-empty, one line, nothing Kong would trim. */
function checkRepresentable(key: string, value: unknown, opts: { secret?: boolean; field?: string } = {}): asserts value is string {
  const field = opts.field ?? "value";
  const shown = opts.secret ? "" : `: ${JSON.stringify(value)}`;
  if (typeof value !== "string") fail(field, key, `must be a string${opts.secret ? "" : `, got ${typeof value}`}`);
  if (value === "") fail(field, key, "is empty, and Kong treats an empty value as unset");
  // Strictly, kong.conf cannot carry a line break and the environment cannot carry NUL; no host,
  // database, role, GUID or secret needs any control character, so all of them are refused.
  if (CONTROL.test(value)) fail(field, key, `contains a line break or other control character${shown}`);
  if (KONG_WHITESPACE.test(value)) fail(field, key, `has leading or trailing whitespace, which Kong trims in both forms${shown}`);
}

/**
 * What both renderings can carry unchanged. The kong.conf-only limits apply to the environment
 * form too, so that both renderings accept exactly the same settings.
 */
function checkValue(key: string, value: unknown, field = "value"): asserts value is string {
  checkRepresentable(key, value, { field });
  const shown = JSON.stringify(value);
  if (value.endsWith("\\")) fail(field, key, `ends with a backslash, which continues the line in kong.conf: ${shown}`);
  if (value.includes("_blank_")) fail(field, key, `contains "_blank_", Kong's kong.conf list delimiter: ${shown}`);
  if (/^[0-9+-]/.test(value) && LUA_NUMBER.test(value) && !CANONICAL_INTEGER.test(value)) {
    fail(field, key, `would be read from kong.conf as a number and printed back by Lua, which keeps only canonical integers as written: ${shown}`);
  }
}

/** A checked value as kong.conf spells it: every `#` escaped, nothing else changes. */
function kongConfValue(value: string): string {
  return value.replace(/#/g, "\\#");
}

/** Entries of readable settings, refusing anything that is not one of this model's readable keys. */
function readableEntries(settings: KongSettings): Array<[KongSettingKey, string]> {
  const known: ReadonlySet<string> = new Set(KONG_SETTING_KEYS);
  const entries: Array<[KongSettingKey, string]> = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (key === KONG_CLIENT_SECRET_SETTING || key === "pg_ro_azure_client_secret") {
      throw new Error(`Kong settings: ${key} is secret and travels on its own (clientSecretEnvironment / ${KONG_CLIENT_SECRET_ENV}), never with the readable settings or in kong.conf`);
    }
    if (key === "pg_password" || key === "pg_ro_password") {
      throw new Error(`Kong settings: ${key} is never set: Kong signs in with Microsoft Entra (pg_azure_auth)`);
    }
    if (!known.has(key)) throw new Error(`Kong settings: unknown key ${JSON.stringify(key)}: build settings with kongDatabaseSettings`);
    checkValue(key, value);
    entries.push([key as KongSettingKey, value]);
  }
  return entries;
}
