/**
 * Small helpers shared by the policies: type filtering by token, reading values that may be
 * unknown during a preview, and reading a policy's config with its defaults.
 */
import * as policySdk from "@pulumi/policy";
import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";

/**
 * The error the SDK's property proxy throws for a value unknown during a preview. @pulumi/policy
 * exports it at run time (index.js) but strips it from its type declarations (@internal).
 */
const UnknownValueError = (policySdk as unknown as { UnknownValueError?: new (...args: never[]) => Error }).UnknownValueError;

/** True for the SDK's "unknown during preview" error. */
export function isUnknownValueError(err: unknown): boolean {
  if (UnknownValueError && err instanceof UnknownValueError) return true;
  return err instanceof Error && / value at \..* can't be known during preview$/.test(err.message);
}

/**
 * Like @pulumi/policy's `validateResourceOfType`, by type token instead of SDK class, so the pack
 * loads no provider SDK: other types are "not applicable", and the token is attached as
 * `__pulumiType`, which the analyzer uses to skip other types without calling the function.
 */
export function forType(type: string, validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation {
  const fn: ResourceValidation & { __pulumiType?: string } = (args, report) => {
    if (args.type !== type) return args.notApplicable(`Policy only applies to resources of type '${type}'`);
    return validate(args.props, args, report);
  };
  fn.__pulumiType = type;
  return fn;
}

/** Like {@link forType}, for several types (no fast-path token: the function filters). */
export function forTypes(types: readonly string[], validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation {
  return (args, report) => {
    if (!types.includes(args.type)) return args.notApplicable(`Policy only applies to resources of types ${types.map((t) => `'${t}'`).join(", ")}`);
    return validate(args.props, args, report);
  };
}

/** Marker for "not known during this preview". */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * Evaluates `read`; a value that is unknown during a preview (the SDK's proxy throws
 * `UnknownValueError`) becomes {@link UNKNOWN} instead of aborting a whole stack check.
 */
export function known<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (err) {
    if (isUnknownValueError(err)) return UNKNOWN;
    throw err;
  }
}

/** A string value, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Case-insensitive string equality (Azure's enum values are case-insensitive). */
export function sameText(value: unknown, expected: string): boolean {
  return typeof value === "string" && value.trim().toLowerCase() === expected.toLowerCase();
}

/** The array at a value, or [] (absent, or not an array). */
export function list(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

/**
 * A policy's config: the defaults from its schema, overlaid with what `getConfig()` returns (the
 * CLI already fills in schema defaults and validates against the schema; other callers may not),
 * checked here so a bad value fails loudly instead of weakening the policy.
 */
export function readConfig<T extends object>(
  policyName: string,
  schema: PolicyConfigSchema,
  args: { getConfig<C extends object>(): C },
): T {
  const config: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (prop.default !== undefined) config[key] = prop.default;
  }
  for (const [key, value] of Object.entries(args.getConfig<Record<string, unknown>>())) {
    if (value !== undefined && value !== null) config[key] = value;
  }
  const problems: string[] = [];
  for (const [key, prop] of Object.entries(schema.properties)) {
    const value = config[key];
    if (value === undefined) continue;
    if (prop.type === "integer" && !(Number.isInteger(value) && (prop.minimum === undefined || (value as number) >= prop.minimum) && (prop.maximum === undefined || (value as number) <= prop.maximum))) {
      problems.push(`${key} must be an integer${prop.minimum !== undefined ? ` ≥ ${prop.minimum}` : ""}${prop.maximum !== undefined ? ` and ≤ ${prop.maximum}` : ""}, got ${JSON.stringify(value)}`);
    }
    if (prop.type === "array") {
      const itemType = prop.items && typeof prop.items === "object" && !Array.isArray(prop.items) ? prop.items.type : undefined;
      const ok = Array.isArray(value) && value.every((v) => (itemType === "string" ? typeof v === "string" && v.trim() !== "" : itemType === "integer" ? Number.isInteger(v) : true));
      if (!ok) problems.push(`${key} must be an array of ${itemType === "integer" ? "integers" : "non-empty strings"}, got ${JSON.stringify(value)}`);
    }
  }
  if (problems.length > 0) throw new Error(`policy ${policyName}: invalid policy config: ${problems.join("; ")}`);
  return config as T;
}
