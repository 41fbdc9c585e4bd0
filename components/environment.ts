/**
 * The per-stack foundation: the name suffix, the resource group and the common tags every other
 * component uses.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import { commonTags, resourceNameOutput, type NamedKind } from "./naming";

export interface EnvironmentArgs {
  /** The stack name; it becomes the environment part of names and the `environment` tag. */
  readonly stack: string;
  /** The Pulumi project name, for the `project` tag. */
  readonly project: string;
  /** Azure region of the resource group. */
  readonly location: pulumi.Input<string>;
  /**
   * Fixed name suffix. Unset: a random one is generated once and kept in state, so names stay
   * stable across `up`s without anyone choosing a globally unique name.
   */
  readonly nameSuffix?: string;
  /** Use this existing resource group (not managed by the stack) instead of creating one. */
  readonly existingResourceGroupName?: string;
}

export class Environment extends pulumi.ComponentResource {
  /** The suffix every Azure name ends with. */
  readonly suffix: pulumi.Output<string>;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly location: pulumi.Output<string>;
  /** Tags for every Azure resource: environment, project, managed-by. */
  readonly tags: Record<string, string>;
  private readonly stack: string;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kong-entra-postgres:index:Environment", name, {}, opts);
    this.stack = args.stack;
    this.tags = commonTags(args.stack, args.project);
    this.location = pulumi.output(args.location);

    this.suffix = args.nameSuffix
      ? pulumi.output(args.nameSuffix)
      : new random.RandomString(`${name}-suffix`, { length: 5, upper: false, special: false, numeric: true, lower: true }, { parent: this }).result;

    if (args.existingResourceGroupName) {
      this.resourceGroupName = pulumi.output(args.existingResourceGroupName);
    } else {
      const group = new resources.ResourceGroup(
        `${name}-rg`,
        { resourceGroupName: this.name("resourceGroup"), location: args.location, tags: this.tags },
        { parent: this },
      );
      this.resourceGroupName = group.name;
    }

    this.registerOutputs({ suffix: this.suffix, resourceGroupName: this.resourceGroupName, location: this.location });
  }

  /** The Azure name of a resource of this stack: `psql-kong-dev-x7k2q`. */
  name(kind: NamedKind, qualifier?: string): pulumi.Output<string> {
    return resourceNameOutput(kind, this.stack, this.suffix, qualifier);
  }
}
