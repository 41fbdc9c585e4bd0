// Kong's PostgreSQL role on the Azure primary, mapped to Kong's Microsoft Entra service principal
// (or managed identity) with pgaadauth_create_principal_with_oid. The provider's behaviour and
// its reasons are in ./entraPrincipalProvider.ts; the SQL quoting in ./sql.ts.

import * as pulumi from "@pulumi/pulumi";
import { entraPrincipalProvider } from "./entraPrincipalProvider";

export interface EntraPrincipalArgs {
    /** FQDN of the primary server (TLS server name is verified against it). */
    host: pulumi.Input<string>;
    /** PostgreSQL port, default 5432. */
    port?: pulumi.Input<number>;
    /** Principal name of the deployment administrator (an Entra admin of the server) the provider signs in as; the token is for this identity. */
    administratorName: pulumi.Input<string>;
    /** Role name to create: the Entra display name of Kong's service principal (= Kong's pg_user). */
    roleName: pulumi.Input<string>;
    /** Object id of the service principal (or the managed identity's principal id). */
    objectId: pulumi.Input<string>;
    /** Set to the NEW object id to acknowledge a change of Kong's identity (see below). */
    acknowledgeIdentityChange?: pulumi.Input<string>;
}

/**
 * Kong's Entra-mapped PostgreSQL role.
 *
 * - create: `pgaadauth_create_principal_with_oid(roleName, objectId, 'service', false, false)` in
 *   database `postgres`, signed in as `administratorName` with a token from
 *   `DefaultAzureCredential` (verified TLS); an existing role with the same object id is adopted,
 *   any other role of that name is refused.
 * - refresh: looks the role up by object id; a role that is gone leaves the state, and the next
 *   `up` recreates it.
 * - a change of `roleName` or `objectId` (Kong's identity) is refused at preview until
 *   `acknowledgeIdentityChange` equals the new object id; the refusal is the runbook. Such a
 *   change, or a new `host`, replaces the role (create first, then delete the old one).
 * - delete never destroys data: while the role owns or holds anything in any database, it fails
 *   with the list and the statements an operator can run; otherwise `DROP ROLE`.
 *
 * Pass `deletedWith: server` so tearing down a whole environment does not stop at this delete.
 */
export class EntraPrincipal extends pulumi.dynamic.Resource {
    // `declare`: with ES2022 class fields a plain declaration would overwrite, after super(), the
    // outputs Pulumi has just set.
    declare readonly host: pulumi.Output<string>;
    declare readonly port: pulumi.Output<number>;
    declare readonly administratorName: pulumi.Output<string>;
    /** The role's name (Kong's `pg_user`). */
    declare readonly roleName: pulumi.Output<string>;
    /** The Entra object id the role is mapped to (lower case). */
    declare readonly objectId: pulumi.Output<string>;

    constructor(name: string, args: EntraPrincipalArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            entraPrincipalProvider,
            name,
            {
                host: args.host,
                port: args.port ?? 5432,
                administratorName: args.administratorName,
                roleName: args.roleName,
                objectId: args.objectId,
                acknowledgeIdentityChange: args.acknowledgeIdentityChange,
            },
            opts,
            "postgresql",
            "EntraPrincipal",
        );
    }
}
