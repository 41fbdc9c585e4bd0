/**
 * Resolves the deployment administrator named in config — the Entra principal the database layer
 * signs in as — into the name, object id and type Azure's administrator resource wants.
 *
 * It is always named explicitly: defaulting to "whoever runs `up`" would differ between a laptop and
 * CI and swap the administrator (who owns database `kong`) on every other `up`. A group is best:
 * laptop users and CI's service principal are members and sign in under the group's name.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import type { DeploymentAdminRef, PrincipalType } from "./config";

/** A resolved Entra principal. */
export interface ResolvedPrincipal {
  /** Display name (group, service principal) or user principal name: the PostgreSQL role name. */
  readonly name: string;
  readonly objectId: string;
  /** Spelled as Azure's API wants it (the SDK's enum spells it otherwise; see REFERENCE). */
  readonly type: PrincipalType;
}

function mismatch(ref: DeploymentAdminRef, found: string): never {
  throw new pulumi.RunError(
    `kong-entra-postgres:deploymentAdminName: "${ref.name}" does not match the ${ref.type} with object id ${ref.objectId}, whose name is "${found}"; fix one of deploymentAdminName / deploymentAdminObjectId`,
  );
}

/**
 * Looks the principal up in Entra (at preview time, so a wrong name fails before anything is
 * touched). When both name and object id are configured, the object id wins and the name must match.
 */
export function resolveDeploymentAdmin(ref: DeploymentAdminRef, opts?: pulumi.InvokeOutputOptions): pulumi.Output<ResolvedPrincipal> {
  const byId = ref.objectId !== undefined;
  const check = (name: string, objectId: string): ResolvedPrincipal => {
    if (byId && ref.name !== undefined && ref.name !== name) mismatch(ref, name);
    return { name, objectId, type: ref.type };
  };
  switch (ref.type) {
    case "Group":
      return azuread
        .getGroupOutput(byId ? { objectId: ref.objectId } : { displayName: ref.name, securityEnabled: true }, opts)
        .apply((g) => check(g.displayName, g.objectId));
    case "User":
      return azuread
        .getUserOutput(byId ? { objectId: ref.objectId } : { userPrincipalName: ref.name }, opts)
        .apply((u) => check(u.userPrincipalName, u.objectId));
    case "ServicePrincipal":
      return azuread
        .getServicePrincipalOutput(byId ? { objectId: ref.objectId } : { displayName: ref.name }, opts)
        .apply((sp) => check(sp.displayName, sp.objectId));
  }
}
