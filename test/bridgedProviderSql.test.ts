// Pure tests of test/support/bridgedProviderSql.ts: they pin the statements the bridged provider
// (@pulumi/postgresql 3.18.1 = cyrilgdn/terraform-provider-postgresql v1.27.0) runs for our three
// resources, so that any change to the model — or to what we pass — shows up here. The replay of
// these steps against the Azure emulation lives with the database-backed suites.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import { KONG_DATABASE_PRIVILEGES, KONG_SCHEMA_PRIVILEGES } from "../components/kongDatabase";
import {
    azureFacts,
    BridgedProviderPlan,
    checkRows,
    crc32Ieee,
    createDatabaseSql,
    databaseCreateSteps,
    grantCreateSteps,
    kongResourcesCreateSteps,
    pqQuoteIdentifier,
    pqQuoteLiteral,
    replay,
    ReplayError,
    terraformStringSetOrder,
    type DatabaseInputs,
    type GrantInputs,
    type Row,
    type ServerFacts,
    type Step,
} from "./support/bridgedProviderSql";

const ADMIN = "Kong Deployers";
const KONG = "kong-identity-dev";

// What components/kongDatabase.ts passes.
const database: DatabaseInputs = { name: "kong", encoding: "UTF8", allowConnections: true };
const databaseGrant: GrantInputs = { database: "kong", role: KONG, objectType: "database", privileges: [...KONG_DATABASE_PRIVILEGES] };
const schemaGrant: GrantInputs = { database: "kong", role: KONG, schema: "public", objectType: "schema", privileges: [...KONG_SCHEMA_PRIVILEGES] };

function facts(overrides: Partial<Parameters<typeof azureFacts>[0]> = {}): ServerFacts {
    return azureFacts({
        administrator: ADMIN,
        kongRole: KONG,
        serverMajor: 16,
        reading: "stock",
        publicSchemaOwner: "azure_pg_admin",
        databases: ["kong"],
        ...overrides,
    });
}

/**
 * The statements only, as "session | SQL [params]" lines: what the pins compare. Line breaks and
 * the indentation after them (the Go source's multi-line queries) become one space; every other
 * character, double spaces included, is kept.
 */
function lines(steps: readonly Step[]): string[] {
    return steps.map((s) => {
        const params = s.params?.length ? ` ${JSON.stringify(s.params)}` : "";
        return `${s.session} | ${s.sql.replace(/\s*\n\s*/g, " ").trim()}${params}`;
    });
}

const READ_FROM = "FROM pg_catalog.pg_database AS d, pg_catalog.pg_tablespace AS ts WHERE d.datname = $1 AND d.dattablespace = ts.oid";
const DATABASE_READ = [
    `postgres | SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) from pg_database d WHERE datname=$1 ["kong"]`,
    `postgres | SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname, d.datconnlimit ${READ_FROM} ["kong"]`,
    `postgres | SELECT d.datallowconn ${READ_FROM} ["kong"]`,
    `postgres | SELECT d.datistemplate ${READ_FROM} ["kong"]`,
];
const OUR_CREATE_DATABASE =
    `CREATE DATABASE "kong" OWNER "Kong Deployers" TEMPLATE template0 ENCODING 'UTF8'  ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`;
const MEMBER_COLUMN_CHECK = "SELECT 1 FROM information_schema.columns WHERE table_name='pg_auth_members' AND column_name = 'set_option'";
const MEMBER_CHECK = "SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2 AND set_option";
const LOCK_KONG = [
    "kong:tx1 | SET statement_timeout = 0",
    `kong:tx1 | SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1 ["${KONG}"]`,
    `kong:tx1 | SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1 ["${KONG}"]`,
];
const readBack = (acl: string, catalog: string, key: string, target: string) => [
    "kong:tx2 | BEGIN",
    `kong:tx2 | SELECT oid FROM pg_roles WHERE rolname = $1 ["${KONG}"]`,
    `kong:tx2 | SELECT array_agg(privilege_type) FROM ( SELECT (aclexplode(${acl})).* FROM ${catalog} WHERE ${key}=$1 ) as privileges WHERE grantee = $2 ["${target}",{"capture":"roleOid1"}]`,
    "kong:tx2 | ROLLBACK",
];

describe("postgresql.Database create (no owner, as the program declares it)", () => {
    it("runs one CREATE DATABASE owned by the provider username, then reads the database back", () => {
        const steps = databaseCreateSteps(database, { username: ADMIN, facts: facts() });
        assert.deepEqual(lines(steps), [`postgres | ${OUR_CREATE_DATABASE}`, ...DATABASE_READ]);
        assert.ok(steps.every((s) => s.database === "postgres" && !s.inTransaction));
        assert.match(steps[0]!.source, /^resource_postgresql_database\.go createDatabase \(v1\.27\.0\)$/);
    });

    it("touches no role membership and is the same under both readings and for both public owners", () => {
        const variants = (["stock", "documented"] as const).flatMap((reading) =>
            (["azure_pg_admin", "pg_database_owner"] as const).map((publicSchemaOwner) =>
                lines(databaseCreateSteps(database, { username: ADMIN, facts: facts({ reading, publicSchemaOwner }) })),
            ),
        );
        for (const v of variants) assert.deepEqual(v, variants[0]);
        assert.ok(!variants[0]!.some((l) => /\bGRANT\b|\bREVOKE\b|pg_auth_members/.test(l)));
    });

    it("expects the read-back to store exactly the inputs (no drift, no ForceNew replacement)", () => {
        const steps = databaseCreateSteps(database, { username: ADMIN, facts: facts() });
        assert.deepEqual(steps.slice(1).map((s) => s.expect), [
            { kind: "firstRow", fields: { datname: "kong", pg_get_userbyid: ADMIN } },
            { kind: "firstRow", fields: { datconnlimit: -1, pg_encoding_to_char: "UTF8" } },
            { kind: "firstRow", fields: { datallowconn: true } },
            { kind: "firstRow", fields: { datistemplate: false } },
        ]);
    });

    it("builds the same statement whether template0/UTF8 are left to the provider's defaults or spelled out", () => {
        // Only the quoting of template0 differs: the provider quotes what you pass.
        assert.equal(
            createDatabaseSql({ name: "kong" }, ADMIN),
            `CREATE DATABASE "kong" OWNER "Kong Deployers" TEMPLATE template0 ENCODING 'UTF8' ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`,
        );
        assert.equal(
            createDatabaseSql({ name: "kong", template: "template0", encoding: "UTF8", allowConnections: true, connectionLimit: -1, isTemplate: false }, ADMIN),
            `CREATE DATABASE "kong" OWNER "Kong Deployers" TEMPLATE "template0" ENCODING 'UTF8'  ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`,
        );
        // "" is "unset" to Go's GetOk.
        assert.equal(createDatabaseSql({ name: "kong", owner: "", template: "", encoding: "" }, ADMIN), createDatabaseSql({ name: "kong" }, ADMIN));
    });

    it("adds LC_COLLATE / LC_CTYPE / TABLESPACE only when set, and DEFAULT keywords in any case", () => {
        assert.equal(
            createDatabaseSql({ name: "k", encoding: "default", lcCollate: "C", lcCtype: "Default", tablespaceName: "pg_default", connectionLimit: 5, allowConnections: false, isTemplate: true }, "a"),
            `CREATE DATABASE "k" OWNER "a" TEMPLATE template0 ENCODING DEFAULT LC_COLLATE 'C'  LC_CTYPE DEFAULT TABLESPACE "pg_default" ALLOW_CONNECTIONS false CONNECTION LIMIT 5 IS_TEMPLATE true`,
        );
    });

    it("rejects what the provider's schema rejects", () => {
        assert.throws(() => databaseCreateSteps({ name: "kong", connectionLimit: -2 }, { username: ADMIN, facts: facts() }), /≥ -1/);
        assert.throws(() => databaseCreateSteps({ name: "" }, { username: ADMIN, facts: facts() }), /name is required/);
    });
});

describe("postgresql.Database create with owner = Kong's role (what the program must not declare)", () => {
    it("wraps the CREATE in GRANT kong TO admin / REVOKE, under advisory locks on the admin", () => {
        const steps = databaseCreateSteps({ ...database, owner: KONG }, { username: ADMIN, facts: facts() });
        assert.deepEqual(lines(steps), [
            "postgres:tx1 | BEGIN",
            "postgres:tx1 | SET statement_timeout = 0",
            `postgres:tx1 | SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1 ["${ADMIN}"]`,
            `postgres:tx1 | SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1 ["${ADMIN}"]`,
            `postgres | ${MEMBER_COLUMN_CHECK}`,
            `postgres | ${MEMBER_CHECK} ["${KONG}","${ADMIN}"]`,
            `postgres | GRANT "${KONG}" TO "${ADMIN}"`,
            `postgres | CREATE DATABASE "kong" OWNER "${KONG}" TEMPLATE template0 ENCODING 'UTF8'  ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`,
            `postgres | ${MEMBER_COLUMN_CHECK}`,
            `postgres | ${MEMBER_CHECK} ["${KONG}","${ADMIN}"]`,
            `postgres | REVOKE "${KONG}" FROM "${ADMIN}"`,
            "postgres:tx1 | ROLLBACK",
            ...DATABASE_READ,
        ]);
        // The GRANT runs on the autocommit pool, not in the lock transaction.
        assert.equal(steps.find((s) => s.sql.startsWith("GRANT"))!.inTransaction, undefined);
    });

    it("grants nothing when the owner is the username, or when the admin is already a SET-able member", () => {
        assert.ok(!lines(databaseCreateSteps({ name: "kong", owner: ADMIN }, { username: ADMIN, facts: facts() })).some((l) => /GRANT|REVOKE/.test(l)));
        const member = { ...facts(), memberships: [{ role: KONG, member: ADMIN }] };
        assert.ok(!lines(databaseCreateSteps({ name: "kong", owner: KONG }, { username: ADMIN, facts: member })).some((l) => /GRANT|REVOKE/.test(l)));
        // A SET FALSE membership does not count on 16+ (the provider appends AND set_option) …
        const noSet = { ...facts(), memberships: [{ role: KONG, member: ADMIN, setOption: false }] };
        assert.ok(lines(databaseCreateSteps({ name: "kong", owner: KONG }, { username: ADMIN, facts: noSet })).includes(`postgres | GRANT "${KONG}" TO "${ADMIN}"`));
        // … but does on 15, where the column does not exist.
        const pg15 = { ...noSet, serverMajor: 15 };
        const steps15 = lines(databaseCreateSteps({ name: "kong", owner: KONG }, { username: ADMIN, facts: pg15 }));
        assert.ok(!steps15.some((l) => /GRANT|REVOKE/.test(l)));
        assert.ok(steps15.includes(`postgres | SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2 ["${KONG}","${ADMIN}"]`));
    });
});

describe("postgresql.Grant on database kong (CONNECT, CREATE, TEMPORARY)", () => {
    it("locks, revokes all, grants in Terraform set order, commits, reads back — no membership helper", () => {
        const steps = grantCreateSteps(databaseGrant, { username: ADMIN, facts: facts() });
        assert.deepEqual(lines(steps), [
            "kong:tx1 | BEGIN",
            ...LOCK_KONG,
            "kong:tx1 | SET statement_timeout = 0",
            `kong:tx1 | SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1 ["kong"]`,
            `kong:tx1 | REVOKE ALL PRIVILEGES ON DATABASE "kong" FROM "${KONG}"`,
            `kong:tx1 | GRANT CONNECT,CREATE,TEMPORARY ON DATABASE "kong" TO "${KONG}"`,
            "kong:tx1 | COMMIT",
            ...readBack("datacl", "pg_database", "datname", "kong"),
        ]);
        assert.ok(steps.every((s) => s.database === "kong" && s.inTransaction));
        assert.deepEqual(steps.at(-2)!.expect, { kind: "privileges", privileges: ["CONNECT", "CREATE", "TEMPORARY"] });
        // Identical under every reading / public owner / superuser status of anyone but the grant path.
        for (const f of [facts({ reading: "documented" }), facts({ publicSchemaOwner: "pg_database_owner" })]) {
            assert.deepEqual(lines(grantCreateSteps(databaseGrant, { username: ADMIN, facts: f })), lines(steps));
        }
    });
});

describe("postgresql.Grant on schema public in kong (CREATE, USAGE)", () => {
    const tail = [
        `kong:tx1 | REVOKE ALL PRIVILEGES ON SCHEMA "public" FROM "${KONG}"`,
        `kong:tx1 | GRANT CREATE,USAGE ON SCHEMA "public" TO "${KONG}"`,
        "kong:tx1 | COMMIT",
        ...readBack("nspacl", "pg_namespace", "nspname", "public"),
    ];

    it("public owned by azure_pg_admin (Azure): checks the admin's membership, grants none", () => {
        const steps = grantCreateSteps(schemaGrant, { username: ADMIN, facts: facts() });
        assert.deepEqual(lines(steps), [
            "kong:tx1 | BEGIN",
            ...LOCK_KONG,
            `kong:tx1 | SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1 ["public"]`,
            "kong:tx1 | SELECT CURRENT_USER",
            `kong:tx1 | SELECT rolsuper FROM pg_roles WHERE rolname = $1 ["${ADMIN}"]`,
            `kong:tx1 | SELECT rolsuper FROM pg_roles WHERE rolname = $1 ["azure_pg_admin"]`,
            // reverse relation: is azure_pg_admin a member of the admin? (no)
            `kong:tx1 | ${MEMBER_COLUMN_CHECK}`,
            `kong:tx1 | ${MEMBER_CHECK} ["${ADMIN}","azure_pg_admin"]`,
            // is the admin a member of azure_pg_admin with SET? (yes: no GRANT)
            `kong:tx1 | ${MEMBER_COLUMN_CHECK}`,
            `kong:tx1 | ${MEMBER_CHECK} ["azure_pg_admin","${ADMIN}"]`,
            ...tail,
        ]);
        assert.deepEqual(steps.map((s) => s.expect).filter((e) => e?.kind === "exists" && e !== undefined).slice(0, 4), [
            { kind: "exists", value: true },
            { kind: "exists", value: false },
            { kind: "exists", value: true },
            { kind: "exists", value: true },
        ]);
        // The documented reading adds kong → azure_pg_admin (SET FALSE), which none of this reads.
        assert.deepEqual(lines(grantCreateSteps(schemaGrant, { username: ADMIN, facts: facts({ reading: "documented" }) })), lines(steps));
    });

    it("public owned by pg_database_owner (stock template0): resolves to the database owner = the admin, no membership checks", () => {
        const plan = kongResourcesCreateSteps({ database, databaseGrant, schemaGrant }, { username: ADMIN, facts: facts({ publicSchemaOwner: "pg_database_owner" }) });
        const tx = (n: number) => (l: string) => l.replace(/kong:tx\d/, `kong:tx${n}`);
        assert.deepEqual(lines(plan.schemaGrant), [
            "kong:tx3 | BEGIN",
            ...LOCK_KONG.map(tx(3)),
            `kong:tx3 | SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1 ["public"]`,
            "kong:tx3 | SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid WHERE datname = current_database()",
            "kong:tx3 | SELECT CURRENT_USER",
            `kong:tx3 | SELECT rolsuper FROM pg_roles WHERE rolname = $1 ["${ADMIN}"]`,
            `kong:tx3 | SELECT rolsuper FROM pg_roles WHERE rolname = $1 ["${ADMIN}"]`,
            ...tail.slice(0, 3).map(tx(3)),
            ...readBack("nspacl", "pg_namespace", "nspname", "public").map(tx(4)).map((l) => l.replace("roleOid1", "roleOid2")),
        ]);
        // The database owner comes from the simulated CREATE DATABASE (owned by the username).
        assert.deepEqual(plan.schemaGrant[5]!.expect, { kind: "firstRow", fields: { rolname: ADMIN } });
    });

    it("would temporarily GRANT azure_pg_admin to the admin if its membership lacked SET (16+), then REVOKE it", () => {
        const f = { ...facts(), memberships: [{ role: "azure_pg_admin", member: ADMIN, setOption: false }] };
        const l = lines(grantCreateSteps(schemaGrant, { username: ADMIN, facts: f }));
        const grant = l.indexOf(`kong:tx1 | GRANT "azure_pg_admin" TO "${ADMIN}"`);
        const revoke = l.indexOf(`kong:tx1 | REVOKE "azure_pg_admin" FROM "${ADMIN}"`);
        const schemaGrantAt = l.indexOf(`kong:tx1 | GRANT CREATE,USAGE ON SCHEMA "public" TO "${KONG}"`);
        assert.ok(grant > 0 && grant < schemaGrantAt && schemaGrantAt < revoke, l.join("\n"));
    });

    it("temporarily breaks a reverse membership (owner member of the admin) and restores it", () => {
        const f: ServerFacts = { ...facts(), schemaOwners: { kong: { public: "owner_role" } }, memberships: [{ role: ADMIN, member: "owner_role" }] };
        const l = lines(grantCreateSteps(schemaGrant, { username: ADMIN, facts: f })).filter((x) => /GRANT|REVOKE|pg_roles WHERE rolname=\$1/.test(x));
        assert.deepEqual(l, [
            `kong:tx1 | REVOKE "${ADMIN}" FROM "owner_role"`,
            `kong:tx1 | GRANT "owner_role" TO "${ADMIN}"`,
            `kong:tx1 | REVOKE ALL PRIVILEGES ON SCHEMA "public" FROM "${KONG}"`,
            `kong:tx1 | GRANT CREATE,USAGE ON SCHEMA "public" TO "${KONG}"`,
            `kong:tx1 | REVOKE "owner_role" FROM "${ADMIN}"`,
            `kong:tx1 | SELECT 1 FROM pg_roles WHERE rolname=$1 ["owner_role"]`,
            `kong:tx1 | GRANT "${ADMIN}" TO "owner_role"`,
        ]);
    });

    it("skips every membership step for a superuser connection, and for a superuser owner", () => {
        const su = lines(grantCreateSteps(schemaGrant, { username: ADMIN, facts: { ...facts(), superusers: [ADMIN] } }));
        assert.ok(!su.some((l) => l.includes("pg_auth_members WHERE")));
        assert.equal(su.filter((l) => l.includes("rolsuper")).length, 1);
        const suOwner = lines(grantCreateSteps(schemaGrant, { username: ADMIN, facts: { ...facts(), schemaOwners: { kong: { public: "azuresu" } } } }));
        assert.ok(!suOwner.some((l) => l.includes("pg_auth_members WHERE")));
        assert.equal(suOwner.filter((l) => l.includes("rolsuper")).length, 2);
    });
});

describe("exact text of the multi-line queries (Go raw strings: newlines and a tab kept)", () => {
    it("pins the schema-owner look-up and the privilege read-back byte for byte", () => {
        const steps = grantCreateSteps(schemaGrant, { username: ADMIN, facts: facts() });
        assert.ok(steps.some((s) => s.sql === "\nSELECT rolname\n  FROM pg_namespace\n  JOIN pg_roles ON nspowner = pg_roles.oid\n  WHERE nspname = $1\n"));
        assert.equal(
            steps.at(-2)!.sql,
            "\nSELECT array_agg(privilege_type)\nFROM (\n\tSELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname=$1\n) as privileges\nWHERE grantee = $2\n",
        );
        assert.match(steps.at(-2)!.source, /^resource_postgresql_grant\.go .*readSchemaRolePrivileges \(v1\.27\.0\)$/);
        for (const step of steps) assert.match(step.source, /\.go .+ \(v1\.27\.0\)/);
    });
});

describe("Terraform set order of privileges", () => {
    it("is the decimal CRC-32 text sorted as strings, whatever order the program uses", () => {
        for (const word of ["CONNECT", "CREATE", "TEMPORARY", "USAGE", "ALL", "kön 🚀", ""]) {
            assert.equal(crc32Ieee(word), zlib.crc32(word));
        }
        assert.deepEqual(terraformStringSetOrder(["TEMPORARY", "CREATE", "CONNECT", "CREATE"]), ["CONNECT", "CREATE", "TEMPORARY"]);
        // Numerically USAGE (666868928) < CREATE (2133731197); as text "2…" < "6…".
        assert.deepEqual(terraformStringSetOrder(["USAGE", "CREATE"]), ["CREATE", "USAGE"]);
    });
});

describe("quoting of hostile names", () => {
    it("pqQuoteIdentifier doubles quotes, keeps everything else, cuts at NUL (lib/pq)", () => {
        assert.equal(pqQuoteIdentifier("kong"), '"kong"');
        assert.equal(pqQuoteIdentifier('a"b'), '"a""b"');
        assert.equal(pqQuoteIdentifier(`x"; DROP ROLE y; --`), `"x""; DROP ROLE y; --"`);
        assert.equal(pqQuoteIdentifier("Kong Deployers"), '"Kong Deployers"');
        assert.equal(pqQuoteIdentifier("kön 🚀\\n"), '"kön 🚀\\n"');
        assert.equal(pqQuoteIdentifier("ab\0cd"), '"ab"');
    });

    it("pqQuoteLiteral doubles quotes and backslashes for a plain '…' literal", () => {
        assert.equal(pqQuoteLiteral("UTF8"), "UTF8");
        assert.equal(pqQuoteLiteral("it's"), "it''s");
        assert.equal(pqQuoteLiteral("a\\b"), "a\\\\b");
    });

    it("every identifier in our statements goes through it, values go as bind parameters", () => {
        const evilRole = `k"; DROP DATABASE kong; --`;
        const evilAdmin = `adm"in`;
        const evilDb = `ko"ng`;
        const f: ServerFacts = { ...azureFacts({ administrator: evilAdmin, kongRole: evilRole, serverMajor: 17, reading: "stock", publicSchemaOwner: "azure_pg_admin", databases: [evilDb] }) };
        const plan = kongResourcesCreateSteps(
            {
                database: { name: evilDb, encoding: "UT'F8" },
                databaseGrant: { ...databaseGrant, database: evilDb, role: evilRole },
                schemaGrant: { ...schemaGrant, database: evilDb, role: evilRole, schema: `pu"blic` },
            },
            { username: evilAdmin, facts: { ...f, schemaOwners: { [evilDb]: { [`pu"blic`]: "azure_pg_admin" } } } },
        );
        assert.equal(plan.database[0]!.sql, `CREATE DATABASE "ko""ng" OWNER "adm""in" TEMPLATE template0 ENCODING 'UT''F8'  ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`);
        assert.ok(plan.databaseGrant.some((s) => s.sql === `GRANT CONNECT,CREATE,TEMPORARY ON DATABASE "ko""ng" TO "k""; DROP DATABASE kong; --"`));
        assert.ok(plan.schemaGrant.some((s) => s.sql === `REVOKE ALL PRIVILEGES ON SCHEMA "pu""blic" FROM "k""; DROP DATABASE kong; --"`));
        assert.ok(plan.schemaGrant.some((s) => s.sql.startsWith("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles") && s.params?.[0] === evilRole));
        // No statement carries a raw hostile value outside quotes: strip quoted parts and look.
        for (const step of [...plan.database, ...plan.databaseGrant, ...plan.schemaGrant]) {
            const unquoted = step.sql.replace(/"(?:[^"]|"")*"/g, "").replace(/'(?:[^']|'')*'/g, "");
            assert.doesNotMatch(unquoted, /DROP|ko|adm|pu/, step.sql);
        }
    });
});

describe("grant validation mirrors the provider's", () => {
    const ctx = { username: ADMIN, facts: facts() };
    it("rejects unknown privileges, missing schema, objects, unknown object types", () => {
        assert.throws(() => grantCreateSteps({ ...databaseGrant, privileges: ["TEMP"] }, ctx), /TEMP is not an allowed privilege for object type database/);
        assert.throws(() => grantCreateSteps({ ...databaseGrant, privileges: ["connect"] }, ctx), /not an allowed privilege/);
        assert.throws(() => grantCreateSteps({ ...schemaGrant, schema: undefined }, ctx), /'schema' is mandatory/);
        assert.throws(() => grantCreateSteps({ ...schemaGrant, objects: ["x"] }, ctx), /cannot specify `objects`/);
        assert.throws(() => grantCreateSteps({ ...schemaGrant, objectType: "Schema" }, ctx), /expected object_type/);
        assert.throws(() => grantCreateSteps({ ...schemaGrant, objectType: "table" }, ctx), /not modelled/);
    });

    it("adds WITH GRANT OPTION, and treats ALL as the full set when reading back", () => {
        const steps = grantCreateSteps({ ...databaseGrant, privileges: ["ALL"], withGrantOption: true }, ctx);
        assert.ok(steps.some((s) => s.sql === `GRANT ALL ON DATABASE "kong" TO "${KONG}" WITH GRANT OPTION`));
        assert.deepEqual(steps.at(-2)!.expect, { kind: "privileges", privileges: ["CREATE", "CONNECT", "TEMPORARY"] });
    });
});

describe("provider process: fingerprints and refresh", () => {
    it("runs SELECT VERSION() once per database pool per provider process", () => {
        const openPools = new Set<string>();
        const plan = new BridgedProviderPlan({ username: ADMIN, facts: facts(), openPools });
        const all = [...plan.createDatabase(database), ...plan.createGrant(databaseGrant), ...plan.createGrant(schemaGrant)];
        assert.deepEqual(
            all.filter((s) => s.sql === "SELECT VERSION()").map((s) => s.session),
            ["postgres", "kong"],
        );
        assert.equal(all[0]!.sql, "SELECT VERSION()");
        assert.deepEqual([...openPools], ["postgres", "kong"]);
    });

    it("refresh reads without writing", () => {
        const plan = new BridgedProviderPlan({ username: ADMIN, facts: { ...facts(), databaseOwners: { kong: ADMIN } } });
        const steps = [...plan.refreshDatabase(database), ...plan.refreshGrant(databaseGrant), ...plan.refreshGrant(schemaGrant)];
        assert.ok(steps.every((s) => /^(SELECT|BEGIN|ROLLBACK|\s)/.test(s.sql)), lines(steps).join("\n"));
        assert.deepEqual(lines(plan.refreshGrant(schemaGrant)).slice(0, 6), [
            `postgres | SELECT datname FROM pg_database WHERE datname=$1 ["kong"]`,
            "kong:tx6 | BEGIN",
            `kong:tx6 | SELECT 1 FROM pg_roles WHERE rolname=$1 ["${KONG}"]`,
            `kong:tx6 | SELECT 1 FROM pg_namespace WHERE nspname=$1 ["public"]`,
            "kong:tx6 | ROLLBACK",
            "kong:tx7 | BEGIN",
        ]);
    });
});

describe("replay", () => {
    /** A fake server answering each query with rows that satisfy the plan's expectations. */
    function agreeable(step: Step): Row[] {
        const e = step.expect;
        if (step.capture) return [{ [step.capture.column]: 16384 }];
        if (!e || e.kind === "any") return [];
        if (e.kind === "exists") return e.value ? [{ "?column?": 1 }] : [];
        if (e.kind === "firstRow") return [{ ...e.fields }];
        return [{ array_agg: [...e.privileges].reverse() }];
    }

    it("runs every step in order, resolving captured params", async () => {
        const steps = kongResourcesCreateSteps({ database, databaseGrant, schemaGrant }, { username: ADMIN, facts: facts() });
        const all = [...steps.database, ...steps.databaseGrant, ...steps.schemaGrant];
        const seen: { sql: string; params: readonly (string | number)[] }[] = [];
        await replay(all, async (step, params) => {
            seen.push({ sql: step.sql, params });
            return agreeable(step);
        });
        assert.equal(seen.length, all.length);
        assert.deepEqual(seen.find((s) => s.sql.includes("aclexplode(datacl)"))!.params, ["kong", 16384]);
    });

    it("stops at a result that contradicts the facts, and at a failing statement", async () => {
        const steps = grantCreateSteps(schemaGrant, { username: ADMIN, facts: facts() });
        await assert.rejects(
            replay(steps, async (step) => (step.sql.startsWith("\nSELECT rolname") ? [{ rolname: "pg_database_owner" }] : agreeable(step))),
            (err: unknown) => err instanceof ReplayError && /rolname: expected "azure_pg_admin", got "pg_database_owner"/.test(err.message),
        );
        await assert.rejects(
            replay(steps, async (step) => {
                if (step.sql.startsWith("GRANT")) throw new Error("permission denied for schema public");
                return agreeable(step);
            }),
            (err: unknown) => err instanceof ReplayError && err.step.sql.startsWith("GRANT CREATE,USAGE") && /permission denied/.test(err.message),
        );
    });

    it("checkRows compares privileges as sets and integers also as text", () => {
        const [step] = grantCreateSteps(databaseGrant, { username: ADMIN, facts: facts() }).filter((s) => s.expect?.kind === "privileges");
        assert.equal(checkRows(step!, [{ array_agg: ["CREATE", "TEMPORARY", "CONNECT"] }]), undefined);
        assert.match(checkRows(step!, [{ array_agg: null }])!, /got \[\]/);
        const read = databaseCreateSteps(database, { username: ADMIN, facts: facts() })[2]!;
        assert.equal(checkRows(read, [{ pg_encoding_to_char: "UTF8", datconnlimit: "-1" }]), undefined);
        assert.match(checkRows(read, [{ pg_encoding_to_char: "SQL_ASCII", datconnlimit: -1 }])!, /pg_encoding_to_char/);
    });
});
