// The `kong` database and its grants AS THE PROGRAM DECLARES THEM, proven on a real PostgreSQL that
// emulates Azure's role model (./azurePostgres.ts), under both readings of who may manage the roles
// pgaadauth creates ("documented", "stock") and for both possible owners of schema `public` in the
// new database:
// - `azure_pg_admin`: what Azure reportedly does for new databases (REFERENCE "Privileges");
// - `pg_database_owner`: a pristine template0 clone (PostgreSQL 15+), which is what the bridged
//   provider asks for (`TEMPLATE template0`) — whether Azure rewrites template0's `public` is not
//   documented. The fixture only changes template1, so the `azure_pg_admin` variant also alters
//   `public` in template0 (allow connections, ALTER SCHEMA … OWNER, disallow again), and the
//   other variant puts it back.
//
// What "as the program declares them" means here:
// - `evaluateStack` runs the real program (index.ts) under mocks for the dev and prod stacks; the
//   `postgresql.Database` and the two `postgresql.Grant` inputs and the provider's `username`,
//   `database`, `sslmode`, `azureIdentityAuth`, `superuser` are read off those registrations, not
//   written here. Unknown inputs fail the test (the replay would not model them).
// - Those inputs go through ./bridgedProviderSql.ts (the SQL the bridged cyrilgdn provider runs for
//   exactly these resources, step by step, sessions and transactions included) and are replayed as
//   the deployment administrator, signed in with a token from the managed-identity endpoint, over
//   TLS verified against the fixture's CA — one token per simulated provider process, as the
//   provider takes one at configure time. Every read-back the provider does is checked.
// - Kong's role is created by the program's own EntraPrincipal provider: the serialized text the
//   mocked program registered (`__provider`), loaded in a separate plain-Node host process whose
//   only credentials are the endpoint and whose only trust is NODE_EXTRA_CA_CERTS (./providerHost).
//   Kong then signs in with ITS OWN token (user-assigned identity selected by client id).
//
// Mapping of the mock's values onto the fixture (nothing else is changed):
// - the deployment administrator: the server is started with the dev stack's configured
//   `deploymentAdminName` ("Kong Deployers dev") as its Entra administrator, so dev's provider
//   `username` is used verbatim. The fixture has ONE Entra administrator, so the prod stack is
//   evaluated with the single config override `deploymentAdminName` = that name (the program passes
//   the config value through unchanged, which the test asserts for both stacks);
// - both stacks are evaluated with `postgresVersion` = the server's major (16 in the pg16 file; it
//   is already 17 in both stack files): the program as configured for the server it talks to;
// - Kong's role name: the program's EntraPrincipal `roleName` (= the Grants' `role`), verbatim — the
//   emulated tenant gets a service principal of that display name;
// - values only Azure/Entra would know: host and port (→ the fixture's), Kong's object id (→ the
//   emulated tenant's id for that service principal) and the tenant id (the endpoint's own).
//
// Cost: two servers per file (the reading is fixed when a fixture boots: it decides what
// pgaadauth_create_principal_with_oid grants), started concurrently with the two stack evaluations
// and reused by every case; the `kong` database is dropped and recreated per variant.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { quoteIdent, quoteLiteral } from "../../components/sql";
import { evaluateStack } from "../../tools/evaluateStack";
import { readStackConfig, type Evaluation, type RecordedResource } from "../../tools/mockEngine";
import { AzurePostgres, type AdminOptionReading, type EntraObject, type PostgresVersion } from "./azurePostgres";
import {
    azureFacts,
    BridgedProviderPlan,
    replay,
    ReplayError,
    type DatabaseInputs,
    type GrantInputs,
    type Row,
    type ServerFacts,
    type Step,
} from "./bridgedProviderSql";
import { OSSRDBMS_RESOURCE } from "./managedIdentityEndpoint";
import { ProviderHost } from "./providerHost";

const PROJECT = "kong-entra-postgres";
const TYPES = {
    provider: "pulumi:providers:postgresql",
    database: "postgresql:index/database:Database",
    grant: "postgresql:index/grant:Grant",
    principal: "pulumi-nodejs:dynamic/postgresql:EntraPrincipal",
} as const;

type Stack = "dev" | "prod";
type PublicOwner = "pg_database_owner" | "azure_pg_admin";
const STACKS: readonly Stack[] = ["dev", "prod"];
const READINGS: readonly AdminOptionReading[] = ["documented", "stock"];
const PUBLIC_OWNERS: readonly PublicOwner[] = ["pg_database_owner", "azure_pg_admin"];

// ---------------------------------------------------------------------------------------------
// The program's declaration, read off the mocked registrations.

/** What the program declares for the database layer of one stack. */
interface DeclaredDatabaseLayer {
    readonly stack: Stack;
    readonly evaluation: Evaluation;
    /** The provider's inputs (strings, as the engine hands provider config over). */
    readonly provider: Readonly<Record<string, string>>;
    readonly database: DatabaseInputs;
    readonly databaseGrant: GrantInputs;
    readonly schemaGrant: GrantInputs;
    readonly databaseResource: RecordedResource;
    /** EntraPrincipal's inputs (without the provider text) and its serialized provider. */
    readonly principalInputs: Readonly<Record<string, unknown>>;
    readonly principalProviderText: string;
}

const DATABASE_KEYS = ["name", "owner", "template", "encoding", "lcCollate", "lcCtype", "tablespaceName", "allowConnections", "connectionLimit", "isTemplate"];
const GRANT_KEYS = ["database", "role", "schema", "objectType", "privileges", "withGrantOption", "objects"];

function onlyKnownKeys(what: string, inputs: Record<string, unknown>, known: readonly string[]): void {
    const unknown = Object.keys(inputs).filter((k) => !known.includes(k));
    assert.deepEqual(unknown, [], `${what}: the program passes inputs bridgedProviderSql does not model`);
}

function declaredDatabaseLayer(stack: Stack, evaluation: Evaluation): DeclaredDatabaseLayer {
    assert.equal(evaluation.error, undefined, `the ${stack} program failed under mocks`);
    const ofType = (type: string) => evaluation.resources.filter((r) => r.type === type);
    const [provider, ...moreProviders] = ofType(TYPES.provider);
    assert.ok(provider && moreProviders.length === 0, `${stack}: expected exactly one PostgreSQL provider`);
    const [database, ...moreDatabases] = ofType(TYPES.database);
    assert.ok(database && moreDatabases.length === 0, `${stack}: expected exactly one postgresql.Database`);
    const grants = ofType(TYPES.grant);
    assert.equal(grants.length, 2, `${stack}: expected two postgresql.Grant`);
    const [principal, ...morePrincipals] = ofType(TYPES.principal);
    assert.ok(principal && morePrincipals.length === 0, `${stack}: expected exactly one EntraPrincipal (principal mode)`);

    // All three use that provider (not a default provider with ambient credentials).
    for (const r of [database, ...grants]) {
        assert.ok(r.options.provider.startsWith(`${provider.urn}::`), `${r.name} does not use ${provider.name}`);
    }
    const byObjectType = (t: string) => {
        const found = grants.filter((g) => g.inputs.objectType === t);
        assert.equal(found.length, 1, `${stack}: expected one Grant with objectType ${t}`);
        return found[0]!.inputs;
    };
    onlyKnownKeys("Database", database.inputs, DATABASE_KEYS);
    for (const g of grants) onlyKnownKeys(`Grant ${g.name}`, g.inputs, GRANT_KEYS);
    const { __provider, ...principalInputs } = principal.inputs;
    assert.equal(typeof __provider, "string");
    return {
        stack,
        evaluation,
        provider: provider.inputs as Record<string, string>,
        database: database.inputs as unknown as DatabaseInputs,
        databaseGrant: byObjectType("database") as unknown as GrantInputs,
        schemaGrant: byObjectType("schema") as unknown as GrantInputs,
        databaseResource: database,
        principalInputs,
        principalProviderText: __provider as string,
    };
}

// ---------------------------------------------------------------------------------------------
// The deployment administrator as the bridged provider: one token, one connection per session.

/** A token from the emulated managed-identity endpoint (App Service protocol, as azidentity uses it). */
async function fetchToken(fx: AzurePostgres, clientId?: string): Promise<string> {
    const env = fx.providerEnv();
    const url = new URL(env.IDENTITY_ENDPOINT!);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", OSSRDBMS_RESOURCE);
    if (clientId) url.searchParams.set("client_id", clientId);
    const response = await fetch(url, { headers: { "X-IDENTITY-HEADER": env.IDENTITY_HEADER! } });
    const body = (await response.json()) as { access_token?: string; error_description?: string };
    if (!response.ok || !body.access_token) {
        throw new Error(`token endpoint: ${response.status} ${body.error_description ?? ""}`);
    }
    return body.access_token;
}

/**
 * One simulated provider process: a token fetched once (the provider takes one at configure time)
 * and a connection per step session (`postgres` = the autocommit pool, `kong:tx3` = a transaction),
 * each over TLS verified against the fixture's CA (lib/pq's verify-full: chain and host name).
 */
class AdminProviderProcess {
    private readonly sessions = new Map<string, Promise<Client>>();
    /** Every connection this process opened: [database, current_user, ssl]. */
    readonly connections: [string, string, boolean][] = [];

    private constructor(
        private readonly fx: AzurePostgres,
        private readonly username: string,
        private readonly token: string,
    ) {}

    static async start(fx: AzurePostgres, username: string): Promise<AdminProviderProcess> {
        return new AdminProviderProcess(fx, username, await fetchToken(fx));
    }

    private async connect(database: string): Promise<Client> {
        const client = new Client({
            host: this.fx.host,
            port: this.fx.port,
            user: this.username,
            password: this.token,
            database,
            ssl: { ca: fs.readFileSync(this.fx.caFile, "utf8"), rejectUnauthorized: true, servername: this.fx.host },
        });
        client.on("error", () => undefined);
        await client.connect();
        const { rows } = await client.query<{ who: string; ssl: boolean }>(
            "SELECT current_user AS who, s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
        );
        this.connections.push([database, rows[0]!.who, rows[0]!.ssl]);
        return client;
    }

    readonly run = async (step: Step, params: readonly (string | number)[]): Promise<readonly Row[]> => {
        let session = this.sessions.get(step.session);
        if (!session) {
            session = this.connect(step.database);
            this.sessions.set(step.session, session);
        }
        const client = await session;
        const result = await client.query(step.sql, params.length > 0 ? [...params] : undefined);
        return result.rows as Row[];
    };

    /** Ends every session (an open transaction is rolled back by the server, as when a process dies). */
    async close(): Promise<void> {
        const clients = await Promise.allSettled([...this.sessions.values()]);
        this.sessions.clear();
        for (const c of clients) {
            if (c.status === "fulfilled") await c.value.end().catch(() => undefined);
        }
    }
}

/** Replays `steps` as one provider process; returns the connections it opened. */
async function replayAsAdmin(fx: AzurePostgres, username: string, steps: readonly Step[]): Promise<[string, string, boolean][]> {
    const provider = await AdminProviderProcess.start(fx, username);
    try {
        await replay(steps, provider.run);
        return provider.connections;
    } finally {
        await provider.close();
    }
}

// ---------------------------------------------------------------------------------------------
// Fixture helpers.

/** Sets the owner of `public` in template0 (the provider's template), as only a superuser can. */
async function setTemplate0PublicOwner(fx: AzurePostgres, owner: PublicOwner): Promise<void> {
    await fx.query("ALTER DATABASE template0 ALLOW_CONNECTIONS true");
    try {
        await fx.query(`ALTER SCHEMA public OWNER TO ${quoteIdent(owner)}`, "template0");
    } finally {
        await fx.query("ALTER DATABASE template0 ALLOW_CONNECTIONS false");
    }
    const [row] = await fx.query<{ datallowconn: boolean }>("SELECT datallowconn FROM pg_database WHERE datname = 'template0'");
    assert.equal(row!.datallowconn, false);
}

async function dropDatabase(fx: AzurePostgres, name: string): Promise<void> {
    await fx.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

// ---------------------------------------------------------------------------------------------
// What Kong does with its role. Statements in the form Kong's PostgreSQL connector and core
// migrations use them (Kong/kong kong/db/strategies/postgres/connector.lua: init, schema_bootstrap,
// setup_locks, insert_lock/read_lock/remove_lock, run_up_migration, record_migration, truncate,
// reset_schema; kong/db/migrations/core/*.lua: uuid tables, foreign keys, GIN and expression indexes,
// plpgsql trigger functions such as sync_tags and batch_delete_expired_rows, DO blocks that add
// columns, SERIAL in clustering_sync_version). Each list runs on one connection, in order.

const KONG_WORKLOAD: readonly { readonly phase: string; readonly statements: readonly string[] }[] = [
    {
        phase: "connector init (SHOW server_version_num, CURRENT_SCHEMA, SET SCHEMA / TIME ZONE)",
        statements: ["SHOW server_version_num;", "SELECT CURRENT_SCHEMA AS schema", "SET SCHEMA 'public';\nSET TIME ZONE 'UTC';"],
    },
    {
        phase: "kong migrations bootstrap: schema, schema_meta, locks",
        statements: [
            `BEGIN;
  DO $$
  BEGIN
    CREATE SCHEMA IF NOT EXISTS "public" AUTHORIZATION CURRENT_USER;
    GRANT ALL ON SCHEMA "public" TO CURRENT_USER;
  EXCEPTION WHEN insufficient_privilege THEN
    -- Do nothing, perhaps the schema has been created already
  END;
  $$;
  SET SCHEMA 'public';
COMMIT;`,
            `CREATE TABLE IF NOT EXISTS schema_meta (
      key            TEXT,
      subsystem      TEXT,
      last_executed  TEXT,
      executed       TEXT[],
      pending        TEXT[],
      PRIMARY KEY (key, subsystem)
    );`,
            `BEGIN;
  CREATE TABLE IF NOT EXISTS locks (
    key    TEXT PRIMARY KEY,
    owner  TEXT,
    ttl    TIMESTAMP WITH TIME ZONE
  );
  CREATE INDEX IF NOT EXISTS locks_ttl_idx ON locks (ttl);
COMMIT;`,
        ],
    },
    {
        phase: "cluster mutex: insert_lock, read_lock",
        statements: [
            `BEGIN;
  DELETE FROM locks WHERE ttl < CURRENT_TIMESTAMP AT TIME ZONE 'UTC';
  INSERT INTO locks (key, owner, ttl)
       VALUES ('migrations', 'node-1', TO_TIMESTAMP(EXTRACT(EPOCH FROM now()) + 60) AT TIME ZONE 'UTC')
  ON CONFLICT DO NOTHING;
COMMIT;`,
            "SELECT * FROM locks WHERE key = 'migrations' AND ttl >= CURRENT_TIMESTAMP AT TIME ZONE 'UTC' LIMIT 1;",
        ],
    },
    {
        phase: "up migration: tables, sequences (SERIAL, IDENTITY, explicit), indexes, plpgsql functions, triggers",
        statements: [
            `BEGIN;
CREATE TABLE IF NOT EXISTS "workspaces" (
  "id"          UUID                      PRIMARY KEY,
  "name"        TEXT                      UNIQUE,
  "config"      JSONB,
  "meta"        JSONB,
  "created_at"  TIMESTAMP WITH TIME ZONE  DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC')
);
CREATE TABLE IF NOT EXISTS "services" (
  "id"          UUID                      PRIMARY KEY,
  "created_at"  TIMESTAMP WITH TIME ZONE  DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  "updated_at"  TIMESTAMP WITH TIME ZONE,
  "ws_id"       UUID                      REFERENCES "workspaces" ("id"),
  "name"        TEXT,
  "host"        TEXT,
  "port"        BIGINT,
  "tags"        TEXT[],
  UNIQUE ("ws_id", "name")
);
CREATE INDEX IF NOT EXISTS "services_tags_idx" ON "services" USING GIN ("tags");
CREATE TABLE IF NOT EXISTS "routes" (
  "id"          UUID                      PRIMARY KEY,
  "service_id"  UUID                      REFERENCES "services" ("id") ON DELETE CASCADE,
  "ws_id"       UUID                      REFERENCES "workspaces" ("id"),
  "paths"       TEXT[],
  "tags"        TEXT[]
);
CREATE INDEX IF NOT EXISTS "routes_service_id_idx" ON "routes" ("service_id");
CREATE TABLE IF NOT EXISTS "consumers" (
  "id"          UUID                      PRIMARY KEY,
  "username"    TEXT,
  "custom_id"   TEXT,
  "tags"        TEXT[]
);
CREATE INDEX IF NOT EXISTS "consumers_username_lower_idx" ON "consumers" (LOWER("username"));
CREATE TABLE IF NOT EXISTS "tags" (
  "entity_id"    UUID  PRIMARY KEY,
  "entity_name"  TEXT,
  "tags"         TEXT[]
);
CREATE INDEX IF NOT EXISTS "tags_entity_name_idx" ON "tags" ("entity_name");
CREATE INDEX IF NOT EXISTS "tags_tags_idx" ON "tags" USING GIN ("tags");
CREATE OR REPLACE FUNCTION "sync_tags" () RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
  BEGIN
    IF (TG_OP = 'TRUNCATE') THEN
      DELETE FROM tags WHERE entity_name = TG_TABLE_NAME;
      RETURN NULL;
    ELSIF (TG_OP = 'DELETE') THEN
      DELETE FROM tags WHERE entity_id = OLD.id;
      RETURN OLD;
    ELSE
      INSERT INTO tags VALUES (NEW.id, TG_TABLE_NAME, NEW.tags)
      ON CONFLICT (entity_id) DO UPDATE SET tags = EXCLUDED.tags;
    END IF;
    RETURN NEW;
  END;
$$;
DROP TRIGGER IF EXISTS "services_sync_tags_trigger" ON "services";
CREATE TRIGGER "services_sync_tags_trigger"
  AFTER INSERT OR UPDATE OF "tags" OR DELETE ON "services"
  FOR EACH ROW
  EXECUTE PROCEDURE sync_tags();
CREATE TABLE IF NOT EXISTS "cluster_events" (
  "id"         UUID                      PRIMARY KEY,
  "node_id"    UUID                      NOT NULL,
  "at"         TIMESTAMP WITH TIME ZONE  NOT NULL,
  "expire_at"  TIMESTAMP WITH TIME ZONE  NOT NULL,
  "channel"    TEXT,
  "data"       TEXT
);
CREATE INDEX IF NOT EXISTS "idx_cluster_events_channel" ON "cluster_events" ("channel");
CREATE OR REPLACE FUNCTION "batch_delete_expired_rows" () RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
  BEGIN
    EXECUTE FORMAT('WITH rows AS (SELECT ctid FROM %s WHERE %s < CURRENT_TIMESTAMP AT TIME ZONE ''UTC'' ORDER BY %s LIMIT 2 FOR UPDATE SKIP LOCKED) DELETE FROM %s WHERE ctid = ANY (ARRAY (SELECT ctid FROM rows))', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0], TG_TABLE_NAME);
    RETURN NULL;
  END;
$$;
DROP TRIGGER IF EXISTS "cluster_events_ttl_trigger" ON "cluster_events";
CREATE TRIGGER "cluster_events_ttl_trigger"
  AFTER INSERT ON "cluster_events"
  FOR EACH STATEMENT
  EXECUTE PROCEDURE batch_delete_expired_rows("expire_at");
CREATE TABLE IF NOT EXISTS "clustering_sync_version" (
  "version"  SERIAL  PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS "clustering_sync_delta" (
  "version"  INT   NOT NULL REFERENCES "clustering_sync_version" ("version") ON DELETE CASCADE,
  "type"     TEXT  NOT NULL,
  "pk"       JSON  NOT NULL,
  "ws_id"    UUID  NOT NULL,
  "entity"   JSON
);
CREATE TABLE IF NOT EXISTS "audit_requests" (
  "request_id"  BIGINT  GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  "payload"     JSONB
);
CREATE SEQUENCE IF NOT EXISTS "node_sequence";
COMMIT;`,
            `INSERT INTO schema_meta (key, subsystem, last_executed, executed)
     VALUES ('schema_meta', 'core', '000_base', '{000_base}')
ON CONFLICT (key, subsystem) DO UPDATE
        SET last_executed = EXCLUDED.last_executed,
            executed = ARRAY_APPEND(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), '000_base');`,
        ],
    },
    {
        phase: "reads and writes through triggers and sequences (what serving traffic and the Admin API do)",
        statements: [
            "INSERT INTO workspaces (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'default')",
            `INSERT INTO services (id, ws_id, name, host, port, tags)
             VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'example', 'httpbin.org', 80, ARRAY['a','b'])`,
            `INSERT INTO routes (id, service_id, ws_id, paths)
             VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', ARRAY['/x'])`,
            "UPDATE services SET port = 443, tags = ARRAY['c'], updated_at = CURRENT_TIMESTAMP WHERE name = 'example'",
            "SELECT s.name, s.port, t.tags, count(r.id)::int AS routes FROM services s JOIN tags t ON t.entity_id = s.id LEFT JOIN routes r ON r.service_id = s.id GROUP BY 1, 2, 3",
            "INSERT INTO clustering_sync_version DEFAULT VALUES RETURNING version",
            `INSERT INTO clustering_sync_delta (version, type, pk, ws_id) SELECT max(version), 'services', '{"id":"x"}', '00000000-0000-4000-8000-000000000001' FROM clustering_sync_version`,
            "INSERT INTO audit_requests (payload) VALUES ('{}'), ('{}') RETURNING request_id",
            "SELECT nextval('node_sequence') AS n",
            `INSERT INTO cluster_events (id, node_id, at, expire_at, channel)
             VALUES (gen_random_uuid(), gen_random_uuid(), now(), now() - interval '1 minute', 'invalidations'),
                    (gen_random_uuid(), gen_random_uuid(), now(), now() + interval '1 hour', 'invalidations')`,
            "SELECT count(*)::int AS n FROM cluster_events",
            "SELECT id FROM services WHERE ws_id = '00000000-0000-4000-8000-000000000001' ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED",
            "DELETE FROM services WHERE name = 'example'",
            "SELECT (SELECT count(*) FROM routes)::int AS routes, (SELECT count(*) FROM tags)::int AS tags",
        ],
    },
    {
        phase: "up migration that alters Kong's tables (DO block adding a column, constraints, types, renames)",
        statements: [
            `BEGIN;
DO $$
BEGIN
  ALTER TABLE IF EXISTS ONLY "routes" ADD "path_handling" TEXT DEFAULT 'v0';
EXCEPTION WHEN DUPLICATE_COLUMN THEN
  -- Do nothing, accept existing state
END;
$$;
ALTER TABLE "routes" ADD CONSTRAINT "routes_path_handling_check" CHECK ("path_handling" IN ('v0', 'v1'));
ALTER TABLE "services" ADD COLUMN IF NOT EXISTS "tls_verify" BOOLEAN;
ALTER TABLE "services" ALTER COLUMN "port" TYPE INTEGER;
ALTER TABLE "consumers" ADD CONSTRAINT "consumers_username_key" UNIQUE ("username");
ALTER INDEX "consumers_username_lower_idx" RENAME TO "consumers_username_lower_index";
ALTER SEQUENCE "node_sequence" RESTART WITH 100;
COMMENT ON TABLE "services" IS 'Kong services';
COMMIT;`,
            // Running the same migration again (e.g. an interrupted `up` resumed) is a no-op.
            `DO $$
BEGIN
  ALTER TABLE IF EXISTS ONLY "routes" ADD "path_handling" TEXT DEFAULT 'v0';
EXCEPTION WHEN DUPLICATE_COLUMN THEN
END;
$$;`,
            "SELECT nextval('node_sequence') AS n",
        ],
    },
    {
        phase: "kong migrations finish: teardown (drop triggers, functions, tables, columns), record it",
        statements: [
            `BEGIN;
DROP TRIGGER IF EXISTS "cluster_events_ttl_trigger" ON "cluster_events";
DROP FUNCTION IF EXISTS "batch_delete_expired_rows" ();
ALTER TABLE "services" DROP COLUMN IF EXISTS "tls_verify";
DROP TABLE IF EXISTS "audit_requests";
COMMIT;`,
            `INSERT INTO schema_meta (key, subsystem, last_executed, executed)
     VALUES ('schema_meta', 'core', '001_teardown', '{001_teardown}')
ON CONFLICT (key, subsystem) DO UPDATE
        SET last_executed = EXCLUDED.last_executed,
            executed = ARRAY_APPEND(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), '001_teardown'),
            pending  = ARRAY_REMOVE(COALESCE(schema_meta.pending,  ARRAY[]::TEXT[]), '001_teardown');`,
            "DELETE FROM locks WHERE key = 'migrations' AND owner = 'node-1';",
        ],
    },
    {
        phase: "temporary table (TEMPORARY on database kong)",
        statements: [
            "CREATE TEMP TABLE kong_tmp (id int PRIMARY KEY, v text) ON COMMIT PRESERVE ROWS",
            "INSERT INTO kong_tmp VALUES (1, 'x'), (2, 'y')",
            "SELECT count(*)::int AS n, (SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()) LIKE 'pg_temp_%' AS in_temp FROM kong_tmp",
        ],
    },
];

// ---------------------------------------------------------------------------------------------
// The suite.

interface Fixtures {
    declared: Record<Stack, DeclaredDatabaseLayer>;
    servers: Record<AdminOptionReading, AzurePostgres>;
}

export function kongDatabaseSuite(version: PostgresVersion): void {
    // Everything runs in order: cases of one reading share its server (database `kong`, template0).
    // (Running the two readings side by side gained nothing on a 2-CPU runner with two files at once.)
    describe(`kong database and grants as the program declares them, on PostgreSQL ${version}`, { concurrency: 1 }, () => {
        let fixtures: Fixtures | undefined;
        const started: AzurePostgres[] = [];

        before(async () => {
            // The dev stack's own administrator name becomes the server's Entra administrator.
            const devConfig = readStackConfig("dev").config;
            const adminName = devConfig[`${PROJECT}:deploymentAdminName`];
            assert.ok(adminName, "Pulumi.dev.yaml sets deploymentAdminName");
            const start = (reading: AdminOptionReading) =>
                AzurePostgres.start({ version, reading, administratorName: adminName }).then((fx) => {
                    started.push(fx);
                    return fx;
                });
            const overrides = { postgresVersion: String(version) };
            const [dev, prod, documented, stock] = await Promise.all([
                evaluateStack({ stack: "dev", overrides }),
                // One fixture = one Entra administrator: prod's group name is replaced by it (the
                // program passes the value through; asserted below).
                evaluateStack({ stack: "prod", overrides: { ...overrides, deploymentAdminName: adminName } }),
                start("documented"),
                start("stock"),
            ]);
            fixtures = {
                declared: { dev: declaredDatabaseLayer("dev", dev), prod: declaredDatabaseLayer("prod", prod) },
                servers: { documented, stock },
            };
        });
        after(async () => {
            await Promise.all(started.map((fx) => fx.stop()));
        });

        const fx = (reading: AdminOptionReading) => fixtures!.servers[reading];
        const declared = (stack: Stack) => fixtures!.declared[stack];

        it("reads the declaration off the program: provider settings, Database and Grant inputs, names", () => {
            for (const stack of STACKS) {
                const d = declared(stack);
                const config = d.evaluation.config;
                // The settings the replay relies on: token auth, verified TLS, the postgres maintenance DB.
                assert.equal(d.provider.azureIdentityAuth, "true");
                assert.equal(d.provider.sslmode, "verify-full");
                assert.equal(d.provider.superuser, "false");
                assert.equal(d.provider.database, "postgres");
                // username is the configured deployment administrator, verbatim, and it is the
                // identity the fixture's Entra administrator has.
                assert.equal(d.provider.username, config[`${PROJECT}:deploymentAdminName`]);
                assert.equal(d.provider.username, fx("stock").administratorName);
                assert.equal(d.principalInputs.administratorName, d.provider.username);
                // The grants target the declared database and the role the EntraPrincipal creates.
                assert.equal(d.databaseGrant.database, d.database.name);
                assert.equal(d.schemaGrant.database, d.database.name);
                assert.equal(d.databaseGrant.role, d.principalInputs.roleName);
                assert.equal(d.schemaGrant.role, d.principalInputs.roleName);
                assert.equal(d.schemaGrant.schema, "public");
                assert.equal(d.database.owner, undefined, "the program must not set the database owner (see the last cases)");
                assert.equal(config[`${PROJECT}:kongRoleMode`], "principal");
                // Configured for the server version it talks to.
                const servers = d.evaluation.resources.filter((r) => r.type === "azure-native:dbforpostgresql:Server" && r.inputs.createMode !== "Replica");
                assert.deepEqual(servers.map((r) => r.inputs.version), [String(version)]);
            }
            const dev = declared("dev");
            const prod = declared("prod");
            assert.notEqual(dev.databaseGrant.role, prod.databaseGrant.role);
            // Apart from Kong's role name, both stacks declare the same SQL-relevant inputs …
            const withoutRole = ({ role: _role, ...rest }: GrantInputs) => rest;
            assert.deepEqual(prod.database, dev.database);
            assert.deepEqual(withoutRole(prod.databaseGrant), withoutRole(dev.databaseGrant));
            assert.deepEqual(withoutRole(prod.schemaGrant), withoutRole(dev.schemaGrant));
            // … and differ in what only Pulumi sees: prod protects and retains the database.
            assert.deepEqual(
                [dev.databaseResource.options.protect, dev.databaseResource.options.retainOnDelete],
                [false, false],
            );
            assert.deepEqual(
                [prod.databaseResource.options.protect, prod.databaseResource.options.retainOnDelete],
                [true, true],
            );
            assert.ok(prod.evaluation.config[`${PROJECT}:production`] === "true");
        });

        for (const reading of READINGS) {
            describe(`${reading} reading of ADMIN OPTION`, { concurrency: 1 }, () => {
                let host: ProviderHost;
                const kong = {} as Record<Stack, EntraObject>;

                const asAdmin = (database: string, statements: string[]) =>
                    host.runAs({ user: fx(reading).administratorName, host: fx(reading).host, port: fx(reading).port, database, statements });
                const asKong = (stack: Stack, database: string, statements: readonly string[]) =>
                    host.runAs({
                        user: kong[stack].displayName,
                        clientId: kong[stack].clientId,
                        host: fx(reading).host,
                        port: fx(reading).port,
                        database,
                        statements: [...statements],
                    });

                before(async () => {
                    const server = fx(reading);
                    // The program's own serialized EntraPrincipal provider (identical for both stacks).
                    assert.equal(declared("prod").principalProviderText, declared("dev").principalProviderText);
                    host = await ProviderHost.start(declared("dev").principalProviderText, server.providerEnv());
                    for (const stack of STACKS) {
                        const d = declared(stack);
                        // Kong's service principal in the emulated tenant, named as the program names it.
                        kong[stack] = await server.addServicePrincipal(String(d.principalInputs.roleName));
                        const inputs = { ...d.principalInputs, host: server.host, port: server.port, objectId: kong[stack].objectId };
                        const checked = await host.call("check", {}, inputs);
                        assert.deepEqual(checked.failures, []);
                        const created = await host.call("create", checked.inputs);
                        assert.equal(created.outs.roleName, d.databaseGrant.role);
                    }
                    // Something of the deployer's in `postgres` that Kong must not read.
                    await asAdmin("postgres", [
                        "CREATE TABLE public.deployer_notes (id int PRIMARY KEY, note text)",
                        "INSERT INTO public.deployer_notes VALUES (1, 'admin only')",
                    ]);
                });
                after(async () => {
                    await host?.stop();
                });

                for (const publicOwner of PUBLIC_OWNERS) {
                    for (const stack of STACKS) {
                        describe(`${stack} stack, public in the new database owned by ${publicOwner}`, { concurrency: 1 }, () => {
                            const facts = (): ServerFacts => {
                                const d = declared(stack);
                                return azureFacts({
                                    administrator: d.provider.username!,
                                    kongRole: d.databaseGrant.role,
                                    serverMajor: version,
                                    reading,
                                    publicSchemaOwner: publicOwner,
                                    databases: [d.database.name],
                                });
                            };

                            before(async () => {
                                await dropDatabase(fx(reading), declared(stack).database.name);
                                await setTemplate0PublicOwner(fx(reading), publicOwner);
                            });

                            it("the provider's create steps for Database and both Grants succeed as the administrator, read-backs included", async () => {
                                const d = declared(stack);
                                const server = fx(reading);
                                const plan = new BridgedProviderPlan({ username: d.provider.username!, database: d.provider.database, facts: facts(), openPools: new Set() });
                                const steps = [...plan.createDatabase(d.database), ...plan.createGrant(d.databaseGrant), ...plan.createGrant(d.schemaGrant)];
                                const connections = await replayAsAdmin(server, d.provider.username!, steps);
                                // Every session signed in as the administrator, over TLS.
                                assert.ok(connections.length >= 4, JSON.stringify(connections));
                                for (const [, who, ssl] of connections) assert.deepEqual([who, ssl], [d.provider.username, true]);

                                // Independently of the provider's own read-backs, as the superuser:
                                const role = d.databaseGrant.role;
                                const db = d.database.name;
                                const [database] = await server.query(
                                    `SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding, datallowconn,
                                            has_database_privilege(${quoteLiteral(role)}, oid, 'CONNECT') AS can_connect,
                                            has_database_privilege(${quoteLiteral(role)}, oid, 'CREATE') AS can_create,
                                            has_database_privilege(${quoteLiteral(role)}, oid, 'TEMPORARY') AS can_temp,
                                            has_database_privilege(${quoteLiteral(role)}, oid, 'CREATE WITH GRANT OPTION') AS can_grant
                                       FROM pg_database WHERE datname = ${quoteLiteral(db)}`,
                                );
                                assert.deepEqual(database, {
                                    owner: d.provider.username,
                                    encoding: "UTF8",
                                    datallowconn: true,
                                    can_connect: true,
                                    can_create: true,
                                    can_temp: true,
                                    can_grant: false,
                                });
                                const [schema] = await server.query(
                                    `SELECT pg_get_userbyid(nspowner) AS owner,
                                            has_schema_privilege(${quoteLiteral(role)}, oid, 'CREATE') AS can_create,
                                            has_schema_privilege(${quoteLiteral(role)}, oid, 'USAGE') AS can_use,
                                            has_schema_privilege(${quoteLiteral(role)}, oid, 'CREATE WITH GRANT OPTION') AS can_grant
                                       FROM pg_namespace WHERE nspname = 'public'`,
                                    db,
                                );
                                assert.deepEqual(schema, { owner: publicOwner, can_create: true, can_use: true, can_grant: false });
                                // The provider's temporary memberships are gone: the admin is where it was.
                                const memberships = await server.query(
                                    `SELECT pg_get_userbyid(roleid) AS role FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = ${quoteLiteral(d.provider.username!)}) ORDER BY 1`,
                                );
                                assert.deepEqual(memberships.map((m) => m.role), ["azure_pg_admin"]);
                            });

                            it("Kong's role, signed in with its own token over TLS, runs what kong migrations bootstrap/up/finish and serving need", async () => {
                                const d = declared(stack);
                                const db = d.database.name;
                                const [[session]] = await asKong(stack, db, [
                                    "SELECT current_user AS who, s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
                                ]);
                                assert.deepEqual(session, { who: d.databaseGrant.role, ssl: true });

                                const results: Record<string, any[][]> = {};
                                for (const { phase, statements } of KONG_WORKLOAD) {
                                    try {
                                        results[phase] = await asKong(stack, db, statements);
                                    } catch (err) {
                                        assert.fail(`Kong's role failed in "${phase}": ${(err as Error).message}`);
                                    }
                                }
                                const rw = results[KONG_WORKLOAD[4]!.phase]!;
                                assert.deepEqual(rw[4], [{ name: "example", port: "443", tags: ["c"], routes: 1 }], "trigger kept tags in sync");
                                assert.deepEqual(rw[5], [{ version: 1 }], "SERIAL");
                                assert.deepEqual(rw[7], [{ request_id: "1" }, { request_id: "2" }], "IDENTITY");
                                assert.deepEqual(rw[8], [{ n: "1" }], "explicit sequence");
                                assert.deepEqual(rw[10], [{ n: 1 }], "the plpgsql trigger deleted the expired event");
                                assert.deepEqual(rw[13], [{ routes: 0, tags: 0 }], "ON DELETE CASCADE and the DELETE trigger");
                                assert.deepEqual(results[KONG_WORKLOAD[5]!.phase]![2], [{ n: "100" }], "ALTER SEQUENCE");
                                assert.deepEqual(results[KONG_WORKLOAD[7]!.phase]![2], [{ n: 2, in_temp: true }]);

                                // Kong owns everything its migrations made (so nobody else must grant it
                                // anything on them — REFERENCE: the stock reading could not).
                                const owners = await fx(reading).query<{ kind: string; name: string; owner: string }>(
                                    `SELECT c.relkind::text AS kind, c.relname AS name, pg_get_userbyid(c.relowner) AS owner
                                       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
                                     UNION ALL
                                     SELECT 'function', p.proname, pg_get_userbyid(p.proowner)
                                       FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                                     ORDER BY 1, 2`,
                                    db,
                                );
                                const kinds = new Set(owners.map((o) => o.kind));
                                for (const kind of ["r", "i", "S", "function"]) assert.ok(kinds.has(kind), `no object of kind ${kind}: ${JSON.stringify(owners)}`);
                                assert.ok(owners.length >= 20, JSON.stringify(owners));
                                assert.deepEqual(owners.filter((o) => o.owner !== d.databaseGrant.role), []);
                                const [meta] = await fx(reading).query("SELECT executed FROM schema_meta", db);
                                assert.deepEqual(meta!.executed, ["000_base", "001_teardown"]);
                            });

                            it("pulumi refresh after Kong's migrations reads the same database and grants back (no drift)", async () => {
                                const d = declared(stack);
                                const plan = new BridgedProviderPlan({
                                    username: d.provider.username!,
                                    database: d.provider.database,
                                    facts: { ...facts(), databaseOwners: { postgres: "azuresu", [d.database.name]: d.provider.username! } },
                                    openPools: new Set(),
                                });
                                await replayAsAdmin(fx(reading), d.provider.username!, [
                                    ...plan.refreshDatabase(d.database),
                                    ...plan.refreshGrant(d.databaseGrant),
                                    ...plan.refreshGrant(d.schemaGrant),
                                ]);
                            });

                            it("Kong's role can do nothing beyond its database: no databases, roles, objects or reads in postgres, no self-promotion", async () => {
                                const d = declared(stack);
                                const server = fx(reading);
                                const me = quoteIdent(d.databaseGrant.role);
                                const admin = quoteIdent(d.provider.username!);
                                const refused: [string, string, RegExp][] = [
                                    ["postgres", "CREATE DATABASE kong_rogue", /permission denied to create database/],
                                    ["postgres", `CREATE DATABASE kong_rogue OWNER ${me}`, /permission denied to create database/],
                                    ["postgres", "CREATE ROLE kong_rogue LOGIN", /permission denied to create role/],
                                    ["postgres", "CREATE TABLE public.kong_rogue (id int)", /permission denied for schema public/],
                                    ["postgres", "CREATE FUNCTION public.kong_rogue() RETURNS int LANGUAGE sql AS 'SELECT 1'", /permission denied for schema public/],
                                    ["postgres", "SELECT * FROM public.deployer_notes", /permission denied for table deployer_notes/],
                                    ["postgres", "SELECT rolpassword FROM pg_authid", /permission denied for table pg_authid/],
                                    ["postgres", "SELECT pgaadauth_create_principal('kong_rogue', true, false)", /permission denied for function pgaadauth_create_principal/],
                                    ["postgres", `GRANT azure_pg_admin TO ${me}`, /permission denied to grant role "azure_pg_admin"/],
                                    ["postgres", `GRANT ${admin} TO ${me}`, /permission denied to grant role/],
                                    ["postgres", `ALTER ROLE ${me} CREATEDB`, /permission denied to alter role/],
                                    ["postgres", `ALTER ROLE ${me} CREATEROLE`, /permission denied to alter role/],
                                    ["postgres", `SET ROLE ${admin}`, /permission denied to set role/],
                                    ["postgres", "SET ROLE azure_pg_admin", /permission denied to set role/],
                                    ["postgres", `ALTER DATABASE ${quoteIdent(d.database.name)} OWNER TO ${me}`, /must be owner of database/],
                                    ["postgres", `DROP DATABASE ${quoteIdent(d.database.name)}`, /must be owner of database/],
                                    [d.database.name, `ALTER SCHEMA public OWNER TO ${me}`, /must be owner of schema public/],
                                    [d.database.name, "DROP SCHEMA public CASCADE", /must be owner of schema public/],
                                ];
                                for (const [database, sql, error] of refused) {
                                    await assert.rejects(asKong(stack, database, [sql]), error, `Kong's role was allowed: ${sql} (in ${database})`);
                                }
                                // Granting itself more on objects it does not own: PostgreSQL answers with a
                                // warning ("no privileges were granted") and changes nothing.
                                await asKong(stack, "postgres", [`GRANT ALL ON DATABASE postgres TO ${me}`, `GRANT ALL ON SCHEMA public TO ${me}`]);
                                await asKong(stack, d.database.name, [
                                    `GRANT ALL ON DATABASE ${quoteIdent(d.database.name)} TO ${me} WITH GRANT OPTION`,
                                    `GRANT ALL ON SCHEMA public TO ${me} WITH GRANT OPTION`,
                                ]);
                                // Its own token is not the administrator's password.
                                await assert.rejects(
                                    host.runAs({ user: d.provider.username!, clientId: kong[stack].clientId, host: server.host, port: server.port, statements: ["SELECT 1"] }),
                                    /password authentication failed/,
                                );

                                const role = quoteLiteral(d.databaseGrant.role);
                                const [cluster] = await server.query(
                                    `SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole,
                                            (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships,
                                            has_database_privilege(r.oid, 'postgres', 'CREATE') AS create_in_postgres,
                                            has_schema_privilege(r.oid, 'public', 'CREATE') AS create_in_postgres_public,
                                            has_table_privilege(r.oid, 'public.deployer_notes', 'SELECT') AS read_deployer_notes
                                       FROM pg_roles r WHERE r.rolname = ${role}`,
                                );
                                assert.deepEqual(cluster, {
                                    rolsuper: false,
                                    rolcreatedb: false,
                                    rolcreaterole: false,
                                    memberships: 0,
                                    create_in_postgres: false,
                                    create_in_postgres_public: false,
                                    read_deployer_notes: false,
                                });
                                const [inKong] = await server.query(
                                    `SELECT has_database_privilege(${role}, current_database(), 'CREATE WITH GRANT OPTION') AS db_grant_option,
                                            has_schema_privilege(${role}, 'public', 'CREATE WITH GRANT OPTION') AS schema_grant_option,
                                            pg_get_userbyid(n.nspowner) AS public_owner
                                       FROM pg_namespace n WHERE n.nspname = 'public'`,
                                    d.database.name,
                                );
                                assert.deepEqual(inKong, { db_grant_option: false, schema_grant_option: false, public_owner: publicOwner });
                                const [dbs] = await server.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'kong_rogue'");
                                assert.equal(dbs!.n, 0);
                            });

                            it("kong migrations reset (bootstrap -f) cannot drop public: its fallback drops only Kong's tables", async () => {
                                const d = declared(stack);
                                const db = d.database.name;
                                const tables = (await fx(reading).query<{ t: string }>("SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public'", db)).map((r) => r.t);
                                assert.ok(tables.length > 5);
                                await asKong(stack, db, [
                                    `BEGIN;
  DO $$
  BEGIN
    DROP SCHEMA IF EXISTS "public" CASCADE;
    CREATE SCHEMA IF NOT EXISTS "public" AUTHORIZATION CURRENT_USER;
    GRANT ALL ON SCHEMA "public" TO CURRENT_USER;
  EXCEPTION WHEN insufficient_privilege THEN
    DROP TABLE IF EXISTS ${tables.join(", ")} CASCADE;
  END;
  $$;
    SET SCHEMA 'public';
COMMIT;`,
                                ]);
                                const [after] = await fx(reading).query(
                                    `SELECT (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables,
                                            pg_get_userbyid(n.nspowner) AS public_owner
                                       FROM pg_namespace n WHERE n.nspname = 'public'`,
                                    db,
                                );
                                assert.deepEqual(after, { tables: 0, public_owner: publicOwner });
                            });
                        });
                    }
                }

                describe("the shape the program avoids: Database with owner = Kong's role", { concurrency: 1 }, () => {
                    for (const publicOwner of PUBLIC_OWNERS) {
                        it(`replays the provider's owner path (public owned by ${publicOwner}): ${reading === "stock" ? "refused at the temporary GRANT" : "succeeds, because azure_pg_admin holds ADMIN OPTION"}`, async () => {
                            const d = declared("dev");
                            const server = fx(reading);
                            const username = d.provider.username!;
                            const kongRole = d.databaseGrant.role;
                            await dropDatabase(server, d.database.name);
                            await setTemplate0PublicOwner(server, publicOwner);
                            const plan = new BridgedProviderPlan({
                                username,
                                database: d.provider.database,
                                facts: azureFacts({ administrator: username, kongRole, serverMajor: version, reading, publicSchemaOwner: publicOwner, databases: [d.database.name] }),
                                openPools: new Set(),
                            });
                            const withOwner: DatabaseInputs = { ...d.database, owner: kongRole };
                            const databaseSteps = plan.createDatabase(withOwner);
                            const grantSteps = [...plan.createGrant(d.databaseGrant), ...plan.createGrant(d.schemaGrant)];
                            try {
                                if (reading === "stock") {
                                    await assert.rejects(replayAsAdmin(server, username, databaseSteps), (err: unknown) => {
                                        assert.ok(err instanceof ReplayError, String(err));
                                        assert.equal(err.step.sql, `GRANT ${quoteIdent(kongRole)} TO ${quoteIdent(username)}`);
                                        assert.match(err.message, /permission denied to grant role/);
                                        return true;
                                    });
                                    const [exists] = await server.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${quoteLiteral(d.database.name)}`);
                                    assert.equal(exists!.n, 0, "nothing was created");
                                    // The direct form (no temporary membership) is refused too.
                                    await assert.rejects(
                                        asAdmin("postgres", [`CREATE DATABASE ${quoteIdent(d.database.name)} OWNER ${quoteIdent(kongRole)}`]),
                                        /must be able to SET ROLE/,
                                    );
                                } else {
                                    // Documented reading: azure_pg_admin holds ADMIN OPTION on Kong's role, so
                                    // the temporary GRANT, the CREATE and the REVOKE all go through — and so do
                                    // the program's two Grants on top: on the database, the administrator (not
                                    // the owner, no grant option) only gets warnings ("no privileges could be
                                    // revoked/granted"), but that REVOKE writes the owner's implicit privileges
                                    // into datacl, so the read-back finds CONNECT, CREATE, TEMPORARY for Kong's
                                    // role (as owner) and Pulumi would store no drift; on schema public, the
                                    // provider joins its owner (azure_pg_admin, or Kong's role via
                                    // pg_database_owner) for the duration of the transaction.
                                    const connections = await replayAsAdmin(server, username, [...databaseSteps, ...grantSteps]);
                                    for (const [, who, ssl] of connections) assert.deepEqual([who, ssl], [username, true]);
                                    const [db] = await server.query(
                                        `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ${quoteLiteral(d.database.name)}`,
                                    );
                                    assert.equal(db!.owner, kongRole);
                                    const acl = await server.query<{ entry: string }>(
                                        `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
                                                || ' ' || a.privilege_type || ' from ' || pg_get_userbyid(a.grantor) AS entry
                                           FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = ${quoteLiteral(d.database.name)} ORDER BY 1`,
                                    );
                                    assert.deepEqual(
                                        acl.map((a) => a.entry),
                                        ["CONNECT", "CREATE", "TEMPORARY"].map((p) => `${kongRole} ${p} from ${kongRole}`).concat(
                                            ["CONNECT", "TEMPORARY"].map((p) => `PUBLIC ${p} from ${kongRole}`),
                                        ).sort(),
                                        "only the owner's default privileges, made explicit by the REVOKE",
                                    );
                                    const memberships = await server.query(
                                        `SELECT pg_get_userbyid(roleid) AS role FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = ${quoteLiteral(username)}) ORDER BY 1`,
                                    );
                                    assert.deepEqual(memberships.map((m) => m.role), ["azure_pg_admin"], "the temporary memberships were revoked");
                                    const [schema] = await server.query(
                                        `SELECT pg_get_userbyid(nspowner) AS owner, has_schema_privilege(${quoteLiteral(kongRole)}, oid, 'CREATE') AS can_create
                                           FROM pg_namespace WHERE nspname = 'public'`,
                                        d.database.name,
                                    );
                                    assert.deepEqual(schema, { owner: publicOwner, can_create: true });
                                }
                            } finally {
                                await dropDatabase(server, d.database.name);
                            }
                        });
                    }
                });
            });
        }
    });
}
