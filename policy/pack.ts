/**
 * The pack's definition, apart from its entry point (index.ts starts the analyzer server when
 * loaded, so tests import this module instead).
 */
import type { PolicyPackArgs } from "@pulumi/policy";
import type { PackEnvironment } from "./environment";
import { createPolicies } from "./policies";

/** The pack's name (also in PulumiPolicy.yaml's directory and in every violation report). */
export const PACK_NAME = "kong-entra-postgres";

/** Everything `new PolicyPack(PACK_NAME, …)` takes, for the stack described by `env`. */
export function packArgs(env: PackEnvironment): PolicyPackArgs {
  return {
    description:
      "Second line of defence for kong-entra-postgres: Entra sign-in and TLS on PostgreSQL, narrow firewall rules, production resilience and protection, a private Kong Admin API, verified provider connections, bounded client-secret lifetimes.",
    displayName: "kong-entra-postgres guardrails",
    provider: "azure",
    tags: ["azure", "postgresql", "entra", "kong"],
    // Every policy blocks: a violation fails `pulumi preview` and stops `pulumi up` before the
    // offending resource is created or updated. Per-policy config may lower it deliberately.
    enforcementLevel: "mandatory",
    policies: createPolicies(env),
  };
}
