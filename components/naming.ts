/**
 * Azure resource names and tags. Names follow the Cloud Adoption Framework's abbreviations
 * (`rg-`, `psql-`, `id-`, …), then the workload, the environment (the stack) and a short suffix
 * that is stable across `up`s: Flexible Server names are global across Azure, so two teams (or two
 * copies of this project) must not collide.
 */
import type { Input } from "@pulumi/pulumi";
import * as pulumi from "@pulumi/pulumi";

/** CAF abbreviations for the resource types this program creates. */
export const CAF_PREFIX = {
  resourceGroup: "rg",
  postgresServer: "psql",
  managedIdentity: "id",
  appRegistration: "app",
  containerAppsEnvironment: "cae",
  containerApp: "ca",
  containerAppJob: "caj",
  virtualNetwork: "vnet",
  subnet: "snet",
  natGateway: "ng",
  publicIp: "pip",
  networkSecurityGroup: "nsg",
  networkInterface: "nic",
  virtualMachine: "vm",
} as const;

export type NamedKind = keyof typeof CAF_PREFIX;

/** The workload part of every name. */
export const WORKLOAD = "kong";

/** The environment part: the stack name, lower-cased, anything but [a-z0-9] turned into `-`. */
export function environmentSlug(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** `psql-kong-dev-x7k2q` (suffix last, so names sort by environment). */
export function resourceName(kind: NamedKind, stack: string, suffix: string, qualifier?: string): string {
  return [CAF_PREFIX[kind], WORKLOAD, environmentSlug(stack), qualifier, suffix].filter(Boolean).join("-");
}

/** The same, when the suffix is only known once generated. */
export function resourceNameOutput(kind: NamedKind, stack: string, suffix: Input<string>, qualifier?: string): pulumi.Output<string> {
  return pulumi.output(suffix).apply((s) => resourceName(kind, stack, s, qualifier));
}

/** Flexible Server names: 3–63 characters, lowercase letters, digits and hyphens. */
export const SERVER_NAME_MAX = 63;

/** Common tags on every Azure resource that takes them. */
export function commonTags(stack: string, project: string): Record<string, string> {
  return { environment: environmentSlug(stack), project, "managed-by": "pulumi" };
}
