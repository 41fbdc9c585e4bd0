// The EntraPrincipal lifecycle against a real PostgreSQL that emulates Azure's role model
// (./azurePostgres.ts), in both readings of who may manage roles pgaadauth creates. The provider
// runs from its serialized text in a separate host process (./providerHost.cjs) whose only
// credentials are the emulated managed-identity endpoint and whose only trust in the server's
// certificate is NODE_EXTRA_CA_CERTS: the production code path, unmodified.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { quoteIdent, quoteLiteral } from "../../components/sql";
import { AzurePostgres, type AdminOptionReading, type EntraObject, type PostgresVersion } from "./azurePostgres";
import { ProviderHost } from "./providerHost";
import { serializedEntraPrincipalProvider } from "./serializedProvider";

const HOSTILE_NAMES = [
    'Kong "Gateway"; DROP ROLE "Kong Deployers"; --',
    "kong gateway",
    "O'Reilly\\gw'; SELECT 1; --",
    "Kong-网关-🚀",
    "ß".repeat(31) + "x", // 63 bytes: the longest name PostgreSQL keeps whole
];

const QUOTING_SAMPLES = [
    "plain",
    "O'Reilly",
    "back\\slash",
    "\\'",
    "trailing\\",
    "''",
    'say "hi"',
    "'; DROP TABLE t; --",
    "tab\tnew\nline",
    "E'x'",
    "$$dollar$$",
    "kön 🚀 网关",
];

/**
 * Splits the operator statements out of a refusal message: `-- connected to database "x":`
 * switches database (`-- … in any database …` to postgres); every other indented line up to its first `;` outside double quotes is a
 * statement. Returns [database, statement] pairs, in order.
 */
function operatorStatements(message: string): [string, string][] {
    const out: [string, string][] = [];
    let database = "postgres";
    const section = message.slice(message.indexOf("An operator can hand them over"));
    for (const line of section.split("\n").slice(1)) {
        const connected = /^ {2}-- connected to database "((?:[^"]|"")*)":$/.exec(line);
        if (connected) {
            database = connected[1].replace(/""/g, '"');
            continue;
        }
        if (/^ {2}-- .*in any database/.test(line)) {
            database = "postgres";
            continue;
        }
        if (!line.startsWith("  ") || line.trimStart().startsWith("--")) {
            continue;
        }
        let inQuotes = false;
        for (let i = 2; i < line.length; i++) {
            if (line[i] === '"') inQuotes = !inQuotes;
            if (line[i] === ";" && !inQuotes) {
                out.push([database, line.slice(2, i + 1)]);
                break;
            }
        }
    }
    return out;
}

export function entraPrincipalSuite(version: PostgresVersion): void {
    for (const reading of ["documented", "stock"] as AdminOptionReading[]) {
        describe(`EntraPrincipal on PostgreSQL ${version}, ${reading} reading of ADMIN OPTION`, () => {
            let fx: AzurePostgres;
            let host: ProviderHost;
            let kong: EntraObject;
            /** Everything operations returned or threw: what could reach state or logs. */
            const observed: unknown[] = [];

            const call = async (method: Parameters<ProviderHost["call"]>[0], ...args: unknown[]): Promise<any> => {
                try {
                    const result = await host.call(method, ...args);
                    observed.push(result);
                    return result;
                } catch (err) {
                    observed.push((err as Error).message);
                    throw err;
                }
            };
            const inputsFor = (sp: EntraObject) => ({
                host: fx.host,
                port: fx.port,
                administratorName: fx.administratorName,
                roleName: sp.displayName,
                objectId: sp.objectId,
            });
            const checked = async (sp: EntraObject) => {
                const result = await call("check", {}, inputsFor(sp));
                assert.deepEqual(result.failures, []);
                return result.inputs;
            };
            const roleNames = async () => (await fx.query<{ rolname: string }>("SELECT rolname FROM pg_catalog.pg_roles")).map((r) => r.rolname);
            const asAdmin = (database: string, statements: string[]) =>
                host.runAs({ user: fx.administratorName, host: fx.host, port: fx.port, database, statements });
            const asIdentity = (sp: EntraObject, database: string, statements: string[]) =>
                host.runAs({ user: sp.displayName, clientId: sp.clientId, host: fx.host, port: fx.port, database, statements });

            before(async () => {
                fx = await AzurePostgres.start({ version, reading });
                host = await ProviderHost.start(await serializedEntraPrincipalProvider(), fx.providerEnv());
                kong = await fx.addServicePrincipal("Kong Gateway (prod)");
            });
            after(async () => {
                await host?.stop();
                await fx?.stop();
            });

            it("emulates Azure: TLS only, the admin's role model, pgaadauth only in database postgres", async () => {
                const env = fx.providerEnv();
                assert.deepEqual(Object.keys(env).filter((k) => /^AZURE_|^MSI_|^PG/.test(k)), []);
                assert.ok(env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER && env.NODE_EXTRA_CA_CERTS);
                const plaintext = await fx.tryPlaintext();
                assert.match(String(plaintext?.message), /no encryption/);

                const [admin] = await fx.query(
                    `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
                            pg_has_role(r.oid, 'azure_pg_admin', 'MEMBER') AS in_azure_pg_admin
                       FROM pg_roles r WHERE r.rolname = ${quoteLiteral(fx.administratorName)}`,
                );
                assert.deepEqual(admin, { rolsuper: false, rolcreaterole: true, rolcreatedb: true, rolcanlogin: true, in_azure_pg_admin: true });

                // The admin signs in with its token, creates a database, and finds Azure's layout there.
                await asAdmin("postgres", ["CREATE DATABASE scratch"]);
                const [layout] = await asAdmin("scratch", [
                    "SELECT pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = 'public'",
                ]);
                assert.equal(layout[0].owner, "azure_pg_admin");
                await assert.rejects(asAdmin("scratch", ["SELECT * FROM pgaadauth_list_principals(false)"]), /does not exist/);
                await assert.rejects(
                    asAdmin("postgres", [`SELECT pgaadauth_create_principal_with_oid('ghost', ${quoteLiteral(randomUUID())}, 'service', false, false)`]),
                    /Could not validate AAD user ghost because its name is not found in the tenant/,
                );
                await assert.rejects(asAdmin("postgres", ["SELECT pgaadauth_create_principal('nobody', false, false)"]), /name is not found in the tenant/);
                const [created] = await asAdmin("postgres", [
                    `SELECT pgaadauth_create_principal(${quoteLiteral((await fx.addServicePrincipal("by-name")).displayName)}, false, false) AS r`,
                ]);
                assert.equal(created[0].r, "Created role for by-name");
                await fx.query('DROP ROLE "by-name"');
                await asAdmin("postgres", ["DROP DATABASE scratch"]);
            });

            it("verifies the server certificate: without the CA in NODE_EXTRA_CA_CERTS the provider refuses to connect", async () => {
                const env = fx.providerEnv();
                delete env.NODE_EXTRA_CA_CERTS;
                const untrusting = await ProviderHost.start(await serializedEntraPrincipalProvider(), env);
                try {
                    await assert.rejects(untrusting.call("create", await checked(kong)), (err: Error) => {
                        assert.match(err.message, /^TLS with PostgreSQL at localhost:\d+ .* failed: .*certificate/s);
                        assert.match(err.message, /always verified/);
                        return true;
                    });
                } finally {
                    await untrusting.stop();
                }
                assert.ok(!(await roleNames()).includes(kong.displayName));
            });

            it("round-trips sql.ts quoting through the server, whatever standard_conforming_strings says", async () => {
                for (const scs of ["on", "off"]) {
                    await fx.superuserSession("postgres", async (client) => {
                        await client.query(`SET standard_conforming_strings = ${scs}`);
                        await client.query("SET escape_string_warning = off");
                        for (const sample of QUOTING_SAMPLES) {
                            const result = await client.query(
                                `SELECT ${quoteLiteral(sample)} AS value, quote_literal(${quoteLiteral(sample)}) AS server_quoted, 1 AS ${quoteIdent(sample)}`,
                            );
                            assert.equal(result.rows[0].value, sample, `literal, scs=${scs}`);
                            assert.equal(result.rows[0].server_quoted, quoteLiteral(sample), "same as quote_literal()");
                            assert.equal(result.fields[2].name, sample, `identifier, scs=${scs}`);
                        }
                    });
                }
            });

            it("creates Kong's role, which then signs in with its own token over verified TLS", async () => {
                const inputs = await checked(kong);
                const created = await call("create", inputs);
                assert.equal(created.id, kong.objectId);
                assert.deepEqual(created.outs, { ...inputsFor(kong), objectId: kong.objectId.toLowerCase() });

                const principals = await fx.query("SELECT * FROM pgaadauth_list_principals(false) WHERE objectid = " + quoteLiteral(kong.objectId));
                assert.equal(principals.length, 1);
                assert.equal(principals[0].rolname, kong.displayName);
                assert.equal(principals[0].principaltype, "service");
                assert.equal(principals[0].isadmin, 0);

                const [[session]] = await asIdentity(kong, "postgres", [
                    "SELECT current_user AS who, s.ssl, s.version FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
                ]);
                assert.deepEqual(session, { who: kong.displayName, ssl: true, version: session.version });
                assert.match(session.version, /^TLSv1\.[23]$/);
                const last = fx.tokenRequests.at(-1)!;
                assert.deepEqual([last.selector, last.roleName], ["client_id", kong.displayName]);
                // Another identity's token is not Kong's password.
                await assert.rejects(
                    host.runAs({ user: kong.displayName, host: fx.host, port: fx.port, statements: ["SELECT 1"] }),
                    /password authentication failed/,
                );
            });

            it("adopts the existing role when created again (same object id), with a token fetched for that operation", async () => {
                const adminTokens = () => fx.tokenRequests.filter((r) => r.roleName === fx.administratorName).length;
                const before = adminTokens();
                const again = await call("create", await checked(kong));
                // msal-node caches tokens process-wide; the endpoint's short lifetime defeats that, so
                // each operation's token is fresh and is the password the server expects.
                assert.equal(adminTokens(), before + 1);
                assert.equal(again.id, kong.objectId);
                const principals = await fx.query(`SELECT * FROM pgaadauth_list_principals(false) WHERE rolname = ${quoteLiteral(kong.displayName)}`);
                assert.equal(principals.length, 1);
            });

            it("refuses a role of that name mapped to another object id", async () => {
                const impostor = await fx.addServicePrincipal("kong-impostor");
                const inputs = { ...(await checked(impostor)), roleName: kong.displayName };
                await assert.rejects(call("create", inputs), (err: Error) => {
                    assert.ok(err.message.includes(`Role ${quoteIdent(kong.displayName)} already exists`), err.message);
                    assert.ok(err.message.includes(kong.objectId), err.message);
                    assert.match(err.message, /Refusing to take it over/);
                    return true;
                });
            });

            it("refuses a plain (non-Entra) role of that name", async () => {
                const sp = await fx.addServicePrincipal("plain role; with \"quotes\"");
                await fx.query(`CREATE ROLE ${quoteIdent(sp.displayName)} LOGIN`);
                await assert.rejects(call("create", await checked(sp)), /is not a Microsoft Entra principal/);
                await fx.query(`DROP ROLE ${quoteIdent(sp.displayName)}`);
            });

            it("passes on Azure's error for an object id that is not in the tenant, with a hint", async () => {
                const stranger: EntraObject = { displayName: "kong-stranger", objectId: randomUUID(), clientId: randomUUID(), type: "service" };
                await assert.rejects(call("create", await checked(stranger)), (err: Error) => {
                    assert.match(err.message, /Could not validate AAD user kong-stranger because its name is not found in the tenant/);
                    assert.match(err.message, /not an application \(client\) id/);
                    return true;
                });
                assert.ok(!(await roleNames()).includes("kong-stranger"));
            });

            it("reads the role back on refresh, and update re-verifies it on the server", async () => {
                const state = { ...inputsFor(kong), objectId: kong.objectId };
                const read = await call("read", kong.objectId, state);
                assert.deepEqual(read, { id: kong.objectId, props: state });
                const updated = await call("update", kong.objectId, state, { ...state, acknowledgeIdentityChange: kong.objectId });
                assert.equal(updated.outs.acknowledgeIdentityChange, kong.objectId);
            });

            it("fails an update clearly when the role is not on the server", async () => {
                const ghost = await fx.addServicePrincipal("kong-never-created");
                const state = await checked(ghost);
                await assert.rejects(call("update", ghost.objectId, state, state), /no longer exists on localhost.*pulumi refresh/s);
            });

            it("refuses to delete while the role owns Kong's tables, listing them and the statements", async () => {
                // What the project does: the admin creates database kong and grants Kong's role
                // what it needs; Kong's migrations, signed in as Kong, create its tables.
                const role = quoteIdent(kong.displayName);
                await asAdmin("postgres", ["CREATE DATABASE kong", `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE kong TO ${role}`]);
                await asAdmin("kong", [`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`]);
                await asIdentity(kong, "kong", [
                    "CREATE TABLE services (id bigserial PRIMARY KEY, name text NOT NULL)",
                    "INSERT INTO services (name) VALUES ('example')",
                ]);

                const state = { ...inputsFor(kong), objectId: kong.objectId };
                let message = "";
                await assert.rejects(call("delete", kong.objectId, state), (err: Error) => {
                    message = err.message;
                    return true;
                });
                for (const expected of [
                    `Refusing to drop role ${role}`,
                    "Nothing was changed",
                    'database "kong":',
                    "owner of table services",
                    "owner of sequence services_id_seq",
                    "privileges on schema public",
                    "cluster-wide",
                    "privileges on database kong",
                    `GRANT ${role} TO "Kong Deployers";`,
                    '-- connected to database "kong":',
                    `REASSIGN OWNED BY ${role} TO "Kong Deployers";`,
                    `DROP OWNED BY ${role};`,
                    `DROP ROLE ${role};`,
                    reading === "documented" ? "holds it on this server" : "does NOT hold it on this server",
                ]) {
                    assert.ok(message.includes(expected), `message lacks ${JSON.stringify(expected)}:\n${message}`);
                }
                assert.ok((await roleNames()).includes(kong.displayName));
                assert.deepEqual(await fx.query("SELECT count(*)::int AS n FROM services", "kong"), [{ n: 1 }]);

                const statements = operatorStatements(message);
                assert.deepEqual(
                    statements.map(([db, sql]) => `${db}: ${sql}`),
                    [
                        `postgres: GRANT ${role} TO "Kong Deployers";`,
                        `kong: REASSIGN OWNED BY ${role} TO "Kong Deployers";`,
                        `kong: DROP OWNED BY ${role};`,
                        `postgres: DROP ROLE ${role};`,
                    ],
                );
                const handOver = statements.filter(([, sql]) => !sql.startsWith("DROP ROLE"));
                if (reading === "documented") {
                    // The admin can follow the message to the letter.
                    for (const [database, sql] of handOver) {
                        await asAdmin(database, [sql]);
                    }
                } else {
                    // Stock semantics: the first step is already refused, as the message warns.
                    await assert.rejects(asAdmin(handOver[0][0], [handOver[0][1]]), /permission denied to grant role/);
                    for (const [database, sql] of handOver.slice(1)) {
                        await fx.query(sql, database); // someone with the privileges (Microsoft support)
                    }
                }
                const [owner] = await fx.query("SELECT tableowner FROM pg_tables WHERE tablename = 'services'", "kong");
                assert.equal(owner.tableowner, "Kong Deployers");
                assert.deepEqual(await fx.query("SELECT count(*)::int AS n FROM services", "kong"), [{ n: 1 }], "data kept");
            });

            if (reading === "documented") {
                it("drops the role once it owns and holds nothing; refresh then reports it gone", async () => {
                    const state = { ...inputsFor(kong), objectId: kong.objectId };
                    await call("delete", kong.objectId, state);
                    assert.ok(!(await roleNames()).includes(kong.displayName));
                    assert.deepEqual(await call("read", kong.objectId, state), { id: "" });
                });
            } else {
                it("explains that DROP ROLE is refused under stock PostgreSQL 16+ semantics", async () => {
                    const state = { ...inputsFor(kong), objectId: kong.objectId };
                    const role = quoteIdent(kong.displayName);
                    await assert.rejects(call("delete", kong.objectId, state), (err: Error) => {
                        for (const expected of [
                            `PostgreSQL refused to drop role ${role}`,
                            "permission denied to drop role",
                            "Nothing was changed",
                            "from PostgreSQL 16 on",
                            "ADMIN OPTION",
                            "pgaadauth_create_principal_with_oid",
                            `DROP ROLE ${role};`,
                            "pulumi state delete",
                        ]) {
                            assert.ok(err.message.includes(expected), `message lacks ${JSON.stringify(expected)}:\n${err.message}`);
                        }
                        return true;
                    });
                    assert.ok((await roleNames()).includes(kong.displayName));
                    // Microsoft support drops it; the next delete finds nothing to do.
                    await fx.query(`DROP ROLE ${role}`);
                    await call("delete", kong.objectId, state);
                    assert.deepEqual(await call("read", kong.objectId, state), { id: "" });
                });
            }

            it("after a manual drop, refresh reports the role gone, up recreates it, and deleting an absent role succeeds", async () => {
                const sp = await fx.addServicePrincipal("kong-refresh");
                const inputs = await checked(sp);
                const created = await call("create", inputs);
                await fx.query(`DROP ROLE ${quoteIdent(sp.displayName)}`);
                assert.deepEqual(await call("read", created.id, created.outs), { id: "" });
                await call("delete", created.id, created.outs); // absent: nothing to do
                const recreated = await call("create", inputs);
                assert.equal(recreated.id, created.id);
                assert.ok((await roleNames()).includes(sp.displayName));
                await fx.query(`DROP ROLE ${quoteIdent(sp.displayName)}`);
            });

            it("handles hostile role names end to end (spaces, quotes, semicolons, backslashes, unicode, 63 bytes)", async () => {
                for (const name of HOSTILE_NAMES) {
                    const sp = await fx.addServicePrincipal(name);
                    const inputs = await checked(sp);
                    const created = await call("create", inputs);
                    assert.equal(created.outs.roleName, name);
                    assert.ok((await roleNames()).includes(name), `role ${JSON.stringify(name)} not found verbatim`);
                    const [[me]] = await asIdentity(sp, "postgres", ["SELECT current_user AS who"]);
                    assert.equal(me.who, name);
                    assert.equal((await call("read", created.id, created.outs)).props.roleName, name);
                    if (reading === "documented") {
                        await call("delete", created.id, created.outs);
                        assert.ok(!(await roleNames()).includes(name), `role ${JSON.stringify(name)} survived`);
                    } else {
                        await assert.rejects(call("delete", created.id, created.outs), (err: Error) =>
                            err.message.includes(`DROP ROLE ${quoteIdent(name)};`),
                        );
                        await fx.query(`DROP ROLE ${quoteIdent(name)}`);
                    }
                }
                assert.ok((await roleNames()).includes(fx.administratorName), "an injected statement ran");
            });

            it("never returned a token or other secret from any operation (nothing of the kind can reach state)", async () => {
                const providerText = await serializedEntraPrincipalProvider();
                const text = JSON.stringify(observed);
                assert.ok(fx.secrets.length > 3 && observed.length > 10);
                for (const secret of fx.secrets) {
                    assert.ok(!text.includes(secret), "an operation returned a secret");
                    assert.ok(!providerText.includes(secret), "the serialized provider holds a secret");
                }
                assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{8,}/);
            });
        });
    }
}
