/**
 * Firewall rules on the primary and, when there is one, the replica: the mechanism every caller
 * that must reach the servers uses (client allow-list, the deployer's machine, Kong's egress).
 * Each rule is declared on both servers as an ordinary resource that previews show, appended to
 * each server's operation chain (one child operation at a time per server). A replica does not
 * follow its primary's rules after its creation, so both sets are declared here, from one list.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import type { OperationChain } from "./operationChain";

/** One allowed range. */
export interface FirewallRuleSpec {
  /** Rule name on the server ([A-Za-z0-9_-]); also part of the Pulumi resource name. */
  readonly name: string;
  readonly startIpAddress: pulumi.Input<string>;
  readonly endIpAddress: pulumi.Input<string>;
}

export interface ServerFirewallArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  /** Operations on the primary; rules are appended to it. */
  readonly primary: OperationChain;
  readonly primaryServerName: pulumi.Input<string>;
  /** Operations on the replica, when there is one. */
  readonly replica?: OperationChain;
  readonly replicaServerName?: pulumi.Input<string>;
  /** The ranges to allow, on both servers. */
  readonly rules: readonly FirewallRuleSpec[];
}

export class ServerFirewall extends pulumi.ComponentResource {
  /** Rules on the primary, by rule name. */
  readonly primaryRules: Record<string, dbforpostgresql.FirewallRule> = {};
  /** Rules on the replica, by rule name. */
  readonly replicaRules: Record<string, dbforpostgresql.FirewallRule> = {};

  /** All rules on the primary (what a client of the primary waits for). */
  get primary(): dbforpostgresql.FirewallRule[] {
    return Object.values(this.primaryRules);
  }

  /** All rules on the replica. */
  get replica(): dbforpostgresql.FirewallRule[] {
    return Object.values(this.replicaRules);
  }

  constructor(name: string, args: ServerFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:ServerFirewall", name, {}, opts);
    const targets: { label: string; chain: OperationChain; serverName: pulumi.Input<string>; rules: Record<string, dbforpostgresql.FirewallRule> }[] = [
      { label: "primary", chain: args.primary, serverName: args.primaryServerName, rules: this.primaryRules },
    ];
    if (args.replica && args.replicaServerName !== undefined) {
      targets.push({ label: "replica", chain: args.replica, serverName: args.replicaServerName, rules: this.replicaRules });
    }
    for (const target of targets) {
      for (const rule of args.rules) {
        target.rules[rule.name] = target.chain.next(`a firewall rule is a child operation on the ${target.label}: one at a time (ServerBusy)`, (after) =>
          new dbforpostgresql.FirewallRule(
            `${name}-${target.label}-${rule.name}`,
            {
              resourceGroupName: args.resourceGroupName,
              serverName: target.serverName,
              firewallRuleName: rule.name,
              startIpAddress: rule.startIpAddress,
              endIpAddress: rule.endIpAddress,
            },
            { parent: this, dependsOn: [after] },
          ),
        );
      }
    }
    this.registerOutputs({});
  }
}
