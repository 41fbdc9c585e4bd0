// @ts-check
// A stand-in for Pulumi's dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider/index.js),
// run as a separate, plain Node process, as the real one is:
// - no TypeScript loader: a provider that only works under tsx (say, one that requires a local
//   .ts module at run time) fails here as it would under `pulumi up`;
// - the serialized provider text is loaded the host's way, `requireFromString(text).handler()`,
//   with the same require-from-string package, cwd = the project, so its `require("pg")` resolves
//   from the project's node_modules;
// - its environment is the one the test gives it (NODE_EXTRA_CA_CERTS must exist before the
//   process starts TLS; IDENTITY_ENDPOINT/IDENTITY_HEADER for DefaultAzureCredential).
// Plain CommonJS on purpose; it speaks JSON over the IPC channel.
"use strict";

const path = require("node:path");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/** @type {(code: string) => any} */
const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));

/** @type {any} */
let provider;
let providerText = "";

/** Adds `__provider` to property bags, as the real host's protobuf structs carry it. */
function withProviderKey(/** @type {unknown} */ value) {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
        return { ...value, __provider: providerText };
    }
    return value;
}

/**
 * Signs in as an Entra identity with its own token (DefaultAzureCredential, optionally selecting a
 * user-assigned managed identity by client id, as Kong's identity would be), over verified TLS,
 * and runs statements. The token never leaves this function.
 */
async function runAs(/** @type {any} */ msg) {
    const { DefaultAzureCredential } = require("@azure/identity");
    const pg = require("pg");
    const credential = new DefaultAzureCredential(msg.clientId ? { managedIdentityClientId: msg.clientId } : {});
    const { token } = await credential.getToken("https://ossrdbms-aad.database.windows.net/.default");
    const client = new pg.Client({
        host: msg.host,
        port: msg.port,
        user: msg.user,
        password: token,
        database: msg.database ?? "postgres",
        ssl: { rejectUnauthorized: true, servername: msg.host },
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
        const results = [];
        for (const sql of msg.statements) {
            results.push((await client.query(sql)).rows);
        }
        return results;
    } finally {
        await client.end();
    }
}

process.on("message", async (/** @type {any} */ msg) => {
    try {
        let result;
        switch (msg.op) {
            case "load":
                providerText = msg.text;
                provider = requireFromString(msg.text).handler();
                result = Object.keys(provider).sort();
                break;
            case "call":
                if (typeof provider?.[msg.method] !== "function") {
                    throw new Error(`the provider has no method ${msg.method}`);
                }
                result = await provider[msg.method](...msg.args.map(withProviderKey));
                break;
            case "runAs":
                result = await runAs(msg);
                break;
            default:
                throw new Error(`unknown op ${msg.op}`);
        }
        process.send?.({ id: msg.id, ok: true, result: result === undefined ? null : result });
    } catch (err) {
        const e = /** @type {any} */ (err);
        process.send?.({ id: msg.id, ok: false, error: { message: String(e?.message ?? e), code: e?.code } });
    }
});
