/**
 * Kong Gateway on a single Ubuntu LTS VM with a user-assigned managed identity (the VM runtime).
 *
 * Kong's Azure library signs in through IMDS with the identity's client id: no secret exists, and
 * none may travel in customData (Azure's API text). cloud-init (`cloudInit.ts`) installs Kong
 * from Kong's package repository, writes `/etc/kong/kong.conf` (0600) from the settings model's
 * config-file rendering, runs migrations once, and runs Kong under systemd with restarts.
 *
 * customData cannot change in place (Azure answers PropertyChangeNotAllowed), so a change of
 * Kong's settings or version replaces the VM, deleting the old one first: two VMs from this
 * cloud-init must never serve one database at once, because each runs `kong migrations finish`
 * once it is up. On a single VM that replacement is downtime (see the README's VM section).
 */
import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as network from "@pulumi/azure-native/network";
import { KONG_VM_UBUNTU, renderCloudInit } from "./cloudInit";
import { toKongConf, type KongSettings } from "./kongSettings";

/** The VM's admin user (SSH only; password sign-in is disabled). */
export const VM_ADMIN_USER = "kongadmin";

export interface KongVmGatewayArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Record<string, string>;
  readonly vmName: pulumi.Input<string>;
  readonly nicName: pulumi.Input<string>;
  readonly subnetId: pulumi.Input<string>;
  /** Resource id of the static public IP (Kong's address in and out). */
  readonly publicIpId: pulumi.Input<string>;
  /** The public IP's address, for the proxy URL. */
  readonly publicIpAddress: pulumi.Input<string>;
  readonly vmSize: string;
  readonly sshPublicKey: string;
  /** Resource id of Kong's user-assigned managed identity. */
  readonly managedIdentityId: pulumi.Input<string>;
  /** Kong Gateway version (a line like 3.14, or an exact 3.14.0.13). */
  readonly kongVersion: string;
  /** Kong's readable settings; rendered into kong.conf. */
  readonly settings: pulumi.Input<KongSettings>;
  /** What Kong waits for: the database grants and Kong's firewall rules on primary and replica. */
  readonly after: pulumi.Input<pulumi.Resource>[];
}

export class KongVmGateway extends pulumi.ComponentResource {
  readonly vm: compute.VirtualMachine;
  /** The cloud-init text (readable: it holds no secret). */
  readonly cloudInit: pulumi.Output<string>;
  /** `http://<public ip>:8000`: Kong's proxy (TLS on 8443 with Kong's own certificate until you add one). */
  readonly proxyUrl: pulumi.Output<string>;

  constructor(name: string, args: KongVmGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:KongVmGateway", name, {}, opts);
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };

    const nic = new network.NetworkInterface(
      `${name}-nic`,
      {
        ...common,
        networkInterfaceName: args.nicName,
        ipConfigurations: [{ name: "primary", primary: true, subnet: { id: args.subnetId }, publicIPAddress: { id: args.publicIpId }, privateIPAllocationMethod: "Dynamic" }],
      },
      { parent: this },
    );

    this.cloudInit = pulumi.output(args.settings).apply((settings) => renderCloudInit({ kongConf: toKongConf(settings), kongVersion: args.kongVersion }));

    this.vm = new compute.VirtualMachine(
      `${name}-vm`,
      {
        ...common,
        vmName: args.vmName,
        hardwareProfile: { vmSize: args.vmSize },
        identity: { type: compute.ResourceIdentityType.UserAssigned, userAssignedIdentities: [args.managedIdentityId] },
        osProfile: {
          computerName: args.vmName,
          adminUsername: VM_ADMIN_USER,
          // Azure wants customData base64-encoded by the caller.
          customData: this.cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")),
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: { publicKeys: [{ path: `/home/${VM_ADMIN_USER}/.ssh/authorized_keys`, keyData: args.sshPublicKey }] },
          },
        },
        storageProfile: {
          imageReference: { ...KONG_VM_UBUNTU.image },
          osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" }, deleteOption: "Delete" },
        },
        networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
      },
      {
        parent: this,
        dependsOn: args.after,
        // customData cannot be updated in place: replace, old VM first (see the header).
        replaceOnChanges: ["osProfile.customData"],
        deleteBeforeReplace: true,
      },
    );
    this.proxyUrl = pulumi.interpolate`http://${args.publicIpAddress}:8000`;

    this.registerOutputs({ proxyUrl: this.proxyUrl });
  }
}
