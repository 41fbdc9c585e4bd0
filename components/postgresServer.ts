/**
 * Azure Database for PostgreSQL Flexible Server with "PostgreSQL and Microsoft Entra
 * authentication", its TLS settings, its Entra administrators and (optionally) a read replica.
 *
 * Every child operation on the primary runs through one {@link OperationChain}, so Azure never
 * sees two at once (`ServerBusy`). The order on the primary is:
 *   server → TLS configurations → Entra administrators → replica → firewall rules (ServerFirewall)
 * - administrators before anything signs in with Entra (an Entra-enabled server without an
 *   administrator accepts no Entra login, and `pgaadauth_*` needs one);
 * - the replica after the primary's configurations and administrators (it copies them, and the
 *   primary rejects management operations while a replica is being created);
 * - the replica before any firewall rule on the primary: a replica copies the primary's rules once,
 *   as rules this program would not manage; they would collide with the rules it declares on the
 *   replica and go stale when the allow-list shrinks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import { OperationChain } from "./operationChain";
import type { PrincipalType, SkuTier } from "./config";

export interface PostgresServerArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of the primary. */
  readonly location: pulumi.Input<string>;
  /** Azure name of the primary (global across Azure). */
  readonly serverName: pulumi.Input<string>;
  readonly tags: Record<string, string>;
  /** Entra tenant the server trusts for sign-ins. */
  readonly tenantId: pulumi.Input<string>;
  /** PostgreSQL major version ("16" or "17"). */
  readonly version: string;
  readonly skuName: string;
  readonly skuTier: SkuTier;
  /** Storage in GiB (one of Azure's steps). */
  readonly storageSizeGb: number;
  readonly backupRetentionDays: number;
  readonly geoRedundantBackup: boolean;
  /** Zone-redundant high availability. */
  readonly highAvailability: boolean;

  /** Deployment administrator: the principal the database layer signs in as. */
  readonly deploymentAdminName: pulumi.Input<string>;
  readonly deploymentAdminObjectId: pulumi.Input<string>;
  readonly deploymentAdminType: pulumi.Input<PrincipalType>;

  /** Kong's identity as an Entra administrator too (role mode `administrator`); unset in `principal` mode. */
  readonly kongAdministratorName?: pulumi.Input<string>;
  readonly kongAdministratorObjectId?: pulumi.Input<string>;

  /** Create a read replica with these settings (unset: no replica). */
  readonly replicaServerName?: pulumi.Input<string>;
  readonly replicaLocation?: pulumi.Input<string>;
  readonly replicaSkuName?: string;
  readonly replicaSkuTier?: SkuTier;
  readonly replicaStorageSizeGb?: number;

  /** `protect` the primary and the replica (production). */
  readonly protect: boolean;
}

/** Server parameters pinned on both servers: TLS only, at least TLS 1.2. */
export const TLS_CONFIGURATIONS = [
  { key: "require-secure-transport", name: "require_secure_transport", value: "ON" },
  { key: "ssl-min-protocol-version", name: "ssl_min_protocol_version", value: "TLSv1.2" },
] as const;

/** The password-based administrator login (Azure requires one while password auth is enabled). */
export const ADMINISTRATOR_LOGIN = "psqladmin";

export class PostgresServer extends pulumi.ComponentResource {
  readonly server: dbforpostgresql.Server;
  readonly serverName: pulumi.Output<string>;
  /** FQDN of the primary: Kong's `pg_host`. */
  readonly fqdn: pulumi.Output<string>;
  readonly port: number = 5432;
  readonly administratorLogin: string = ADMINISTRATOR_LOGIN;
  /** Password of the password-based administrator (a Pulumi secret; kept for break-glass use). */
  readonly administratorPassword: pulumi.Output<string>;
  /** The deployment administrator assignment: nothing may sign in with Entra before it exists. */
  readonly deploymentAdministrator: dbforpostgresql.AdministratorsMicrosoftEntra;
  /** Kong's administrator assignment (role mode `administrator`). */
  readonly kongAdministrator?: dbforpostgresql.AdministratorsMicrosoftEntra;
  /** Operations on the primary; its last link is the replica when there is one. */
  readonly primaryOperations: OperationChain;

  readonly replica?: dbforpostgresql.Server;
  /** FQDN of the replica: Kong's `pg_ro_host`. */
  readonly replicaFqdn?: pulumi.Output<string>;
  readonly replicaServerName?: pulumi.Output<string>;
  /** Operations on the replica. */
  readonly replicaOperations?: OperationChain;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:PostgresServer", name, {}, opts);

    // Azure: 8–128 characters from at least three of upper, lower, digits, symbols.
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 32, minLower: 2, minUpper: 2, minNumeric: 2, minSpecial: 2, overrideSpecial: "-_.~!*" },
      { parent: this },
    );
    this.administratorPassword = pulumi.secret(password.result);

    this.server = new dbforpostgresql.Server(
      `${name}-server`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        serverName: args.serverName,
        tags: args.tags,
        version: args.version,
        sku: { name: args.skuName, tier: args.skuTier },
        storage: { storageSizeGB: args.storageSizeGb },
        backup: { backupRetentionDays: args.backupRetentionDays, geoRedundantBackup: args.geoRedundantBackup ? "Enabled" : "Disabled" },
        highAvailability: { mode: args.highAvailability ? "ZoneRedundant" : "Disabled" },
        // "PostgreSQL and Microsoft Entra authentication"; tenantId explicitly (the SDK defaults it to "").
        authConfig: { activeDirectoryAuth: "Enabled", passwordAuth: "Enabled", tenantId: args.tenantId },
        administratorLogin: ADMINISTRATOR_LOGIN,
        administratorLoginPassword: this.administratorPassword,
        // Public access limited by firewall rules. A VNet-injected server would set
        // delegatedSubnetResourceId/privateDnsZoneArmResourceId here instead and drop ServerFirewall.
        network: { publicNetworkAccess: "Enabled" },
      },
      { parent: this, protect: args.protect },
    );
    this.serverName = this.server.name;
    this.fqdn = this.server.fullyQualifiedDomainName;

    const chain = new OperationChain(this.server, "primary");
    this.primaryOperations = chain;

    for (const setting of TLS_CONFIGURATIONS) {
      chain.next(`${setting.name} is a child operation on the primary: Azure allows one at a time (ServerBusy)`, (after) =>
        new dbforpostgresql.Configuration(
          `${name}-${setting.key}`,
          { resourceGroupName: args.resourceGroupName, serverName: this.server.name, configurationName: setting.name, value: setting.value, source: "user-override" },
          { parent: this, dependsOn: [after] },
        ),
      );
    }

    this.deploymentAdministrator = chain.next("an administrator assignment is a child operation on the primary: one at a time (ServerBusy)", (after) =>
      new dbforpostgresql.AdministratorsMicrosoftEntra(
        `${name}-deployment-admin`,
        {
          resourceGroupName: args.resourceGroupName,
          serverName: this.server.name,
          objectId: args.deploymentAdminObjectId, // the resource name: the principal's object id
          principalName: args.deploymentAdminName,
          principalType: args.deploymentAdminType, // "Group" | "User" | "ServicePrincipal", not the SDK enum's spelling
          tenantId: args.tenantId,
        },
        { parent: this, dependsOn: [after] },
      ),
    );

    if (args.kongAdministratorName !== undefined && args.kongAdministratorObjectId !== undefined) {
      const kongName = args.kongAdministratorName;
      const kongObjectId = args.kongAdministratorObjectId;
      this.kongAdministrator = chain.next("an administrator assignment is a child operation on the primary: one at a time (ServerBusy)", (after) =>
        new dbforpostgresql.AdministratorsMicrosoftEntra(
          `${name}-kong-admin`,
          {
            resourceGroupName: args.resourceGroupName,
            serverName: this.server.name,
            objectId: kongObjectId, // the service principal's object id (managed identity: principal id)
            principalName: kongName,
            principalType: "ServicePrincipal",
            tenantId: args.tenantId,
          },
          { parent: this, dependsOn: [after] },
        ),
      );
    }

    if (args.replicaServerName !== undefined && args.replicaSkuName && args.replicaSkuTier && args.replicaStorageSizeGb) {
      const replicaSku = { name: args.replicaSkuName, tier: args.replicaSkuTier };
      const replicaStorage = args.replicaStorageSizeGb;
      const replicaServerName = args.replicaServerName;
      // No administrator and no auth settings on the replica: it inherits them from the primary
      // (declaring an administrator on a replica fails).
      const replica = chain.next(
        "the replica copies the primary's configurations and administrators, and the primary rejects management operations while a replica is created",
        (after) =>
          new dbforpostgresql.Server(
            `${name}-replica`,
            {
              resourceGroupName: args.resourceGroupName,
              location: args.replicaLocation ?? args.location,
              serverName: replicaServerName,
              tags: args.tags,
              createMode: "Replica",
              sourceServerResourceId: this.server.id,
              sku: replicaSku,
              storage: { storageSizeGB: replicaStorage },
              network: { publicNetworkAccess: "Enabled" },
            },
            { parent: this, protect: args.protect, dependsOn: [after] },
          ),
      );
      this.replica = replica;
      this.replicaFqdn = replica.fullyQualifiedDomainName;
      this.replicaServerName = replica.name;
      const replicaChain = new OperationChain(replica, "replica");
      this.replicaOperations = replicaChain;
      for (const setting of TLS_CONFIGURATIONS) {
        replicaChain.next(`${setting.name} is a child operation on the replica: Azure allows one at a time (ServerBusy)`, (after) =>
          new dbforpostgresql.Configuration(
            `${name}-replica-${setting.key}`,
            { resourceGroupName: args.resourceGroupName, serverName: replica.name, configurationName: setting.name, value: setting.value, source: "user-override" },
            { parent: this, dependsOn: [after] },
          ),
        );
      }
    }

    this.registerOutputs({ fqdn: this.fqdn, replicaFqdn: this.replicaFqdn });
  }
}
