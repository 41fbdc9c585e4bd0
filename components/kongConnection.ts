/**
 * Kong's database settings as Pulumi outputs: the pure settings model (`kongSettings.ts`) applied
 * to the deployed server, replica, database, role and identity — so Kong's settings can never
 * disagree with what was deployed. Only non-secret outputs go in, so the result stays readable
 * in previews and diffs; the client secret travels separately.
 */
import * as pulumi from "@pulumi/pulumi";
import { kongDatabaseSettings, type KongAzureIdentity, type KongSettings } from "./kongSettings";

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
