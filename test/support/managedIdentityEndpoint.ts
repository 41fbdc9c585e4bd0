// A local stand-in for the App Service / Container Apps managed-identity endpoint, the source
// DefaultAzureCredential uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are set (msal-node's
// `ManagedIdentitySources/AppService`: GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=…
// with header `X-IDENTITY-HEADER`, a user-assigned identity selected by `client_id`, `object_id`
// or `mi_res_id`; answer `{access_token, expires_on, resource, token_type}`).
//
// It issues tokens only for the resources it is started with (default: Azure Database for
// PostgreSQL, OSSRDBMS_RESOURCE; ./armStandIn.ts starts one for Azure Resource Manager) and refuses
// any other, and it remembers which resource each token is for (`resourceOf`), so a stand-in for
// the resource's service can refuse tokens meant for another one.
//
// Every request gets a fresh random token, and the fixture is told about it (`onToken`) *before*
// the answer leaves, so it can make that token the identity's PostgreSQL password: the token the
// production code fetched is then exactly what lets it sign in, as on Azure.
//
// Caching: msal-node keeps tokens in a process-wide cache keyed by identity and reuses one until
// `tokenRenewalOffsetSeconds` (300 s) before it expires. Tokens here expire after 120 s, so every
// getToken() comes back here: for PostgreSQL the latest token (= the current password) is always
// the one used; for ARM every operation that needs a token shows up in `requestedResources`.
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export const OSSRDBMS_RESOURCE = "https://ossrdbms-aad.database.windows.net";
const API_VERSION = "2019-08-01";
const TOKEN_LIFETIME_SECONDS = 120;

export interface ManagedIdentity {
    /** PostgreSQL role name the identity signs in as (just a label where tokens are not passwords). */
    roleName: string;
    objectId: string;
    clientId: string;
}

export interface TokenRequest {
    /** Which query parameter selected the identity ("" for the default identity). */
    selector: "" | "client_id" | "object_id";
    roleName: string;
    resource: string;
}

export interface ManagedIdentityEndpointOptions {
    tenantId: string;
    /** The identity a request without a selector gets (a system-assigned identity, in Azure terms). */
    defaultIdentity: ManagedIdentity;
    /**
     * The resources (audiences) tokens are issued for, without trailing slash; a request for any other
     * is refused with 400 invalid_resource. Default: [OSSRDBMS_RESOURCE].
     */
    resources?: readonly string[];
    /**
     * Called with every token before it is handed out; for PostgreSQL it must make the token the
     * role's password. Omit it where tokens are not passwords (e.g. ARM).
     */
    onToken?: (identity: ManagedIdentity, token: string, resource: string) => Promise<void>;
}

const withoutTrailingSlash = (resource: string) => resource.replace(/\/$/, "");

export class ManagedIdentityEndpoint {
    /** Value for IDENTITY_ENDPOINT. */
    readonly url: string;
    /** Value for IDENTITY_HEADER (a shared secret between endpoint and client, as on Azure). */
    readonly header = randomBytes(18).toString("base64url");
    /** Every token handed out, so tests can assert none ever reaches state or the provider's text. */
    readonly issued: string[] = [];
    /** Every token request answered with a token. */
    readonly requests: TokenRequest[] = [];
    /** The `resource` (trailing slash removed) of every token request, including refused ones. */
    readonly requestedResources: string[] = [];
    private readonly identities: ManagedIdentity[] = [];
    private readonly resources: readonly string[];
    private readonly resourceByToken = new Map<string, string>();

    private constructor(
        private readonly server: http.Server,
        private readonly options: ManagedIdentityEndpointOptions,
    ) {
        const { port } = server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}/msi/token`;
        this.identities.push(options.defaultIdentity);
        this.resources = (options.resources ?? [OSSRDBMS_RESOURCE]).map(withoutTrailingSlash);
    }

    static async start(options: ManagedIdentityEndpointOptions): Promise<ManagedIdentityEndpoint> {
        let endpoint: ManagedIdentityEndpoint | undefined;
        const server = http.createServer((req, res) => {
            endpoint!.handle(req, res).catch((err: Error) => {
                res.writeHead(500, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: "internal_error", error_description: err.message }));
            });
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", resolve);
        });
        endpoint = new ManagedIdentityEndpoint(server, options);
        return endpoint;
    }

    /** Makes a user-assigned identity available (selected by its client id or object id). */
    addIdentity(identity: ManagedIdentity): void {
        this.identities.push(identity);
    }

    /** The resource a token was issued for, or undefined if this endpoint never issued it. */
    resourceOf(token: string): string | undefined {
        return this.resourceByToken.get(token);
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const fail = (status: number, error: string, description: string) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify({ error, error_description: description }));
        };
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (req.method !== "GET" || url.pathname !== "/msi/token") {
            return fail(404, "not_found", `${req.method} ${url.pathname}`);
        }
        if (req.headers["x-identity-header"] !== this.header) {
            return fail(401, "unauthorized", "missing or wrong X-IDENTITY-HEADER");
        }
        if (url.searchParams.get("api-version") !== API_VERSION) {
            return fail(400, "invalid_request", `api-version must be ${API_VERSION}`);
        }
        const resource = url.searchParams.get("resource") ?? "";
        const audience = withoutTrailingSlash(resource);
        this.requestedResources.push(audience);
        if (!this.resources.includes(audience)) {
            return fail(400, "invalid_resource", `this endpoint only issues tokens for ${this.resources.join(", ")}, not "${resource}"`);
        }
        if (url.searchParams.has("mi_res_id")) {
            return fail(400, "invalid_request", "mi_res_id is not supported by this test endpoint");
        }
        const clientId = url.searchParams.get("client_id");
        const objectId = url.searchParams.get("object_id");
        const identity = clientId
            ? this.identities.find((i) => i.clientId.toLowerCase() === clientId.toLowerCase())
            : objectId
              ? this.identities.find((i) => i.objectId.toLowerCase() === objectId.toLowerCase())
              : this.options.defaultIdentity;
        if (!identity) {
            return fail(400, "invalid_request", "Identity not found");
        }

        const now = Math.floor(Date.now() / 1000);
        const exp = now + TOKEN_LIFETIME_SECONDS;
        // Shaped like Entra's JWTs (header.claims.signature); only its randomness matters here.
        const claims = { aud: audience, tid: this.options.tenantId, oid: identity.objectId, appid: identity.clientId, iat: now, exp, jti: randomUUID() };
        const token = [
            Buffer.from(JSON.stringify({ typ: "JWT", alg: "RS256" })).toString("base64url"),
            Buffer.from(JSON.stringify(claims)).toString("base64url"),
            randomBytes(32).toString("base64url"),
        ].join(".");
        this.issued.push(token);
        this.resourceByToken.set(token, audience);
        this.requests.push({ selector: clientId ? "client_id" : objectId ? "object_id" : "", roleName: identity.roleName, resource });
        await this.options.onToken?.(identity, token, audience);

        res.writeHead(200, { "content-type": "application/json" });
        res.end(
            JSON.stringify({
                access_token: token,
                expires_on: String(exp),
                resource,
                token_type: "Bearer",
                client_id: identity.clientId,
            }),
        );
    }
}
