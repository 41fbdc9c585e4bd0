/**
 * Tests for components/kongSettings.ts.
 *
 * Both renderings are read back the way Kong reads them, by emulations written here from Kong's
 * own source rather than from the renderer:
 * - kong.conf: penlight `pl.config.read{ smart = false, list_delim = "_blank_" }`
 *   (lunarmodules/Penlight lua/pl/config.lua), then Kong's `strip_comments`
 *   (Kong/kong kong/conf_loader/init.lua `load_config`), then `parse_value`'s trim and
 *   empty-is-unset (kong/conf_loader/parse.lua).
 * - environment: `KONG_` + upper(key) for each known key, taken as is, then `parse_value`
 *   (kong/conf_loader/parse.lua `overrides`).
 * The documented key list is test/fixtures/kong-documented-keys-3.14.json, copied from Kong's
 * published configuration reference data.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  DEFAULT_PG_PORT,
  KONG_CLIENT_SECRET_ENV,
  KONG_CLIENT_SECRET_SETTING,
  KONG_LICENSE_ENV,
  KONG_PORTS,
  KONG_SETTING_KEYS,
  KONG_STATUS_PATHS,
  KongAzureIdentity,
  KongDatabaseInput,
  KongSettings,
  clientSecretEnvironment,
  envName,
  kongDatabaseSettings,
  secretSettingKeys,
  toEnvironment,
  toKongConf,
} from "../components/kongSettings";

// ---------------------------------------------------------------------------------------------
// The documented key list
// ---------------------------------------------------------------------------------------------

interface DocumentedKeys {
  version: string;
  source: string;
  publishedReference: string;
  read: string;
  keyCount: number;
  keys: string[];
  documentedDefaults: Record<string, string | string[] | null>;
}

const documented: DocumentedKeys = JSON.parse(
  readFileSync(join(__dirname, "fixtures", "kong-documented-keys-3.14.json"), "utf8"),
) as DocumentedKeys;
const documentedKeys: ReadonlySet<string> = new Set(documented.keys);

function documentedDefault(key: string): string {
  const value = documented.documentedDefaults[key];
  if (value === undefined || value === null) throw new Error(`no documented default for ${key}`);
  return Array.isArray(value) ? value.join(", ") : value;
}

// ---------------------------------------------------------------------------------------------
// How Kong reads each form (emulations of Kong's Lua code, see the header)
// ---------------------------------------------------------------------------------------------

/** Lua's `%s` and Kong's `strip`: space and bytes 9–13. */
const LUA_SPACE = "[ \\t\\n\\v\\f\\r]";
const luaStrip = (s: string): string => s.replace(new RegExp(`^${LUA_SPACE}+`), "").replace(new RegExp(`${LUA_SPACE}+$`), "");

/** penlight `config.lines`: skips blank and `#`/`;` lines, joins lines that end in `\`. */
function penlightLines(text: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const l of text.split("\n")) {
    if (!/[^ \t\n\v\f\r]/.test(l) || new RegExp(`^${LUA_SPACE}*[;#]`).test(l)) continue;
    const continuation = l.search(new RegExp(`\\\\${LUA_SPACE}*$`));
    if (continuation >= 0) {
      pending += l.slice(0, continuation);
    } else if (pending === "") {
      lines.push(l);
    } else {
      lines.push(pending + l);
      pending = "";
    }
  }
  return lines;
}

/** Lua(JIT) `tonumber` on a string, for the forms that matter here. */
function luaToNumber(s: string): number | undefined {
  const t = luaStrip(s);
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(t);
  if (hex) return (hex[1] === "-" ? -1 : 1) * parseInt(hex[2], 16);
  const bin = /^([+-]?)0[bB]([01]+)$/.exec(t);
  if (bin) return (bin[1] === "-" ? -1 : 1) * parseInt(bin[2], 2);
  if (/^[+-]?inf(?:inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return undefined;
}

/** LuaJIT `tostring(number)`: C's `%.14g`. */
function luaNumberToString(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa, exponentText] = n.toExponential(13).split("e");
  const exponent = Number(exponentText);
  const trimZeros = (d: string) => (d.includes(".") ? d.replace(/0+$/, "").replace(/\.$/, "") : d);
  if (exponent >= -4 && exponent < 14) return trimZeros(n.toFixed(13 - exponent));
  return `${trimZeros(mantissa)}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

/** penlight `process_value` with Kong's options (list_delim "_blank_", convert_numbers on). */
function penlightValue(raw: string): string | number | string[] {
  let value: string | number = raw;
  if (raw.includes("_blank_")) return raw.split(/[_blank]+/).filter((v) => v !== "");
  if (/^[0-9+-]/.test(raw)) {
    let n = luaToNumber(raw);
    if (n === undefined && / kB$/.test(raw)) n = luaToNumber(raw.replace(/ kB/g, ""));
    if (n !== undefined) value = n;
  }
  return typeof value === "string" ? luaStrip(value) : value;
}

/** What Kong makes of a kong.conf text: key → value, after every step of its loader. */
function kongReadsKongConf(text: string): Record<string, string> {
  const read: Record<string, string> = {};
  for (const logical of penlightLines(text)) {
    const line = logical.replace(new RegExp(`^${LUA_SPACE}*`), "");
    const assignment = new RegExp(`${LUA_SPACE}*=${LUA_SPACE}*`).exec(line);
    if (!assignment) throw new Error(`kong.conf line without "=": ${JSON.stringify(line)}`);
    const key = line.slice(0, assignment.index).replace(/[^A-Za-z0-9]/g, "_");
    const value = penlightValue(line.slice(assignment.index + assignment[0].length));
    if (Array.isArray(value)) throw new Error(`penlight split ${key} into a list`);
    // strip_comments: ngx.re.sub(value, [[\s*(?<!\\)#.*$]], "") then gsub("\\#", "#")
    let text_ = typeof value === "number" ? luaNumberToString(value) : value;
    text_ = text_.replace(new RegExp(`${LUA_SPACE}*(?<!\\\\)#[^\\n]*$`), "");
    text_ = text_.replace(/\\#/g, "#");
    read[key] = text_;
  }
  return parseValues(read);
}

/** What Kong makes of its environment: `KONG_<KEY>` for each key it knows, taken as is. */
function kongReadsEnvironment(env: Record<string, string>): Record<string, string> {
  const read: Record<string, string> = {};
  for (const key of documented.keys) {
    const value = env[`KONG_${key.toUpperCase()}`];
    if (value !== undefined) read[key] = value;
  }
  return parseValues(read);
}

/** parse_value: trims, and an empty value means unset. */
function parseValues(conf: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(conf)) {
    const stripped = luaStrip(value);
    if (stripped !== "") out[key] = stripped;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SP_CLIENT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const MI_CLIENT = "11111111-2222-4333-8444-555555555555";
const PRIMARY = "kong-pg.postgres.database.azure.com";
const REPLICA = "kong-pg-replica.postgres.database.azure.com";

const servicePrincipal: KongAzureIdentity = { kind: "servicePrincipal", tenantId: TENANT, clientId: SP_CLIENT };
const managedIdentity: KongAzureIdentity = { kind: "managedIdentity", clientId: MI_CLIENT };

function input(overrides: Partial<KongDatabaseInput> = {}): KongDatabaseInput {
  return { host: PRIMARY, database: "kong", user: "kong-gateway", identity: servicePrincipal, ...overrides };
}

/** Names that need care in kong.conf: `#`, quotes, backslashes (also before `#`), unicode. */
const NAME_CASES = [
  { label: "plain names", database: "kong", user: "kong-gateway" },
  { label: "# and quotes", database: "kong#1", user: `kong "gw" #2 'x'` },
  { label: "backslashes", database: "kong\\db", user: "svc\\#lit\\x" },
  { label: "unicode", database: "kông_网关", user: "Kong Gateway 🚀 ünïcødé" },
] as const;

const IDENTITIES = [
  { label: "service principal", identity: servicePrincipal },
  { label: "managed identity", identity: managedIdentity },
] as const;

const REPLICAS = [
  { label: "no replica", replicaHost: undefined },
  { label: "replica", replicaHost: REPLICA },
] as const;

const PORTS = [
  { label: "default port", port: undefined },
  { label: "port 6432", port: 6432 },
] as const;

// ---------------------------------------------------------------------------------------------
// The matrix: identity × replica × port × names needing escaping
// ---------------------------------------------------------------------------------------------

describe("every combination renders two forms Kong reads back identically", () => {
  for (const id of IDENTITIES)
    for (const replica of REPLICAS)
      for (const port of PORTS)
        for (const names of NAME_CASES) {
          test(`${id.label}, ${replica.label}, ${port.label}, ${names.label}`, () => {
            const settings = kongDatabaseSettings({
              host: PRIMARY,
              port: port.port,
              database: names.database,
              user: names.user,
              identity: id.identity,
              replicaHost: replica.replicaHost,
            });

            // The values the inputs asked for.
            assert.equal(settings.pg_host, PRIMARY);
            assert.equal(settings.pg_port, String(port.port ?? 5432));
            assert.equal(settings.pg_database, names.database);
            assert.equal(settings.pg_user, names.user);
            assert.equal(settings.pg_azure_auth, "on");
            assert.equal(settings.pg_azure_client_id, id.identity.clientId);
            assert.equal(settings.pg_ro_host, replica.replicaHost);
            if (id.identity.kind === "servicePrincipal") {
              assert.equal(settings.pg_azure_tenant_id, TENANT);
              assert.deepEqual(secretSettingKeys(id.identity), ["pg_azure_client_secret"]);
            } else {
              assert.equal("pg_azure_tenant_id" in settings, false, "managed identity must not carry a tenant id");
              assert.deepEqual(secretSettingKeys(id.identity), []);
            }

            // Both forms, read back as Kong reads them, give exactly the model's key → value.
            const fromConf = kongReadsKongConf(toKongConf(settings));
            const env = toEnvironment(settings);
            const fromEnv = kongReadsEnvironment(env);
            assert.deepEqual(fromConf, { ...settings });
            assert.deepEqual(fromEnv, { ...settings });
            for (const key of KONG_SETTING_KEYS) assert.equal(fromConf[key], fromEnv[key], key);

            // Kong knows every variable we set (an unknown KONG_* name would be ignored silently).
            assert.deepEqual(Object.keys(env).sort(), Object.keys(settings).map((k) => `KONG_${k.toUpperCase()}`).sort());

            // Every key is one Kong documents for 3.14.
            for (const key of Object.keys(settings)) assert.ok(documentedKeys.has(key), `${key} is not documented for Kong ${documented.version}`);

            // No password and no secret, in any form.
            const conf = toKongConf(settings);
            for (const forbidden of ["pg_password", "pg_ro_password", "pg_azure_client_secret", "pg_ro_azure_client_secret"]) {
              assert.equal(forbidden in settings, false, forbidden);
              assert.equal(conf.includes(forbidden), false, forbidden);
              assert.equal(envName(forbidden) in env, false, forbidden);
            }
            // Only pg_ro_host among the read-only twins: the rest inherit (documented defaults <pg_*>).
            assert.deepEqual(Object.keys(settings).filter((k) => k.startsWith("pg_ro_")), replica.replicaHost ? ["pg_ro_host"] : []);
          });
        }
});

// ---------------------------------------------------------------------------------------------
// A rendered kong.conf, pinned so that any change in rendering shows in review
// ---------------------------------------------------------------------------------------------

describe("snapshots", () => {
  test("kong.conf for the VM runtime (managed identity, replica, default port)", () => {
    const settings = kongDatabaseSettings(input({ identity: managedIdentity, user: "kong-gateway-mi", replicaHost: REPLICA }));
    assert.equal(
      toKongConf(settings),
      [
        "database = postgres",
        "pg_host = kong-pg.postgres.database.azure.com",
        "pg_port = 5432",
        "pg_database = kong",
        "pg_user = kong-gateway-mi",
        "pg_azure_auth = on",
        "pg_azure_client_id = 11111111-2222-4333-8444-555555555555",
        "pg_ssl = on",
        "pg_ssl_required = on",
        "pg_ssl_verify = on",
        "lua_ssl_trusted_certificate = system",
        "pg_ro_host = kong-pg-replica.postgres.database.azure.com",
        "proxy_listen = 0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384",
        "admin_listen = 127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384",
        "admin_gui_listen = 127.0.0.1:8002, 127.0.0.1:8445 ssl",
        "status_listen = 0.0.0.0:8100 reuseport backlog=16384",
        "",
      ].join("\n"),
    );
  });

  test("environment for the container runtime (service principal, no replica, port 6432)", () => {
    const settings = kongDatabaseSettings(input({ port: 6432 }));
    assert.deepEqual(toEnvironment(settings), {
      KONG_DATABASE: "postgres",
      KONG_PG_HOST: "kong-pg.postgres.database.azure.com",
      KONG_PG_PORT: "6432",
      KONG_PG_DATABASE: "kong",
      KONG_PG_USER: "kong-gateway",
      KONG_PG_AZURE_AUTH: "on",
      KONG_PG_AZURE_TENANT_ID: TENANT,
      KONG_PG_AZURE_CLIENT_ID: SP_CLIENT,
      KONG_PG_SSL: "on",
      KONG_PG_SSL_REQUIRED: "on",
      KONG_PG_SSL_VERIFY: "on",
      KONG_LUA_SSL_TRUSTED_CERTIFICATE: "system",
      KONG_PROXY_LISTEN: "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384",
      KONG_ADMIN_LISTEN: "127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384",
      KONG_ADMIN_GUI_LISTEN: "127.0.0.1:8002, 127.0.0.1:8445 ssl",
      KONG_STATUS_LISTEN: "0.0.0.0:8100 reuseport backlog=16384",
    });
  });

  test("kong.conf escapes # and leaves quotes, backslashes and unicode as they are", () => {
    const settings = kongDatabaseSettings(input({ database: "kông#网关", user: `it's "kong" \\#1` }));
    const lines = toKongConf(settings).split("\n");
    assert.ok(lines.includes("pg_database = kông\\#网关"), lines.join("\n"));
    assert.ok(lines.includes(`pg_user = it's "kong" \\\\#1`), lines.join("\n"));
  });
});

// ---------------------------------------------------------------------------------------------
// The emulated Kong reader itself: it must show what goes wrong without the renderer's care
// ---------------------------------------------------------------------------------------------

describe("the emulated Kong reader reproduces Kong's quirks", () => {
  test("an unescaped # starts a comment anywhere, \\# is a literal #", () => {
    assert.deepEqual(kongReadsKongConf("pg_user = kong#1\n"), { pg_user: "kong" });
    assert.deepEqual(kongReadsKongConf("pg_user = kong\\#1\n"), { pg_user: "kong#1" });
    assert.deepEqual(kongReadsKongConf("pg_user = kong  # the role\n"), { pg_user: "kong" });
  });
  test("a trailing backslash joins the next line", () => {
    assert.deepEqual(kongReadsKongConf("pg_user = kong\\\npg_host = x\n"), { pg_user: "kongpg_host = x" });
  });
  test("values are trimmed and quotes are kept", () => {
    assert.deepEqual(kongReadsKongConf(`pg_user =   "kong"   \n`), { pg_user: `"kong"` });
    assert.deepEqual(kongReadsEnvironment({ KONG_PG_USER: "  kong\t" }), { pg_user: "kong" });
  });
  test("numeric-looking values come back re-printed", () => {
    assert.deepEqual(kongReadsKongConf("pg_database = 007\npg_user = 1e3\npg_host = 0x1F\n"), {
      pg_database: "7",
      pg_user: "1000",
      pg_host: "31",
    });
    assert.deepEqual(kongReadsKongConf("pg_port = 5432\n"), { pg_port: "5432" });
  });
  test("an empty value is unset, and unknown KONG_* names are ignored", () => {
    assert.deepEqual(kongReadsKongConf("pg_user =\n"), {});
    assert.deepEqual(kongReadsEnvironment({ KONG_PG_USER: "", KONG_NOT_A_KEY: "x" }), {});
  });
});

// ---------------------------------------------------------------------------------------------
// Values neither form can carry unchanged are refused, by the model and by both renderers alike
// ---------------------------------------------------------------------------------------------

describe("unrepresentable values are refused, never altered", () => {
  // policy: refused although kong.conf could carry it. No name or id needs a control character,
  // and only canonical integers are let through the number check, however LuaJIT prints the rest.
  const cases: Array<{ label: string; user: string; reason: RegExp; policy?: true }> = [
    { label: "newline", user: "kong\nadmin", reason: /line break/ },
    { label: "carriage return", user: "kong\r", reason: /line break/ },
    { label: "tab inside", user: "kong\tgw", reason: /control character/, policy: true },
    { label: "leading space", user: " kong", reason: /whitespace/ },
    { label: "trailing space", user: "kong ", reason: /whitespace/ },
    { label: "trailing backslash", user: "kong\\", reason: /backslash/ },
    { label: "_blank_", user: "kong_blank_gw", reason: /_blank_/ },
    { label: "leading zero", user: "007", reason: /number/ },
    { label: "exponent", user: "1e3", reason: /number/ },
    { label: "hex", user: "0x1F", reason: /number/ },
    { label: "negative decimal", user: "-1.50", reason: /number/ },
    { label: "kB suffix", user: "12 kB", reason: /number/ },
    { label: "signed infinity", user: "+inf", reason: /number/ },
    { label: "decimal LuaJIT happens to print back", user: "1.5", reason: /number/, policy: true },
  ];
  for (const c of cases) {
    test(`${c.label}: the model refuses it, naming the input`, () => {
      assert.throws(() => kongDatabaseSettings(input({ user: c.user })), (e: Error) => c.reason.test(e.message) && /user \(pg_user\)/.test(e.message));
    });
    test(`${c.label}: both renderers refuse a hand-made setting alike`, () => {
      const settings: KongSettings = { pg_user: c.user };
      assert.throws(() => toKongConf(settings), c.reason);
      assert.throws(() => toEnvironment(settings), c.reason);
    });
  }

  test("the emulated reader confirms each refused value would have changed in kong.conf", () => {
    for (const c of cases.filter((c) => !c.policy)) {
      let readBack: Record<string, string> | undefined;
      try {
        readBack = kongReadsKongConf(`pg_user = ${c.user.replace(/#/g, "\\#")}\npg_host = h\n`);
      } catch {
        continue; // penlight split it into a list: changed too
      }
      assert.notDeepEqual(readBack, { pg_user: c.user, pg_host: "h" }, c.label);
    }
  });

  test("values that merely look odd are kept: canonical integers, dotted addresses, inner spaces", () => {
    for (const user of ["5432", "0", "-12", "1.2.3", "12abc", "kong gw", "a=b", "+x"]) {
      const settings = kongDatabaseSettings(input({ user }));
      assert.equal(kongReadsKongConf(toKongConf(settings)).pg_user, user, user);
      assert.equal(kongReadsEnvironment(toEnvironment(settings)).pg_user, user, user);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Input validation
// ---------------------------------------------------------------------------------------------

describe("inputs are validated with errors that name them", () => {
  const invalid: Array<{ label: string; input: KongDatabaseInput; message: RegExp }> = [
    { label: "port 0", input: input({ port: 0 }), message: /port \(pg_port\).*1 to 65535/ },
    { label: "port 65536", input: input({ port: 65536 }), message: /port \(pg_port\)/ },
    { label: "fractional port", input: input({ port: 5432.5 }), message: /port \(pg_port\)/ },
    { label: "NaN port", input: input({ port: Number.NaN }), message: /port \(pg_port\)/ },
    { label: "empty host", input: input({ host: "" }), message: /host \(pg_host\)/ },
    { label: "host with a space", input: input({ host: "kong pg.example.com" }), message: /host \(pg_host\)/ },
    { label: "host with a scheme", input: input({ host: "postgres://kong-pg" }), message: /host \(pg_host\)/ },
    { label: "empty user", input: input({ user: "" }), message: /user \(pg_user\)/ },
    { label: "empty database", input: input({ database: "" }), message: /database \(pg_database\)/ },
    { label: "64-byte user", input: input({ user: "k".repeat(64) }), message: /user \(pg_user\).*63 bytes/ },
    { label: "database over 63 bytes in UTF-8", input: input({ database: "网".repeat(22) }), message: /database \(pg_database\).*63 bytes/ },
    { label: "client id not a GUID", input: input({ identity: { kind: "managedIdentity", clientId: "kong" } }), message: /identity\.clientId \(pg_azure_client_id\)/ },
    { label: "tenant id not a GUID", input: input({ identity: { kind: "servicePrincipal", tenantId: "contoso.onmicrosoft.com", clientId: SP_CLIENT } }), message: /identity\.tenantId \(pg_azure_tenant_id\)/ },
    { label: "replica equal to the primary", input: input({ replicaHost: PRIMARY.toUpperCase() }), message: /replicaHost \(pg_ro_host\)/ },
    { label: "replica not a host name", input: input({ replicaHost: "replica_1" }), message: /replicaHost \(pg_ro_host\)/ },
  ];
  for (const c of invalid) {
    test(c.label, () => assert.throws(() => kongDatabaseSettings(c.input), c.message));
  }

  test("a managed identity given a tenant id or a secret is refused", () => {
    const withTenant = { kind: "managedIdentity", clientId: MI_CLIENT, tenantId: TENANT } as unknown as KongAzureIdentity;
    const withSecret = { kind: "managedIdentity", clientId: MI_CLIENT, clientSecret: "s3cr3t" } as unknown as KongAzureIdentity;
    assert.throws(() => kongDatabaseSettings(input({ identity: withTenant })), /managedIdentity takes a client id only/);
    assert.throws(() => kongDatabaseSettings(input({ identity: withSecret })), (e: Error) => /client id only/.test(e.message) && !e.message.includes("s3cr3t"));
  });

  test("an unknown identity kind is refused", () => {
    const odd = { kind: "workloadIdentity", clientId: MI_CLIENT } as unknown as KongAzureIdentity;
    assert.throws(() => kongDatabaseSettings(input({ identity: odd })), /identity\.kind/);
  });

  test("upper-case GUIDs, IPv4 hosts and ports 1 and 65535 are accepted", () => {
    const upper = { kind: "servicePrincipal", tenantId: TENANT.toUpperCase(), clientId: SP_CLIENT.toUpperCase() } as const;
    assert.equal(kongDatabaseSettings(input({ identity: upper })).pg_azure_tenant_id, TENANT.toUpperCase());
    assert.equal(kongDatabaseSettings(input({ host: "10.0.0.4" })).pg_host, "10.0.0.4");
    assert.equal(kongDatabaseSettings(input({ port: 1 })).pg_port, "1");
    assert.equal(kongDatabaseSettings(input({ port: 65535 })).pg_port, "65535");
  });

  test("the default port is Azure's 5432", () => {
    assert.equal(DEFAULT_PG_PORT, 5432);
    assert.equal(kongDatabaseSettings(input()).pg_port, "5432");
  });
});

// ---------------------------------------------------------------------------------------------
// Secrecy
// ---------------------------------------------------------------------------------------------

describe("the client secret is the only secret and travels on its own", () => {
  test("its key is Kong's documented pg_azure_client_secret, and its variable is KONG_ + that key", () => {
    assert.equal(KONG_CLIENT_SECRET_SETTING, "pg_azure_client_secret");
    assert.ok(documentedKeys.has(KONG_CLIENT_SECRET_SETTING));
    assert.equal(KONG_CLIENT_SECRET_ENV, envName(KONG_CLIENT_SECRET_SETTING));
    assert.equal(KONG_CLIENT_SECRET_ENV, "KONG_PG_AZURE_CLIENT_SECRET");
  });

  test("clientSecretEnvironment yields exactly that one variable", () => {
    assert.deepEqual(clientSecretEnvironment("a~b.c_d-e#f"), { KONG_PG_AZURE_CLIENT_SECRET: "a~b.c_d-e#f" });
  });

  test("a secret Kong would alter is refused without being quoted", () => {
    for (const bad of [" s3cr3t-value", "s3cr3t-value\n", ""]) {
      assert.throws(
        () => clientSecretEnvironment(bad),
        (e: Error) => /pg_azure_client_secret/.test(e.message) && (bad === "" || !e.message.includes("s3cr3t")),
      );
    }
  });

  test("no readable key is a secret-bearing key of Kong's reference", () => {
    const secretLooking = documented.keys.filter((k) => /secret|password|_key$|license|service_account_json/.test(k));
    assert.ok(secretLooking.includes("pg_azure_client_secret") && secretLooking.includes("pg_password"), "fixture lost its secret keys");
    for (const key of KONG_SETTING_KEYS) assert.equal(secretLooking.includes(key), false, key);
  });

  test("the renderers refuse a secret or a password smuggled into the readable settings", () => {
    for (const key of ["pg_azure_client_secret", "pg_ro_azure_client_secret", "pg_password", "pg_ro_password"]) {
      const smuggled = { ...kongDatabaseSettings(input()), [key]: "s3cr3t" } as KongSettings;
      assert.throws(() => toKongConf(smuggled), (e: Error) => e.message.includes(key) && !e.message.includes("s3cr3t"), key);
      assert.throws(() => toEnvironment(smuggled), (e: Error) => e.message.includes(key) && !e.message.includes("s3cr3t"), key);
    }
  });

  test("the renderers refuse keys the model does not own", () => {
    const foreign = { ...kongDatabaseSettings(input()), log_level: "debug" } as KongSettings;
    assert.throws(() => toKongConf(foreign), /unknown key "log_level"/);
    assert.throws(() => toEnvironment(foreign), /unknown key "log_level"/);
  });

  test("the licence goes to the environment only: KONG_LICENSE_DATA, not a kong.conf key", () => {
    assert.equal(KONG_LICENSE_ENV, "KONG_LICENSE_DATA");
    assert.equal(documentedKeys.has("license_data"), false);
  });
});

// ---------------------------------------------------------------------------------------------
// Listeners, TLS and the documented facts they rest on
// ---------------------------------------------------------------------------------------------

function listenAddresses(value: string): string[] {
  return value.split(",").map((entry) => entry.trim().split(/\s+/)[0]);
}

describe("listeners and TLS", () => {
  const settings = kongDatabaseSettings(input());

  test("the Admin API and Kong Manager listen on loopback only", () => {
    for (const key of ["admin_listen", "admin_gui_listen"] as const) {
      const addresses = listenAddresses(settings[key] ?? "");
      assert.ok(addresses.length > 0, key);
      for (const address of addresses) assert.match(address, /^127\.0\.0\.1:\d+$/, `${key}: ${address}`);
    }
  });

  test("proxy and Admin API keep Kong's documented 3.14 defaults", () => {
    assert.equal(settings.proxy_listen, documentedDefault("proxy_listen"));
    assert.equal(settings.admin_listen, documentedDefault("admin_listen"));
  });

  test("Kong Manager keeps its documented ports, moved from all interfaces to loopback", () => {
    assert.equal(settings.admin_gui_listen, documentedDefault("admin_gui_listen").replace(/0\.0\.0\.0:/g, "127.0.0.1:"));
  });

  test("the status listener keeps Kong's documented flags, on 0.0.0.0:8100 for probes", () => {
    assert.equal(settings.status_listen, documentedDefault("status_listen").replace("127.0.0.1:8007", "0.0.0.0:8100"));
    assert.deepEqual(listenAddresses(settings.status_listen ?? ""), [`0.0.0.0:${KONG_PORTS.status}`]);
  });

  test("KONG_PORTS matches the listeners", () => {
    assert.deepEqual(listenAddresses(settings.proxy_listen ?? ""), [`0.0.0.0:${KONG_PORTS.proxyHttp}`, `0.0.0.0:${KONG_PORTS.proxyHttps}`]);
    assert.deepEqual(listenAddresses(settings.admin_listen ?? ""), [`127.0.0.1:${KONG_PORTS.adminHttp}`, `127.0.0.1:${KONG_PORTS.adminHttps}`]);
    assert.deepEqual(listenAddresses(settings.admin_gui_listen ?? ""), [`127.0.0.1:${KONG_PORTS.adminGuiHttp}`, `127.0.0.1:${KONG_PORTS.adminGuiHttps}`]);
    assert.deepEqual(KONG_STATUS_PATHS, { readiness: "/status/ready", liveness: "/status" });
  });

  test("TLS is on, required and verified against the system store", () => {
    assert.equal(settings.pg_ssl, "on");
    assert.equal(settings.pg_ssl_required, "on");
    assert.equal(settings.pg_ssl_verify, "on");
    assert.equal(settings.lua_ssl_trusted_certificate, "system");
    assert.equal(settings.database, "postgres");
  });

  test("Kong documents that every read-only twin we leave out inherits its pg_* value", () => {
    for (const twin of ["port", "database", "user", "ssl", "ssl_required", "ssl_verify", "azure_auth", "azure_tenant_id", "azure_client_id", "azure_client_secret"]) {
      assert.equal(documentedDefault(`pg_ro_${twin}`), `<pg_${twin}>`, twin);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// envName, the fixture, and the key list
// ---------------------------------------------------------------------------------------------

describe("names", () => {
  test("envName is KONG_ + the upper-cased key", () => {
    assert.equal(envName("pg_azure_auth"), "KONG_PG_AZURE_AUTH");
    assert.equal(envName("status_listen"), "KONG_STATUS_LISTEN");
  });
  test("envName refuses what is not a kong.conf key", () => {
    for (const bad of ["", "PG_HOST", "pg-host", "pg host", "1pg", "KONG_PG_HOST"]) assert.throws(() => envName(bad), /not a kong\.conf key/, bad);
  });
  test("the model's key list is documented for 3.14 and has no duplicates", () => {
    assert.equal(new Set(KONG_SETTING_KEYS).size, KONG_SETTING_KEYS.length);
    for (const key of KONG_SETTING_KEYS) assert.ok(documentedKeys.has(key), key);
  });
  test("the fixture is whole: its count matches, no duplicates, and its source is named", () => {
    assert.equal(documented.version, "3.14");
    assert.equal(documented.keys.length, documented.keyCount);
    assert.equal(documentedKeys.size, documented.keys.length);
    assert.match(documented.source, /^https:\/\/github\.com\/Kong\/developer\.konghq\.com\/blob\/[0-9a-f]{40}\/app\/_data\/kong-conf\/3\.14\.json$/);
    assert.match(documented.publishedReference, /^https:\/\/developer\.konghq\.com\//);
    assert.match(documented.read, /^\d{4}-\d{2}-\d{2}$/);
    for (const key of ["pg_host", "pg_ro_host", "pg_azure_auth", "pg_ro_azure_client_secret", "lua_ssl_trusted_certificate", "status_listen", "admin_listen", "proxy_listen"]) {
      assert.ok(documentedKeys.has(key), key);
    }
  });
});
