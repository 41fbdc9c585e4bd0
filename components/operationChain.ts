/**
 * Serialises management operations on one Flexible Server. Azure answers `ServerBusy` when two
 * child operations (configurations, firewall rules, administrators, databases) run on the same
 * server at once, so each new child waits for the previous one; Azure Verified Modules chain them
 * the same way. A chain records why each edge exists, so the benchmark and the plan can list the
 * orderings Azure requires by name instead of guessing them from the graph.
 */
import * as pulumi from "@pulumi/pulumi";

/** An ordering edge that exists for an Azure rule rather than a data dependency. */
export interface OrderingEdge {
  /** The operation that must finish first. */
  readonly before: pulumi.Resource;
  /** The operation that waits. */
  readonly after: pulumi.Resource;
  /** Why the edge exists, in a sentence. */
  readonly reason: string;
}

export class OperationChain {
  private tail: pulumi.Resource;
  /** Every edge declared so far, in order. */
  readonly edges: OrderingEdge[] = [];

  /**
   * @param server the server whose operations are chained (the first link).
   * @param serverLabel a readable name for the server, used in recorded edges.
   */
  constructor(
    server: pulumi.Resource,
    readonly serverLabel: string,
  ) {
    this.tail = server;
  }

  /**
   * Declares the next operation on the server: `declare` receives the `dependsOn` it must use and
   * returns the resource it created, which becomes the new tail.
   *
   * @param reason why this operation waits for the previous one (shown in plans and benchmarks).
   */
  next<R extends pulumi.Resource>(reason: string, declare: (after: pulumi.Resource) => R): R {
    const from = this.tail;
    const created = declare(from);
    this.edges.push({ before: from, after: created, reason });
    this.tail = created;
    return created;
  }

  /** The last operation declared so far (what a later operation must wait for). */
  get last(): pulumi.Resource {
    return this.tail;
  }
}
