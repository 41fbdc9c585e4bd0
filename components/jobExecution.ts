// One run of a manual-trigger Container Apps job per change of its triggers, awaited: how Kong's
// database migrations run exactly once per deployment, from one place, before Kong's new revision.
// The provider's behaviour and its reasons are in ./jobExecutionProvider.ts.

import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_SECONDS, jobExecutionProvider } from "./jobExecutionProvider";

export interface JobExecutionArgs {
    /**
     * ARM id of the manual-trigger Container Apps job to run (`app.Job`'s `id`):
     * `/subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.App/jobs/<name>`. Passing the
     * job's `id` output also orders this resource after the job's own create or update, so a new image
     * is in the job before it runs. A different job (case aside) runs again.
     */
    readonly jobId: pulumi.Input<string>;
    /**
     * Values whose change must run the job again, e.g. `{ image, databaseHost, database }`: any value
     * changed, added or removed replaces this resource, which starts a new execution. Use the same
     * values the job itself is built from. Values are kept in the state in clear text: for a secret,
     * pass a non-secret fingerprint (a key version id, a hash), never the secret.
     */
    readonly triggers: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * How long `pulumi up` waits, in seconds, for the whole run: an execution of the same job that is
     * already running, the start, and the execution itself. Default 1800; 1 to 86400. Keep the job's
     * `replicaTimeout` below it. Changing only this value runs nothing.
     */
    readonly timeoutSeconds?: number;
    /**
     * Azure Resource Manager's https origin, default `https://management.azure.com`. Only `https://`
     * with no path is accepted (requests carry an ARM bearer token). The token is requested for
     * `https://management.azure.com/.default`, Azure public cloud's ARM audience.
     */
    readonly armEndpoint?: pulumi.Input<string>;
}

/**
 * Starts one execution of a manual-trigger Container Apps job and waits until it succeeds.
 *
 * Azure starts a manual job only through its ARM action `POST {jobId}/start`, not through a resource:
 * this resource is that action, made once per change of `jobId` or `triggers`. Make Kong's Container
 * App (or anything else that needs the migrated database) `dependsOn` it.
 *
 * - create: waits for any execution of the job that is already Running or Processing (two runs of
 *   Kong's migrations at once are unsafe), starts one execution, and polls it (5 s growing to 30 s,
 *   or as the server's Retry-After says) until it ends, within `timeoutSeconds`. Succeeded: done.
 *   Failed, Stopped or Degraded, or the timeout: the `up` fails with the job, execution and status
 *   and the commands to read its logs; nothing is recorded, so the next `up` runs it again. A
 *   timeout does not stop the execution; the next `up` waits for it before starting another.
 * - exactly once: a start request that failed in a way that leaves unknown whether Azure acted on
 *   it (a 5xx, a dropped connection) is not simply repeated: the job's executions are listed, and one
 *   that appeared meanwhile is taken as this run. Only a failure that proves nothing started (429,
 *   connection refused, an empty listing after a 5xx) leads to another start request.
 * - changes: a new `jobId`, `armEndpoint` or any change of `triggers` replaces the resource (a new
 *   execution runs before the old record goes); nothing is ever updated in place.
 * - refresh: reads the execution's status again. An execution Azure no longer lists (its history is
 *   pruned) stays in the state as recorded, so a refresh never makes the next `up` re-run the job.
 * - delete: nothing to do and no request made. The record is history: removing it undoes nothing
 *   and deletes nothing, neither the migrations' effect on the database nor the job.
 * - credentials: `DefaultAzureCredential`, a fresh ARM token per request during the operation; no
 *   token or secret is captured, stored or returned.
 *
 * What the job runs is the job's business (for Kong: `kong migrations bootstrap && kong migrations
 * up`; `finish` only once no node of the old version serves any more).
 */
export class JobExecution extends pulumi.dynamic.Resource {
    // `declare`: with ES2022 class fields a plain declaration would overwrite, after super(), the
    // outputs Pulumi has just set.
    /** The execution's name (`az containerapp job execution show --job-execution-name`). */
    declare readonly executionName: pulumi.Output<string>;
    /** The execution's status when it ended (`Succeeded`), or as last refreshed. */
    declare readonly status: pulumi.Output<string>;
    /** When the execution started (ISO 8601), if Azure reported it. */
    declare readonly startedAt: pulumi.Output<string | undefined>;
    /** When the execution ended (ISO 8601), if Azure reported it. */
    declare readonly endedAt: pulumi.Output<string | undefined>;

    constructor(name: string, args: JobExecutionArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            jobExecutionProvider,
            name,
            {
                jobId: args.jobId,
                triggers: args.triggers,
                timeoutSeconds: args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
                armEndpoint: args.armEndpoint ?? DEFAULT_ARM_ENDPOINT,
                // Outputs computed by the provider must be named here to be exposed.
                executionName: undefined,
                status: undefined,
                startedAt: undefined,
                endedAt: undefined,
            },
            opts,
            "containerapps",
            "JobExecution",
        );
    }
}
