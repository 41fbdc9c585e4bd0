/**
 * Which ranges the firewall allows, from the validated config: the deployer's machine first (the
 * database layer waits for it), then clients, then — only where a stack enables it, never in
 * production — Azure's "allow Azure services" rule. Pure.
 */
import type { StackConfig } from "./config";
import { rangeSlug } from "./ipRanges";
import type { FirewallRuleSpec } from "./serverFirewall";

/** Azure's special rule that admits any address inside Azure (any customer's), spelled 0.0.0.0–0.0.0.0. */
export const ALLOW_AZURE_SERVICES = {
  name: "AllowAllAzureServicesAndResourcesWithinAzureIps",
  startIpAddress: "0.0.0.0",
  endIpAddress: "0.0.0.0",
} as const satisfies FirewallRuleSpec;

export function firewallRulesFor(network: StackConfig["network"]): FirewallRuleSpec[] {
  const rules: FirewallRuleSpec[] = [];
  for (const range of network.deployerIpRanges) {
    rules.push({ name: `deployer-${rangeSlug(range)}`, startIpAddress: range.start, endIpAddress: range.end });
  }
  for (const range of network.allowedIpRanges) {
    rules.push({ name: `client-${rangeSlug(range)}`, startIpAddress: range.start, endIpAddress: range.end });
  }
  if (network.allowAzureServices) rules.push(ALLOW_AZURE_SERVICES);
  return rules;
}
