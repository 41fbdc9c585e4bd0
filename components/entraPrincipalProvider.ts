// The dynamic provider behind EntraPrincipal: Kong's PostgreSQL role on the Azure primary, mapped
// to Kong's Microsoft Entra service principal (or managed identity).
//
// Pulumi serializes this object, with everything its functions reach, into the resource's
// `__provider` input, i.e. into the stack's state, and its provider host later loads that text
// with `requireFromString(text).handler()` in a plain Node process (no TypeScript loader, cwd =
// the project). Hence:
// - no credential, token or secret is ever captured: a token is fetched at the start of each
//   operation, lives in one local variable for that operation, and is never returned or stored;
// - `pg` and `@azure/identity` are `require`d inside the functions (a required package is
//   resolved by the host from the project's node_modules instead of being serialized);
// - only type imports and ./sql (plain functions, serialized by value) come from this project;
// - no environment switch or test hook: tests run exactly this code (see test/support/).

import type * as pulumi from "@pulumi/pulumi";
import type { Client, ClientConfig, QueryResultRow } from "pg";
import { quoteIdent, quoteLiteral } from "./sql";

/** Inputs after check(): what create/update receive and what the state keeps as outputs. */
export interface EntraPrincipalProps {
    host: string;
    port: number;
    administratorName: string;
    roleName: string;
    objectId: string;
    acknowledgeIdentityChange?: string;
}

/** Azure Database for PostgreSQL's token audience (REFERENCE: "Entra roles inside PostgreSQL"). */
const OSSRDBMS_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";
/** The value Pulumi puts in place of an input not known yet during a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const DEFAULT_PORT = 5432;
/** Config key the program maps to `acknowledgeIdentityChange`. */
const ACK_CONFIG_KEY = "kongIdentityChangeAcknowledged";
/** Config key holding the address ranges allowed through the server's firewall for deployers. */
const FIREWALL_CONFIG_KEY = "deployerIpRanges";
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Connection retries: a freshly created server may not resolve or accept connections for a moment
// (DNS not yet published, "the database system is starting up" = 57P03). Bounded: at most five
// attempts with 7.5 s of waiting in between, and no new attempt after 30 s (a firewall that
// drops packets makes each attempt last the connect timeout); then a message that names the
// likely cause (the firewall).
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];
const RETRY_BUDGET_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 60_000;
const TRANSIENT_CODES = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EAI_AGAIN",
    "ENOTFOUND",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EPIPE",
    "57P03", // cannot_connect_now: starting up / shutting down
    "53300", // too_many_connections
];

type Failure = pulumi.dynamic.CheckFailure;
type Rows = QueryResultRow[];

interface PgError extends Error {
    code?: string;
    detail?: string;
    hint?: string;
}

function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

function sameObjectId(a: string | undefined, b: string | undefined): boolean {
    return (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
}

/** A role name is also a quoted identifier: reuse sql.ts's rules (empty, NUL, 63 bytes). */
function identifierProblem(value: string): string | undefined {
    try {
        quoteIdent(value);
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

/** Validates and normalizes inputs (defaults the port, lower-cases object ids). */
function validate(news: Record<string, unknown>): { inputs: EntraPrincipalProps; failures: Failure[] } {
    const failures: Failure[] = [];
    const inputs = { ...news } as Record<string, unknown>;

    const host = news.host;
    if (!isUnknown(host)) {
        if (typeof host !== "string" || host.trim() === "") {
            failures.push({ property: "host", reason: "host must be the server's fully qualified domain name" });
        } else if (/[\s/:@]/.test(host)) {
            failures.push({ property: "host", reason: `host must be a bare DNS name (no scheme, port or path), got "${host}"` });
        }
    }

    let port = news.port;
    if (port === undefined || port === null || port === "") {
        port = DEFAULT_PORT;
    } else if (!isUnknown(port)) {
        port = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
        if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
            failures.push({ property: "port", reason: `port must be an integer from 1 to 65535, got ${JSON.stringify(news.port)}` });
        }
    }
    inputs.port = port;

    for (const key of ["administratorName", "roleName"] as const) {
        const value = news[key];
        if (isUnknown(value)) {
            continue;
        }
        if (typeof value !== "string" || value === "") {
            failures.push({ property: key, reason: `${key} must be a non-empty string` });
            continue;
        }
        const problem = identifierProblem(value);
        if (problem) {
            failures.push({ property: key, reason: `${key} is not usable as a PostgreSQL role name: ${problem}` });
        }
    }
    if (
        typeof news.roleName === "string" &&
        typeof news.administratorName === "string" &&
        !isUnknown(news.roleName) &&
        news.roleName === news.administratorName
    ) {
        failures.push({
            property: "roleName",
            reason: "Kong's role must not be the deployment administrator: Kong would run as an Entra administrator of the server",
        });
    }

    const uuidFailure = (key: string, value: unknown): Failure => ({
        property: key,
        reason: `${key} must be an Entra object id (a UUID such as 00000000-0000-0000-0000-000000000000), got ${JSON.stringify(value)}`,
    });
    const objectId = news.objectId;
    if (!isUnknown(objectId)) {
        if (typeof objectId === "string" && UUID_SHAPE.test(objectId)) {
            inputs.objectId = objectId.toLowerCase();
        } else {
            failures.push(uuidFailure("objectId", objectId));
        }
    }
    const ack = news.acknowledgeIdentityChange;
    if (ack === undefined || ack === null || ack === "") {
        delete inputs.acknowledgeIdentityChange;
    } else if (!isUnknown(ack)) {
        if (typeof ack === "string" && UUID_SHAPE.test(ack)) {
            inputs.acknowledgeIdentityChange = ack.toLowerCase();
        } else {
            failures.push(uuidFailure("acknowledgeIdentityChange", ack));
        }
    }
    return { inputs: inputs as unknown as EntraPrincipalProps, failures };
}

/** A name for the old role when the new identity keeps its display name (fits in 63 bytes). */
function retiredName(roleName: string, objectId: string): string {
    const candidate = `${roleName}-retired`;
    return Buffer.byteLength(candidate, "utf8") <= 63 ? candidate : `retired-${objectId.slice(0, 8)}`;
}

/** The runbook returned by check() when Kong's identity would change without acknowledgement. */
function identityChangeRunbook(olds: EntraPrincipalProps, news: EntraPrincipalProps): string {
    const oldRole = quoteIdent(olds.roleName);
    const newRole = quoteIdent(news.roleName);
    const admin = quoteIdent(news.administratorName);
    const sameName = olds.roleName === news.roleName;
    // With the same name the old role must move out of the way first (role names are unique).
    const old = sameName ? quoteIdent(retiredName(olds.roleName, olds.objectId)) : oldRole;
    const lines = [
        `Kong's PostgreSQL identity would change: role ${oldRole} (Entra object ${olds.objectId}) -> ` +
            `role ${newRole} (Entra object ${news.objectId}). This needs an operator, so it is refused until acknowledged.`,
        "",
        "What `pulumi up` will do once acknowledged:",
    ];
    if (sameName) {
        lines.push(
            `  - PostgreSQL role names are unique, so ${oldRole} cannot be created for the new identity while the old ` +
                `one exists: rename the old role first (step 0), or give the new identity another display name;`,
            `  - create ${newRole} for the new identity and point Kong at it. The old resource's delete then finds no ` +
                `role of its own named ${oldRole} and leaves ${old} alone: it keeps owning Kong's tables (Kong's ` +
                `migrations created them) until step 3 and stays until step 4. No data is deleted.`,
        );
    } else {
        lines.push(
            `  - create role ${newRole} for the new identity and point Kong at it;`,
            `  - then try to drop role ${oldRole}. It still owns Kong's tables (Kong's migrations created them), so the ` +
                `drop is refused and reported as a failed delete; no data is deleted.`,
        );
    }
    lines.push(
        `  Until the tables' ownership is handed over, Kong's new role cannot use them: do step 3 right after the up (or stop Kong first).`,
        "",
        "Steps:",
    );
    if (sameName) {
        lines.push(`  0. as ${admin} (needs ADMIN OPTION on ${oldRole}): ALTER ROLE ${oldRole} RENAME TO ${old};`);
    }
    lines.push(
        `  1. pulumi config set ${ACK_CONFIG_KEY} ${news.objectId}`,
        "  2. pulumi up",
        `  3. as an operator holding the privileges of both roles (e.g. ${admin} after GRANT ${old} TO ${admin}; ` +
            `GRANT ${newRole} TO ${admin}; this needs ADMIN OPTION on both roles, which Azure's Entra administrators may lack ` +
            `on PostgreSQL 16+), in Kong's database and in every other database where ${old} owns objects:`,
        `       REASSIGN OWNED BY ${old} TO ${newRole};`,
        `       DROP OWNED BY ${old};`,
        sameName
            ? `  4. drop the old role: DROP ROLE ${old};`
            : `  4. drop the old role: DROP ROLE ${old};  (or run \`pulumi up\` again, which drops it once it owns nothing)`,
    );
    return lines.join("\n");
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function isTransient(err: PgError): boolean {
    if (err.code && TRANSIENT_CODES.includes(err.code)) {
        return true;
    }
    // node-pg reports a dropped or timed-out connection attempt without a code.
    return /Connection terminated (unexpectedly|due to connection timeout)|timeout expired/i.test(err.message ?? "");
}

function errorText(err: PgError): string {
    // Node reports a host with several addresses (IPv4 and IPv6) that all refuse as an
    // AggregateError with an empty message.
    const nested = (err as { errors?: unknown }).errors;
    const message =
        err.message || (Array.isArray(nested) ? nested.map((x) => (x as Error).message).join("; ") : "") || String(err);
    const parts = [err.code ? `${err.code}: ${message}` : message];
    if (err.detail) {
        parts.push(`(${err.detail})`);
    }
    return parts.join(" ");
}

/** Turns a failed connection attempt into a message that says what to check. */
function connectFailure(p: EntraPrincipalProps, database: string, err: PgError, attempts: number, elapsedMs: number): Error {
    const where = `PostgreSQL at ${p.host}:${p.port} (database "${database}", user ${quoteIdent(p.administratorName)})`;
    const firewall =
        `The machine running \`pulumi up\` must be in the server's firewall allow-list: add its public IP address ` +
        `to config \`${FIREWALL_CONFIG_KEY}\`, and check the host name and port.`;
    if (isTransient(err)) {
        return new Error(
            `Cannot reach ${where}: ${errorText(err)} (${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s). ${firewall}`,
        );
    }
    if (err.code === "28000" && /pg_hba|not allowed|firewall/i.test(err.message ?? "")) {
        return new Error(`${where} refused this client: ${errorText(err)}. ${firewall}`);
    }
    if (err.code === "28P01" || err.code === "28000") {
        return new Error(
            `${where} rejected the Microsoft Entra token: ${errorText(err)}. administratorName must be the principal name ` +
                `of an Entra administrator of the server (a group's display name for a group), and the identity ` +
                `DefaultAzureCredential signed in as must be that principal or a member of that group.`,
        );
    }
    if (/cert|self.signed|altname|verify|ssl|tls/i.test(`${err.code ?? ""} ${err.message ?? ""}`)) {
        return new Error(
            `TLS with ${where} failed: ${errorText(err)}. The server certificate is always verified: it must chain to a ` +
                `root Node trusts (its bundled roots, or NODE_EXTRA_CA_CERTS) and name ${p.host}.`,
        );
    }
    return new Error(`Connecting to ${where} failed: ${errorText(err)}`);
}

/** A Microsoft Entra access token for the deployer, fetched now and never kept beyond one operation. */
async function fetchToken(p: EntraPrincipalProps): Promise<string> {
    const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
    try {
        const token = await new DefaultAzureCredential().getToken(OSSRDBMS_SCOPE);
        if (!token?.token) {
            throw new Error("no token returned");
        }
        return token.token;
    } catch (err) {
        throw new Error(
            `Could not get a Microsoft Entra token for ${OSSRDBMS_SCOPE} with DefaultAzureCredential, to sign in to ` +
                `${p.host} as ${quoteIdent(p.administratorName)}: ${(err as Error).message}. Sign in as that administrator ` +
                `(or a member of it, if it is a group), e.g. with \`az login\`.`,
        );
    }
}

/** Opens a verified-TLS connection, retrying transient failures a bounded number of times. */
async function connect(p: EntraPrincipalProps, database: string, password: string): Promise<Client> {
    const pg = require("pg") as typeof import("pg");
    const net = require("node:net") as typeof import("node:net");
    const config: ClientConfig = {
        host: p.host,
        port: p.port,
        database,
        user: p.administratorName,
        password,
        // Never weakened: verify the chain (system roots + NODE_EXTRA_CA_CERTS) and the host name.
        // TLS forbids an IP address as server name (RFC 6066); node then checks the IP itself.
        ssl: { rejectUnauthorized: true, servername: net.isIP(p.host) ? undefined : p.host },
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        query_timeout: QUERY_TIMEOUT_MS,
        application_name: "pulumi kong-entra-postgres",
    };
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
        const client = new pg.Client(config);
        // A connection lost later surfaces through the failing query; do not crash the host.
        client.on("error", () => undefined);
        try {
            await client.connect();
            return client;
        } catch (err) {
            await client.end().catch(() => undefined);
            const e = err as PgError;
            const delay = RETRY_DELAYS_MS[attempt - 1];
            if (!isTransient(e) || delay === undefined || Date.now() - started + delay > RETRY_BUDGET_MS) {
                throw connectFailure(p, database, e, attempt, Date.now() - started);
            }
            await sleep(delay);
        }
    }
}

interface Session {
    /** Runs SQL on the connection to database `postgres`. */
    query(sql: string): Promise<Rows>;
    /** Runs `work` on a connection to another database, with the same token. */
    inDatabase<T>(database: string, work: (query: (sql: string) => Promise<Rows>) => Promise<T>): Promise<T>;
}

/** Signs in to database `postgres` as the administrator with a fresh token and runs `work`. */
async function withServer<T>(p: EntraPrincipalProps, work: (s: Session) => Promise<T>): Promise<T> {
    const token = await fetchToken(p);
    const client = await connect(p, "postgres", token);
    const session: Session = {
        query: async (sql) => (await client.query(sql)).rows,
        inDatabase: async (database, inner) => {
            const other = await connect(p, database, token);
            try {
                return await inner(async (sql) => (await other.query(sql)).rows);
            } finally {
                await other.end().catch(() => undefined);
            }
        },
    };
    try {
        return await work(session);
    } finally {
        await client.end().catch(() => undefined);
    }
}

interface Principal {
    roleName: string;
    principalType: string;
    objectId: string;
}

/**
 * Entra principals whose role name or object id matches. Columns are taken BY POSITION through a
 * column alias list: Azure documents the first column both as `rolname` and as `rolename`.
 */
async function findPrincipals(s: Session, roleName: string, objectId: string): Promise<Principal[]> {
    let rows: Rows;
    try {
        rows = await s.query(
            `SELECT p.role_name::text AS role_name, p.principal_type::text AS principal_type, p.object_id::text AS object_id
               FROM pgaadauth_list_principals(false) AS p(role_name, principal_type, object_id)
              WHERE p.role_name::text = ${quoteLiteral(roleName)}
                 OR pg_catalog.lower(p.object_id::text) = pg_catalog.lower(${quoteLiteral(objectId)})`,
        );
    } catch (err) {
        const e = err as PgError;
        if (e.code === "42883") {
            throw new Error(
                `pgaadauth_list_principals is missing in database "postgres": Microsoft Entra authentication must be ` +
                    `enabled on the server and an Entra administrator must exist before Entra roles can be managed (${errorText(e)})`,
            );
        }
        throw new Error(`Listing the server's Entra principals failed: ${errorText(e)}`);
    }
    return rows.map((r) => ({ roleName: r.role_name, principalType: r.principal_type, objectId: r.object_id }));
}

interface Lookup {
    /** The Entra principal holding the role name, if any. */
    byName?: Principal;
    /** Every Entra principal mapped to the object id. */
    byObjectId: Principal[];
    /** A role of that name exists at all (Entra or not). */
    roleExists: boolean;
}

async function lookup(s: Session, p: EntraPrincipalProps): Promise<Lookup> {
    const principals = await findPrincipals(s, p.roleName, p.objectId);
    const roles = await s.query(`SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = ${quoteLiteral(p.roleName)}`);
    return {
        byName: principals.find((x) => x.roleName === p.roleName),
        byObjectId: principals.filter((x) => sameObjectId(x.objectId, p.objectId)),
        roleExists: roles.length > 0,
    };
}

/** Looks the role up and refuses to go on when the name belongs to another identity or a plain role. */
async function lookupWithoutConflict(s: Session, p: EntraPrincipalProps): Promise<Lookup> {
    const found = await lookup(s, p);
    const conflict = conflictMessage(p, found);
    if (conflict) {
        throw new Error(conflict);
    }
    return found;
}

function conflictMessage(p: EntraPrincipalProps, found: Lookup): string | undefined {
    const role = quoteIdent(p.roleName);
    if (found.byName && !sameObjectId(found.byName.objectId, p.objectId)) {
        return (
            `Role ${role} already exists on ${p.host} for another Entra object (${found.byName.objectId}, type ` +
            `${found.byName.principalType}), not ${p.objectId}. Refusing to take it over. If Kong's identity was replaced ` +
            `and kept its display name, rename the old role first (ALTER ROLE ${role} RENAME TO ...) and hand its objects ` +
            `over (see the ${ACK_CONFIG_KEY} runbook); otherwise check objectId.`
        );
    }
    if (!found.byName && found.roleExists) {
        return (
            `Role ${role} already exists on ${p.host} but is not a Microsoft Entra principal (it is a plain PostgreSQL ` +
            `role, unknown to pgaadauth_list_principals). Refusing to take it over: rename or drop it, or choose another role name.`
        );
    }
    return undefined;
}

function propsOf(p: EntraPrincipalProps): EntraPrincipalProps {
    const out: EntraPrincipalProps = {
        host: p.host,
        port: p.port,
        administratorName: p.administratorName,
        roleName: p.roleName,
        objectId: p.objectId.toLowerCase(),
    };
    if (p.acknowledgeIdentityChange) {
        out.acknowledgeIdentityChange = p.acknowledgeIdentityChange;
    }
    return out;
}

/** Re-validates props coming back from the state (read/update/delete) with the port defaulted. */
function fromState(props: Record<string, unknown>, id?: string): EntraPrincipalProps {
    const p = validate(props).inputs;
    if (!p.objectId && id) {
        p.objectId = id;
    }
    return p;
}

// ---- delete: find what the role owns or holds, refuse while anything would be destroyed ----

const DEPTYPE_TEXT: Record<string, string> = {
    o: "owner of",
    a: "privileges on",
    r: "named in",
    i: "initial privileges on",
};

interface Holdings {
    /** Lines per place ("database \"kong\"", "cluster-wide ..."), each describing one object. */
    places: { place: string; database?: string; lines: string[] }[];
    memberships: string[];
    adminOption: boolean;
}

function describeRows(rows: Rows): string[] {
    const lines = rows.map((r) => `${DEPTYPE_TEXT[r.deptype] ?? `dependency (${r.deptype}) on`} ${r.object}`);
    const limit = 25;
    return lines.length > limit ? [...lines.slice(0, limit), `... and ${lines.length - limit} more`] : lines;
}

/** Everything pg_shdepend records for the role, across all databases, plus its memberships. */
async function holdingsOf(s: Session, roleName: string): Promise<Holdings> {
    const roleOid = `(SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ${quoteLiteral(roleName)})`;
    const ofRole = `s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid = ${roleOid}`;
    const describe = (dbCondition: string) =>
        `SELECT s.deptype::text AS deptype,
                COALESCE(pg_catalog.pg_describe_object(s.classid, s.objid, s.objsubid),
                         s.classid::pg_catalog.regclass::text || ' ' || s.objid::text) AS object
           FROM pg_catalog.pg_shdepend s
          WHERE ${ofRole} AND ${dbCondition}
          ORDER BY 2`;

    const databases = await s.query(
        `SELECT s.dbid::text AS dbid, d.datname::text AS datname, pg_catalog.count(*)::int AS n,
                d.datname = pg_catalog.current_database() AS here
           FROM pg_catalog.pg_shdepend s LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
          WHERE ${ofRole}
          GROUP BY 1, 2, 4 ORDER BY 2 NULLS FIRST`,
    );
    const places: Holdings["places"] = [];
    for (const db of databases) {
        if (db.dbid === "0") {
            const rows = await s.query(describe("s.dbid = 0"));
            places.push({ place: "cluster-wide (databases, tablespaces, role memberships)", lines: describeRows(rows) });
            continue;
        }
        const inThisDb = describe(
            "s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())",
        );
        let lines: string[];
        try {
            lines = describeRows(db.here ? await s.query(inThisDb) : await s.inDatabase(db.datname, (q) => q(inThisDb)));
        } catch (err) {
            lines = [`${db.n} objects (could not connect to describe them: ${(err as Error).message.split("\n")[0]})`];
        }
        places.push({ place: `database ${quoteIdent(db.datname)}`, database: db.datname, lines });
    }

    const memberRows = await s.query(
        `SELECT r.rolname::text AS role, m.rolname::text AS member, g.rolname::text AS grantor, a.admin_option
           FROM pg_catalog.pg_auth_members a
           JOIN pg_catalog.pg_roles r ON r.oid = a.roleid
           JOIN pg_catalog.pg_roles m ON m.oid = a.member
           LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantor
          WHERE r.rolname = ${quoteLiteral(roleName)} OR m.rolname = ${quoteLiteral(roleName)}
          ORDER BY 1, 2`,
    );
    const memberships = memberRows.map(
        (r) =>
            `${quoteIdent(r.member)} is a member of ${quoteIdent(r.role)}${r.admin_option ? " WITH ADMIN OPTION" : ""}` +
            (r.grantor ? ` (granted by ${quoteIdent(r.grantor)})` : ""),
    );
    const admin = await s.query(
        `SELECT pg_catalog.pg_has_role(CURRENT_USER, ${quoteLiteral(roleName)}, 'MEMBER WITH ADMIN OPTION') AS admin_option`,
    );
    return { places, memberships, adminOption: admin[0]?.admin_option === true };
}

function operatorStatements(p: EntraPrincipalProps, h: Holdings): string[] {
    const role = quoteIdent(p.roleName);
    const admin = quoteIdent(p.administratorName);
    const databases = h.places.filter((x) => x.database).map((x) => x.database as string);
    if (databases.length === 0) {
        databases.push("postgres"); // cluster-wide entries are handled from any database
    }
    const lines = [
        `  -- as ${admin}, once, to act with the privileges of ${role} (needs ADMIN OPTION on ${role}; ` +
            `${admin} ${h.adminOption ? "holds it on this server" : "does NOT hold it on this server: ask someone who does (on Azure: Microsoft support)"}):`,
        `  GRANT ${role} TO ${admin};`,
    ];
    for (const db of databases) {
        lines.push(
            `  -- connected to database ${quoteIdent(db)}:`,
            `  REASSIGN OWNED BY ${role} TO ${admin};  -- or to Kong's new role, to keep its tables usable`,
            `  DROP OWNED BY ${role};  -- now only revokes the privileges granted to ${role}`,
        );
    }
    lines.push(
        `  -- finally, in any database (or run \`pulumi up\`/\`pulumi destroy\` again, which drops it once nothing blocks):`,
        `  DROP ROLE ${role};`,
    );
    return lines;
}

function holdingsText(h: Holdings): string[] {
    const lines: string[] = [];
    for (const place of h.places) {
        lines.push(`  ${place.place}:`, ...place.lines.map((l) => `    ${l}`));
    }
    if (h.memberships.length > 0) {
        lines.push("  role memberships (removed together with the role; listed for information):", ...h.memberships.map((m) => `    ${m}`));
    }
    return lines;
}

const KEEP_THE_ROLE =
    "Or keep the role and stop managing it from this stack: `pulumi state delete <this resource's URN>` " +
    "(the role and its objects stay on the server).";

async function dropRole(s: Session, p: EntraPrincipalProps): Promise<void> {
    const role = quoteIdent(p.roleName);
    const holdings = await holdingsOf(s, p.roleName);
    if (holdings.places.length > 0) {
        throw new Error(
            [
                `Refusing to drop role ${role} (Entra object ${p.objectId}) on ${p.host}: it still owns or holds privileges ` +
                    `on the objects below, and deleting it must never destroy data. Nothing was changed.`,
                ...holdingsText(holdings),
                "An operator can hand them over and then drop the role:",
                ...operatorStatements(p, holdings),
                KEEP_THE_ROLE,
            ].join("\n"),
        );
    }
    try {
        await s.query(`DROP ROLE ${role}`);
    } catch (err) {
        const e = err as PgError;
        if (e.code === "42501") {
            throw new Error(
                [
                    `PostgreSQL refused to drop role ${role} on ${p.host}: ${errorText(e)} Nothing was changed.`,
                    holdings.adminOption
                        ? `${quoteIdent(p.administratorName)} holds ADMIN OPTION on ${role}, so this is not PostgreSQL's own ` +
                          `CREATEROLE rule; the server's message above says what refused it.`
                        : `Why: from PostgreSQL 16 on, a role with CREATEROLE that is not a superuser (Azure's Entra ` +
                          `administrator ${quoteIdent(p.administratorName)} is one) may drop only roles on which it holds ` +
                          `ADMIN OPTION. ${role} was created by pgaadauth_create_principal_with_oid, which runs as Azure's own ` +
                          `superuser; Microsoft documents that azure_pg_admin members can manage such roles, but this server ` +
                          `does not give ${quoteIdent(p.administratorName)} that option (stock PostgreSQL 16+ behaviour).`,
                    `What an operator can do: have a role holding ADMIN OPTION on ${role} (on Azure: Microsoft support) run`,
                    `  DROP ROLE ${role};`,
                    `in any database, then run \`pulumi up\` again (deleting an absent role succeeds). ${KEEP_THE_ROLE}`,
                ].join("\n"),
            );
        }
        if (e.code === "2BP01") {
            const now = await holdingsOf(s, p.roleName);
            throw new Error(
                [
                    `PostgreSQL refused to drop role ${role}: ${errorText(e)} Nothing was changed.`,
                    ...holdingsText(now),
                    "An operator can hand them over and then drop the role:",
                    ...operatorStatements(p, now),
                    KEEP_THE_ROLE,
                ].join("\n"),
            );
        }
        throw new Error(`Dropping role ${role} on ${p.host} failed: ${errorText(e)}`);
    }
}

/** The dynamic provider. See EntraPrincipal for the contract. */
export const entraPrincipalProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const { inputs, failures } = validate(news);
        const old = olds as Partial<EntraPrincipalProps>;
        const existing = typeof old.roleName === "string" && typeof old.objectId === "string";
        const known = [inputs.roleName, inputs.objectId, inputs.administratorName].every((v) => typeof v === "string" && !isUnknown(v));
        if (failures.length === 0 && existing && known) {
            const changed = old.roleName !== inputs.roleName || !sameObjectId(old.objectId, inputs.objectId);
            const acknowledged = sameObjectId(inputs.acknowledgeIdentityChange, inputs.objectId);
            if (changed && !acknowledged) {
                failures.push({
                    property: sameObjectId(old.objectId, inputs.objectId) ? "roleName" : "objectId",
                    reason: identityChangeRunbook(old as EntraPrincipalProps, inputs),
                });
            }
        }
        return { inputs: inputs as unknown as Record<string, unknown>, failures };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        const o = olds as Partial<EntraPrincipalProps>;
        const n = news as Partial<EntraPrincipalProps>;
        const differs = (a: unknown, b: unknown, fold = false) =>
            isUnknown(b) || (fold ? String(a ?? "").toLowerCase() !== String(b ?? "").toLowerCase() : (a ?? "") !== (b ?? ""));
        const replaces: string[] = [];
        if (differs(o.roleName, n.roleName)) replaces.push("roleName");
        if (differs(o.objectId, n.objectId, true)) replaces.push("objectId");
        if (differs(o.host, n.host, true)) replaces.push("host");
        const updates = ["administratorName", "acknowledgeIdentityChange"].filter((k) =>
            differs((o as Record<string, unknown>)[k], (n as Record<string, unknown>)[k]),
        );
        if (differs(o.port ?? DEFAULT_PORT, n.port ?? DEFAULT_PORT)) updates.push("port");
        return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: Record<string, unknown>) {
        const p = propsOf(fromState(inputs));
        return withServer(p, async (s) => {
            const found = await lookupWithoutConflict(s, p);
            if (!found.byName) {
                try {
                    await s.query(
                        `SELECT pgaadauth_create_principal_with_oid(${quoteLiteral(p.roleName)}, ${quoteLiteral(p.objectId)}, ` +
                            `${quoteLiteral("service")}, false, false)`,
                    );
                } catch (err) {
                    const e = err as PgError;
                    const hint = /not found in the tenant/i.test(e.message ?? "")
                        ? " objectId must be the object id of Kong's service principal (Enterprise application) or of its " +
                          "managed identity (principal id), not an application (client) id, and it must live in the server's tenant."
                        : "";
                    throw new Error(`Creating Entra role ${quoteIdent(p.roleName)} for object ${p.objectId} failed: ${errorText(e)}.${hint}`);
                }
                const after = await lookup(s, p);
                if (!after.byName || !sameObjectId(after.byName.objectId, p.objectId)) {
                    throw new Error(
                        `pgaadauth_create_principal_with_oid returned, but pgaadauth_list_principals does not show role ` +
                            `${quoteIdent(p.roleName)} for object ${p.objectId}.`,
                    );
                }
            }
            // Adopted or created: the same outcome, a role mapped to this object id.
            return { id: p.objectId, outs: p };
        });
    },

    async read(id: string, props?: Record<string, unknown>) {
        const p = propsOf(fromState(props ?? {}, id));
        return withServer(p, async (s) => {
            const found = await lookup(s, p);
            if (found.byObjectId.length === 0) {
                return { id: "" }; // gone: Pulumi drops it from the state and the next `up` recreates it
            }
            const principal = found.byObjectId.find((x) => x.roleName === p.roleName) ?? found.byObjectId[0];
            return { id, props: { ...p, roleName: principal.roleName, objectId: principal.objectId.toLowerCase() } };
        });
    },

    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
        const p = propsOf(fromState(news));
        return withServer(p, async (s) => {
            const found = await lookupWithoutConflict(s, p);
            if (!found.byName) {
                throw new Error(
                    `Role ${quoteIdent(p.roleName)} for Entra object ${p.objectId} no longer exists on ${p.host}. ` +
                        `Run \`pulumi refresh\` so that Pulumi notices, and the next \`pulumi up\` recreates it.`,
                );
            }
            return { outs: p };
        });
    },

    async delete(id: string, props: Record<string, unknown>) {
        const p = propsOf(fromState(props, id));
        await withServer(p, async (s) => {
            const found = await lookup(s, p);
            // Only the role this resource made: absent, renamed away, or re-used for another identity
            // means there is nothing of ours to drop.
            if (!found.byName || !sameObjectId(found.byName.objectId, p.objectId)) {
                return;
            }
            await dropRole(s, p);
        });
    },
};
