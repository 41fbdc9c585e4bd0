// The dynamic provider behind JobExecution: starts ONE execution of a manual-trigger Azure Container
// Apps job through Azure Resource Manager and waits until it has ended.
//
// ARM operations (Microsoft.App, api-version 2025-01-01, a GA version. Source: the stable spec
// Azure/azure-rest-api-specs specification/app/resource-manager/Microsoft.App/ContainerApps/stable/
// 2025-01-01/Jobs.json, and https://learn.microsoft.com/rest/api/resource-manager/containerapps/jobs/start):
//   POST {jobId}/start                   Jobs_Start. The body (a template override) is optional: none
//                                        is sent, so the job runs its own template. Answers 200 with a
//                                        JobExecutionBase {name, id}, or 202 with a Location header
//                                        (a long-running operation, "final-state-via": "location",
//                                        whose final 200 is that same JobExecutionBase).
//   GET  {jobId}/executions/{name}       JobExecution. properties.status is one of Running, Processing,
//                                        Stopped, Degraded, Failed, Unknown, Succeeded; startTime, endTime.
//   GET  {jobId}/executions              JobsExecutions_List: {value: JobExecution[], nextLink}.
// (2024-03-01, the first GA version with jobs, has the same three operations and shapes.)
//
// Pulumi serializes this object, with everything its functions reach, into the resource's
// `__provider` input (so into the stack's state), and its provider host loads that text with
// `requireFromString(text).handler()` in a plain Node process. Hence, as in ./entraPrincipalProvider.ts:
// - no credential or token is captured or stored: each operation makes its own DefaultAzureCredential,
//   asks it for an ARM token before every request (it caches them), keeps the token in a local
//   variable, sends it only to the configured ARM origin over https, and never returns it;
// - `@azure/identity` is `require`d inside the functions; HTTP is Node's global fetch;
// - no environment switch or test hook: the tests run exactly this code against a local https
//   stand-in of ARM, which speeds polls up the way ARM itself may, with Retry-After.

import type * as pulumi from "@pulumi/pulumi";

/** Inputs after check(): what create receives. */
export interface JobExecutionInputs {
    jobId: string;
    triggers: Record<string, string>;
    timeoutSeconds: number;
    armEndpoint: string;
}

/** What the state keeps. */
export interface JobExecutionOutputs extends JobExecutionInputs {
    executionName: string;
    status: string;
    startedAt?: string;
    endedAt?: string;
}

export const ARM_API_VERSION = "2025-01-01";
export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";
export const DEFAULT_TIMEOUT_SECONDS = 1800;
/** Audience of Azure Resource Manager in Azure's public cloud. */
const ARM_SCOPE = "https://management.azure.com/.default";
/** A sanity bound, not an Azure limit: a deployment that waits longer than a day is stuck. */
const MAX_TIMEOUT_SECONDS = 86_400;
/** The value Pulumi puts in place of an input not known yet during a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// Name patterns from the spec (JobNameParameter, JobExecutionNameParameter). A subscription id is a
// UUID; a resource group name may hold Unicode letters, so it is only kept free of URL syntax.
const JOB_ID =
    /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourceGroups\/([^/?#%\s]{1,90})\/providers\/Microsoft\.App\/jobs\/([-\w.()]+)$/i;
const EXECUTION_NAME = /^[-\w.()]+$/;

const SUCCEEDED = "Succeeded";
/** Terminal states other than success. `Unknown` is not terminal: it is polled until the timeout. */
const FAILED_STATES = ["Failed", "Stopped", "Degraded"];
/** States of an execution that is (still) doing work. */
const ACTIVE_STATES = ["Running", "Processing"];

// Polling an execution: 5 s, growing by half up to 30 s; a Retry-After (or retry-after-ms) from the
// server replaces the computed delay, floored at 100 ms (no busy loop on "0") and capped at 2 min.
const POLL_FIRST_MS = 5_000;
const POLL_MAX_MS = 30_000;
const POLL_FACTOR = 1.5;
const MIN_WAIT_MS = 100;
const MAX_SERVER_WAIT_MS = 120_000;
// Transient failures of one request (429, 408, 5xx, connection errors): four retries at most.
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];
/** POST /start attempts when an attempt failed in a way that proves no execution was started. */
const START_ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 60_000;
/** A just-started execution may not be readable yet (ARM caches): 404 is tolerated this long. */
const NOT_FOUND_GRACE_MS = 60_000;
/** Budget for refresh's single GET, retries included. */
const READ_BUDGET_MS = 120_000;
const MAX_LIST_PAGES = 20;

// Not retried: 4xx other than 408/429 are answers, not accidents.
const TRANSIENT_STATUS = [408, 429, 500, 502, 503, 504];
// Connection failures that prove the request never reached the server.
const NOT_SENT_CODES = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"];
// Connection failures after which the server may or may not have acted on the request.
const CUT_OFF_CODES = [
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "ECONNABORTED",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "TimeoutError",
];

type Failure = pulumi.dynamic.CheckFailure;

interface JobRef {
    /** The id as given (for messages and ids). */
    id: string;
    subscription: string;
    resourceGroup: string;
    name: string;
    /** URL path of the job, each segment percent-encoded. */
    path: string;
}

interface Execution {
    name: string;
    id?: string;
    status: string;
    startTime?: string;
    endTime?: string;
    /** Container names of the execution's template (for the logs command). */
    containers: string[];
}

interface ArmReply {
    status: number;
    headers: Headers;
    body: any;
    requestId?: string;
}

interface Arm {
    /** https origin of Azure Resource Manager, e.g. https://management.azure.com */
    origin: string;
    /**
     * One ARM request with a fresh token, retrying transient failures within `deadline`. A request
     * that is not idempotent is never repeated after a failure that leaves its effect unknown: the
     * error then carries `ambiguous: true` and the caller decides.
     */
    send(method: "GET" | "POST", url: string, deadline: number, idempotent: boolean): Promise<ArmReply>;
}

/** An error with the facts the callers branch on. */
interface RequestFailure extends Error {
    ambiguous?: boolean;
    transient?: boolean;
    waitMs?: number;
}

function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function parseJobId(jobId: string): JobRef | undefined {
    const m = JOB_ID.exec(jobId);
    if (!m) {
        return undefined;
    }
    const [, subscription, resourceGroup, name] = m;
    const path =
        `/subscriptions/${encodeURIComponent(subscription)}/resourceGroups/${encodeURIComponent(resourceGroup)}` +
        `/providers/Microsoft.App/jobs/${encodeURIComponent(name)}`;
    return { id: jobId, subscription, resourceGroup, name, path };
}

/** Normalizes an ARM endpoint to its https origin, or says why it cannot be used. */
function endpointProblem(value: unknown): { origin?: string; problem?: string } {
    if (typeof value !== "string" || value.trim() === "") {
        return { problem: "armEndpoint must be an https URL such as https://management.azure.com" };
    }
    let url: URL;
    try {
        url = new URL(value.trim());
    } catch {
        return { problem: `armEndpoint is not a URL: ${JSON.stringify(value)}` };
    }
    if (url.protocol !== "https:") {
        return {
            problem: `armEndpoint must use https (the request carries a bearer token for Azure Resource Manager), got "${url.protocol}" in ${JSON.stringify(value)}`,
        };
    }
    if (url.username || url.password) {
        return { problem: "armEndpoint must not contain credentials" };
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
        return { problem: `armEndpoint must be only scheme, host and port (no path, query or fragment), got ${JSON.stringify(value)}` };
    }
    return { origin: url.origin };
}

/** Validates and normalizes inputs (defaults, https origin). Unknown values pass (preview). */
function validate(news: Record<string, unknown>): { inputs: JobExecutionInputs; failures: Failure[] } {
    const failures: Failure[] = [];
    const inputs: Record<string, unknown> = {};

    const jobId = news.jobId;
    if (isUnknown(jobId)) {
        inputs.jobId = jobId;
    } else if (typeof jobId === "string" && parseJobId(jobId.trim())) {
        inputs.jobId = jobId.trim();
    } else {
        failures.push({
            property: "jobId",
            reason:
                "jobId must be the ARM id of a Container Apps job, /subscriptions/<uuid>/resourceGroups/<group>/providers/" +
                `Microsoft.App/jobs/<name> (an app.Job's \`id\`), got ${JSON.stringify(jobId)}`,
        });
    }

    const triggers = news.triggers;
    if (isUnknown(triggers)) {
        inputs.triggers = triggers;
    } else if (triggers === undefined || triggers === null) {
        inputs.triggers = {};
    } else if (typeof triggers !== "object" || Array.isArray(triggers)) {
        failures.push({ property: "triggers", reason: `triggers must be a map of strings, got ${JSON.stringify(triggers)}` });
    } else {
        const clean: Record<string, string> = {};
        for (const [key, value] of Object.entries(triggers as Record<string, unknown>)) {
            if (typeof value === "string") {
                clean[key] = value; // includes UNKNOWN: diff treats it as a change
            } else {
                failures.push({
                    property: `triggers.${key}`,
                    reason: `every trigger value must be a string (convert numbers, hash objects), got ${JSON.stringify(value)}`,
                });
            }
        }
        inputs.triggers = clean;
    }

    const timeout = news.timeoutSeconds;
    if (timeout === undefined || timeout === null) {
        inputs.timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    } else if (isUnknown(timeout)) {
        inputs.timeoutSeconds = timeout;
    } else if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
        failures.push({
            property: "timeoutSeconds",
            reason: `timeoutSeconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got ${JSON.stringify(timeout)}`,
        });
    } else {
        inputs.timeoutSeconds = timeout;
    }

    const endpoint = news.armEndpoint;
    if (endpoint === undefined || endpoint === null || endpoint === "") {
        inputs.armEndpoint = DEFAULT_ARM_ENDPOINT;
    } else if (isUnknown(endpoint)) {
        inputs.armEndpoint = endpoint;
    } else {
        const { origin, problem } = endpointProblem(endpoint);
        if (problem) {
            failures.push({ property: "armEndpoint", reason: problem });
        } else {
            inputs.armEndpoint = origin;
        }
    }
    return { inputs: inputs as unknown as JobExecutionInputs, failures };
}

/** Props from create or from the state, validated again: a token must never go to a bad endpoint. */
function propsOf(props: Record<string, unknown>): { p: JobExecutionInputs; job: JobRef } {
    const { inputs, failures } = validate(props);
    if (failures.length > 0) {
        throw new Error(`Invalid JobExecution properties: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    const job = parseJobId(inputs.jobId);
    if (!job || isUnknown(inputs.armEndpoint)) {
        throw new Error("JobExecution properties are not known yet (jobId/armEndpoint)");
    }
    return { p: inputs, job };
}

// ---- HTTP ----

/** The failure's code: undici puts Node's in `cause` (an AggregateError's first error for several addresses). */
function networkCode(err: unknown): string {
    const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown; name?: unknown; errors?: { code?: unknown }[] } };
    // Strings only: a DOMException (AbortSignal.timeout's "TimeoutError") has a numeric legacy `code`.
    const candidates = [e?.cause?.code, e?.cause?.errors?.[0]?.code, e?.code, e?.cause?.name, e?.name];
    return (candidates.find((c) => typeof c === "string" && c !== "" && c !== "Error" && c !== "TypeError") as string) ?? "";
}

function failure(message: string, facts: { ambiguous?: boolean; transient?: boolean; waitMs?: number } = {}): RequestFailure {
    return Object.assign(new Error(message), facts);
}

/** Server-requested wait (retry-after-ms, x-ms-retry-after-ms, Retry-After seconds or date), clamped. */
function serverWaitMs(headers: Headers | undefined): number | undefined {
    if (!headers) {
        return undefined;
    }
    const clamp = (ms: number) => Math.min(Math.max(ms, MIN_WAIT_MS), MAX_SERVER_WAIT_MS);
    for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
        const value = headers.get(name)?.trim();
        if (value && /^\d+(\.\d+)?$/.test(value)) {
            return clamp(Number(value));
        }
    }
    const value = headers.get("retry-after")?.trim();
    if (!value) {
        return undefined;
    }
    if (/^\d+$/.test(value)) {
        return clamp(Number(value) * 1000);
    }
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : clamp(at - Date.now());
}

/** Where a URL that ARM handed us (Location, nextLink) may be fetched with the token: same https origin only. */
function sameOrigin(arm: Arm, link: string, what: string): string {
    let url: URL;
    try {
        url = new URL(link, arm.origin);
    } catch {
        throw new Error(`Azure Resource Manager answered with an unusable ${what}: ${JSON.stringify(link)}`);
    }
    if (url.protocol !== "https:" || url.origin !== arm.origin) {
        throw new Error(
            `Azure Resource Manager answered with a ${what} outside ${arm.origin} (${url.origin}); refusing to send the ` +
                `ARM token there. If this cloud really redirects elsewhere, set armEndpoint accordingly.`,
        );
    }
    return url.toString();
}

function pathOf(url: string): string {
    const u = new URL(url);
    return u.pathname;
}

/** Opens a session: one DefaultAzureCredential for this operation, a fresh token per request. */
function armSession(origin: string): Arm {
    const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
    const credential = new DefaultAzureCredential();

    async function bearer(): Promise<string> {
        let token: { token: string } | null;
        try {
            token = await credential.getToken(ARM_SCOPE);
        } catch (err) {
            throw new Error(
                `Could not get an Azure Resource Manager token (${ARM_SCOPE}) from DefaultAzureCredential: ` +
                    `${(err as Error).message}. Sign in (az login), or run where a managed or workload identity is available.`,
            );
        }
        if (!token?.token) {
            throw new Error(`DefaultAzureCredential returned no token for ${ARM_SCOPE}`);
        }
        return token.token;
    }

    async function once(method: "GET" | "POST", url: string): Promise<ArmReply> {
        const token = await bearer();
        const response = await fetch(url, {
            method,
            headers: { authorization: `Bearer ${token}`, accept: "application/json" },
            // No body: Jobs_Start's template is optional, and without it the job runs its own.
            redirect: "manual", // never follow a redirect with the token
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        let body: unknown;
        try {
            body = text ? JSON.parse(text) : undefined;
        } catch {
            body = undefined;
        }
        const requestId = response.headers.get("x-ms-request-id") ?? response.headers.get("x-ms-correlation-request-id") ?? undefined;
        return { status: response.status, headers: response.headers, body, requestId };
    }

    async function send(method: "GET" | "POST", url: string, deadline: number, idempotent: boolean): Promise<ArmReply> {
        for (let attempt = 0; ; attempt++) {
            let reply: ArmReply | undefined;
            let problem: string;
            let ambiguous: boolean;
            try {
                reply = await once(method, url);
                if (!TRANSIENT_STATUS.includes(reply.status)) {
                    return reply;
                }
                const error = reply.body?.error;
                problem = `HTTP ${reply.status}${error?.code ? ` ${error.code}` : ""}${error?.message ? `: ${error.message}` : ""}`;
                // ARM throttles (429) before the request reaches the resource provider.
                ambiguous = reply.status !== 429;
            } catch (err) {
                const code = networkCode(err);
                if (NOT_SENT_CODES.includes(code)) {
                    ambiguous = false;
                } else if (CUT_OFF_CODES.includes(code)) {
                    ambiguous = true;
                } else if (/^(DefaultAzureCredential|Could not get an Azure Resource Manager token)/.test((err as Error).message)) {
                    throw err;
                } else {
                    // TLS verification failures and the like: retrying cannot help.
                    const detail = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
                    throw new Error(`${method} ${origin}${pathOf(url)} failed: ${detail}${code ? ` (${code})` : ""}`);
                }
                problem = `connection failed (${code})`;
            }
            const wait = serverWaitMs(reply?.headers) ?? RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)];
            const requestId = reply?.requestId ? ` (x-ms-request-id ${reply.requestId})` : "";
            const message = `${method} ${origin}${pathOf(url)}: ${problem}${requestId}`;
            if (ambiguous && !idempotent) {
                throw failure(message, { ambiguous: true, transient: true, waitMs: wait });
            }
            if (attempt >= RETRY_DELAYS_MS.length || Date.now() + wait > deadline) {
                throw failure(`${message}; gave up after ${attempt + 1} attempts`, { ambiguous, transient: true });
            }
            await sleep(wait);
        }
    }

    return { origin, send };
}

// ---- ARM job and execution helpers ----

function jobText(job: JobRef): string {
    return `Container Apps job "${job.name}" (resource group "${job.resourceGroup}", subscription ${job.subscription})`;
}

function executionUrl(arm: Arm, job: JobRef, name: string): string {
    return `${arm.origin}${job.path}/executions/${encodeURIComponent(name)}?api-version=${ARM_API_VERSION}`;
}

function toExecution(value: any): Execution | undefined {
    const name = value?.name;
    if (typeof name !== "string" || !EXECUTION_NAME.test(name)) {
        return undefined;
    }
    const props = value.properties ?? {};
    const containers = Array.isArray(props.template?.containers)
        ? props.template.containers.map((c: any) => c?.name).filter((n: unknown): n is string => typeof n === "string")
        : [];
    return {
        name,
        id: typeof value.id === "string" ? value.id : undefined,
        status: typeof props.status === "string" ? props.status : "",
        startTime: typeof props.startTime === "string" ? props.startTime : undefined,
        endTime: typeof props.endTime === "string" ? props.endTime : undefined,
        containers,
    };
}

function isTerminal(status: string): boolean {
    return status === SUCCEEDED || FAILED_STATES.includes(status);
}

function armFailure(action: string, reply: ArmReply, job: JobRef, notFound = `Check jobId: ${job.id} must name an existing Container Apps job.`): Error {
    const error = reply.body?.error;
    const parts = [`${action} failed: HTTP ${reply.status}${error?.code ? ` ${error.code}` : ""}${error?.message ? `: ${error.message}` : ""}.`];
    if (reply.status === 401) {
        parts.push("Azure Resource Manager rejected the token DefaultAzureCredential obtained (wrong tenant or cloud?).");
    } else if (reply.status === 403) {
        parts.push(
            `The identity running \`pulumi up\` must be allowed to start ${job.id} and read its executions ` +
                "(Microsoft.App/jobs/start/action and read access; Contributor on the job or its resource group has both).",
        );
    } else if (reply.status === 404) {
        parts.push(notFound);
    }
    if (reply.requestId) {
        parts.push(`(x-ms-request-id ${reply.requestId})`);
    }
    return new Error(parts.join(" "));
}

/** Commands an operator runs to see an execution and its logs. */
function whereToLook(job: JobRef, name: string, containers: string[]): string[] {
    const common = `--name ${job.name} --resource-group ${job.resourceGroup} --subscription ${job.subscription}`;
    return [
        `  az containerapp job execution show ${common} --job-execution-name ${name}`,
        `  az containerapp job logs show ${common} --execution ${name} --container ${containers[0] ?? "<container>"}` +
            "   (containerapp CLI extension; or the job's Execution history in the Azure portal, or its Log Analytics workspace)",
    ];
}

async function listExecutions(arm: Arm, job: JobRef, deadline: number): Promise<Execution[]> {
    const all: Execution[] = [];
    let url = `${arm.origin}${job.path}/executions?api-version=${ARM_API_VERSION}`;
    for (let page = 0; url && page < MAX_LIST_PAGES; page++) {
        const reply = await arm.send("GET", url, deadline, true);
        if (reply.status !== 200) {
            throw armFailure(`Listing the executions of ${jobText(job)}`, reply, job);
        }
        const values = Array.isArray(reply.body?.value) ? reply.body.value : [];
        for (const value of values) {
            const execution = toExecution(value);
            if (execution) {
                all.push(execution);
            }
        }
        const next = reply.body?.nextLink;
        url = typeof next === "string" && next ? sameOrigin(arm, next, "nextLink") : "";
    }
    return all;
}

/**
 * Polls one execution until it reaches a terminal state or the deadline passes (one last poll is
 * made at the deadline). Returns the last state seen.
 */
async function pollUntilTerminal(
    arm: Arm,
    job: JobRef,
    name: string,
    deadline: number,
): Promise<{ last?: Execution; finished: boolean }> {
    const url = executionUrl(arm, job, name);
    const firstPoll = Date.now();
    let delay = POLL_FIRST_MS;
    let last: Execution | undefined;
    for (;;) {
        let reply: ArmReply;
        try {
            reply = await arm.send("GET", url, deadline, true);
        } catch (err) {
            throw new Error(
                [
                    `Lost track of execution ${name} of ${jobText(job)}: ${(err as Error).message}. ` +
                        `Its last known status: ${last?.status || "none reported yet"}; it may still be running. Look at it with:`,
                    ...whereToLook(job, name, last?.containers ?? []),
                    "The next `pulumi up` waits for a running execution of this job to end before it starts a new one.",
                ].join("\n"),
            );
        }
        if (reply.status === 200) {
            const execution = toExecution(reply.body);
            if (!execution) {
                throw new Error(`Reading execution ${name} of ${jobText(job)} returned no usable execution (HTTP 200)`);
            }
            last = execution;
            if (isTerminal(execution.status)) {
                return { last, finished: true };
            }
        } else if (!(reply.status === 404 && Date.now() - firstPoll < NOT_FOUND_GRACE_MS)) {
            throw armFailure(`Reading execution ${name} of ${jobText(job)}`, reply, job, `Execution ${name} or its job no longer exists.`);
        }
        const now = Date.now();
        if (now >= deadline) {
            return { last, finished: false };
        }
        const wait = serverWaitMs(reply.headers) ?? delay;
        delay = Math.min(delay * POLL_FACTOR, POLL_MAX_MS);
        await sleep(Math.min(wait, deadline - now));
    }
}

/** Makes sure no other execution is doing work before ours starts (see JobExecution: "once"). */
async function waitForActive(arm: Arm, job: JobRef, active: Execution[], deadline: number, timeoutSeconds: number): Promise<void> {
    for (const other of active) {
        const { last, finished } = await pollUntilTerminal(arm, job, other.name, deadline);
        if (!finished) {
            throw new Error(
                [
                    `Did not start ${jobText(job)}: execution ${other.name} of the same job is still ${last?.status || other.status} ` +
                        `after ${timeoutSeconds} s of waiting (timeoutSeconds). It was started outside this deployment, or by an ` +
                        `earlier \`pulumi up\` that stopped waiting for it. Starting a second execution now could run Kong's ` +
                        `migrations twice at the same time, so none was started. Let it finish or stop it, then run \`pulumi up\` again:`,
                    ...whereToLook(job, other.name, last?.containers ?? other.containers),
                    `  az containerapp job stop --name ${job.name} --resource-group ${job.resourceGroup} --subscription ${job.subscription} --job-execution-name ${other.name}`,
                ].join("\n"),
            );
        }
    }
}

/** The execution named by a start answer (JobExecutionBase), if any. */
function namedExecution(body: any, job: JobRef): { name: string; id: string } | undefined {
    const name = body?.name;
    if (typeof name !== "string" || !EXECUTION_NAME.test(name)) {
        return undefined;
    }
    const expected = `${job.id}/executions/${name}`;
    const id = typeof body.id === "string" && body.id.toLowerCase() === expected.toLowerCase() ? body.id : expected;
    return { name, id };
}

/** Follows a 202's Location until ARM names the execution (final-state-via: location). */
async function followStart(arm: Arm, job: JobRef, accepted: ArmReply, deadline: number): Promise<{ name: string; id: string }> {
    const first = accepted.headers.get("location") ?? accepted.headers.get("azure-asyncoperation");
    if (!first) {
        throw new Error(`Azure accepted the start of ${jobText(job)} (HTTP 202) without a Location header; look for the execution with: az containerapp job execution list --name ${job.name} --resource-group ${job.resourceGroup}`);
    }
    let link = sameOrigin(arm, first, "Location");
    let previous = accepted;
    let delay = POLL_FIRST_MS;
    for (;;) {
        const wait = serverWaitMs(previous.headers) ?? delay;
        delay = Math.min(delay * POLL_FACTOR, POLL_MAX_MS);
        if (Date.now() + wait > deadline) {
            throw new Error(
                `Azure accepted the start of ${jobText(job)} but had not named the execution when the timeout ran out. ` +
                    `Find it with: az containerapp job execution list --name ${job.name} --resource-group ${job.resourceGroup}`,
            );
        }
        await sleep(wait);
        const reply = await arm.send("GET", link, deadline, true);
        if (reply.status === 202) {
            const next = reply.headers.get("location");
            link = next ? sameOrigin(arm, next, "Location") : link;
            previous = reply;
            continue;
        }
        if (reply.status === 200 || reply.status === 201) {
            const named = namedExecution(reply.body, job);
            if (named) {
                return named;
            }
            const state = typeof reply.body?.status === "string" ? reply.body.status : "";
            if (/^(InProgress|Running|Accepted|Started)$/i.test(state)) {
                previous = reply;
                continue;
            }
            throw new Error(
                `The start of ${jobText(job)} ended ${state ? `with status ${state}` : "without naming an execution"}` +
                    `${reply.body?.error?.message ? `: ${reply.body.error.message}` : ""}. ` +
                    `See: az containerapp job execution list --name ${job.name} --resource-group ${job.resourceGroup}`,
            );
        }
        throw armFailure(`Waiting for the start of ${jobText(job)}`, reply, job);
    }
}

/**
 * POST /start, exactly once. A failure that leaves unknown whether Azure started an execution (a 5xx,
 * a connection cut after the request went out) is never answered by a blind second POST: the job's
 * executions are listed first, and an execution that was not there before is adopted as ours.
 */
async function startExecution(arm: Arm, job: JobRef, before: Set<string>, deadline: number): Promise<{ name: string; id: string }> {
    const url = `${arm.origin}${job.path}/start?api-version=${ARM_API_VERSION}`;
    for (let attempt = 1; ; attempt++) {
        let reply: ArmReply;
        try {
            reply = await arm.send("POST", url, deadline, false);
        } catch (err) {
            const e = err as RequestFailure;
            if (!e.ambiguous) {
                throw new Error(`Starting ${jobText(job)} failed: ${e.message}`);
            }
            await sleep(Math.min(e.waitMs ?? RETRY_DELAYS_MS[0], Math.max(0, deadline - Date.now())));
            const fresh = (await listExecutions(arm, job, deadline)).filter((x) => !before.has(x.name));
            if (fresh.length > 0) {
                // Newest first; an execution without a start time has only just been created.
                const time = (x: Execution) => (x.startTime ? Date.parse(x.startTime) || Infinity : Infinity);
                const adopted = fresh.sort((a, b) => time(b) - time(a))[0];
                return { name: adopted.name, id: adopted.id ?? `${job.id}/executions/${adopted.name}` };
            }
            if (attempt >= START_ATTEMPTS || Date.now() >= deadline) {
                throw new Error(
                    `Starting ${jobText(job)} failed ${attempt} times (${e.message}), and the job's execution list shows no ` +
                        `new execution, so none is taken as started. Run \`pulumi up\` again later; it first waits for any execution ` +
                        `of this job that is running.`,
                );
            }
            continue;
        }
        if (reply.status === 200 || reply.status === 201 || reply.status === 202) {
            const named = namedExecution(reply.body, job);
            if (named) {
                return named;
            }
            if (reply.status === 202) {
                return followStart(arm, job, reply, deadline);
            }
            throw new Error(`Azure started ${jobText(job)} (HTTP ${reply.status}) but did not name the execution`);
        }
        throw armFailure(`Starting ${jobText(job)}`, reply, job);
    }
}

function outputsOf(p: JobExecutionInputs, execution: Execution): JobExecutionOutputs {
    const out: JobExecutionOutputs = { ...p, executionName: execution.name, status: execution.status };
    // Absent keys, never `undefined` values: the host turns the result into a protobuf Struct.
    if (execution.startTime) out.startedAt = execution.startTime;
    if (execution.endTime) out.endedAt = execution.endTime;
    return out;
}

function sameTriggers(a: unknown, b: unknown): boolean {
    if (isUnknown(a) || isUnknown(b)) {
        return false;
    }
    const x = (a ?? {}) as Record<string, unknown>;
    const y = (b ?? {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const key of keys) {
        if (isUnknown(x[key]) || isUnknown(y[key]) || x[key] !== y[key]) {
            return false;
        }
    }
    return true;
}

/** The dynamic provider. See JobExecution for the contract. */
export const jobExecutionProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
        const { inputs, failures } = validate(news);
        return { inputs: inputs as unknown as Record<string, unknown>, failures };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        const replaces: string[] = [];
        const oldJob = String(olds.jobId ?? "");
        const newJob = String(news.jobId ?? "");
        // ARM ids are case-insensitive: a casing change names the same job and must not re-run it.
        if (isUnknown(news.jobId) || oldJob.toLowerCase() !== newJob.toLowerCase()) {
            replaces.push("jobId");
        }
        if (!sameTriggers(olds.triggers, news.triggers)) {
            replaces.push("triggers");
        }
        // Another endpoint is another cloud, so another job: run there too.
        const oldEndpoint = olds.armEndpoint ?? DEFAULT_ARM_ENDPOINT;
        const newEndpoint = news.armEndpoint ?? DEFAULT_ARM_ENDPOINT;
        if (isUnknown(newEndpoint) || oldEndpoint !== newEndpoint) {
            replaces.push("armEndpoint");
        }
        // timeoutSeconds only matters while an execution is awaited: a change alone runs nothing.
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: Record<string, unknown>) {
        const { p, job } = propsOf(inputs);
        const deadline = Date.now() + p.timeoutSeconds * 1000;
        const arm = armSession(p.armEndpoint);

        const existing = await listExecutions(arm, job, deadline);
        const active = existing.filter((x) => ACTIVE_STATES.includes(x.status));
        if (active.length > 0) {
            await waitForActive(arm, job, active, deadline, p.timeoutSeconds);
        }
        const started = await startExecution(arm, job, new Set(existing.map((x) => x.name)), deadline);

        const { last, finished } = await pollUntilTerminal(arm, job, started.name, deadline);
        const status = last?.status || "not yet reported";
        if (finished && last?.status === SUCCEEDED) {
            return { id: started.id, outs: outputsOf(p, last) };
        }
        const when = [last?.startTime ? `started ${last.startTime}` : "", last?.endTime ? `ended ${last.endTime}` : ""].filter(Boolean).join(", ");
        if (finished) {
            throw new Error(
                [
                    `Execution ${started.name} of ${jobText(job)} ended with status ${status}${when ? ` (${when})` : ""}. ` +
                        `The job's work (Kong's database migrations) did not complete, so nothing that depends on it was deployed.`,
                    "Read what happened:",
                    ...whereToLook(job, started.name, last?.containers ?? []),
                    "Fix the cause and run `pulumi up` again: a failed execution is not recorded, so the next `up` starts a new one.",
                ].join("\n"),
            );
        }
        throw new Error(
            [
                `Timed out after ${p.timeoutSeconds} s (timeoutSeconds) waiting for execution ${started.name} of ${jobText(job)}; ` +
                    `its last status was ${status}${when ? ` (${when})` : ""}. This deployment stopped waiting; it did NOT stop the ` +
                    `execution, which may still be running in Azure. Nothing that depends on it was deployed.`,
                "Look at it:",
                ...whereToLook(job, started.name, last?.containers ?? []),
                `To stop it: az containerapp job stop --name ${job.name} --resource-group ${job.resourceGroup} --subscription ${job.subscription} --job-execution-name ${started.name}`,
                "The next `pulumi up` waits for a running execution of this job to end before it starts a new one. " +
                    "If the work legitimately takes longer, raise timeoutSeconds (and keep the job's replicaTimeout below it).",
            ].join("\n"),
        );
    },

    async read(id: string, props?: Record<string, unknown>) {
        const state = (props ?? {}) as Partial<JobExecutionOutputs>;
        const { p, job } = propsOf(state as Record<string, unknown>);
        const kept: Record<string, unknown> = { ...p };
        for (const key of ["executionName", "status", "startedAt", "endedAt"] as const) {
            if (typeof state[key] === "string") {
                kept[key] = state[key];
            }
        }
        if (typeof state.executionName !== "string" || !EXECUTION_NAME.test(state.executionName)) {
            return { id, props: kept };
        }
        const arm = armSession(p.armEndpoint);
        const reply = await arm.send("GET", executionUrl(arm, job, state.executionName), Date.now() + READ_BUDGET_MS, true);
        if (reply.status === 404) {
            // Azure keeps only a limited execution history (and the job may be gone). The execution
            // did run and its effect on the database stays; reporting "gone" would make the next `up`
            // run the migrations again for no change. Keep the recorded state.
            return { id, props: kept };
        }
        if (reply.status !== 200) {
            throw armFailure(`Reading execution ${state.executionName} of ${jobText(job)}`, reply, job);
        }
        const execution = toExecution(reply.body);
        if (!execution) {
            return { id, props: kept };
        }
        return { id, props: outputsOf(p, { ...execution, name: state.executionName }) as unknown as Record<string, unknown> };
    },

    // No update: every input that matters replaces (see diff), so Pulumi never calls it.

    async delete() {
        // Nothing to destroy: an execution is history. Its effect (migrated tables) belongs to the
        // database, which deleting this record must never touch; Azure prunes old executions itself.
        // No token is fetched and no request is made.
    },
};
