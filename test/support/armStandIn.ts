// A local https stand-in for the Azure Resource Manager operations JobExecution's provider calls
// (Microsoft.App jobs, shapes from the 2025-01-01 spec: Jobs_Start, JobExecution, JobsExecutions_List,
// and a start that ARM answers as a long-running operation), plus a managed-identity endpoint that
// issues the ARM tokens (./managedIdentityEndpoint.ts, started for ARM only), so the provider's
// unmodified code path runs offline:
// - TLS: a throwaway CA (./throwawayCa.ts); the provider's process trusts it through NODE_EXTRA_CA_CERTS;
// - tokens: DefaultAzureCredential reads IDENTITY_ENDPOINT/IDENTITY_HEADER (App Service / Container
//   Apps protocol) and gets a token for resource https://management.azure.com (the endpoint refuses
//   any other resource; tokens live 120 s, so each operation fetches its own and shows up in
//   `tokens.requestedResources`); the stand-in answers 401, as ARM would, to any request whose
//   bearer token is not one that endpoint issued for ARM;
// - behaviour: each job follows a script (statuses an execution goes through, answers to start
//   requests, injected failures), and every request is recorded with its time, so tests can check
//   what was called, how often, how far apart, and with which token.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { ManagedIdentityEndpoint } from "./managedIdentityEndpoint";
import { createServerCertificate } from "./throwawayCa";

export const ARM_RESOURCE = "https://management.azure.com";
/** The api-version this stand-in implements; any other is refused as ARM refuses unknown versions. */
export const STAND_IN_API_VERSION = "2025-01-01";
export const SUBSCRIPTION = "3f2c7a52-8f0e-4b7a-9d8e-2a1c5b6d7e8f";
export const RESOURCE_GROUP = "rg-kong-test";
const TERMINAL = ["Succeeded", "Failed", "Stopped", "Degraded"];

// ---- the ARM stand-in ----

/** How the stand-in answers one POST .../start. */
export type StartAnswer =
    /** 200 with {name, id}. */
    | { kind: "ok" }
    /** 202 with a Location that answers 202 `pendingPolls` times (Retry-After: 0), then 200 {name, id}. */
    | { kind: "accepted"; pendingPolls?: number }
    /** 202 with a Location on another origin. */
    | { kind: "accepted-elsewhere" }
    /** An error status; `started` says whether an execution was started all the same. */
    | { kind: "fail"; status: number; retryAfter?: string; started?: boolean }
    /** The connection is dropped without an answer, after (or without) starting an execution. */
    | { kind: "reset"; started?: boolean };

export interface JobScript {
    /** Statuses a new execution reports on successive GETs of it; the last one repeats. */
    statuses: string[];
    /** Answers to start requests, consumed in order; when none is left, "ok". */
    start?: StartAnswer[];
    /** Failures injected into GETs of an execution (consumed in order, before the normal answers). */
    executionGets?: { status: number; retryAfter?: string }[];
    /** Retry-After sent with non-terminal execution answers; default "0" (poll again at once). */
    pollRetryAfter?: string;
}

export interface RecordedRequest {
    method: string;
    path: string;
    apiVersion: string | null;
    at: number;
    status: number;
    /** "ok" when the bearer token was issued by the endpoint for ARM. */
    auth: "ok" | "missing" | "unknown-token" | "wrong-resource";
    bodyLength: number;
}

export interface StandInExecution {
    name: string;
    id: string;
    jobKey: string;
    statuses: string[];
    gets: number;
    startTime: string;
    endTime?: string;
}

interface Job {
    name: string;
    id: string;
    script: JobScript;
    starts: StartAnswer[];
    getFailures: { status: number; retryAfter?: string }[];
}

const JOB_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.App\/jobs\/([^/]+)(\/.*)?$/i;
const OPERATION_PATH = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.App\/locations\/([^/]+)\/containerappOperationResults\/([^/]+)$/i;

function jobKey(subscription: string, group: string, name: string): string {
    return `/subscriptions/${subscription}/resourcegroups/${group}/providers/microsoft.app/jobs/${name}`.toLowerCase();
}

export class ArmStandIn {
    /** https origin to pass as armEndpoint. */
    readonly origin: string;
    readonly requests: RecordedRequest[] = [];
    private readonly jobs = new Map<string, Job>();
    private readonly executionsByJob = new Map<string, StandInExecution[]>();
    private readonly operations = new Map<string, { execution: StandInExecution; pending: number }>();

    private constructor(
        private readonly server: https.Server,
        /** The managed-identity endpoint issuing the ARM tokens (for ARM_RESOURCE only). */
        readonly tokens: ManagedIdentityEndpoint,
        /** File holding the throwaway CA's certificate, for NODE_EXTRA_CA_CERTS. */
        readonly caFile: string,
        readonly caPem: string,
        private readonly tempDir: string,
    ) {
        const { port } = server.address() as AddressInfo;
        this.origin = `https://127.0.0.1:${port}`;
    }

    static async start(): Promise<ArmStandIn> {
        const tokens = await ManagedIdentityEndpoint.start({
            resources: [ARM_RESOURCE],
            tenantId: randomUUID(),
            // The provider's process uses the system-assigned identity (no AZURE_CLIENT_ID).
            defaultIdentity: { roleName: "kong-deployer", objectId: randomUUID(), clientId: randomUUID() },
        });
        const { caPem, certPem, keyPem } = createServerCertificate(["localhost"], ["127.0.0.1"]);
        const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "arm-stand-in-"));
        const caFile = path.join(tempDir, "ca.pem");
        fs.writeFileSync(caFile, caPem);
        let standIn: ArmStandIn | undefined;
        const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => standIn!.handle(req, res, Buffer.concat(chunks)));
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", resolve);
        });
        standIn = new ArmStandIn(server, tokens, caFile, caPem, tempDir);
        return standIn;
    }

    /** Environment for the provider's process: ARM tokens from the local endpoint, the CA trusted, no other Azure source. */
    providerEnv(): NodeJS.ProcessEnv {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) {
            if (!/^(AZURE_|MSI_|IDENTITY_|IMDS_|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|KONG_TEST_)/.test(k)) {
                env[k] = v;
            }
        }
        env.IDENTITY_ENDPOINT = this.tokens.url;
        env.IDENTITY_HEADER = this.tokens.header;
        env.NODE_EXTRA_CA_CERTS = this.caFile;
        return env;
    }

    /** Declares a manual job; returns its ARM id. */
    addJob(name: string, script: JobScript): string {
        const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.App/jobs/${name}`;
        this.jobs.set(jobKey(SUBSCRIPTION, RESOURCE_GROUP, name), {
            name,
            id,
            script,
            starts: [...(script.start ?? [])],
            getFailures: [...(script.executionGets ?? [])],
        });
        return id;
    }

    /** An execution that exists before the test's start request (e.g. one left running). */
    addExecution(jobId: string, statuses: string[]): StandInExecution {
        const job = this.jobByPath(jobId);
        if (!job) {
            throw new Error(`no job ${jobId}`);
        }
        return this.newExecution(job, statuses);
    }

    executions(jobId: string): StandInExecution[] {
        return this.executionsByJob.get(jobId.toLowerCase()) ?? [];
    }

    /** Requests whose path starts with the job's id (its start, executions, ...). */
    requestsFor(jobId: string): RecordedRequest[] {
        return this.requests.filter((r) => r.path.toLowerCase().startsWith(jobId.toLowerCase()));
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        await this.tokens.stop();
        fs.rmSync(this.tempDir, { recursive: true, force: true });
    }

    private jobByPath(p: string): Job | undefined {
        const m = JOB_PATH.exec(p);
        return m ? this.jobs.get(jobKey(m[1], m[2], decodeURIComponent(m[3]))) : undefined;
    }

    private newExecution(job: Job, statuses: string[]): StandInExecution {
        const key = job.id.toLowerCase();
        const name = `${job.name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
        const execution: StandInExecution = {
            name,
            id: `${job.id}/executions/${name}`,
            jobKey: key,
            statuses,
            gets: 0,
            startTime: new Date().toISOString(),
        };
        this.executionsByJob.set(key, [...(this.executionsByJob.get(key) ?? []), execution]);
        return execution;
    }

    private statusOf(execution: StandInExecution): string {
        return execution.statuses[Math.min(execution.gets, execution.statuses.length - 1)];
    }

    private view(execution: StandInExecution, status: string): Record<string, unknown> {
        if (TERMINAL.includes(status) && !execution.endTime) {
            execution.endTime = new Date().toISOString();
        }
        const properties: Record<string, unknown> = {
            status,
            startTime: execution.startTime,
            template: { containers: [{ name: "kong-migrations", image: "kong/kong-gateway:3.14" }] },
        };
        if (TERMINAL.includes(status)) {
            properties.endTime = execution.endTime;
        }
        return { name: execution.name, id: execution.id, type: "Microsoft.App/jobs/executions", properties };
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
        const url = new URL(req.url ?? "/", this.origin);
        const record: RecordedRequest = {
            method: req.method ?? "",
            path: decodeURIComponent(url.pathname),
            apiVersion: url.searchParams.get("api-version"),
            at: Date.now(),
            status: 0,
            auth: "missing",
            bodyLength: body.length,
        };
        this.requests.push(record);
        const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
            record.status = status;
            res.writeHead(status, {
                "content-type": "application/json",
                "x-ms-request-id": randomUUID(),
                ...headers,
            });
            res.end(payload === undefined ? "" : JSON.stringify(payload));
        };
        const armError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
            reply(status, { error: { code, message } }, headers);

        const auth = req.headers.authorization ?? "";
        const token = /^Bearer (.+)$/.exec(auth)?.[1];
        const resource = token ? this.tokens.resourceOf(token) : undefined;
        record.auth = !token ? "missing" : resource === undefined ? "unknown-token" : resource === ARM_RESOURCE ? "ok" : "wrong-resource";
        if (record.auth !== "ok") {
            return armError(401, "InvalidAuthenticationToken", `The access token is invalid (${record.auth}).`);
        }
        if (record.apiVersion !== STAND_IN_API_VERSION) {
            return armError(400, "InvalidApiVersionParameter", `The api-version '${record.apiVersion}' is invalid.`);
        }

        const op = OPERATION_PATH.exec(record.path);
        if (op && req.method === "GET") {
            const operation = this.operations.get(op[3]);
            if (!operation) {
                return armError(404, "NotFound", "no such operation");
            }
            if (operation.pending > 0) {
                operation.pending--;
                return reply(202, undefined, { location: `${this.origin}${url.pathname}${url.search}`, "retry-after": "0" });
            }
            return reply(200, { name: operation.execution.name, id: operation.execution.id });
        }

        const m = JOB_PATH.exec(record.path);
        const job = m ? this.jobs.get(jobKey(m[1], m[2], m[3])) : undefined;
        if (!m || !job) {
            return armError(404, "ResourceNotFound", `The Resource '${record.path}' was not found.`);
        }
        const rest = m[4] ?? "";

        if (req.method === "POST" && rest === "/start") {
            const answer = job.starts.shift() ?? { kind: "ok" };
            switch (answer.kind) {
                case "ok": {
                    const execution = this.newExecution(job, job.script.statuses);
                    return reply(200, { name: execution.name, id: execution.id });
                }
                case "accepted": {
                    const execution = this.newExecution(job, job.script.statuses);
                    const opId = randomUUID();
                    this.operations.set(opId, { execution, pending: answer.pendingPolls ?? 1 });
                    const location = `${this.origin}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.App/locations/eastus/containerappOperationResults/${opId}?api-version=${STAND_IN_API_VERSION}`;
                    return reply(202, undefined, { location, "retry-after": "0" });
                }
                case "accepted-elsewhere":
                    return reply(202, undefined, { location: `https://attacker.example/collect?api-version=${STAND_IN_API_VERSION}`, "retry-after": "0" });
                case "fail": {
                    if (answer.started) {
                        this.newExecution(job, job.script.statuses);
                    }
                    const headers: Record<string, string> = answer.retryAfter === undefined ? {} : { "retry-after": answer.retryAfter };
                    return armError(answer.status, answer.status === 429 ? "TooManyRequests" : "ServiceUnavailable", "injected failure", headers);
                }
                case "reset":
                    if (answer.started) {
                        this.newExecution(job, job.script.statuses);
                    }
                    record.status = -1;
                    req.socket.destroy();
                    return;
            }
        }

        if (req.method === "GET" && rest === "/executions") {
            const value = this.executions(job.id).map((e) => this.view(e, this.statusOf(e)));
            return reply(200, { value });
        }

        const single = /^\/executions\/([^/]+)$/.exec(rest);
        if (req.method === "GET" && single) {
            const execution = this.executions(job.id).find((e) => e.name === single[1]);
            if (!execution) {
                return armError(404, "ResourceNotFound", `execution ${single[1]} not found`);
            }
            const injected = job.getFailures.shift();
            if (injected) {
                const headers: Record<string, string> = injected.retryAfter === undefined ? {} : { "retry-after": injected.retryAfter };
                return armError(injected.status, injected.status === 429 ? "TooManyRequests" : "InternalServerError", "injected failure", headers);
            }
            const status = this.statusOf(execution);
            execution.gets++;
            const headers: Record<string, string> = TERMINAL.includes(status) ? {} : { "retry-after": job.script.pollRetryAfter ?? "0" };
            return reply(200, this.view(execution, status), headers);
        }

        return armError(405, "MethodNotAllowed", `${req.method} ${record.path}`);
    }
}
