/**
 * The `kong` database and the grants that let Kong's role run `kong migrations` and serve
 * traffic — and nothing more — declared with `@pulumi/postgresql` over an Entra token.
 *
 * Shape (works under both readings of Azure's role model; see README "Why this database shape"):
 * - database `kong` owned by the deployment administrator, i.e. no `owner`: under stock PostgreSQL
 *   16+ semantics the administrator holds no ADMIN OPTION on roles `pgaadauth_*` creates, so
 *   `owner = <Kong's role>` (the provider's temporary `GRANT kong TO admin`) and
 *   `CREATE DATABASE … OWNER kong` both fail;
 * - `CONNECT, CREATE, TEMPORARY` on database `kong` to Kong's role;
 * - `CREATE, USAGE` on schema `public` in `kong` to Kong's role: on Azure `public` belongs to
 *   `azure_pg_admin`, so Kong needs it granted even as the database's owner would.
 * Kong then owns every table, sequence and function its migrations create.
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";

export interface KongDatabaseArgs {
  /** FQDN of the primary. */
  readonly host: pulumi.Input<string>;
  readonly port: number;
  /** Entra tenant that issues the administrator's token. */
  readonly tenantId: pulumi.Input<string>;
  /**
   * Principal name of the deployment administrator: the provider signs in under this name with a
   * token for the identity running `pulumi up` (a member of that group). It must not be Kong's
   * own identity.
   */
  readonly administratorName: pulumi.Input<string>;
  /** Kong's PostgreSQL role (Kong's `pg_user`). */
  readonly kongRoleName: pulumi.Input<string>;
  /**
   * What makes Kong's role exist: the principal resource (`principal` mode) or Kong's Entra
   * administrator assignment (`administrator` mode). Only the grants wait for it; the database
   * does not need the role.
   */
  readonly kongRole: pulumi.Resource;
  /** Name of Kong's database. */
  readonly databaseName: string;
  /** Production: protect the database and keep it when the stack deletes it. */
  readonly protect: boolean;
  /**
   * The primary server: deleting it deletes the database and grants with it, so their own deletes
   * (which need a reachable server) are skipped when a whole environment is torn down.
   */
  readonly server: pulumi.Resource;
}

/** Privileges Kong's role gets: enough for `kong migrations bootstrap/up/finish` and serving. */
export const KONG_DATABASE_PRIVILEGES = ["CONNECT", "CREATE", "TEMPORARY"] as const;
export const KONG_SCHEMA_PRIVILEGES = ["CREATE", "USAGE"] as const;

export class KongDatabase extends pulumi.ComponentResource {
  readonly provider: postgresql.Provider;
  readonly database: postgresql.Database;
  readonly databaseName: pulumi.Output<string>;
  /** The grants: Kong may start migrations once these exist. */
  readonly grants: pulumi.Resource[];

  constructor(name: string, args: KongDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:KongDatabase", name, {}, opts);
    // A component's dependsOn does not reach its children: pass it on, so nothing here connects
    // before the server admits the deployer and the administrators exist.
    const after = opts?.dependsOn;

    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.host,
        port: args.port,
        database: "postgres",
        username: args.administratorName,
        azureIdentityAuth: true,
        azureTenantId: args.tenantId,
        // lib/pq's "require" encrypts without checking the certificate, and the token is the
        // password: verify-full checks it against the system roots, which hold Azure's.
        sslmode: "verify-full",
        // The Entra administrator is not a superuser (default true would take superuser paths).
        superuser: false,
        connectTimeout: 30,
      },
      { parent: this, dependsOn: after },
    );

    const childOpts = { parent: this, provider: this.provider, deletedWith: args.server, dependsOn: after };
    this.database = new postgresql.Database(
      `${name}-db`,
      { name: args.databaseName, encoding: "UTF8", allowConnections: true },
      { ...childOpts, protect: args.protect, retainOnDelete: args.protect },
    );
    this.databaseName = this.database.name;

    const grantOpts = { ...childOpts, dependsOn: pulumi.output(after ?? []).apply((a) => [...(Array.isArray(a) ? a : [a]), args.kongRole]) };
    const databaseGrant = new postgresql.Grant(
      `${name}-database-grant`,
      { database: this.database.name, role: args.kongRoleName, objectType: "database", privileges: [...KONG_DATABASE_PRIVILEGES] },
      grantOpts,
    );
    const schemaGrant = new postgresql.Grant(
      `${name}-schema-grant`,
      { database: this.database.name, role: args.kongRoleName, schema: "public", objectType: "schema", privileges: [...KONG_SCHEMA_PRIVILEGES] },
      grantOpts,
    );
    this.grants = [databaseGrant, schemaGrant];

    this.registerOutputs({ databaseName: this.databaseName });
  }
}
