/**
 * Kong's network and its one stable egress address, known before any app, job or VM exists, so
 * the database firewall can allow exactly it (an ordinary resource that previews show).
 *
 * - container runtime: a VNet whose subnet is delegated to a workload-profiles Container Apps
 *   environment, with a NAT gateway on a static public IP — Azure's documented way to fix Container
 *   Apps' outbound address (apps' and jobs' `outboundIpAddresses` exist only after they do and may
 *   change; the managed environment exposes none).
 * - VM runtime: a VNet, a subnet with an NSG (proxy ports open; SSH closed unless an allow-list is
 *   given; the Admin API stays on localhost inside the VM) and a static public IP on the VM's NIC,
 *   which is also its outbound address.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import type * as inputs from "@pulumi/azure-native/types/input";
import type { Ipv4Range } from "./ipRanges";

/** Address plan of Kong's VNet (private; change here if it collides with a network you peer). */
export const KONG_VNET_CIDR = "10.42.0.0/16";
/** Container Apps' infrastructure subnet: workload-profiles environments need at least a /27. */
export const KONG_SUBNET_CIDR = "10.42.0.0/23";

export interface KongNetworkArgs {
  readonly runtime: "container" | "vm";
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Record<string, string>;
  readonly vnetName: pulumi.Input<string>;
  readonly subnetName: pulumi.Input<string>;
  readonly publicIpName: pulumi.Input<string>;
  /** NAT gateway name (container runtime). */
  readonly natGatewayName: pulumi.Input<string>;
  /** NSG name (VM runtime). */
  readonly nsgName: pulumi.Input<string>;
  /** Kong's proxy ports, opened to the internet on the VM's NSG. */
  readonly proxyPorts: readonly number[];
  /** Ranges allowed to SSH to the VM (VM runtime); empty keeps SSH closed. */
  readonly sshAllowedIpRanges: readonly Ipv4Range[];
}

export class KongNetwork extends pulumi.ComponentResource {
  /** Kong's outbound (and, on the VM, inbound) public IPv4 address. */
  readonly egressIp: pulumi.Output<string>;
  readonly publicIp: network.PublicIPAddress;
  readonly subnetId: pulumi.Output<string>;

  constructor(name: string, args: KongNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:KongNetwork", name, {}, opts);
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };

    this.publicIp = new network.PublicIPAddress(
      `${name}-pip`,
      { ...common, publicIpAddressName: args.publicIpName, sku: { name: "Standard" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4" },
      { parent: this },
    );
    this.egressIp = this.publicIp.ipAddress.apply((ip) => {
      if (!ip) throw new Error("Azure returned no address for Kong's static public IP");
      return ip;
    });

    let subnet: inputs.network.SubnetArgs;
    if (args.runtime === "container") {
      const nat = new network.NatGateway(
        `${name}-nat`,
        { ...common, natGatewayName: args.natGatewayName, sku: { name: "Standard" }, publicIpAddresses: [{ id: this.publicIp.id }] },
        { parent: this },
      );
      subnet = {
        name: args.subnetName,
        addressPrefix: KONG_SUBNET_CIDR,
        delegations: [{ name: "container-apps", serviceName: "Microsoft.App/environments" }],
        natGateway: { id: nat.id },
      };
    } else {
      const rules: inputs.network.SecurityRuleArgs[] = args.proxyPorts.map((port, i) => ({
        name: `allow-kong-proxy-${port}`,
        priority: 100 + i,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: "Internet",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: String(port),
      }));
      if (args.sshAllowedIpRanges.length > 0) {
        rules.push({
          name: "allow-ssh-from-allow-list",
          priority: 200,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          sourceAddressPrefixes: args.sshAllowedIpRanges.map((r) => r.cidr),
          sourcePortRange: "*",
          destinationAddressPrefix: "*",
          destinationPortRange: "22",
        });
      }
      const nsg = new network.NetworkSecurityGroup(`${name}-nsg`, { ...common, networkSecurityGroupName: args.nsgName, securityRules: rules }, { parent: this });
      subnet = { name: args.subnetName, addressPrefix: "10.42.0.0/24", networkSecurityGroup: { id: nsg.id } };
    }

    // Subnets inline, so the VNet owns them (a separate Subnet resource and a VNet that omits it
    // fight over the subnet list on every update).
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      { ...common, virtualNetworkName: args.vnetName, addressSpace: { addressPrefixes: [KONG_VNET_CIDR] }, subnets: [subnet] },
      { parent: this },
    );
    this.subnetId = vnet.subnets.apply((subnets) => {
      const id = subnets?.[0]?.id;
      if (!id) throw new Error("Kong's VNet has no subnet id");
      return id;
    });

    this.registerOutputs({ egressIp: this.egressIp, subnetId: this.subnetId });
  }
}
