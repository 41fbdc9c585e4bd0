// EntraPrincipal without a database: the serialized provider (what lands in state), and the
// provider's check/diff and connection-failure behaviour, called through a stand-in for Pulumi's
// dynamic-provider host. The lifecycle against PostgreSQL 16 and 17 is in
// entraPrincipal.pg16.test.ts / entraPrincipal.pg17.test.ts.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { freePort } from "./support/azurePostgres";
import { ManagedIdentityEndpoint } from "./support/managedIdentityEndpoint";
import { ProviderHost } from "./support/providerHost";
import { serializedEntraPrincipalProvider } from "./support/serializedProvider";

// Set before serialization: if the provider captured anything from the environment, it would show.
const SENTINEL = `sentinel-${randomBytes(12).toString("hex")}`;
process.env.KONG_TEST_SENTINEL_SECRET = SENTINEL;

const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** An environment with no Azure credential source at all. */
function bareEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!/^(AZURE_|MSI_|IDENTITY_|IMDS_|PG|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|KONG_TEST_)/.test(k)) {
            env[k] = v;
        }
    }
    return env;
}

function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

const base = {
    host: "kong-pg.postgres.database.azure.com",
    administratorName: "Kong Deployers",
    roleName: "kong",
    objectId: OLD,
};

describe("EntraPrincipal's serialized provider", () => {
    let text: string;
    before(async () => {
        text = await serializedEntraPrincipalProvider();
    });

    it("is the text Pulumi's host loads, and carries no credential", () => {
        assert.ok(text.startsWith("exports.handler = __f0;"), text.slice(0, 80));
        assert.ok(!text.includes(SENTINEL), "captured the environment");
        assert.ok(!text.includes("process.env"), "reads the environment in the provider itself");
        assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{8,}/, "contains something shaped like a JWT");
        assert.doesNotMatch(text, /PRIVATE KEY/);
        assert.doesNotMatch(text, /password\s*[:=]\s*["'`][^"'`]/i, "contains a literal password");
        assert.doesNotMatch(text, /client_?secret/i);
    });

    it("requires pg and @azure/identity at run time instead of serializing them", () => {
        assert.match(text, /require\("pg"\)/);
        assert.match(text, /require\("@azure\/identity"\)/);
        // Serialized by value would mean pages of library code, and possibly its state.
        assert.ok(text.length < 100_000, `${text.length} characters`);
        assert.doesNotMatch(text, /class Client extends EventEmitter|DefaultAzureCredential extends/);
    });

    it("exposes roleName and objectId, and defaults the port to 5432", async () => {
        const { EntraPrincipal } = await import("../components/entraPrincipal");
        const principal = new EntraPrincipal("kong-outputs", base);
        assert.equal(await promiseOf(principal.roleName), "kong");
        assert.equal(await promiseOf(principal.objectId), OLD);
        assert.equal(await promiseOf(principal.port), 5432);
    });
});

describe("EntraPrincipal provider: check and diff", () => {
    let host: ProviderHost;
    before(async () => {
        host = await ProviderHost.start(await serializedEntraPrincipalProvider(), bareEnv());
    });
    after(async () => {
        await host?.stop();
    });

    it("loads through requireFromString(text).handler() in a plain Node process", async () => {
        // Loaded by start(); a call proves the object is the provider.
        const result = await host.call("diff", OLD, { ...base, port: 5432 }, { ...base, port: 5432 });
        assert.equal(result.changes, false);
    });

    it("accepts valid inputs, defaulting the port and lower-casing object ids", async () => {
        const result = await host.call("check", {}, { ...base, objectId: OLD.toUpperCase() });
        assert.deepEqual(result.failures, []);
        assert.equal(result.inputs.port, 5432);
        assert.equal(result.inputs.objectId, OLD);
        assert.equal(result.inputs.acknowledgeIdentityChange, undefined);
    });

    it("rejects empty, malformed and unusable inputs, naming each property", async () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
            [{ roleName: "" }, "roleName", /non-empty/],
            [{ roleName: "x".repeat(64) }, "roleName", /63 bytes/],
            [{ roleName: "a\0b" }, "roleName", /NUL/],
            [{ roleName: "Kong Deployers" }, "roleName", /must not be the deployment administrator/],
            [{ administratorName: "" }, "administratorName", /non-empty/],
            [{ objectId: "not-a-uuid" }, "objectId", /UUID/],
            [{ objectId: "" }, "objectId", /UUID/],
            [{ acknowledgeIdentityChange: "yes" }, "acknowledgeIdentityChange", /UUID/],
            [{ host: "" }, "host", /fully qualified/],
            [{ host: "https://kong-pg.postgres.database.azure.com" }, "host", /bare DNS name/],
            [{ port: 0 }, "port", /1 to 65535/],
            [{ port: "5432x" }, "port", /1 to 65535/],
        ];
        for (const [change, property, reason] of cases) {
            const result = await host.call("check", {}, { ...base, ...change });
            const failure = result.failures.find((f: { property: string }) => f.property === property);
            assert.ok(failure, `${JSON.stringify(change)} was accepted`);
            assert.match(failure.reason, reason);
        }
    });

    it("skips values that are unknown during a preview", async () => {
        const result = await host.call("check", { ...base, port: 5432 }, { ...base, roleName: UNKNOWN, objectId: UNKNOWN, host: UNKNOWN });
        assert.deepEqual(result.failures, []);
    });

    it("refuses a change of Kong's identity without acknowledgement, answering with the runbook", async () => {
        const olds = { ...base, port: 5432 };
        const result = await host.call("check", olds, { ...base, roleName: "kong-v2", objectId: NEW });
        assert.equal(result.failures.length, 1);
        const { property, reason } = result.failures[0];
        assert.equal(property, "objectId");
        for (const expected of [
            `role "kong" (Entra object ${OLD})`,
            `role "kong-v2" (Entra object ${NEW})`,
            "still owns Kong's tables",
            `pulumi config set kongIdentityChangeAcknowledged ${NEW}`,
            'REASSIGN OWNED BY "kong" TO "kong-v2";',
            'DROP OWNED BY "kong";',
            'DROP ROLE "kong";',
        ]) {
            assert.ok(reason.includes(expected), `runbook lacks ${JSON.stringify(expected)}:\n${reason}`);
        }
        // Acknowledging an older change does not count.
        const stale = await host.call("check", olds, { ...base, roleName: "kong-v2", objectId: NEW, acknowledgeIdentityChange: OLD });
        assert.equal(stale.failures.length, 1);
    });

    it("lets an acknowledged identity change through", async () => {
        const olds = { ...base, port: 5432 };
        const result = await host.call("check", olds, { ...base, roleName: "kong-v2", objectId: NEW, acknowledgeIdentityChange: NEW.toUpperCase() });
        assert.deepEqual(result.failures, []);
        assert.equal(result.inputs.acknowledgeIdentityChange, NEW);
    });

    it("treats a new display name with the same object id as an identity change too", async () => {
        const olds = { ...base, port: 5432 };
        const result = await host.call("check", olds, { ...base, roleName: "kong-renamed" });
        assert.equal(result.failures[0]?.property, "roleName");
        const ok = await host.call("check", olds, { ...base, roleName: "kong-renamed", acknowledgeIdentityChange: OLD });
        assert.deepEqual(ok.failures, []);
    });

    it("explains the rename needed when the new identity keeps the old role name", async () => {
        const olds = { ...base, port: 5432 };
        const result = await host.call("check", olds, { ...base, objectId: NEW });
        const reason: string = result.failures[0].reason;
        assert.match(reason, /role names are unique/);
        assert.ok(reason.includes('ALTER ROLE "kong" RENAME TO "kong-retired";'), reason);
        assert.ok(reason.includes('REASSIGN OWNED BY "kong-retired" TO "kong";'), reason);
    });

    it("replaces on a new role name, object id or host, and updates otherwise", async () => {
        const olds = { ...base, port: 5432 };
        const diff = (news: Record<string, unknown>) => host.call("diff", OLD, olds, { ...olds, ...news });
        assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual((await diff({ roleName: "kong-v2" })).replaces, ["roleName"]);
        assert.deepEqual((await diff({ objectId: NEW })).replaces, ["objectId"]);
        assert.deepEqual((await diff({ objectId: OLD.toUpperCase() })).changes, false);
        assert.deepEqual((await diff({ host: "other.postgres.database.azure.com" })).replaces, ["host"]);
        for (const change of [{ administratorName: "Other Admins" }, { port: 6432 }, { acknowledgeIdentityChange: NEW }]) {
            const result = await diff(change);
            assert.equal(result.changes, true, JSON.stringify(change));
            assert.deepEqual(result.replaces, [], JSON.stringify(change));
            assert.equal(result.deleteBeforeReplace, false);
        }
        assert.deepEqual((await diff({ roleName: UNKNOWN })).replaces, ["roleName"]);
    });
});

describe("EntraPrincipal provider: no server, no token", () => {
    let endpoint: ManagedIdentityEndpoint;
    let host: ProviderHost;
    before(async () => {
        // Tokens are fetched first; the connection then fails. No database behind this endpoint.
        endpoint = await ManagedIdentityEndpoint.start({
            tenantId: randomUUID(),
            defaultIdentity: { roleName: "Kong Deployers", objectId: randomUUID(), clientId: randomUUID() },
            onToken: async () => undefined,
        });
        host = await ProviderHost.start(await serializedEntraPrincipalProvider(), {
            ...bareEnv(),
            IDENTITY_ENDPOINT: endpoint.url,
            IDENTITY_HEADER: endpoint.header,
        });
    });
    after(async () => {
        await host?.stop();
        await endpoint?.stop();
    });

    it("retries a few times, then names host, port and the firewall allow-list", async () => {
        const port = await freePort(); // nothing listens there any more
        const started = Date.now();
        await assert.rejects(host.call("create", { ...base, host: "localhost", port }), (err: Error) => {
            assert.ok(err.message.includes(`localhost:${port}`), err.message);
            assert.match(err.message, /ECONNREFUSED/);
            assert.match(err.message, /5 attempts/);
            assert.match(err.message, /firewall allow-list/);
            assert.match(err.message, /deployerIpRanges/);
            return true;
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 7_000 && elapsed < 15_000, `took ${elapsed} ms`);
        assert.equal(endpoint.requests.length, 1, "one token per operation");
    });

    it("fails clearly, naming the token audience and how to sign in, when no credential works", async () => {
        // The endpoint refuses this host's requests (wrong secret header): no token for anyone.
        const refused = await ProviderHost.start(await serializedEntraPrincipalProvider(), {
            ...bareEnv(),
            IDENTITY_ENDPOINT: endpoint.url,
            IDENTITY_HEADER: "not-the-shared-secret",
        });
        try {
            await assert.rejects(refused.call("create", { ...base, port: 5432 }), (err: Error) => {
                assert.match(err.message, /^Could not get a Microsoft Entra token for https:\/\/ossrdbms-aad\.database\.windows\.net\/\.default/);
                assert.ok(err.message.includes(`${base.host} as "Kong Deployers"`), err.message);
                assert.match(err.message, /az login/);
                return true;
            });
        } finally {
            await refused.stop();
        }
    });
});
