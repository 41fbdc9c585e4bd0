/**
 * What the policy pack knows about the stack it checks, read once when the pack starts.
 *
 * The Pulumi CLI starts a Node.js policy pack with the stack's identity and config in its
 * environment (`constructEnv` in pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go):
 * `PULUMI_STACK` (and `PULUMI_NODEJS_STACK`), `PULUMI_PROJECT`, and `PULUMI_CONFIG`, the stack's
 * config as JSON (`project:key` → value). @pulumi/policy 1.21 itself hands policies only stack
 * *tags*, so this module is how a policy learns "is this production?".
 *
 * Production, decided fail-closed — any one signal is enough:
 * 1. the stack name is one of the policy's `prodStacks` (config; default `["prod", "production"]`);
 * 2. the stack config says `kong-entra-postgres:production: true` (the program's own declaration);
 * 3. the resource itself is tagged `environment=<one of prodStacks>` (every Azure resource this
 *    program creates carries the stack's name as that tag; resources without tags, such as the
 *    PostgreSQL database, rely on 1 and 2).
 */

/** The program's own production flag (Pulumi.yaml `production`). */
export const PRODUCTION_CONFIG_KEY = "kong-entra-postgres:production";

/** Default for every policy's `prodStacks` config. */
export const DEFAULT_PROD_STACKS: readonly string[] = ["prod", "production"];

export interface PackEnvironment {
  /** Stack name as the CLI passes it; undefined outside a stack (e.g. `pulumi policy publish`). */
  readonly stack?: string;
  /** The stack's config as the CLI passes it (`project:key` → value; values usually strings). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The current time: a client secret's lifetime counts from here when it has no start date. */
  now(): Date;
}

/** Reads the pack's environment as the Pulumi CLI sets it. Throws, naming the variable, on malformed config. */
export function readPackEnvironment(env: NodeJS.ProcessEnv = process.env): PackEnvironment {
  const stack = (env.PULUMI_STACK || env.PULUMI_NODEJS_STACK || "").trim() || undefined;
  let config: Record<string, unknown> = {};
  const raw = env.PULUMI_CONFIG;
  if (raw && raw.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`policy pack: PULUMI_CONFIG is not JSON (${(err as Error).message}); it is set by the Pulumi CLI from the stack's config`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error("policy pack: PULUMI_CONFIG must be a JSON object of `project:key` → value");
    }
    config = parsed as Record<string, unknown>;
  }
  return { stack, config, now: () => new Date() };
}

/** `*` matches any run of characters; everything else literally, case-insensitively. */
function globMatches(pattern: string, text: string): boolean {
  const escaped = pattern
    .trim()
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`, "i").test(text.trim());
}

/**
 * True when `stack` is one of `prodStacks`. A qualified name (`org/project/prod`, as some backends
 * spell it) matches on its last segment too.
 */
export function stackMatches(stack: string, prodStacks: readonly string[]): boolean {
  const short = stack.split("/").pop() ?? stack;
  return prodStacks.some((p) => globMatches(p, stack) || globMatches(p, short));
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/**
 * Why this stack (or this resource) counts as production, or undefined when nothing says so.
 * The reason is quoted in violation messages, so an engineer sees which signal fired.
 */
export function productionReason(env: PackEnvironment, prodStacks: readonly string[], tags?: unknown): string | undefined {
  if (env.stack !== undefined && stackMatches(env.stack, prodStacks)) {
    return `stack "${env.stack}" is a production stack (policy config prodStacks: ${prodStacks.join(", ")})`;
  }
  if (isTrue(env.config[PRODUCTION_CONFIG_KEY])) {
    return `the stack's config sets ${PRODUCTION_CONFIG_KEY}=true`;
  }
  const environment = tags && typeof tags === "object" ? (tags as Record<string, unknown>).environment : undefined;
  if (typeof environment === "string" && stackMatches(environment, prodStacks)) {
    return `the resource is tagged environment=${environment}, a production environment (policy config prodStacks: ${prodStacks.join(", ")})`;
  }
  return undefined;
}
