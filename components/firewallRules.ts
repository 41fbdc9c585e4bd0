/**
 * Which ranges the firewall allows, from the validated config. Pure. The deployer's machine gets
 * its own list because the database layer waits for exactly those rules; clients and — only where
 * a stack enables it, never in production — Azure's "allow Azure services" rule come after.
 */
import type { StackConfig } from "./config";
import { rangeSlug, type Ipv4Range } from "./ipRanges";
import type { FirewallRuleSpec } from "./serverFirewall";

/** Azure's special rule that admits any address inside Azure (any customer's), spelled 0.0.0.0–0.0.0.0. */
export const ALLOW_AZURE_SERVICES = {
  name: "AllowAllAzureServicesAndResourcesWithinAzureIps",
  startIpAddress: "0.0.0.0",
  endIpAddress: "0.0.0.0",
} as const satisfies FirewallRuleSpec;

function rule(purpose: string, range: Ipv4Range): FirewallRuleSpec {
  return { name: `${purpose}-${rangeSlug(range)}`, startIpAddress: range.start, endIpAddress: range.end };
}

/** Rules for the machine that runs `pulumi up`: the database layer connects from there. */
export function deployerRules(network: StackConfig["network"]): FirewallRuleSpec[] {
  return network.deployerIpRanges.map((r) => rule("deployer", r));
}

/** Rules for other clients, and the "allow Azure services" rule where enabled. */
export function clientRules(network: StackConfig["network"]): FirewallRuleSpec[] {
  const rules = network.allowedIpRanges.map((r) => rule("client", r));
  if (network.allowAzureServices) rules.push(ALLOW_AZURE_SERVICES);
  return rules;
}
