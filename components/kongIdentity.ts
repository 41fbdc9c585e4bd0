/**
 * Kong's Microsoft Entra identity: the principal Kong signs in to PostgreSQL as.
 *
 * - `servicePrincipal`: an app registration, its service principal and a client secret. The
 *   secret's end date and rotation derive from a rotation anchor kept in state (the
 *   `@pulumiverse/time` `Rotating` resource, or a config value), never from the current time, so
 *   an `up` that changes nothing rotates nothing.
 * - `managedIdentity`: a user-assigned managed identity (for the VM runtime: Kong's Azure library
 *   reaches managed identity through IMDS, which VMs have and Container Apps do not).
 *
 * Either way PostgreSQL knows the identity by its Entra display name (Kong's `pg_user`) and its
 * service principal's object id.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as time from "@pulumiverse/time";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

export interface KongIdentityArgs {
  /** `servicePrincipal` (app registration + client secret) or `managedIdentity` (user-assigned). */
  readonly mode: "servicePrincipal" | "managedIdentity";
  /** Display name of the app registration / name of the managed identity; becomes Kong's role name. */
  readonly displayName: pulumi.Input<string>;
  /** Resource group of the managed identity (managedIdentity mode). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Region of the managed identity (managedIdentity mode). */
  readonly location: pulumi.Input<string>;
  /** Tags for Azure resources. */
  readonly tags: Record<string, string>;
  /** The Entra tenant (servicePrincipal mode; a managed identity reports its own). */
  readonly tenantId: pulumi.Input<string>;
  /** Days after the anchor when the next `up` replaces the client secret (servicePrincipal mode). */
  readonly secretRotationDays: number;
  /** Days the client secret stays valid after the anchor; the margin over the rotation is the grace period. */
  readonly secretLifetimeDays: number;
  /**
   * Fixed RFC 3339 anchor for the secret. Set: the secret rotates only when this value changes
   * (manual rotation). Unset: a `Rotating` schedule starts at its creation time and rotates every
   * `secretRotationDays`.
   */
  readonly secretRotationAnchor?: string;
}

/** Adds whole days to an RFC 3339 time (UTC), keeping the `Z` form Entra expects. */
export function addDays(rfc3339: string, days: number): string {
  const start = Date.parse(rfc3339);
  if (Number.isNaN(start)) throw new Error(`not an RFC 3339 time: ${rfc3339}`);
  return new Date(start + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class KongIdentity extends pulumi.ComponentResource {
  readonly mode: "servicePrincipal" | "managedIdentity";
  /** Entra display name: the PostgreSQL role name and Kong's `pg_user`. */
  readonly roleName: pulumi.Output<string>;
  /** Application (client) id: Kong's `pg_azure_client_id`. */
  readonly clientId: pulumi.Output<string>;
  /** Object id of the service principal (managed identity: its principal id); PostgreSQL maps the role to it. */
  readonly objectId: pulumi.Output<string>;
  /** Tenant of the identity. */
  readonly tenantId: pulumi.Output<string>;
  /** Client secret (servicePrincipal mode), a Pulumi secret. */
  readonly clientSecret?: pulumi.Output<string>;
  /** Key id of the current client secret: changes exactly when the secret is replaced (not secret). */
  readonly clientSecretKeyId?: pulumi.Output<string>;
  /** When the current client secret expires (RFC 3339). */
  readonly clientSecretEndDate?: pulumi.Output<string>;
  /** Azure resource id of the user-assigned identity (managedIdentity mode), to attach it to a VM. */
  readonly managedIdentityId?: pulumi.Output<string>;

  constructor(name: string, args: KongIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:KongIdentity", name, {}, opts);
    this.mode = args.mode;

    if (args.mode === "managedIdentity") {
      const identity = new managedidentity.UserAssignedIdentity(
        `${name}-mi`,
        { resourceName: args.displayName, resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
        { parent: this },
      );
      // Entra names a managed identity's service principal after the identity.
      this.roleName = identity.name;
      this.clientId = identity.clientId;
      this.objectId = identity.principalId;
      this.tenantId = identity.tenantId;
      this.managedIdentityId = identity.id;
    } else {
      const app = new azuread.Application(`${name}-app`, { displayName: args.displayName }, { parent: this });
      const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId }, { parent: this });

      let anchor: pulumi.Output<string>;
      let rotationTrigger: pulumi.Output<string>;
      if (args.secretRotationAnchor) {
        anchor = pulumi.output(args.secretRotationAnchor);
        rotationTrigger = anchor;
      } else {
        // Rotating keeps its start time in state; once `rotationDays` have passed, the next
        // refresh/up recreates it, which changes rotationRfc3339 and so replaces the secret.
        const schedule = new time.Rotating(`${name}-secret-rotation`, { rotationDays: args.secretRotationDays }, { parent: this });
        anchor = schedule.rfc3339;
        rotationTrigger = schedule.rotationRfc3339;
      }
      // Both endDate and rotateWhenChanged force a replacement: Pulumi creates the new password,
      // updates what uses it (Kong), then deletes the old one at the end of the same up.
      const password = new azuread.ApplicationPassword(
        `${name}-secret`,
        {
          applicationId: app.id, // the application's `id` (/applications/<objectId>), as azuread v6 wants
          displayName: "kong-postgres",
          endDate: anchor.apply((a) => addDays(a, args.secretLifetimeDays)),
          rotateWhenChanged: { rotation: rotationTrigger },
        },
        { parent: this },
      );
      this.roleName = sp.displayName;
      this.clientId = app.clientId;
      this.objectId = sp.objectId;
      this.tenantId = pulumi.output(args.tenantId);
      this.clientSecret = pulumi.secret(password.value);
      this.clientSecretKeyId = password.keyId;
      this.clientSecretEndDate = password.endDate;
    }

    this.registerOutputs({ roleName: this.roleName, clientId: this.clientId, objectId: this.objectId, tenantId: this.tenantId });
  }
}
