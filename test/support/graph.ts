/**
 * Queries over what the mock engine recorded, so stack tests read like the graph they assert.
 */
import assert from "node:assert/strict";
import type { Evaluation, RecordedResource } from "../../tools/mockEngine";

export const T = {
  server: "azure-native:dbforpostgresql:Server",
  configuration: "azure-native:dbforpostgresql:Configuration",
  administrator: "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra",
  firewallRule: "azure-native:dbforpostgresql:FirewallRule",
  resourceGroup: "azure-native:resources:ResourceGroup",
  managedIdentity: "azure-native:managedidentity:UserAssignedIdentity",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  applicationPassword: "azuread:index/applicationPassword:ApplicationPassword",
  rotating: "time:index/rotating:Rotating",
  randomPassword: "random:index/randomPassword:RandomPassword",
  randomString: "random:index/randomString:RandomString",
  entraPrincipal: "pulumi-nodejs:dynamic/postgresql:EntraPrincipal",
  postgresqlProvider: "pulumi:providers:postgresql",
  database: "postgresql:index/database:Database",
  grant: "postgresql:index/grant:Grant",
  publicIp: "azure-native:network:PublicIPAddress",
  natGateway: "azure-native:network:NatGateway",
  virtualNetwork: "azure-native:network:VirtualNetwork",
  nsg: "azure-native:network:NetworkSecurityGroup",
  nic: "azure-native:network:NetworkInterface",
  vm: "azure-native:compute:VirtualMachine",
  managedEnvironment: "azure-native:app:ManagedEnvironment",
  containerApp: "azure-native:app:ContainerApp",
  job: "azure-native:app:Job",
  jobExecution: "pulumi-nodejs:dynamic/containerapps:JobExecution",
} as const;

export class Graph {
  constructor(readonly evaluation: Evaluation) {
    assert.equal(evaluation.error, undefined, `the program failed: ${evaluation.error}`);
  }

  get resources(): RecordedResource[] {
    return this.evaluation.resources;
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  named(name: string): RecordedResource {
    const found = this.resources.find((r) => r.name === name);
    assert.ok(found, `no resource named ${name}; have: ${this.resources.map((r) => r.name).join(", ")}`);
    return found;
  }

  maybeNamed(name: string): RecordedResource | undefined {
    return this.resources.find((r) => r.name === name);
  }

  byUrn(urn: string): RecordedResource {
    const found = this.resources.find((r) => r.urn === urn);
    assert.ok(found, `no resource with urn ${urn}`);
    return found;
  }

  /** Names of the resources `r` depends on (dependsOn and input dependencies). */
  dependencyNames(r: RecordedResource): string[] {
    return r.options.dependencies.map((u) => this.byUrn(u).name);
  }

  /** True when `later` (transitively) depends on `earlier`. */
  dependsOn(later: RecordedResource, earlier: RecordedResource, seen = new Set<string>()): boolean {
    for (const urn of later.options.dependencies) {
      if (urn === earlier.urn) return true;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const next = this.resources.find((r) => r.urn === urn);
      // A dependency on a component means a dependency on all of its children.
      if (next && (this.dependsOn(next, earlier, seen) || (!next.custom && this.isDescendant(earlier, next)))) return true;
    }
    return false;
  }

  isDescendant(child: RecordedResource, ancestor: RecordedResource): boolean {
    let parent = child.parent;
    while (parent) {
      if (parent === ancestor.urn) return true;
      parent = this.resources.find((r) => r.urn === parent)?.parent ?? "";
    }
    return false;
  }

  /** Child operations on a server (by its Azure name), in declaration order. */
  operationsOn(serverName: string): RecordedResource[] {
    return this.resources.filter(
      (r) => [T.configuration, T.administrator, T.firewallRule].includes(r.type as never) && r.inputs.serverName === serverName,
    );
  }

  output(key: string): unknown {
    assert.ok(key in this.evaluation.outputs, `no stack output ${key}`);
    return this.evaluation.outputs[key]!.value;
  }
}
