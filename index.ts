/**
 * kong-entra-postgres: wiring only. Config in, components in the order data flows
 * (identity → server → firewall → …), stack outputs out. Logic lives in components/.
 */
import * as azuread from "@pulumi/azuread";
import { loadStackConfig, loadStackSecrets } from "./components/loadConfig";
import { PROJECT } from "./components/config";
import { Environment } from "./components/environment";
import { resolveDeploymentAdmin } from "./components/deploymentAdmin";
import { KongIdentity } from "./components/kongIdentity";
import { PostgresServer } from "./components/postgresServer";
import { clientRules, deployerRules } from "./components/firewallRules";
import { EntraPrincipal } from "./components/entraPrincipal";
import { KongDatabase } from "./components/kongDatabase";
import { ServerFirewall } from "./components/serverFirewall";
import { KongNetwork } from "./components/kongNetwork";
import { azurePostgresqlOutputs, kongEnvironmentOutputs, kongSettingsOutput, settingKeysFor } from "./components/kongConnection";
import { KongContainerGateway } from "./components/kongContainerGateway";
import { KongVmGateway } from "./components/kongVmGateway";
import { KONG_PORTS, toKongConf } from "./components/kongSettings";

// Validated before any resource is declared: bad config fails the preview with every problem listed.
const config = loadStackConfig();
const secrets = loadStackSecrets();

const env = new Environment("kong", {
  stack: config.stack,
  project: PROJECT,
  location: config.location,
  nameSuffix: config.nameSuffix,
  existingResourceGroupName: config.resourceGroupName,
});

const entraTenantId = azuread.getClientConfigOutput().tenantId;
const deploymentAdmin = resolveDeploymentAdmin(config.deploymentAdmin);

const identity = new KongIdentity("kong-identity", {
  mode: config.kong.identityMode,
  displayName: env.name(config.kong.identityMode === "managedIdentity" ? "managedIdentity" : "appRegistration"),
  resourceGroupName: env.resourceGroupName,
  location: env.location,
  tags: env.tags,
  tenantId: entraTenantId,
  secretRotationDays: config.kong.clientSecret.rotationDays,
  secretLifetimeDays: config.kong.clientSecret.lifetimeDays,
  secretRotationAnchor: config.kong.clientSecret.rotationAnchor,
});

const kongIsAdministrator = config.kong.roleMode === "administrator";
const database = new PostgresServer("kong-db", {
  resourceGroupName: env.resourceGroupName,
  location: env.location,
  serverName: env.name("postgresServer"),
  tags: env.tags,
  tenantId: entraTenantId,
  version: config.server.version,
  skuName: config.server.sku.name,
  skuTier: config.server.sku.tier,
  storageSizeGb: config.server.storageSizeGb,
  backupRetentionDays: config.server.backupRetentionDays,
  geoRedundantBackup: config.server.geoRedundantBackup,
  highAvailability: config.server.highAvailability,
  deploymentAdminName: deploymentAdmin.name,
  deploymentAdminObjectId: deploymentAdmin.objectId,
  deploymentAdminType: deploymentAdmin.type,
  kongAdministratorName: kongIsAdministrator ? identity.roleName : undefined,
  kongAdministratorObjectId: kongIsAdministrator ? identity.objectId : undefined,
  replicaServerName: config.replica ? env.name("postgresServer", "ro") : undefined,
  replicaLocation: config.replica?.location,
  replicaSkuName: config.replica?.sku.name,
  replicaSkuTier: config.replica?.sku.tier,
  replicaStorageSizeGb: config.replica?.storageSizeGb,
  protect: config.protectData,
});

const firewallTargets = {
  resourceGroupName: env.resourceGroupName,
  primary: database.primaryOperations,
  primaryServerName: database.serverName,
  replica: database.replicaOperations,
  replicaServerName: database.replicaServerName,
};
// Kong's network and its one stable egress address, known before any app or VM exists.
const kongNetwork = new KongNetwork("kong-network", {
  runtime: config.kong.runtime,
  resourceGroupName: env.resourceGroupName,
  location: env.location,
  tags: env.tags,
  vnetName: env.name("virtualNetwork"),
  subnetName: env.name("subnet"),
  publicIpName: env.name("publicIp"),
  natGatewayName: env.name("natGateway"),
  nsgName: env.name("networkSecurityGroup"),
  proxyPorts: [KONG_PORTS.proxyHttp, KONG_PORTS.proxyHttps],
  sshAllowedIpRanges: config.kong.vm.sshAllowedIpRanges,
});

// The deployer's rules first: the database layer connects from that machine and waits for them.
// Primary only: nothing the deployer runs connects to the replica.
new ServerFirewall("kong-db-deployer-access", {
  resourceGroupName: env.resourceGroupName,
  primary: database.primaryOperations,
  primaryServerName: database.serverName,
  rules: deployerRules(config.network),
});
const databaseLayerReachable = database.primaryOperations.last;
// Then Kong's egress address, on the primary and the replica.
const kongAccess = new ServerFirewall("kong-db-kong-access", {
  ...firewallTargets,
  rules: [{ name: "kong-egress", startIpAddress: kongNetwork.egressIp, endIpAddress: kongNetwork.egressIp }],
});
new ServerFirewall("kong-db-client-access", { ...firewallTargets, rules: clientRules(config.network) });

// Kong's PostgreSQL role: made by the database layer in `principal` mode; in `administrator` mode
// Azure made it when Kong became an Entra administrator.
const kongRole =
  config.kong.roleMode === "principal"
    ? new EntraPrincipal(
        "kong-role",
        {
          host: database.fqdn,
          port: database.port,
          administratorName: deploymentAdmin.name,
          roleName: identity.roleName,
          objectId: identity.objectId,
          acknowledgeIdentityChange: config.kong.identityChangeAcknowledged,
        },
        { dependsOn: [databaseLayerReachable], deletedWith: database.server },
      )
    : undefined;
const roleName = kongRole?.roleName ?? identity.roleName;

const kongDatabase = new KongDatabase(
  "kong-database",
  {
    host: database.fqdn,
    port: database.port,
    tenantId: entraTenantId,
    administratorName: deploymentAdmin.name,
    kongRoleName: roleName,
    kongRole: kongRole ?? database.kongAdministrator ?? database.deploymentAdministrator,
    databaseName: "kong",
    protect: config.protectData,
    server: database.server,
  },
  { dependsOn: [databaseLayerReachable] },
);

// Kong's settings come from the deployed graph: server, replica, database, role and identity.
const connection = {
  host: database.fqdn,
  port: database.port,
  database: kongDatabase.databaseName,
  user: roleName,
  identityMode: config.kong.identityMode,
  tenantId: identity.tenantId,
  clientId: identity.clientId,
  replicaHost: database.replicaFqdn,
};
const deployedKongSettings = kongSettingsOutput(connection, true);

const gateway =
  config.kong.runtime === "container"
    ? new KongContainerGateway("kong-gateway", {
        resourceGroupName: env.resourceGroupName,
        location: env.location,
        tags: env.tags,
        environmentName: env.name("containerAppsEnvironment"),
        appName: env.name("containerApp"),
        migrateJobName: env.name("containerAppJob", "migrate"),
        finishJobName: env.name("containerAppJob", "finish"),
        infrastructureSubnetId: kongNetwork.subnetId,
        image: config.kong.image,
        minReplicas: config.kong.container.minReplicas,
        maxReplicas: config.kong.container.maxReplicas,
        cpu: config.kong.container.cpu,
        memory: config.kong.container.memory,
        settings: deployedKongSettings,
        migrationSettings: kongSettingsOutput(connection, false),
        clientSecret: identity.clientSecret!,
        clientSecretKeyId: identity.clientSecretKeyId!,
        license: secrets.kongLicense,
        migrationsAfter: [...kongDatabase.grants, ...kongAccess.primary],
        servingAfter: kongAccess.replica,
      })
    : new KongVmGateway("kong-gateway", {
        resourceGroupName: env.resourceGroupName,
        location: env.location,
        tags: env.tags,
        vmName: env.name("virtualMachine"),
        nicName: env.name("networkInterface"),
        subnetId: kongNetwork.subnetId,
        publicIpId: kongNetwork.publicIp.id,
        publicIpAddress: kongNetwork.egressIp,
        vmSize: config.kong.vm.size,
        sshPublicKey: config.kong.vm.sshPublicKey!,
        managedIdentityId: identity.managedIdentityId!,
        kongVersion: config.kong.version,
        settings: deployedKongSettings,
        after: [...kongDatabase.grants, ...kongAccess.primary, ...kongAccess.replica],
      });

// Stack outputs: the interface later deployments read (README "Stack outputs"). Only values that
// are secret are secret, per key where an output is a map.
export const resourceGroupName = env.resourceGroupName;
export const serverName = database.serverName;
export const serverHost = database.fqdn;
export const replicaServerName = database.replicaServerName;
export const replicaHost = database.replicaFqdn;
export const port = database.port;
export const databaseName = kongDatabase.databaseName;
export const tenantId = identity.tenantId;
export const deploymentAdministrator = deploymentAdmin.name;
export const kongIdentityMode = identity.mode;
export const kongRoleName = roleName;
export const kongClientId = identity.clientId;
export const kongObjectId = identity.objectId;
export const kongProxyUrl = gateway.proxyUrl;
export const kongEgressIp = kongNetwork.egressIp;
export const kongSettings = deployedKongSettings;
export const kongEnvironment = kongEnvironmentOutputs(deployedKongSettings, settingKeysFor(config.kong.identityMode, config.replica !== undefined), identity.clientSecret);
export const kongConf = deployedKongSettings.apply(toKongConf);
export const azurePostgresql = azurePostgresqlOutputs(connection, identity.clientSecret);
export const administratorLogin = database.administratorLogin;
export const administratorPassword = database.administratorPassword;
