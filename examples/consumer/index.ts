/**
 * A later deployment that consumes kong-entra-postgres's outputs: a read-only reporting app that
 * reads Kong's database from the replica when there is one, signing in the usual way for Entra
 * (a token for https://ossrdbms-aad.database.windows.net/.default as the password).
 *
 * It derives, and exports for its own container:
 * - `readOnlyEnvironment`: libpq's variables (PGHOST…PGSSLMODE) pointing at the replica, or the
 *   primary without one — readable, no secret;
 * - `connectionUrl`: the same as a URL (no password: the token is fetched at connect time);
 * - `azureIdentityEnvironment`: the identity to sign in with, in Azure's Service Connector naming,
 *   still a secret because the stack output it comes from holds the client secret.
 */
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const kong = new pulumi.StackReference(config.require("kongStack"));

const serverHost = kong.requireOutput("serverHost") as pulumi.Output<string>;
const replicaHost = kong.getOutput("replicaHost") as pulumi.Output<string | undefined>;
const settings = kong.requireOutput("kongSettings") as pulumi.Output<Record<string, string>>;

/** The replica for reads when the Kong stack has one, else the primary. */
export const readOnlyHost = pulumi.all([replicaHost, serverHost]).apply(([replica, primary]) => replica ?? primary);

export const readOnlyEnvironment = pulumi.all([readOnlyHost, settings]).apply(([host, s]) => ({
  PGHOST: host,
  PGPORT: s.pg_port ?? "5432",
  PGDATABASE: s.pg_database ?? "kong",
  PGUSER: s.pg_user ?? "",
  // The server certificate is verified; Azure's roots are in the system store.
  PGSSLMODE: "verify-full",
}));

export const connectionUrl = readOnlyEnvironment.apply(
  (e) => `postgresql://${encodeURIComponent(e.PGUSER)}@${e.PGHOST}:${e.PGPORT}/${encodeURIComponent(e.PGDATABASE)}?sslmode=verify-full`,
);

/** AZURE_POSTGRESQL_* (client id, tenant, secret where one exists): secret as a whole. */
export const azureIdentityEnvironment = kong.requireOutput("azurePostgresql");
