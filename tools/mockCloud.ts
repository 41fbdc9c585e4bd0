/**
 * What Azure and Entra would answer, for the mock engine: each resource's computed outputs and each
 * lookup's result. Every value only the cloud could know is a recognisable placeholder, derived
 * deterministically from the resource's name so plans and snapshots are stable:
 * object/client ids are GUIDs starting `00000000-`, secrets start `mock-secret-`.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The tenant every mocked Entra object lives in. */
export const MOCK_TENANT_ID = "00000000-0000-4000-8000-00000000aaaa";
/** The subscription in mocked Azure resource ids. */
export const MOCK_SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000bbbb";
/** The anchor a `Rotating` schedule gets when none is configured (Rotating uses its creation time). */
export const MOCK_NOW = "2026-01-01T00:00:00Z";

/** A placeholder GUID derived from a seed: `00000000-xxxx-4xxx-8xxx-xxxxxxxxxxxx`. */
export function placeholderGuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `00000000-${h.slice(0, 4)}-4${h.slice(4, 7)}-8${h.slice(7, 10)}-${h.slice(10, 22)}`;
}

/** True for values this module invented (for plans that mark them). */
export function isPlaceholder(value: unknown): boolean {
  return typeof value === "string" && (/^00000000-/.test(value) || value.startsWith("mock-") || value.includes(MOCK_SUBSCRIPTION_ID));
}

const ARM_TYPES: Record<string, string> = {
  "azure-native:resources:ResourceGroup": "",
  "azure-native:dbforpostgresql:Server": "Microsoft.DBforPostgreSQL/flexibleServers",
  "azure-native:managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
  "azure-native:network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
  "azure-native:network:NatGateway": "Microsoft.Network/natGateways",
  "azure-native:network:VirtualNetwork": "Microsoft.Network/virtualNetworks",
  "azure-native:network:NetworkSecurityGroup": "Microsoft.Network/networkSecurityGroups",
  "azure-native:network:NetworkInterface": "Microsoft.Network/networkInterfaces",
  "azure-native:compute:VirtualMachine": "Microsoft.Compute/virtualMachines",
  "azure-native:app:ManagedEnvironment": "Microsoft.App/managedEnvironments",
  "azure-native:app:ContainerApp": "Microsoft.App/containerApps",
  "azure-native:app:Job": "Microsoft.App/jobs",
};

/** A documentation address (TEST-NET-1, RFC 5737) standing in for an address Azure assigns. */
export function placeholderIp(seed: string): string {
  return `192.0.2.${(parseInt(createHash("sha256").update(seed).digest("hex").slice(0, 2), 16) % 254) + 1}`;
}

/** The Azure name an azure-native resource was given (its `*Name` input), or the logical name. */
function azureName(type: string, name: string, inputs: Record<string, any>): string {
  const key = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:dbforpostgresql:Server": "serverName",
    "azure-native:dbforpostgresql:FirewallRule": "firewallRuleName",
    "azure-native:dbforpostgresql:Configuration": "configurationName",
    "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": "objectId",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:network:PublicIPAddress": "publicIpAddressName",
    "azure-native:network:NatGateway": "natGatewayName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:NetworkSecurityGroup": "networkSecurityGroupName",
    "azure-native:network:NetworkInterface": "networkInterfaceName",
    "azure-native:compute:VirtualMachine": "vmName",
    "azure-native:app:ManagedEnvironment": "environmentName",
    "azure-native:app:ContainerApp": "containerAppName",
    "azure-native:app:Job": "jobName",
  }[type];
  return (key && inputs[key]) || name;
}

const CHILD_KINDS: Record<string, string> = {
  "azure-native:dbforpostgresql:FirewallRule": "firewallRules",
  "azure-native:dbforpostgresql:Configuration": "configurations",
  "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra": "administrators",
};

function armId(type: string, inputs: Record<string, any>, resourceName: string): string {
  const base = `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${inputs.resourceGroupName ?? resourceName}`;
  if (type === "azure-native:resources:ResourceGroup") return base;
  if (CHILD_KINDS[type] && inputs.serverName) {
    return `${base}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${inputs.serverName}/${CHILD_KINDS[type]}/${resourceName}`;
  }
  const [, module, kind] = type.split(":");
  return `${base}/providers/${ARM_TYPES[type] ?? `Mock.${module}/${kind}`}/${resourceName}`;
}

/** Entra apps registered so far, by client id, so a service principal gets its app's display name. */
const appsByClientId = new Map<string, string>();

function addDays(rfc3339: string, days: number): string {
  return new Date(Date.parse(rfc3339) + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Inputs as plain values: the mock monitor hands secret inputs over still wrapped in Pulumi's
 * secret marker; the mock engine marks the echoed values secret again, at the same paths.
 */
function plain(value: unknown): any {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return plain(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** `newResource` for `pulumi.runtime.setMocks`: inputs echoed back plus computed outputs. */
export function mockNewResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
  const inputs = plain(args.inputs) as Record<string, any>;
  const state: Record<string, unknown> = { ...inputs };
  const seed = `${args.type}::${args.name}`;
  let id = `${args.name}-id`;

  if (args.type.startsWith("azure-native:")) {
    const resourceName = azureName(args.type, args.name, inputs);
    id = armId(args.type, inputs, resourceName);
    state.name = resourceName;
    state.id = id;
  }
  switch (args.type) {
    case "azure-native:dbforpostgresql:Server":
      state.fullyQualifiedDomainName = `${state.name}.postgres.database.azure.com`;
      break;
    case "azure-native:network:PublicIPAddress":
      state.ipAddress = placeholderIp(seed);
      break;
    case "azure-native:network:VirtualNetwork":
      state.subnets = ((inputs.subnets as Record<string, unknown>[] | undefined) ?? []).map((subnet) => ({ ...subnet, id: `${id}/subnets/${subnet.name}` }));
      break;
    case "azure-native:app:ContainerApp": {
      const fqdn = `${state.name}.mock-env.${inputs.location ?? "westeurope"}.azurecontainerapps.io`;
      state.configuration = { ...(inputs.configuration ?? {}), ingress: { ...(inputs.configuration?.ingress ?? {}), fqdn } };
      state.latestRevisionName = `${state.name}--mock-revision`;
      state.latestRevisionFqdn = `${state.name}--mock-revision.mock-env.${inputs.location ?? "westeurope"}.azurecontainerapps.io`;
      state.outboundIpAddresses = [];
      break;
    }
    case "azure-native:managedidentity:UserAssignedIdentity":
      state.clientId = placeholderGuid(`${seed}:clientId`);
      state.principalId = placeholderGuid(`${seed}:principalId`);
      state.tenantId = MOCK_TENANT_ID;
      break;
    case "azuread:index/application:Application": {
      const objectId = placeholderGuid(`${seed}:objectId`);
      state.clientId = placeholderGuid(`${seed}:clientId`);
      state.objectId = objectId;
      id = `/applications/${objectId}`;
      appsByClientId.set(state.clientId as string, inputs.displayName);
      break;
    }
    case "azuread:index/servicePrincipal:ServicePrincipal":
      state.objectId = placeholderGuid(`${seed}:objectId`);
      state.displayName = appsByClientId.get(inputs.clientId) ?? args.name;
      id = state.objectId as string;
      break;
    case "azuread:index/applicationPassword:ApplicationPassword":
      // Entra mints a new key (and key id) for every password: derive it from what forces one.
      state.keyId = placeholderGuid(`${seed}:keyId:${inputs.endDate}:${JSON.stringify(inputs.rotateWhenChanged ?? {})}`);
      state.value = `mock-secret-${placeholderGuid(`${seed}:value`).slice(-12)}`;
      break;
    case "random:index/randomString:RandomString":
      state.result = createHash("sha256").update(seed).digest("hex").replace(/[^a-z]/g, "").padEnd(Number(inputs.length ?? 5), "x").slice(0, Number(inputs.length ?? 5));
      break;
    case "random:index/randomPassword:RandomPassword":
      state.result = `mock-secret-Pw1!${placeholderGuid(`${seed}:pw`).slice(-12)}`;
      break;
    case "time:index/rotating:Rotating": {
      const anchor = (inputs.rfc3339 as string | undefined) ?? MOCK_NOW;
      state.rfc3339 = anchor;
      state.rotationRfc3339 = addDays(anchor, Number(inputs.rotationDays ?? 0));
      break;
    }
  }
  return { id, state };
}

/** `call` for `pulumi.runtime.setMocks`: Entra lookups answer with placeholders. */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, any>;
  switch (args.token) {
    case "azuread:index/getClientConfig:getClientConfig":
      return { tenantId: MOCK_TENANT_ID, clientId: placeholderGuid("deployer:clientId"), objectId: placeholderGuid("deployer:objectId"), id: "clientConfig" };
    case "azuread:index/getGroup:getGroup": {
      const displayName = inputs.displayName ?? `group-${inputs.objectId}`;
      return { ...inputs, displayName, objectId: inputs.objectId ?? placeholderGuid(`group:${displayName}`), id: "group" };
    }
    case "azuread:index/getUser:getUser": {
      const userPrincipalName = inputs.userPrincipalName ?? `user-${inputs.objectId}@example.onmicrosoft.com`;
      return { ...inputs, userPrincipalName, objectId: inputs.objectId ?? placeholderGuid(`user:${userPrincipalName}`), id: "user" };
    }
    case "azuread:index/getServicePrincipal:getServicePrincipal": {
      const displayName = inputs.displayName ?? `sp-${inputs.objectId}`;
      return { ...inputs, displayName, objectId: inputs.objectId ?? placeholderGuid(`sp:${displayName}`), id: "sp" };
    }
    default:
      throw new Error(`the mock engine has no answer for ${args.token}; add one to tools/mockCloud.ts`);
  }
}
