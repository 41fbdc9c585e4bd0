/**
 * Kong's database settings as Pulumi outputs: the pure settings model (`kongSettings.ts`) applied
 * to the deployed server, replica, database, role and identity — so Kong's settings can never
 * disagree with what was deployed. Only non-secret outputs go in, so the result stays readable
 * in previews and diffs; the client secret travels separately.
 */
import * as pulumi from "@pulumi/pulumi";
import { envName, KONG_CLIENT_SECRET_ENV, kongDatabaseSettings, toEnvironment, type KongAzureIdentity, type KongSettings } from "./kongSettings";

export interface KongConnectionArgs {
  /** FQDN of the primary. */
  readonly host: pulumi.Input<string>;
  readonly port: number;
  readonly database: pulumi.Input<string>;
  /** Kong's PostgreSQL role (the role the database layer created, or Azure's for an administrator). */
  readonly user: pulumi.Input<string>;
  readonly identityMode: "servicePrincipal" | "managedIdentity";
  readonly tenantId: pulumi.Input<string>;
  readonly clientId: pulumi.Input<string>;
  /** FQDN of the read replica, if any. */
  readonly replicaHost?: pulumi.Input<string>;
}

/**
 * Kong's readable settings. `withReplica: false` leaves out the `pg_ro_*` keys: Kong's CLI
 * (migrations) never uses them, so the migrations job need not wait for the replica.
 */
export function kongSettingsOutput(args: KongConnectionArgs, withReplica: boolean): pulumi.Output<KongSettings> {
  return pulumi
    .all([args.host, args.database, args.user, args.tenantId, args.clientId, withReplica ? args.replicaHost : undefined])
    .apply(([host, database, user, tenantId, clientId, replicaHost]) => {
      const identity: KongAzureIdentity =
        args.identityMode === "servicePrincipal" ? { kind: "servicePrincipal", tenantId, clientId } : { kind: "managedIdentity", clientId };
      return kongDatabaseSettings({ host, port: args.port, database, user, identity, replicaHost });
    });
}

/** Setting keys the model emits for this identity and replica shape (known before deployment). */
export function settingKeysFor(identityMode: KongConnectionArgs["identityMode"], withReplica: boolean): string[] {
  // The model itself decides which keys exist; ask it with documentation values.
  const clientId = "00000000-0000-0000-0000-000000000000";
  const identity: KongAzureIdentity =
    identityMode === "servicePrincipal" ? { kind: "servicePrincipal", tenantId: clientId, clientId } : { kind: "managedIdentity", clientId };
  return Object.keys(
    kongDatabaseSettings({ host: "primary.example.com", database: "kong", user: "kong", identity, replicaHost: withReplica ? "replica.example.com" : undefined }),
  );
}

/**
 * Kong's settings in environment form as a stack output: one output per variable, so only the
 * client secret's variable is secret and the rest stay readable to `pulumi stack output` and to
 * stack references.
 */
export function kongEnvironmentOutputs(
  settings: pulumi.Output<KongSettings>,
  keys: readonly string[],
  clientSecret?: pulumi.Output<string>,
): Record<string, pulumi.Output<string>> {
  const env: Record<string, pulumi.Output<string>> = {};
  for (const key of keys) env[envName(key)] = settings.apply((s) => toEnvironment(s)[envName(key)] ?? "");
  if (clientSecret) env[KONG_CLIENT_SECRET_ENV] = pulumi.secret(clientSecret);
  return env;
}

/** The environment variables of Azure's Service Connector naming for PostgreSQL with Entra. */
export const AZURE_POSTGRESQL_ENV = {
  host: "AZURE_POSTGRESQL_HOST",
  port: "AZURE_POSTGRESQL_PORT",
  database: "AZURE_POSTGRESQL_DATABASE",
  user: "AZURE_POSTGRESQL_USER",
  ssl: "AZURE_POSTGRESQL_SSL",
  clientId: "AZURE_POSTGRESQL_CLIENTID",
  tenantId: "AZURE_POSTGRESQL_TENANTID",
  clientSecret: "AZURE_POSTGRESQL_CLIENTSECRET",
} as const;

/**
 * The same connection in the `AZURE_POSTGRESQL_*` naming other Azure apps use (Service Connector),
 * so a non-Kong app can connect with the usual token-as-password code. Only the client secret is
 * secret; a managed identity has neither tenant id nor secret.
 */
export function azurePostgresqlOutputs(args: KongConnectionArgs, clientSecret?: pulumi.Output<string>): Record<string, pulumi.Output<string>> {
  const env: Record<string, pulumi.Output<string>> = {
    [AZURE_POSTGRESQL_ENV.host]: pulumi.output(args.host),
    [AZURE_POSTGRESQL_ENV.port]: pulumi.output(String(args.port)),
    [AZURE_POSTGRESQL_ENV.database]: pulumi.output(args.database),
    [AZURE_POSTGRESQL_ENV.user]: pulumi.output(args.user),
    [AZURE_POSTGRESQL_ENV.ssl]: pulumi.output("true"),
    [AZURE_POSTGRESQL_ENV.clientId]: pulumi.output(args.clientId),
  };
  if (args.identityMode === "servicePrincipal") {
    env[AZURE_POSTGRESQL_ENV.tenantId] = pulumi.output(args.tenantId);
    if (clientSecret) env[AZURE_POSTGRESQL_ENV.clientSecret] = pulumi.secret(clientSecret);
  }
  return env;
}
