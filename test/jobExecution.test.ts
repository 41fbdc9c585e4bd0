// JobExecution: the serialized provider (what lands in state), check and diff, and create/read/delete
// run the way Pulumi's host runs them (a plain Node process loading the serialized text) against a
// local https stand-in of Azure Resource Manager (test/support/armStandIn.ts) with tokens from a local
// managed-identity endpoint. Polls are fast because the stand-in answers Retry-After: 0 (or 1), as
// ARM may: the provider's own timing code is what runs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { ArmStandIn, ARM_RESOURCE, RESOURCE_GROUP, STAND_IN_API_VERSION, SUBSCRIPTION } from "./support/armStandIn";
import { ProviderHost } from "./support/providerHost";
import { captureSerializedProvider, type Registered } from "./support/serializedProvider";

// Set before serialization: if the provider captured anything from the environment, it would show.
const SENTINEL = `sentinel-${randomBytes(12).toString("hex")}`;
process.env.KONG_TEST_SENTINEL_SECRET = SENTINEL;

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const JOB_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.App/jobs/kong-migrations`;
const TRIGGERS = { image: "kong/kong-gateway:3.14", databaseHost: "kong-pg.postgres.database.azure.com", database: "kong" };

const registered: Registered[] = [];
let providerText: Promise<string> | undefined;

/** The `__provider` text of a JobExecution built under Pulumi's mocks, as a deployment produces it. */
function serializedProvider(): Promise<string> {
    providerText ??= captureSerializedProvider(async () => {
        const { JobExecution } = await import("../components/jobExecution");
        new JobExecution("kong-migrations", { jobId: JOB_ID, triggers: TRIGGERS });
    }, registered);
    return providerText;
}

/** An environment with no Azure credential source at all. */
function bareEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!/^(AZURE_|MSI_|IDENTITY_|IMDS_|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|KONG_TEST_)/.test(k)) {
            env[k] = v;
        }
    }
    return env;
}

function errorOf(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
        () => assert.fail("expected the call to fail"),
        (err: Error) => err,
    );
}

describe("JobExecution: the resource and its serialized provider", () => {
    let text: string;
    before(async () => {
        text = await serializedProvider();
    });

    it("is the text Pulumi's host loads, and carries no credential", () => {
        assert.ok(text.startsWith("exports.handler = __f0;"), text.slice(0, 80));
        assert.ok(!text.includes(SENTINEL), "captured the environment");
        assert.ok(!text.includes("process.env"), "reads the environment in the provider itself");
        assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{8,}/, "contains something shaped like a JWT");
        assert.doesNotMatch(text, /Bearer [A-Za-z0-9]/, "contains a literal bearer token");
        assert.doesNotMatch(text, /PRIVATE KEY|client_?secret/i);
    });

    it("requires @azure/identity at run time instead of serializing it", () => {
        assert.match(text, /require\("@azure\/identity"\)/);
        assert.ok(text.length < 100_000, `${text.length} characters`);
        assert.doesNotMatch(text, /DefaultAzureCredential extends|class ManagedIdentityCredential/);
    });

    it("passes jobId and triggers, defaults timeoutSeconds and armEndpoint, and names its outputs", () => {
        const resource = registered.find((r) => r.name === "kong-migrations");
        assert.ok(resource, JSON.stringify(registered.map((r) => r.name)));
        assert.match(resource.type, /JobExecution/);
        assert.equal(resource.inputs.jobId, JOB_ID);
        assert.deepEqual(resource.inputs.triggers, TRIGGERS);
        assert.equal(resource.inputs.timeoutSeconds, 1800);
        assert.equal(resource.inputs.armEndpoint, "https://management.azure.com");
    });
});

describe("JobExecution provider: check and diff", () => {
    let host: ProviderHost;
    before(async () => {
        host = await ProviderHost.start(await serializedProvider(), bareEnv());
    });
    after(async () => {
        await host?.stop();
    });

    const base = { jobId: JOB_ID, triggers: TRIGGERS };

    it("accepts valid inputs, defaulting the timeout and the endpoint and normalizing the endpoint", async () => {
        const plain = await host.call("check", {}, base);
        assert.deepEqual(plain.failures, []);
        assert.equal(plain.inputs.timeoutSeconds, 1800);
        assert.equal(plain.inputs.armEndpoint, "https://management.azure.com");
        const sovereign = await host.call("check", {}, { ...base, armEndpoint: "https://Management.USGovCloudAPI.net/", timeoutSeconds: 60 });
        assert.deepEqual(sovereign.failures, []);
        assert.equal(sovereign.inputs.armEndpoint, "https://management.usgovcloudapi.net");
        assert.equal(sovereign.inputs.timeoutSeconds, 60);
        assert.equal(sovereign.inputs.__provider, undefined, "check returns only its own inputs; the host adds __provider");
    });

    it("rejects an endpoint that is not plain https, naming armEndpoint", async () => {
        for (const armEndpoint of [
            "http://management.azure.com",
            "ftp://management.azure.com",
            "management.azure.com",
            "https://management.azure.com/subscriptions",
            "https://management.azure.com?x=1",
            "https://user:pass@management.azure.com",
        ]) {
            const result = await host.call("check", {}, { ...base, armEndpoint });
            const failure = result.failures.find((f: { property: string }) => f.property === "armEndpoint");
            assert.ok(failure, `${armEndpoint} was accepted`);
        }
        const http = await host.call("check", {}, { ...base, armEndpoint: "http://127.0.0.1:8443" });
        assert.match(http.failures[0].reason, /must use https/);
    });

    it("rejects a malformed job id, non-string triggers and a bad timeout, naming each property", async () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
            [{ jobId: "kong-migrations" }, "jobId", /ARM id of a Container Apps job/],
            [{ jobId: JOB_ID.replace("Microsoft.App/jobs", "Microsoft.App/containerApps") }, "jobId", /ARM id/],
            [{ jobId: `${JOB_ID}/start` }, "jobId", /ARM id/],
            [{ triggers: ["a"] }, "triggers", /map of strings/],
            [{ triggers: { replicas: 3 } }, "triggers.replicas", /must be a string/],
            [{ timeoutSeconds: 0 }, "timeoutSeconds", /1 to 86400/],
            [{ timeoutSeconds: 1.5 }, "timeoutSeconds", /whole number/],
            [{ timeoutSeconds: 100_000 }, "timeoutSeconds", /1 to 86400/],
        ];
        for (const [change, property, reason] of cases) {
            const result = await host.call("check", {}, { ...base, ...change });
            const failure = result.failures.find((f: { property: string }) => f.property === property);
            assert.ok(failure, `${JSON.stringify(change)} was accepted: ${JSON.stringify(result.failures)}`);
            assert.match(failure.reason, reason);
        }
    });

    it("lets values that are unknown during a preview through", async () => {
        const result = await host.call("check", {}, { jobId: UNKNOWN, triggers: { image: UNKNOWN }, armEndpoint: UNKNOWN });
        assert.deepEqual(result.failures, []);
    });

    it("replaces on any trigger change or another job, and on nothing else", async () => {
        const olds = {
            jobId: JOB_ID,
            triggers: TRIGGERS,
            timeoutSeconds: 1800,
            armEndpoint: "https://management.azure.com",
            executionName: "kong-migrations-abc1234",
            status: "Succeeded",
        };
        const news = { jobId: JOB_ID, triggers: TRIGGERS, timeoutSeconds: 1800, armEndpoint: "https://management.azure.com" };
        const diff = (change: Record<string, unknown>) => host.call("diff", "id", olds, { ...news, ...change });
        assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
        const reordered = { database: "kong", databaseHost: TRIGGERS.databaseHost, image: TRIGGERS.image };
        assert.equal((await diff({ triggers: reordered })).changes, false, "key order is not a change");
        assert.equal((await diff({ jobId: JOB_ID.toLowerCase() })).changes, false, "ARM ids are case-insensitive");
        assert.equal((await diff({ timeoutSeconds: 60 })).changes, false, "a new timeout alone runs nothing");

        for (const triggers of [
            { ...TRIGGERS, image: "kong/kong-gateway:3.14.0.1" },
            { ...TRIGGERS, extra: "x" },
            { image: TRIGGERS.image, database: "kong" },
            { ...TRIGGERS, image: UNKNOWN },
        ]) {
            const result = await diff({ triggers });
            assert.deepEqual(result, { changes: true, replaces: ["triggers"], deleteBeforeReplace: false }, JSON.stringify(triggers));
        }
        assert.deepEqual((await diff({ triggers: UNKNOWN })).replaces, ["triggers"]);
        assert.deepEqual((await diff({ jobId: JOB_ID.replace("kong-migrations", "other-job") })).replaces, ["jobId"]);
        assert.deepEqual((await diff({ jobId: UNKNOWN })).replaces, ["jobId"]);
        assert.deepEqual((await diff({ armEndpoint: "https://management.usgovcloudapi.net" })).replaces, ["armEndpoint"]);
    });
});

describe("JobExecution provider against a local ARM stand-in", () => {
    let arm: ArmStandIn;
    let host: ProviderHost;
    let jobs = 0;
    before(async () => {
        arm = await ArmStandIn.start();
        host = await ProviderHost.start(await serializedProvider(), arm.providerEnv());
    });
    after(async () => {
        await host?.stop();
        await arm?.stop();
    });

    /** Inputs as check() would hand them to create, for a fresh job of the stand-in. */
    function inputsFor(jobId: string, extra: Record<string, unknown> = {}) {
        return { jobId, triggers: TRIGGERS, timeoutSeconds: 60, armEndpoint: arm.origin, ...extra };
    }
    function newJob(script: Parameters<ArmStandIn["addJob"]>[1]): string {
        return arm.addJob(`kong-migrations-${++jobs}`, script);
    }
    const starts = (jobId: string) => arm.requestsFor(jobId).filter((r) => r.method === "POST" && r.path.endsWith("/start"));
    const gets = (jobId: string, name: string) => arm.requestsFor(jobId).filter((r) => r.method === "GET" && r.path.endsWith(`/executions/${name}`));

    it("the stand-in refuses tokens it did not issue for ARM (so every accepted request below carried one)", async () => {
        const status = await new Promise<number>((resolve, reject) => {
            const req = https.request(
                `${arm.origin}${JOB_ID}/executions?api-version=${STAND_IN_API_VERSION}`,
                { ca: arm.caPem, headers: { authorization: "Bearer made-up" } },
                (res) => {
                    res.resume();
                    resolve(res.statusCode ?? 0);
                },
            );
            req.on("error", reject);
            req.end();
        });
        assert.equal(status, 401);
        assert.equal(arm.requests.at(-1)?.auth, "unknown-token");
    });

    it("starts one execution, polls it Running -> Succeeded, and returns its outputs", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Running", "Processing", "Running", "Succeeded"] });
        const begun = Date.now();
        const result = await host.call("create", inputsFor(jobId));
        const elapsed = Date.now() - begun;

        const [execution] = arm.executions(jobId);
        assert.equal(arm.executions(jobId).length, 1);
        assert.equal(result.id, `${jobId}/executions/${execution.name}`);
        assert.equal(result.outs.executionName, execution.name);
        assert.equal(result.outs.status, "Succeeded");
        assert.equal(result.outs.startedAt, execution.startTime);
        assert.equal(result.outs.endedAt, execution.endTime);
        assert.equal(result.outs.jobId, jobId);
        assert.deepEqual(result.outs.triggers, TRIGGERS);
        assert.equal(result.outs.armEndpoint, arm.origin);

        const requests = arm.requestsFor(jobId);
        assert.equal(starts(jobId).length, 1, "exactly one start");
        assert.equal(starts(jobId)[0].bodyLength, 0, "no template override: the job runs its own template");
        assert.equal(gets(jobId, execution.name).length, 4, "polled until terminal, then stopped");
        assert.ok(requests.every((r) => r.auth === "ok"), JSON.stringify(requests));
        assert.ok(requests.every((r) => r.apiVersion === "2025-01-01"));
        assert.ok(arm.tokens.requestedResources.every((r) => r === ARM_RESOURCE), JSON.stringify(arm.tokens.requestedResources));
        const outs = JSON.stringify(result);
        assert.ok(arm.tokens.issued.every((t) => !outs.includes(t)), "a token reached the outputs");
        assert.ok(elapsed < 5_000, `${elapsed} ms: Retry-After: 0 was not honoured`);
    });

    for (const status of ["Failed", "Stopped", "Degraded"]) {
        it(`fails clearly when the execution ends ${status}, naming job, execution, status and where the logs are`, { timeout: 30_000 }, async () => {
            const jobId = newJob({ statuses: ["Running", status] });
            const err = await errorOf(host.call("create", inputsFor(jobId)));
            const [execution] = arm.executions(jobId);
            const name = jobId.split("/").at(-1)!;
            for (const expected of [
                `Execution ${execution.name}`,
                `Container Apps job "${name}"`,
                `resource group "${RESOURCE_GROUP}"`,
                `ended with status ${status}`,
                `az containerapp job execution show --name ${name} --resource-group ${RESOURCE_GROUP}`,
                `--job-execution-name ${execution.name}`,
                `az containerapp job logs show --name ${name}`,
                `--execution ${execution.name} --container kong-migrations`,
                "run `pulumi up` again",
            ]) {
                assert.ok(err.message.includes(expected), `lacks ${JSON.stringify(expected)}:\n${err.message}`);
            }
            assert.equal(starts(jobId).length, 1);
        });
    }

    it("times out after timeoutSeconds, saying the execution may still run and how to stop it", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Running"] });
        const begun = Date.now();
        const err = await errorOf(host.call("create", inputsFor(jobId, { timeoutSeconds: 1 })));
        const elapsed = Date.now() - begun;
        const [execution] = arm.executions(jobId);
        assert.match(err.message, /^Timed out after 1 s/);
        assert.ok(err.message.includes(`execution ${execution.name}`), err.message);
        assert.match(err.message, /last status was Running/);
        assert.match(err.message, /did NOT stop/);
        assert.ok(err.message.includes(`az containerapp job stop --name ${execution.name.replace(/-[0-9a-f]+$/, "")}`), err.message);
        assert.ok(elapsed >= 1_000 && elapsed < 4_000, `${elapsed} ms`);
        const last = gets(jobId, execution.name).at(-1)!;
        assert.ok(last.at - begun >= 900, "polled once more at the deadline");
    });

    it("retries a start that failed with 503 after listing shows it started nothing: one execution", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Running", "Succeeded"], start: [{ kind: "fail", status: 503, retryAfter: "0" }] });
        const result = await host.call("create", inputsFor(jobId));
        assert.equal(result.outs.status, "Succeeded");
        assert.equal(starts(jobId).length, 2);
        assert.deepEqual(
            starts(jobId).map((r) => r.status),
            [503, 200],
        );
        assert.equal(arm.executions(jobId).length, 1);
        const requests = arm.requestsFor(jobId);
        const firstStart = requests.findIndex((r) => r.path.endsWith("/start"));
        const secondStart = requests.findIndex((r, i) => i > firstStart && r.path.endsWith("/start"));
        assert.ok(
            requests.slice(firstStart + 1, secondStart).some((r) => r.method === "GET" && r.path.endsWith("/executions")),
            "listed the executions before starting again",
        );
    });

    for (const answer of [
        { kind: "fail" as const, status: 503, retryAfter: "0", started: true },
        { kind: "fail" as const, status: 500, started: true },
        { kind: "reset" as const, started: true },
    ]) {
        it(`adopts the execution a start started although it answered ${answer.kind === "reset" ? "with a dropped connection" : answer.status}: never a second one`, { timeout: 30_000 }, async () => {
            const jobId = newJob({ statuses: ["Running", "Succeeded"], start: [answer] });
            const result = await host.call("create", inputsFor(jobId));
            assert.equal(starts(jobId).length, 1, "started again after an ambiguous failure");
            assert.equal(arm.executions(jobId).length, 1);
            assert.equal(result.outs.executionName, arm.executions(jobId)[0].name);
            assert.equal(result.outs.status, "Succeeded");
        });
    }

    it("honours Retry-After on 429, longer and shorter than its own backoff, for the start and for polls", { timeout: 30_000 }, async () => {
        // The provider's own first retry delay is 1 s: "2" and "0" show the server's value wins.
        const jobId = newJob({
            statuses: ["Running", "Succeeded"],
            start: [{ kind: "fail", status: 429, retryAfter: "2" }],
            executionGets: [{ status: 429, retryAfter: "0" }],
        });
        const result = await host.call("create", inputsFor(jobId));
        assert.equal(result.outs.status, "Succeeded");
        // 429 means ARM refused before acting: the start is simply repeated, and one execution exists.
        const [throttledStart, start] = starts(jobId);
        assert.deepEqual([throttledStart.status, start.status], [429, 200]);
        const startGap = start.at - throttledStart.at;
        assert.ok(startGap >= 1_950 && startGap < 3_500, `start retried after ${startGap} ms, not the 2 s asked for`);
        assert.equal(arm.executions(jobId).length, 1);
        const polls = gets(jobId, result.outs.executionName);
        assert.equal(polls[0].status, 429);
        const pollGap = polls[1].at - polls[0].at;
        assert.ok(pollGap < 700, `poll retried after ${pollGap} ms, not at once as asked`);
    });

    it("follows a 202 Accepted start through its Location to the execution", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Running", "Succeeded"], start: [{ kind: "accepted", pendingPolls: 2 }] });
        const result = await host.call("create", inputsFor(jobId));
        assert.equal(result.outs.executionName, arm.executions(jobId)[0].name);
        assert.equal(result.outs.status, "Succeeded");
        const operationPolls = arm.requests.filter((r) => r.path.includes("/containerappOperationResults/"));
        assert.ok(operationPolls.length >= 3 && operationPolls.every((r) => r.auth === "ok"));
    });

    it("refuses to follow a Location outside the ARM endpoint with the token", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Succeeded"], start: [{ kind: "accepted-elsewhere" }] });
        const err = await errorOf(host.call("create", inputsFor(jobId)));
        assert.match(err.message, /outside https:\/\/127\.0\.0\.1:\d+ \(https:\/\/attacker\.example\); refusing to send the ARM token there/);
    });

    it("waits for an execution of the same job that is already running before starting its own", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Running", "Succeeded"] });
        const earlier = arm.addExecution(jobId, ["Running", "Running", "Succeeded"]);
        const result = await host.call("create", inputsFor(jobId));
        assert.notEqual(result.outs.executionName, earlier.name);
        assert.equal(arm.executions(jobId).length, 2);
        const earlierPolls = gets(jobId, earlier.name);
        assert.equal(earlierPolls.length, 3);
        assert.ok(starts(jobId)[0].at >= earlierPolls[2].at, "started before the running execution had ended");
    });

    it("starts nothing while another execution keeps running, and says why", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Succeeded"] });
        const stuck = arm.addExecution(jobId, ["Running"]);
        const err = await errorOf(host.call("create", inputsFor(jobId, { timeoutSeconds: 1 })));
        assert.equal(starts(jobId).length, 0);
        assert.ok(err.message.includes(`execution ${stuck.name} of the same job is still Running`), err.message);
        assert.match(err.message, /twice at the same time/);
    });

    it("verifies the endpoint's TLS certificate: without the CA trusted it fails at once and sends nothing", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Succeeded"] });
        const env = arm.providerEnv();
        delete env.NODE_EXTRA_CA_CERTS;
        const untrusting = await ProviderHost.start(await serializedProvider(), env);
        try {
            const begun = Date.now();
            const err = await errorOf(untrusting.call("create", inputsFor(jobId)));
            assert.match(err.message, /certificate|self.signed|unable to verify/i);
            assert.ok(Date.now() - begun < 3_000, "a TLS failure is not retried");
        } finally {
            await untrusting.stop();
        }
        assert.equal(arm.requestsFor(jobId).length, 0);
    });

    it("reports a job that does not exist with the id to check", { timeout: 30_000 }, async () => {
        const jobId = JOB_ID.replace("kong-migrations", "no-such-job");
        const err = await errorOf(host.call("create", inputsFor(jobId)));
        assert.match(err.message, /HTTP 404 ResourceNotFound/);
        assert.ok(err.message.includes(`Check jobId: ${jobId}`), err.message);
    });

    it("refresh reads the execution again, and keeps the state when Azure no longer lists it", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Succeeded"] });
        const created = await host.call("create", inputsFor(jobId));
        const read = await host.call("read", created.id, created.outs);
        assert.equal(read.id, created.id);
        assert.equal(read.props.status, "Succeeded");
        assert.equal(read.props.executionName, created.outs.executionName);

        const pruned = { ...created.outs, executionName: "kong-migrations-pruned" };
        const kept = await host.call("read", `${jobId}/executions/kong-migrations-pruned`, pruned);
        assert.equal(kept.id, `${jobId}/executions/kong-migrations-pruned`, "an empty id would make the next up run the job again");
        assert.equal(kept.props.status, "Succeeded");
        assert.equal(kept.props.executionName, "kong-migrations-pruned");
    });

    it("delete is a no-op: no token, no request, even with no credential source at all", { timeout: 30_000 }, async () => {
        const jobId = newJob({ statuses: ["Succeeded"] });
        const created = await host.call("create", inputsFor(jobId));
        const requestsBefore = arm.requests.length;
        const tokensBefore = arm.tokens.requestedResources.length;
        const bare = await ProviderHost.start(await serializedProvider(), bareEnv());
        try {
            assert.equal(await bare.call("delete", created.id, created.outs), null);
        } finally {
            await bare.stop();
        }
        assert.equal(await host.call("delete", created.id, created.outs), null);
        assert.equal(arm.requests.length, requestsBefore);
        assert.equal(arm.tokens.requestedResources.length, tokensBefore);
        assert.equal(arm.executions(jobId).length, 1);
    });
});
