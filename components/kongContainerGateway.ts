/**
 * Kong Gateway on Azure Container Apps (the default runtime).
 *
 * - A workload-profiles managed environment on Kong's subnet, so all egress leaves through the
 *   NAT gateway's static address that the database firewall allows.
 * - Migrations run exactly once per change, from one place: a manual Container Apps Job runs
 *   `kong migrations bootstrap && kong migrations up`, started and awaited by a `JobExecution`
 *   before the app's new revision exists; a second job runs `kong migrations finish` after the new
 *   revision is live. Never from every replica's init container: `bootstrap` creates its tables
 *   before taking Kong's lock, so concurrent first boots race, and `finish` while an old revision
 *   still serves breaks it. `kong start` refuses only a pending bootstrap or `up`, so the new
 *   revision starts with `finish` pending.
 * - The client secret and the optional licence are Container Apps secrets referenced from env,
 *   never plain env values. Changing a secret's value does not start a new revision, so the
 *   template carries the secret's key id (not secret): a rotated secret changes it, Azure rolls a
 *   new revision, and only then does Pulumi delete the old secret (create-before-delete).
 * - Ingress reaches the proxy only; the Admin API and Kong Manager listen on localhost inside the
 *   container (`admin_listen`, `admin_gui_listen` from the settings model). Probes use
 *   `status_listen`: readiness `/status/ready`, liveness `/status`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app";
import type * as inputs from "@pulumi/azure-native/types/input";
import { JobExecution } from "./jobExecution";
import {
  KONG_CLIENT_SECRET_ENV,
  KONG_LICENSE_ENV,
  KONG_PORTS,
  KONG_STATUS_PATHS,
  toEnvironment,
  type KongSettings,
} from "./kongSettings";

/** Container Apps secret names (lowercase alphanumerics and '-'). */
export const CONTAINER_SECRET_NAMES = { clientSecret: "pg-azure-client-secret", license: "kong-license" } as const;

/**
 * A plain env variable that changes exactly when the client secret is replaced, so the new secret
 * reaches a new revision. Not `KONG_`-prefixed (Kong would read it as a setting) and not `AZURE_`
 * (Kong's Azure library picks its credential by those).
 */
export const SECRET_VERSION_ENV = "PG_CLIENT_SECRET_KEY_ID";

/** The migration commands each job runs (shell: `&&` stops at the first failure). */
export const MIGRATION_COMMANDS = {
  up: ["/bin/sh", "-c", "kong migrations bootstrap && kong migrations up"],
  finish: ["/bin/sh", "-c", "kong migrations finish"],
} as const;

/** How long one migration attempt may run in its container. */
export const JOB_REPLICA_TIMEOUT_SECONDS = 1800;
/** How long the deployment waits for it: the attempt plus starting and an earlier run still going. */
export const JOB_WAIT_SECONDS = JOB_REPLICA_TIMEOUT_SECONDS + 300;

export interface KongContainerGatewayArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Record<string, string>;
  readonly environmentName: pulumi.Input<string>;
  readonly appName: pulumi.Input<string>;
  readonly migrateJobName: pulumi.Input<string>;
  readonly finishJobName: pulumi.Input<string>;
  /** Subnet delegated to Microsoft.App/environments, behind the NAT gateway. */
  readonly infrastructureSubnetId: pulumi.Input<string>;
  /** `kong/kong-gateway:<version>`. */
  readonly image: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpu: number;
  readonly memory: string;
  /** Kong's readable settings for serving (with `pg_ro_*` when there is a replica). */
  readonly settings: pulumi.Input<KongSettings>;
  /** The same without `pg_ro_*`: Kong's CLI never uses them, so migrations need not wait for the replica. */
  readonly migrationSettings: pulumi.Input<KongSettings>;
  /** The service principal's client secret (a Pulumi secret). */
  readonly clientSecret: pulumi.Input<string>;
  /** Key id of the client secret: changes exactly when the secret is replaced. */
  readonly clientSecretKeyId: pulumi.Input<string>;
  /** Kong Enterprise licence (a Pulumi secret), optional. */
  readonly license?: pulumi.Input<string>;
  /** What migrations wait for: the database grants (and Kong's firewall rule on the primary). */
  readonly migrationsAfter: pulumi.Input<pulumi.Resource>[];
  /** What serving waits for besides migrations: the replica's firewall rule for Kong, when there is a replica. */
  readonly servingAfter: pulumi.Input<pulumi.Resource>[];
}

function environmentVariables(settings: KongSettings, hasLicense: boolean, keyId: pulumi.Input<string>): pulumi.Output<inputs.app.EnvironmentVarArgs[]> {
  return pulumi.output(keyId).apply((id) => {
    const env: inputs.app.EnvironmentVarArgs[] = Object.entries(toEnvironment(settings)).map(([name, value]) => ({ name, value }));
    env.push({ name: KONG_CLIENT_SECRET_ENV, secretRef: CONTAINER_SECRET_NAMES.clientSecret });
    if (hasLicense) env.push({ name: KONG_LICENSE_ENV, secretRef: CONTAINER_SECRET_NAMES.license });
    env.push({ name: SECRET_VERSION_ENV, value: id });
    return env;
  });
}

export class KongContainerGateway extends pulumi.ComponentResource {
  readonly environment: app.ManagedEnvironment;
  readonly app: app.ContainerApp;
  readonly migrateJob: app.Job;
  readonly finishJob: app.Job;
  readonly migrations: JobExecution;
  readonly finish: JobExecution;
  /** `https://<app fqdn>`: Kong's proxy. */
  readonly proxyUrl: pulumi.Output<string>;

  constructor(name: string, args: KongContainerGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:KongContainerGateway", name, {}, opts);
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };

    this.environment = new app.ManagedEnvironment(
      `${name}-env`,
      {
        ...common,
        environmentName: args.environmentName,
        // Workload profiles: the environment type that accepts a NAT gateway on its subnet.
        workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
        vnetConfiguration: { infrastructureSubnetId: args.infrastructureSubnetId, internal: false },
      },
      { parent: this },
    );

    const secrets: pulumi.Input<inputs.app.SecretArgs>[] = [{ name: CONTAINER_SECRET_NAMES.clientSecret, value: pulumi.secret(args.clientSecret) }];
    if (args.license !== undefined) secrets.push({ name: CONTAINER_SECRET_NAMES.license, value: pulumi.secret(args.license) });
    const hasLicense = args.license !== undefined;
    const resources = { cpu: args.cpu, memory: args.memory };

    const job = (suffix: string, jobName: pulumi.Input<string>, command: readonly string[]) =>
      new app.Job(
        `${name}-${suffix}-job`,
        {
          ...common,
          jobName,
          environmentId: this.environment.id,
          workloadProfileName: "Consumption",
          configuration: {
            triggerType: "Manual",
            manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
            // One attempt: a failed migration is for an operator to read, not to re-run blindly.
            replicaRetryLimit: 0,
            replicaTimeout: JOB_REPLICA_TIMEOUT_SECONDS,
            secrets,
          },
          template: {
            containers: [
              {
                name: "kong-migrations",
                image: args.image,
                command: [...command],
                env: pulumi.output(args.migrationSettings).apply((s) => environmentVariables(s, hasLicense, args.clientSecretKeyId)),
                resources,
              },
            ],
          },
        },
        { parent: this },
      );
    this.migrateJob = job("migrate", args.migrateJobName, MIGRATION_COMMANDS.up);
    this.finishJob = job("finish", args.finishJobName, MIGRATION_COMMANDS.finish);

    // Runs again whenever Kong's image or its database connection changes.
    const migrationTriggers = pulumi.output(args.migrationSettings).apply((s) => ({
      image: args.image,
      host: s.pg_host ?? "",
      database: s.pg_database ?? "",
      user: s.pg_user ?? "",
    }));
    this.migrations = new JobExecution(`${name}-migrations`, { jobId: this.migrateJob.id, triggers: migrationTriggers, timeoutSeconds: JOB_WAIT_SECONDS }, { parent: this, dependsOn: args.migrationsAfter });

    this.app = new app.ContainerApp(
      `${name}-app`,
      {
        ...common,
        containerAppName: args.appName,
        environmentId: this.environment.id,
        workloadProfileName: "Consumption",
        configuration: {
          activeRevisionsMode: "Single",
          secrets,
          ingress: {
            external: true,
            targetPort: KONG_PORTS.proxyHttp,
            transport: "http",
            allowInsecure: false,
            traffic: [{ latestRevision: true, weight: 100 }],
          },
        },
        template: {
          containers: [
            {
              name: "kong",
              image: args.image,
              env: pulumi.output(args.settings).apply((s) => environmentVariables(s, hasLicense, args.clientSecretKeyId)),
              resources,
              probes: [
                { type: "Readiness", httpGet: { path: KONG_STATUS_PATHS.readiness, port: KONG_PORTS.status }, periodSeconds: 10, failureThreshold: 3 },
                { type: "Liveness", httpGet: { path: KONG_STATUS_PATHS.liveness, port: KONG_PORTS.status }, periodSeconds: 10, failureThreshold: 3 },
              ],
            },
          ],
          scale: { minReplicas: args.minReplicas, maxReplicas: args.maxReplicas },
        },
      },
      { parent: this, dependsOn: [this.migrations, ...args.servingAfter] },
    );
    // The SDK fills defaults into `configuration` with one apply, so the whole object inherits the
    // secrecy of the secrets inside it; the ingress FQDN itself is not secret.
    this.proxyUrl = pulumi.unsecret(this.app.configuration.apply((c) => `https://${c?.ingress?.fqdn ?? ""}`));

    // `finish` once the new revision serves (Single revision mode retires the old one).
    this.finish = new JobExecution(
      `${name}-migrations-finish`,
      { jobId: this.finishJob.id, triggers: pulumi.all([migrationTriggers, this.app.latestRevisionName]).apply(([t, revision]) => ({ ...t, revision })), timeoutSeconds: JOB_WAIT_SECONDS },
      { parent: this, dependsOn: [this.app] },
    );

    this.registerOutputs({ proxyUrl: this.proxyUrl });
  }
}
