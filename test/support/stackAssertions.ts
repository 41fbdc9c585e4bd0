/**
 * Assertions shared by the stack and permutation tests. Expected values are computed here from the
 * config model's output, independently of the components' own helpers, so a bug in those helpers
 * cannot hide itself.
 */
import assert from "node:assert/strict";
import { parseStackConfig, PROJECT, type StackConfig } from "../../components/config";
import { readStackConfig } from "../../tools/mockEngine";
import type { RecordedResource } from "../../tools/mockEngine";
import { Graph, T } from "./graph";

/** rule name → [start, end] the stack's config asks for, plus Kong's egress address. */
export function expectedRuleNames(config: StackConfig, kongEgressIp: string): Map<string, [string, string]> {
  const rules = new Map<string, [string, string]>();
  rules.set("kong-egress", [kongEgressIp, kongEgressIp]);
  const slug = (start: string, prefix: number) => `${start.split(".").join("-")}-${prefix}`;
  for (const r of config.network.deployerIpRanges) rules.set(`deployer-${slug(r.start, r.prefix)}`, [r.start, r.end]);
  for (const r of config.network.allowedIpRanges) rules.set(`client-${slug(r.start, r.prefix)}`, [r.start, r.end]);
  if (config.network.allowAzureServices) rules.set("AllowAllAzureServicesAndResourcesWithinAzureIps", ["0.0.0.0", "0.0.0.0"]);
  return rules;
}

/**
 * Every two child operations on the same server are ordered (one transitively depends on the
 * other), so Azure never sees two at once. A replica's creation counts as an operation on its
 * primary (the primary rejects management operations meanwhile).
 */
export function assertSerialisedPerServer(g: Graph, servers: readonly (RecordedResource | undefined)[]): void {
  for (const server of servers) {
    if (!server) continue;
    const ops = g.operationsOn(String(server.outputs.name));
    const replica = g.ofType(T.server).find((s) => s.inputs.sourceServerResourceId === server.outputs.id);
    if (replica) ops.push(replica);
    assert.ok(ops.length > 0, `no operations on ${server.name}`);
    for (const op of ops) assert.ok(g.dependsOn(op, server), `${op.name} waits for its server`);
    for (let i = 0; i < ops.length; i++) {
      for (let j = i + 1; j < ops.length; j++) {
        const a = ops[i]!;
        const b = ops[j]!;
        assert.ok(g.dependsOn(a, b) || g.dependsOn(b, a), `${a.name} and ${b.name} could run at once on ${server.name} (ServerBusy)`);
      }
    }
  }
}

/** Stack output keys marked secret, sorted. */
export function secretOutputKeys(g: Graph): string[] {
  return Object.entries(g.evaluation.outputs)
    .filter(([, o]) => o.secret)
    .map(([k]) => k)
    .sort();
}

/** A stack's config as the CLI would hand it to the program (defaults applied), parsed by the model. */
export function stackModel(stack: string, overrides?: Parameters<typeof readStackConfig>[1]): StackConfig {
  return parseStackConfig(stack, rawStackConfig(stack, overrides));
}

/** A stack's raw config, keys without the project prefix, as `parseStackConfig` takes it. */
export function rawStackConfig(stack: string, overrides?: Parameters<typeof readStackConfig>[1]): Record<string, string> {
  const { config } = readStackConfig(stack, overrides);
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v]));
}
