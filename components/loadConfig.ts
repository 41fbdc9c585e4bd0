/**
 * Reads the stack's configuration from the Pulumi engine, once, and validates it. Kept apart from
 * the pure model in `config.ts` so the model can be tested without Pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig, PROJECT, type StackConfig } from "./config";

/**
 * The validated config of the current stack. Invalid config throws a `RunError` (printed without a
 * stack trace) listing every problem, before the caller declares any resource.
 */
export function loadStackConfig(): StackConfig {
  const prefix = `${PROJECT}:`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  try {
    return parseStackConfig(pulumi.getStack(), raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/** Secret config, read as Pulumi secrets so the values never enter the plain model. */
export interface StackSecrets {
  /** Kong Enterprise licence, if configured. */
  readonly kongLicense?: pulumi.Output<string>;
}

export function loadStackSecrets(): StackSecrets {
  const config = new pulumi.Config(PROJECT);
  return { kongLicense: config.getSecret("kongLicense") };
}
