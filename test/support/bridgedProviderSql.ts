/**
 * The SQL that the bridged PostgreSQL provider (`@pulumi/postgresql` 3.18.1) runs for our
 * `postgresql.Database` and `postgresql.Grant` resources, rebuilt step by step from its Go source so
 * that a test can replay it, as the deployment administrator, against a PostgreSQL that emulates
 * Azure's role model. Pure: nothing here opens a connection (`replay` takes the runner).
 *
 * Upstream read: cyrilgdn/terraform-provider-postgresql v1.27.0, commit ff936b9548c1 (the `upstream`
 * submodule of pulumi/pulumi-postgresql from v3.18.0 on — PR #974 "Upgrade terraform-provider-postgresql
 * to v1.27.0" — unchanged through the 3.18.x commits), with lib/pq v1.12.3 and
 * terraform-plugin-sdk/v2 v2.40.1 (Pulumi's fork) as pinned in provider/go.mod.
 *
 * What the provider runs, and why:
 * - Every resource operation first opens (once per provider process and database) a connection pool
 *   and fingerprints the server with `SELECT VERSION()` (config.go Connect/fingerprintCapabilities);
 *   modelled only when the caller passes `openPools`.
 * - Database create (resource_postgresql_database.go createDatabase), on the provider's database
 *   (`postgres`), outside any transaction:
 *   - with no `owner`: nothing but `CREATE DATABASE "<name>" OWNER "<provider username>" TEMPLATE
 *     template0 ENCODING 'UTF8' … ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false` — the
 *     owner is the provider's configured `username` (not CURRENT_USER), TEMPLATE defaults to
 *     template0 and ENCODING to UTF8 when unset, and LC_COLLATE/LC_CTYPE/TABLESPACE appear only when
 *     set. No role membership is touched;
 *   - with an `owner` other than the username: a transaction holding advisory locks on the username
 *     (pgLockRole), `GRANT "<owner>" TO "<username>"` unless already a (SET-able) member, the CREATE,
 *     `REVOKE "<owner>" FROM "<username>"` afterwards, then the lock transaction is rolled back. The
 *     GRANT is what fails under stock PostgreSQL 16+ semantics for a role the admin cannot administer;
 *   - then it reads the database back (resourcePostgreSQLDatabaseReadImpl): owner, encoding,
 *     collation, ctype, tablespace, connection limit, ALLOW_CONNECTIONS and IS_TEMPLATE.
 * - Grant create (resource_postgresql_grant.go resourcePostgreSQLGrantCreateOrUpdate), in ONE
 *   transaction on the grant's `database`: advisory locks on the grantee role and its members
 *   (pgLockRole) and, for object type database, on the database (pgLockDatabase); for object type
 *   schema the schema's owner is looked up (`pg_database_owner` resolved to the database's owner) and
 *   withRolesGranted temporarily makes the connected user (CURRENT_USER) a member of that owner —
 *   only if the connected user is not a superuser, the owner is not a superuser, the owner is not the
 *   user itself and the user is not already a direct member of it with SET option (PostgreSQL 16+);
 *   it also temporarily revokes the reverse membership if the owner is a member of the user. Then
 *   `REVOKE ALL PRIVILEGES ON …` and `GRANT <privileges in Terraform set order> ON …`, the temporary
 *   memberships are undone, COMMIT. Object type database never grants any membership. Finally a
 *   second transaction reads the grantee's privileges back (aclexplode) and is rolled back.
 * - The provider's `superuser` setting is not consulted on any of these paths (only the role
 *   resource's password read-back uses it); withRolesGranted queries `rolsuper` itself.
 *
 * Modelling choice: state-dependent branches (membership checks, owner look-ups) are decided from
 * `ServerFacts` the caller supplies, and the list is simulated forward (a GRANT made earlier in the
 * plan is visible to later checks), so each builder returns a plain, fixed list of steps that tests
 * can pin. Every query the Go code branches on is still a step, carrying the result the plan assumed
 * (`expect`): a replay runs it and `checkRows` fails loudly when the server disagrees with the
 * facts — the replay is then not the provider's path and the facts must be fixed, never ignored.
 * Queries that only read back state (after create) carry the values the provider would store, so a
 * mismatch there means Pulumi would see drift on the next `up` (ForceNew for encoding/lc_* — a
 * replacement of the database).
 *
 * Replay: for each step, run `step.sql` with `step.params` (resolving `{ capture }` from earlier
 * steps) on a connection to `step.database`, as the provider's username; steps sharing a `session`
 * must share one connection (a transaction, bracketed by explicit BEGIN and COMMIT/ROLLBACK steps);
 * the session named after the database is the provider's autocommit pool. `replay()` does exactly
 * that with a runner you provide. What the Go code does after an error (deferred revokes, rollback)
 * is not modelled: a replay stops at the first failing step.
 */

export const UPSTREAM = {
    repository: "cyrilgdn/terraform-provider-postgresql",
    tag: "v1.27.0",
    commit: "ff936b9548c1076f498523a2bd116915ff977142",
    bridgedBy: "@pulumi/postgresql 3.18.1 (pulumi/pulumi-postgresql, upstream submodule since v3.18.0, PR #974)",
    libPq: "github.com/lib/pq v1.12.3",
    pluginSdk: "github.com/hashicorp/terraform-plugin-sdk/v2 v2.40.1 (replaced by github.com/pulumi/terraform-plugin-sdk/v2)",
} as const;

function src(file: string, fn: string): string {
    return `${file} ${fn} (${UPSTREAM.tag})`;
}

// ---------------------------------------------------------------------------------------------
// Quoting and ordering rules of the Go code, reimplemented.

/**
 * lib/pq `QuoteIdentifier` (quote.go, v1.12.3): cut the name at its first NUL, double every `"`,
 * wrap in `"`. No length check, no other escaping.
 */
export function pqQuoteIdentifier(name: string): string {
    const end = name.indexOf("\0");
    const cut = end > -1 ? name.slice(0, end) : name;
    return `"${cut.replace(/"/g, '""')}"`;
}

/**
 * The provider's `pqQuoteLiteral` (helpers.go): doubles backslashes and single quotes; the caller
 * wraps the result in plain `'…'` (not `E'…'`), so under `standard_conforming_strings = on` a
 * backslash comes out doubled in the value. Reproduced as is.
 */
export function pqQuoteLiteral(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/'/g, "''");
}

const CRC32_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) {
            c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        }
        table[n] = c >>> 0;
    }
    return table;
})();

/** CRC-32 (IEEE) of the UTF-8 bytes of `text`, as Go's hash/crc32.ChecksumIEEE. */
export function crc32Ieee(text: string): number {
    let crc = 0xffffffff;
    for (const byte of Buffer.from(text, "utf8")) {
        crc = CRC32_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
    }
    return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The order in which terraform-plugin-sdk's `schema.Set.List()` returns a `schema.HashString` set
 * (helper/schema/set.go listCode + hashcode.String): duplicates collapse, and elements are sorted by
 * the DECIMAL TEXT of their CRC-32, compared as strings. That is the order of the privileges in the
 * provider's GRANT statement, whatever order the program lists them in.
 */
export function terraformStringSetOrder(values: readonly string[]): string[] {
    const byCode = new Map<string, string>();
    for (const value of values) {
        byCode.set(String(crc32Ieee(value)), value);
    }
    return [...byCode.keys()].sort().map((code) => byCode.get(code)!);
}

// ---------------------------------------------------------------------------------------------
// Steps.

export type Row = Readonly<Record<string, unknown>>;
/** A bind parameter: a value, or the value captured by an earlier step (`Step.capture`). */
export type Param = string | number | { readonly capture: string };

/** What the plan assumed a query returns (see `checkRows`). */
export type Expectation =
    /** Go `QueryRow(...).Scan`: `value` false means sql.ErrNoRows (no row), true means a row. */
    | { readonly kind: "exists"; readonly value: boolean }
    /** At least one row; the first row has these column values (other columns unchecked). */
    | { readonly kind: "firstRow"; readonly fields: Row }
    /** First row's `array_agg` (NULL = none) equals this set of privilege names, in any order. */
    | { readonly kind: "privileges"; readonly privileges: readonly string[] }
    /** Anything (e.g. `SELECT VERSION()`). */
    | { readonly kind: "any" };

export interface Step {
    /** "exec": result ignored (Go `Exec`); "query": result checked against `expect` (Go `QueryRow`). */
    readonly kind: "exec" | "query";
    /** Database the statement runs in (the connection's database). */
    readonly database: string;
    /**
     * Steps with the same session must run on one connection, in order. `<database>` is the
     * provider's autocommit pool; `<database>:tx<n>` a transaction (BEGIN … COMMIT/ROLLBACK).
     */
    readonly session: string;
    readonly sql: string;
    readonly params?: readonly Param[];
    readonly inTransaction?: boolean;
    /** Go file, function and upstream tag this statement comes from. */
    readonly source: string;
    /** Why the provider runs it. */
    readonly why: string;
    readonly expect?: Expectation;
    /** Store column `column` of the first row under `name`, for later `{ capture: name }` params. */
    readonly capture?: { readonly name: string; readonly column: string };
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/** The `postgresql.Database` args the program passes (Pulumi names). */
export interface DatabaseInputs {
    readonly name: string;
    readonly owner?: string;
    readonly template?: string;
    readonly encoding?: string;
    readonly lcCollate?: string;
    readonly lcCtype?: string;
    readonly tablespaceName?: string;
    /** Schema default true. */
    readonly allowConnections?: boolean;
    /** Schema default -1. */
    readonly connectionLimit?: number;
    /** Optional + Computed without default: unset is false at create. */
    readonly isTemplate?: boolean;
}

/** The `postgresql.Grant` args the program passes (Pulumi names); object types database and schema. */
export interface GrantInputs {
    readonly database: string;
    readonly role: string;
    readonly schema?: string;
    readonly objectType: string;
    readonly privileges: readonly string[];
    readonly withGrantOption?: boolean;
    readonly objects?: readonly string[];
}

/** A row of pg_auth_members: `member` is a member of `role`. */
export interface Membership {
    readonly role: string;
    readonly member: string;
    /** PostgreSQL 16+ `set_option`; default true (a plain GRANT's default). */
    readonly setOption?: boolean;
}

/** What the server holds before the plan runs; the plan simulates its own changes on top. */
export interface ServerFacts {
    /** Server major version: 16+ has pg_auth_members.set_option (and the provider then requires it). */
    readonly serverMajor: number;
    /** What `SELECT CURRENT_USER` returns; defaults to the provider username. */
    readonly currentUser?: string;
    /** Roles with rolsuper. */
    readonly superusers?: readonly string[];
    /** Direct role memberships (pg_auth_members rows). */
    readonly memberships?: readonly Membership[];
    /** Owner of each existing database (databases the plan creates are added). */
    readonly databaseOwners?: Readonly<Record<string, string>>;
    /** Owner of each schema, per database: `{ kong: { public: "azure_pg_admin" } }`. */
    readonly schemaOwners?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface ProviderContext {
    /** The provider's `username` (or `databaseUsername` when set): Go getDatabaseUsername(). */
    readonly username: string;
    /** The provider's `database`; default "postgres". */
    readonly database?: string;
    readonly facts: ServerFacts;
    /**
     * Databases whose connection pool the provider process already opened. Pass a Set (shared
     * across plans of one provider process) to get the `SELECT VERSION()` fingerprint each first
     * connection to a database runs; omit to leave fingerprints out.
     */
    readonly openPools?: Set<string>;
}

// ---------------------------------------------------------------------------------------------
// The simulation.

const DATABASE_FILE = "resource_postgresql_database.go";
const GRANT_FILE = "resource_postgresql_grant.go";
const HELPERS_FILE = "helpers.go";
const CONFIG_FILE = "config.go";

/** helpers.go allowedPrivileges (the entries for the object types modelled here). */
const ALLOWED_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
    database: ["ALL", "CREATE", "CONNECT", "TEMPORARY"],
    schema: ["ALL", "CREATE", "USAGE"],
};

/** resource_postgresql_grant.go allowedObjectTypes (schema ValidateFunc, case-sensitive). */
const ALLOWED_OBJECT_TYPES = [
    "database",
    "function",
    "procedure",
    "routine",
    "schema",
    "sequence",
    "table",
    "foreign_data_wrapper",
    "foreign_server",
    "column",
];

/** Go's `d.GetOk` on a string: unset and "" are both "not set". */
function isSet(value: string | undefined): value is string {
    return value !== undefined && value !== "";
}

function goUpper(value: string): string {
    return value.toUpperCase();
}

/**
 * Builds the provider's statement lists for one provider process talking to one server. Methods
 * can be called in sequence (database, then grants): each continues from the state the previous
 * ones left (owners of created databases, memberships granted or revoked, pools opened).
 */
export class BridgedProviderPlan {
    private readonly username: string;
    private readonly providerDatabase: string;
    private readonly serverMajor: number;
    private readonly currentUser: string;
    private readonly superusers: Set<string>;
    private memberships: Membership[];
    private readonly databaseOwners: Map<string, string>;
    private readonly schemaOwners: Map<string, Map<string, string>>;
    private readonly openPools?: Set<string>;
    private txCounter = 0;
    private captureCounter = 0;

    constructor(ctx: ProviderContext) {
        if (!ctx.username) {
            throw new Error("the provider username is required");
        }
        this.username = ctx.username;
        this.providerDatabase = ctx.database ?? "postgres";
        this.serverMajor = ctx.facts.serverMajor;
        if (!(this.serverMajor >= 9.5)) {
            // featureDBAllowConnections / featureDBIsTemplate / featurePrivileges are all met on
            // every server Azure offers (11–18); older servers take other branches, not modelled.
            throw new Error("servers older than 9.5 are not modelled");
        }
        this.currentUser = ctx.facts.currentUser ?? ctx.username;
        this.superusers = new Set(ctx.facts.superusers ?? []);
        this.memberships = [...(ctx.facts.memberships ?? [])];
        this.databaseOwners = new Map(Object.entries(ctx.facts.databaseOwners ?? {}));
        this.schemaOwners = new Map(
            Object.entries(ctx.facts.schemaOwners ?? {}).map(([db, owners]) => [db, new Map(Object.entries(owners))]),
        );
        this.openPools = ctx.openPools;
    }

    // --- postgresql.Database ------------------------------------------------------------------

    /** Create path: resourcePostgreSQLDatabaseCreate → createDatabase, then ReadImpl. */
    createDatabase(args: DatabaseInputs): Step[] {
        if (!isSet(args.name)) {
            throw new Error("Database.name is required (Pulumi would auto-name it otherwise)");
        }
        const connectionLimit = args.connectionLimit ?? -1;
        if (!Number.isInteger(connectionLimit) || connectionLimit < -1) {
            throw new Error("connectionLimit must be an integer ≥ -1 (schema ValidateFunc IntAtLeast(-1))");
        }
        const steps: Step[] = [];
        const pool = this.providerDatabase;
        this.connect(steps, pool); // PGResourceFunc → client.Connect()

        const fn = "createDatabase";
        const owner = isSet(args.owner) ? args.owner : undefined;
        let lockSession: string | undefined;
        let ownerGranted = false;
        if (owner !== undefined) {
            // A transaction on the provider's database, only to hold the advisory locks.
            lockSession = this.begin(steps, pool, src(DATABASE_FILE, fn), "hold advisory locks while the owner is granted");
            this.lockRole(steps, pool, lockSession, this.username);
            ownerGranted = this.grantRoleMembership(
                steps,
                pool,
                pool,
                owner,
                this.username,
                src(DATABASE_FILE, fn),
                "make the provider user a member of the owner, so it may create a database owned by it",
                false,
            );
        }

        steps.push({
            kind: "exec",
            database: pool,
            session: pool,
            sql: createDatabaseSql(args, this.username),
            source: src(DATABASE_FILE, fn),
            why: owner === undefined ? "create the database, owned by the provider username" : "create the database with its owner",
        });
        this.databaseOwners.set(args.name, owner ?? this.username);

        if (owner !== undefined) {
            if (ownerGranted) {
                this.revokeRoleMembership(
                    steps,
                    pool,
                    pool,
                    owner,
                    this.username,
                    src(DATABASE_FILE, `${fn} (deferred)`),
                    "undo the temporary membership in the owner",
                    false,
                );
            }
            steps.push(this.txEnd(pool, lockSession!, "ROLLBACK", src(DATABASE_FILE, `${fn} (deferred deferredRollback)`), "release the advisory locks"));
        }

        steps.push(...this.databaseReadImpl(args, "resourcePostgreSQLDatabaseCreate → resourcePostgreSQLDatabaseReadImpl"));
        return steps;
    }

    /**
     * Refresh path (`pulumi refresh`): the SDK calls Exists (resourcePostgreSQLDatabaseExists, in a
     * transaction) and then Read (ReadImpl). `args` are the values in the state, i.e. the inputs.
     */
    refreshDatabase(args: DatabaseInputs): Step[] {
        const steps: Step[] = [];
        const pool = this.providerDatabase;
        this.connect(steps, pool);
        const fn = "resourcePostgreSQLDatabaseExists";
        const session = this.begin(steps, pool, src(DATABASE_FILE, fn), "check the database still exists");
        steps.push({
            kind: "query",
            database: pool,
            session,
            inTransaction: true,
            sql: "SELECT datname FROM pg_database WHERE datname=$1",
            params: [args.name],
            source: src(HELPERS_FILE, "dbExists"),
            why: "does the database exist",
            expect: { kind: "exists", value: this.databaseOwners.has(args.name) },
        });
        steps.push(this.txEnd(pool, session, "ROLLBACK", src(DATABASE_FILE, `${fn} (deferred deferredRollback)`), "end the read-only transaction"));
        steps.push(...this.databaseReadImpl(args, "resourcePostgreSQLDatabaseRead → resourcePostgreSQLDatabaseReadImpl"));
        return steps;
    }

    private databaseReadImpl(args: DatabaseInputs, fn: string): Step[] {
        const pool = this.providerDatabase;
        const source = src(DATABASE_FILE, fn);
        const owner = this.databaseOwners.get(args.name);
        const from =
            "FROM pg_catalog.pg_database AS d, pg_catalog.pg_tablespace AS ts WHERE d.datname = $1 AND d.dattablespace = ts.oid";
        const encoding = isSet(args.encoding) ? (goUpper(args.encoding) === "DEFAULT" ? undefined : args.encoding) : "UTF8";
        const fields: Record<string, unknown> = { datconnlimit: args.connectionLimit ?? -1 };
        if (encoding !== undefined) fields.pg_encoding_to_char = encoding;
        if (isSet(args.lcCollate) && goUpper(args.lcCollate) !== "DEFAULT") fields.datcollate = args.lcCollate;
        if (isSet(args.lcCtype) && goUpper(args.lcCtype) !== "DEFAULT") fields.datctype = args.lcCtype;
        if (isSet(args.tablespaceName) && goUpper(args.tablespaceName) !== "DEFAULT") fields.spcname = args.tablespaceName;
        const base = { kind: "query" as const, database: pool, session: pool, params: [args.name], source };
        return [
            {
                ...base,
                sql: "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) from pg_database d WHERE datname=$1",
                why: "read name and owner into the state",
                expect:
                    owner === undefined
                        ? { kind: "exists", value: false }
                        : { kind: "firstRow", fields: { datname: args.name, pg_get_userbyid: owner } },
            },
            {
                ...base,
                sql: `SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname, d.datconnlimit ${from}`,
                why: "read encoding, collation, ctype, tablespace and connection limit into the state (a differing encoding/lc_* is a ForceNew diff)",
                expect: { kind: "firstRow", fields },
            },
            {
                ...base,
                sql: `SELECT d.datallowconn ${from}`,
                why: "read ALLOW_CONNECTIONS into the state",
                expect: { kind: "firstRow", fields: { datallowconn: args.allowConnections ?? true } },
            },
            {
                ...base,
                sql: `SELECT d.datistemplate ${from}`,
                why: "read IS_TEMPLATE into the state",
                expect: { kind: "firstRow", fields: { datistemplate: args.isTemplate ?? false } },
            },
        ];
    }

    // --- postgresql.Grant -----------------------------------------------------------------------

    /** Create path: resourcePostgreSQLGrantCreate → resourcePostgreSQLGrantCreateOrUpdate(usePrevious=false). */
    createGrant(args: GrantInputs): Step[] {
        const privileges = validateGrant(args);
        const fn = "resourcePostgreSQLGrantCreateOrUpdate";
        const steps: Step[] = [];
        this.connect(steps, this.providerDatabase); // PGResourceFunc → client.Connect()
        const db = args.database;
        this.connect(steps, db); // startTransaction(db.client, database)
        const session = this.begin(steps, db, src(GRANT_FILE, `${fn} → startTransaction`), "one transaction for locks, memberships, REVOKE and GRANT");
        this.lockRole(steps, db, session, args.role);
        if (args.objectType === "database") {
            this.lockDatabase(steps, db, session, db);
        }
        const owners = this.rolesToGrant(steps, db, session, args);
        this.withRolesGranted(steps, db, session, owners, () => {
            steps.push({
                kind: "exec",
                database: db,
                session,
                inTransaction: true,
                sql: revokeAllSql(args),
                source: src(GRANT_FILE, "revokeRolePrivileges → createRevokeQuery"),
                why: "revoke everything first, so that reducing privileges works (same transaction: no gap)",
            });
            if (privileges.length > 0) {
                steps.push({
                    kind: "exec",
                    database: db,
                    session,
                    inTransaction: true,
                    sql: grantSql(args, privileges),
                    source: src(GRANT_FILE, "grantRolePrivileges → createGrantQuery"),
                    why: "grant the privileges (in Terraform set order)",
                });
            }
        });
        steps.push(this.txEnd(db, session, "COMMIT", src(GRANT_FILE, fn), "commit locks, REVOKE and GRANT"));
        steps.push(...this.grantReadBack(args, fn));
        return steps;
    }

    /** Refresh path: resourcePostgreSQLGrantRead (checkRoleDBSchemaExists, then readRolePrivileges). */
    refreshGrant(args: GrantInputs): Step[] {
        validateGrant(args);
        const fn = "resourcePostgreSQLGrantRead";
        const steps: Step[] = [];
        const pool = this.providerDatabase;
        this.connect(steps, pool);
        steps.push({
            kind: "query",
            database: pool,
            session: pool,
            sql: "SELECT datname FROM pg_database WHERE datname=$1",
            params: [args.database],
            source: src(HELPERS_FILE, "dbExists (via checkRoleDBSchemaExists)"),
            why: "is the grant's database still there",
            expect: { kind: "exists", value: true },
        });
        const db = args.database;
        this.connect(steps, db);
        const session = this.begin(steps, db, src(GRANT_FILE, "checkRoleDBSchemaExists"), "existence checks");
        if (args.role !== "public") {
            steps.push({
                kind: "query",
                database: db,
                session,
                inTransaction: true,
                sql: "SELECT 1 FROM pg_roles WHERE rolname=$1",
                params: [args.role],
                source: src(HELPERS_FILE, "roleExists (via checkRoleDBSchemaExists)"),
                why: "is the grantee still there",
                expect: { kind: "exists", value: true },
            });
        }
        if (!["database", "foreign_data_wrapper", "foreign_server"].includes(args.objectType) && isSet(args.schema)) {
            steps.push({
                kind: "query",
                database: db,
                session,
                inTransaction: true,
                sql: "SELECT 1 FROM pg_namespace WHERE nspname=$1",
                params: [args.schema],
                source: src(HELPERS_FILE, "schemaExists (via checkRoleDBSchemaExists)"),
                why: "is the schema still there",
                expect: { kind: "exists", value: true },
            });
        }
        steps.push(this.txEnd(db, session, "ROLLBACK", src(GRANT_FILE, "checkRoleDBSchemaExists (deferred deferredRollback)"), "end the read-only transaction"));
        steps.push(...this.grantReadBack(args, fn));
        return steps;
    }

    /** A second transaction: readRolePrivileges (getRoleOID, read…RolePrivileges), rolled back. */
    private grantReadBack(args: GrantInputs, caller: string): Step[] {
        const db = args.database;
        const steps: Step[] = [];
        const session = this.begin(steps, db, src(GRANT_FILE, `${caller} → startTransaction`), "read the grantee's privileges back into the state");
        let roleOid: Param = 0; // getRoleOID: "public" is OID 0, no query
        if (args.role !== "public") {
            const name = `roleOid${++this.captureCounter}`;
            steps.push({
                kind: "query",
                database: db,
                session,
                inTransaction: true,
                sql: "SELECT oid FROM pg_roles WHERE rolname = $1",
                params: [args.role],
                source: src(HELPERS_FILE, `getRoleOID (via ${caller} → readRolePrivileges)`),
                why: "the grantee's OID, to match aclexplode's grantee",
                expect: { kind: "exists", value: true },
                capture: { name, column: "oid" },
            });
            roleOid = { capture: name };
        }
        const [column, catalog, key, target] =
            args.objectType === "database"
                ? ["datacl", "pg_database", "datname", args.database]
                : ["nspacl", "pg_namespace", "nspname", args.schema!];
        steps.push({
            kind: "query",
            database: db,
            session,
            inTransaction: true,
            sql: `\nSELECT array_agg(privilege_type)\nFROM (\n\tSELECT (aclexplode(${column})).* FROM ${catalog} WHERE ${key}=$1\n) as privileges\nWHERE grantee = $2\n`,
            params: [target, roleOid],
            source: src(GRANT_FILE, `${caller} → readRolePrivileges → ${args.objectType === "database" ? "readDatabaseRolePrivileges" : "readSchemaRolePrivileges"}`),
            why: "the privileges the provider stores (a different set shows as drift on the next up)",
            expect: { kind: "privileges", privileges: expectedGrantedPrivileges(args) },
        });
        steps.push(this.txEnd(db, session, "ROLLBACK", src(GRANT_FILE, "readRolePrivileges (deferred deferredRollback)"), "end the read-only transaction"));
        return steps;
    }

    /** getRolesToGrant: none for database; the schema's owner (pg_database_owner resolved) for schema. */
    private rolesToGrant(steps: Step[], db: string, session: string, args: GrantInputs): string[] {
        if (args.objectType === "database") {
            return [];
        }
        const schema = args.schema!;
        const schemaOwner = this.schemaOwners.get(db)?.get(schema);
        if (schemaOwner === undefined) {
            throw new Error(`facts.schemaOwners.${db}.${schema} is needed: the provider looks the schema's owner up`);
        }
        steps.push({
            kind: "query",
            database: db,
            session,
            inTransaction: true,
            sql: "\nSELECT rolname\n  FROM pg_namespace\n  JOIN pg_roles ON nspowner = pg_roles.oid\n  WHERE nspname = $1\n",
            params: [schema],
            source: src(HELPERS_FILE, "getSchemaOwner (via getRolesToGrant)"),
            why: "the schema's owner is the role the provider will temporarily join",
            expect: { kind: "firstRow", fields: { rolname: schemaOwner } },
        });
        if (schemaOwner !== "pg_database_owner") {
            return [schemaOwner];
        }
        const dbOwner = this.databaseOwners.get(db);
        if (dbOwner === undefined) {
            throw new Error(`facts.databaseOwners.${db} is needed: schema ${schema} belongs to pg_database_owner`);
        }
        steps.push({
            kind: "query",
            database: db,
            session,
            inTransaction: true,
            sql: "\nSELECT rolname\n  FROM pg_database\n  JOIN pg_roles ON datdba = pg_roles.oid\n  WHERE datname = current_database()\n",
            source: src(HELPERS_FILE, "getDatabaseOwner (via resolveOwners)"),
            why: "pg_database_owner stands for the current database's owner",
            expect: { kind: "firstRow", fields: { rolname: dbOwner } },
        });
        return [dbOwner];
    }

    /** helpers.go withRolesGranted, around `body`. */
    private withRolesGranted(steps: Step[], db: string, session: string, roles: string[], body: () => void): void {
        const fn = "withRolesGranted";
        if (roles.length === 0) {
            body();
            return;
        }
        steps.push({
            kind: "query",
            database: db,
            session,
            inTransaction: true,
            sql: "SELECT CURRENT_USER",
            source: src(HELPERS_FILE, `getCurrentUser (via ${fn})`),
            why: "the user the memberships are granted to",
            expect: { kind: "firstRow", fields: { current_user: this.currentUser } },
        });
        const me = this.currentUser;
        if (this.isSuperuser(steps, db, session, me, `isSuperuser (via ${fn})`, "a superuser needs no membership")) {
            body();
            return;
        }
        const granted: string[] = [];
        const revoked: string[] = [];
        for (const role of roles) {
            if (this.isSuperuser(steps, db, session, role, `isSuperuser (via ${fn})`, "a superuser role cannot be granted by a non-superuser: skipped")) {
                continue;
            }
            if (
                this.revokeRoleMembership(steps, db, session, me, role, src(HELPERS_FILE, fn), "break the reverse membership (owner member of the user) that would make the GRANT circular", true)
            ) {
                revoked.push(role);
            }
            if (this.grantRoleMembership(steps, db, session, role, me, src(HELPERS_FILE, fn), "temporarily join the owner of the object", true)) {
                granted.push(role);
            }
        }
        body();
        for (const role of granted) {
            this.revokeRoleMembership(steps, db, session, role, me, src(HELPERS_FILE, fn), "leave the owner again", true);
        }
        for (const role of revoked) {
            steps.push({
                kind: "query",
                database: db,
                session,
                inTransaction: true,
                sql: "SELECT 1 FROM pg_roles WHERE rolname=$1",
                params: [role],
                source: src(HELPERS_FILE, `roleExists (via ${fn})`),
                why: "only restore the reverse membership if the role still exists",
                expect: { kind: "exists", value: true },
            });
            this.grantRoleMembership(steps, db, session, me, role, src(HELPERS_FILE, fn), "restore the reverse membership", true);
        }
    }

    // --- helpers.go building blocks -------------------------------------------------------------

    private isSuperuser(steps: Step[], db: string, session: string, role: string, fn: string, why: string): boolean {
        const value = this.superusers.has(role);
        steps.push({
            kind: "query",
            database: db,
            session,
            inTransaction: true,
            sql: "SELECT rolsuper FROM pg_roles WHERE rolname = $1",
            params: [role],
            source: src(HELPERS_FILE, fn),
            why,
            expect: { kind: "firstRow", fields: { rolsuper: value } },
        });
        return value;
    }

    /** helpers.go isMemberOfRole: is `member` a direct member of `role` (with SET option on 16+)? */
    private isMemberOfRole(steps: Step[], db: string, session: string, role: string, member: string, caller: string, inTransaction: boolean): boolean {
        const hasSetOption = this.serverMajor >= 16;
        const tx = inTransaction ? { inTransaction: true } : {};
        steps.push({
            kind: "query",
            database: db,
            session,
            ...tx,
            sql: "SELECT 1 FROM information_schema.columns WHERE table_name='pg_auth_members' AND column_name = 'set_option'",
            source: src(HELPERS_FILE, `isMemberOfRole (via ${caller})`),
            why: "does pg_auth_members have set_option (PostgreSQL 16+)",
            expect: { kind: "exists", value: hasSetOption },
        });
        const isMember = this.memberships.some(
            (m) => m.role === role && m.member === member && (!hasSetOption || (m.setOption ?? true)),
        );
        steps.push({
            kind: "query",
            database: db,
            session,
            ...tx,
            sql:
                "SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2" +
                (hasSetOption ? " AND set_option" : ""),
            params: [role, member],
            source: src(HELPERS_FILE, `isMemberOfRole (via ${caller})`),
            why: `is ${member} already a direct member of ${role}`,
            expect: { kind: "exists", value: isMember },
        });
        return isMember;
    }

    /** helpers.go grantRoleMembership(role, member): GRANT role TO member unless equal or member already. */
    private grantRoleMembership(steps: Step[], db: string, session: string, role: string, member: string, source: string, why: string, inTransaction: boolean): boolean {
        if (member === role) {
            return false;
        }
        if (this.isMemberOfRole(steps, db, session, role, member, "grantRoleMembership", inTransaction)) {
            return false;
        }
        steps.push({
            kind: "exec",
            database: db,
            session,
            ...(inTransaction ? { inTransaction: true } : {}),
            sql: `GRANT ${pqQuoteIdentifier(role)} TO ${pqQuoteIdentifier(member)}`,
            source: `${source} → ${src(HELPERS_FILE, "grantRoleMembership")}`,
            why,
        });
        this.memberships.push({ role, member, setOption: true });
        return true;
    }

    /** helpers.go revokeRoleMembership(role, member): REVOKE role FROM member if equal-not and member. */
    private revokeRoleMembership(steps: Step[], db: string, session: string, role: string, member: string, source: string, why: string, inTransaction: boolean): boolean {
        if (member === role) {
            return false;
        }
        if (!this.isMemberOfRole(steps, db, session, role, member, "revokeRoleMembership", inTransaction)) {
            return false;
        }
        steps.push({
            kind: "exec",
            database: db,
            session,
            ...(inTransaction ? { inTransaction: true } : {}),
            sql: `REVOKE ${pqQuoteIdentifier(role)} FROM ${pqQuoteIdentifier(member)}`,
            source: `${source} → ${src(HELPERS_FILE, "revokeRoleMembership")}`,
            why,
        });
        // Simplification: every row for the pair goes (PostgreSQL 16+ revokes the current
        // grantor's row only; the provider's own GRANT was made by the same user).
        this.memberships = this.memberships.filter((m) => !(m.role === role && m.member === member));
        return true;
    }

    /** helpers.go pgLockRole. */
    private lockRole(steps: Step[], db: string, session: string, role: string): void {
        const source = src(HELPERS_FILE, "pgLockRole");
        const base = { kind: "exec" as const, database: db, session, inTransaction: true, source };
        steps.push(
            { ...base, sql: "SET statement_timeout = 0", why: "no statement timeout while waiting for the advisory locks" },
            {
                ...base,
                sql: "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1",
                params: [role],
                why: `serialize with other provider operations on role ${role}`,
            },
            {
                ...base,
                sql: "SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1",
                params: [role],
                why: `… and on the members of ${role}`,
            },
        );
    }

    /** helpers.go pgLockDatabase. */
    private lockDatabase(steps: Step[], db: string, session: string, database: string): void {
        const source = src(HELPERS_FILE, "pgLockDatabase");
        const base = { kind: "exec" as const, database: db, session, inTransaction: true, source };
        steps.push(
            { ...base, sql: "SET statement_timeout = 0", why: "no statement timeout while waiting for the advisory lock" },
            {
                ...base,
                sql: "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1",
                params: [database],
                why: `serialize with other provider operations on database ${database}`,
            },
        );
    }

    /** config.go Client.Connect: a new pool (per DSN, i.e. per database) fingerprints the server. */
    private connect(steps: Step[], database: string): void {
        if (this.openPools === undefined || this.openPools.has(database)) {
            return;
        }
        this.openPools.add(database);
        steps.push({
            kind: "query",
            database,
            session: database,
            sql: "SELECT VERSION()",
            source: src(CONFIG_FILE, "Client.Connect → fingerprintCapabilities"),
            why: "first connection of this provider process to this database: read the server version (feature flags)",
            expect: { kind: "any" },
        });
    }

    /** database/sql Begin with lib/pq: a new connection from the pool, `BEGIN`. */
    private begin(steps: Step[], database: string, source: string, why: string): string {
        const session = `${database}:tx${++this.txCounter}`;
        steps.push({ kind: "exec", database, session, inTransaction: true, sql: "BEGIN", source, why });
        return session;
    }

    private txEnd(database: string, session: string, sql: "COMMIT" | "ROLLBACK", source: string, why: string): Step {
        return { kind: "exec", database, session, inTransaction: true, sql, source, why };
    }
}

// ---------------------------------------------------------------------------------------------
// Statement text.

/** createDatabase's CREATE DATABASE, byte for byte (Go fmt.Fprint/Fprintf spacing included). */
export function createDatabaseSql(args: DatabaseInputs, username: string): string {
    let sql = `CREATE DATABASE ${pqQuoteIdentifier(args.name)}`;
    // No owner configured: the connecting username (getDatabaseUsername), explicitly.
    sql += ` OWNER ${pqQuoteIdentifier(isSet(args.owner) ? args.owner : username)}`;
    if (isSet(args.template)) {
        sql += goUpper(args.template) === "DEFAULT" ? " TEMPLATE DEFAULT" : ` TEMPLATE ${pqQuoteIdentifier(args.template)}`;
    } else {
        sql += " TEMPLATE template0";
    }
    if (isSet(args.encoding)) {
        sql += goUpper(args.encoding) === "DEFAULT" ? " ENCODING DEFAULT" : ` ENCODING '${pqQuoteLiteral(args.encoding)}' `;
    } else {
        sql += " ENCODING 'UTF8'";
    }
    if (isSet(args.lcCollate)) {
        sql += goUpper(args.lcCollate) === "DEFAULT" ? " LC_COLLATE DEFAULT" : ` LC_COLLATE '${pqQuoteLiteral(args.lcCollate)}' `;
    }
    if (isSet(args.lcCtype)) {
        sql += goUpper(args.lcCtype) === "DEFAULT" ? " LC_CTYPE DEFAULT" : ` LC_CTYPE '${pqQuoteLiteral(args.lcCtype)}' `;
    }
    if (isSet(args.tablespaceName)) {
        sql += goUpper(args.tablespaceName) === "DEFAULT" ? " TABLESPACE DEFAULT" : ` TABLESPACE ${pqQuoteIdentifier(args.tablespaceName)}`;
    }
    sql += ` ALLOW_CONNECTIONS ${args.allowConnections ?? true}`;
    sql += ` CONNECTION LIMIT ${args.connectionLimit ?? -1}`;
    sql += ` IS_TEMPLATE ${args.isTemplate ?? false}`;
    return sql;
}

/** createRevokeQuery (getter = d.Get on create). */
export function revokeAllSql(args: GrantInputs): string {
    switch (args.objectType) {
        case "database":
            return `REVOKE ALL PRIVILEGES ON DATABASE ${pqQuoteIdentifier(args.database)} FROM ${pqQuoteIdentifier(args.role)}`;
        case "schema":
            return `REVOKE ALL PRIVILEGES ON SCHEMA ${pqQuoteIdentifier(args.schema ?? "")} FROM ${pqQuoteIdentifier(args.role)}`;
        default:
            throw new Error(`object type ${args.objectType} is not modelled`);
    }
}

/** createGrantQuery, privileges already in set order. */
export function grantSql(args: GrantInputs, orderedPrivileges: readonly string[]): string {
    const privileges = orderedPrivileges.join(",");
    let sql: string;
    switch (args.objectType) {
        case "database":
            sql = `GRANT ${privileges} ON DATABASE ${pqQuoteIdentifier(args.database)} TO ${pqQuoteIdentifier(args.role)}`;
            break;
        case "schema":
            sql = `GRANT ${privileges} ON SCHEMA ${pqQuoteIdentifier(args.schema ?? "")} TO ${pqQuoteIdentifier(args.role)}`;
            break;
        default:
            throw new Error(`object type ${args.objectType} is not modelled`);
    }
    return args.withGrantOption ? `${sql} WITH GRANT OPTION` : sql;
}

/**
 * The provider's checks before any SQL (schema ValidateFunc, resourcePostgreSQLGrantCreateOrUpdate,
 * validatePrivileges); returns the privileges in set order.
 */
function validateGrant(args: GrantInputs): string[] {
    if (!ALLOWED_OBJECT_TYPES.includes(args.objectType)) {
        throw new Error(`expected object_type to be one of ${JSON.stringify(ALLOWED_OBJECT_TYPES)}, got ${args.objectType}`);
    }
    if (!(args.objectType in ALLOWED_PRIVILEGES)) {
        throw new Error(`object type ${args.objectType} is not modelled (only database and schema)`);
    }
    if (!isSet(args.database) || !isSet(args.role)) {
        throw new Error("Grant.database and Grant.role are required");
    }
    if (!isSet(args.schema) && args.objectType === "schema") {
        throw new Error("parameter 'schema' is mandatory for postgresql_grant resource");
    }
    if ((args.objects?.length ?? 0) > 0) {
        throw new Error("cannot specify `objects` when `object_type` is `database` or `schema`");
    }
    const allowed = ALLOWED_PRIVILEGES[args.objectType]!;
    for (const privilege of args.privileges) {
        if (!allowed.includes(privilege)) {
            throw new Error(`${privilege} is not an allowed privilege for object type ${args.objectType}`);
        }
    }
    return terraformStringSetOrder(args.privileges);
}

/** What the read-back must find for the provider to store exactly the inputs (resourcePrivilegesEqual). */
function expectedGrantedPrivileges(args: GrantInputs): string[] {
    if (args.privileges.includes("ALL")) {
        return ALLOWED_PRIVILEGES[args.objectType]!.filter((p) => p !== "ALL");
    }
    return [...new Set(args.privileges)];
}

// ---------------------------------------------------------------------------------------------
// Convenience entry points and replay.

/** Steps of `postgresql.Database` create, for a fresh plan (no earlier steps). */
export function databaseCreateSteps(args: DatabaseInputs, ctx: ProviderContext): Step[] {
    return new BridgedProviderPlan(ctx).createDatabase(args);
}

/** Steps of `postgresql.Grant` create, for a fresh plan (the database already exists in `facts`). */
export function grantCreateSteps(args: GrantInputs, ctx: ProviderContext): Step[] {
    return new BridgedProviderPlan(ctx).createGrant(args);
}

/** Our three resources, in the order Pulumi creates them (the grants depend on the database). */
export function kongResourcesCreateSteps(
    resources: { readonly database: DatabaseInputs; readonly databaseGrant: GrantInputs; readonly schemaGrant: GrantInputs },
    ctx: ProviderContext,
): { readonly database: Step[]; readonly databaseGrant: Step[]; readonly schemaGrant: Step[] } {
    const plan = new BridgedProviderPlan(ctx);
    return {
        database: plan.createDatabase(resources.database),
        databaseGrant: plan.createGrant(resources.databaseGrant),
        schemaGrant: plan.createGrant(resources.schemaGrant),
    };
}

function sameValue(actual: unknown, expected: unknown): boolean {
    if (typeof expected === "number" && typeof actual === "string") {
        return actual === String(expected); // node-pg returns some integer types as text
    }
    return actual === expected;
}

/**
 * Checks a query's rows against what the plan assumed. Returns undefined when they agree, or a
 * message saying how the server differs.
 */
export function checkRows(step: Step, rows: readonly Row[]): string | undefined {
    const expect = step.expect;
    if (expect === undefined || expect.kind === "any") {
        return undefined;
    }
    switch (expect.kind) {
        case "exists":
            return (rows.length > 0) === expect.value
                ? undefined
                : `expected ${expect.value ? "a row" : "no row"}, got ${rows.length}`;
        case "firstRow": {
            const first = rows[0];
            if (first === undefined) {
                return "expected a row, got none";
            }
            const wrong = Object.entries(expect.fields).filter(([column, value]) => !sameValue(first[column], value));
            return wrong.length === 0
                ? undefined
                : wrong.map(([column, value]) => `${column}: expected ${JSON.stringify(value)}, got ${JSON.stringify(first[column])}`).join("; ");
        }
        case "privileges": {
            const raw = rows[0]?.array_agg;
            const got = raw === null || raw === undefined ? [] : (raw as unknown[]).map(String);
            const want = new Set(expect.privileges);
            const same = new Set(got).size === want.size && got.every((p) => want.has(p));
            return same ? undefined : `expected privileges ${JSON.stringify([...want].sort())}, got ${JSON.stringify([...got].sort())}`;
        }
    }
}

/** Runs one step's SQL with resolved params on the connection for `step.session`; returns the rows. */
export type StepRunner = (step: Step, params: readonly (string | number)[]) => Promise<readonly Row[]>;

export class ReplayError extends Error {
    constructor(
        message: string,
        readonly index: number,
        readonly step: Step,
        override readonly cause?: unknown,
    ) {
        super(message);
        this.name = "ReplayError";
    }
}

/**
 * Replays `steps` in order through `run`, resolving captured params and checking every query's rows.
 * Throws a ReplayError at the first failing statement or the first result that contradicts the
 * plan's facts.
 */
export async function replay(steps: readonly Step[], run: StepRunner): Promise<void> {
    const captures = new Map<string, string | number>();
    for (const [index, step] of steps.entries()) {
        const params = (step.params ?? []).map((p) => {
            if (typeof p !== "object") return p;
            const value = captures.get(p.capture);
            if (value === undefined) {
                throw new ReplayError(`step ${index}: no captured value ${p.capture}`, index, step);
            }
            return value;
        });
        let rows: readonly Row[];
        try {
            rows = await run(step, params);
        } catch (err) {
            throw new ReplayError(`step ${index} (${step.source}) failed: ${step.sql.trim()}: ${String(err)}`, index, step, err);
        }
        if (step.kind === "query") {
            const mismatch = checkRows(step, rows);
            if (mismatch !== undefined) {
                throw new ReplayError(
                    `step ${index} (${step.source}): the server disagrees with the plan's facts (${step.why}): ${mismatch}`,
                    index,
                    step,
                );
            }
        }
        if (step.capture) {
            const value = rows[0]?.[step.capture.column];
            if (typeof value !== "string" && typeof value !== "number") {
                throw new ReplayError(`step ${index}: no value in column ${step.capture.column} to capture`, index, step);
            }
            captures.set(step.capture.name, value);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Facts for the Azure emulation.

export interface AzureFactsOptions {
    /** The Entra administrator's role (the provider username), e.g. "Kong Deployers". */
    readonly administrator: string;
    /** Kong's role. */
    readonly kongRole: string;
    readonly serverMajor: number;
    /**
     * "stock": nothing more; "documented": Kong's role is granted to azure_pg_admin WITH ADMIN
     * OPTION, INHERIT FALSE, SET FALSE (as test/support/azurePostgres.ts emulates it).
     */
    readonly reading: "stock" | "documented";
    /**
     * Owner of schema `public` in the databases the plan creates. The provider clones template0,
     * which is pristine on stock PostgreSQL (15+: `pg_database_owner`); Azure reportedly hands
     * `public` of new databases to azure_pg_admin. Whether that holds for template0 clones is not
     * documented: replay both.
     */
    readonly publicSchemaOwner: "azure_pg_admin" | "pg_database_owner";
    /** Databases the plan creates (their `public` owner is `publicSchemaOwner`). */
    readonly databases: readonly string[];
}

/** ServerFacts for a server emulating Azure's role model (REFERENCE "Entra roles inside PostgreSQL"). */
export function azureFacts(o: AzureFactsOptions): ServerFacts {
    const memberships: Membership[] = [{ role: "azure_pg_admin", member: o.administrator }];
    if (o.reading === "documented") {
        memberships.push({ role: o.kongRole, member: "azure_pg_admin", setOption: false });
    }
    return {
        serverMajor: o.serverMajor,
        superusers: ["azuresu"],
        memberships,
        databaseOwners: { postgres: "azuresu" },
        schemaOwners: {
            postgres: { public: "azure_pg_admin" },
            ...Object.fromEntries(o.databases.map((db) => [db, { public: o.publicSchemaOwner }])),
        },
    };
}
