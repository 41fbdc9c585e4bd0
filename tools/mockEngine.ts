/**
 * An in-process stand-in for the Pulumi engine: runs the real `index.ts` for one stack under
 * `pulumi.runtime.setMocks`, with config read from `Pulumi.yaml` (defaults) and
 * `Pulumi.<stack>.yaml` exactly as the CLI merges them, and records every resource registration
 * with the options mocks do not pass to `newResource` (protect, dependsOn, …; pulumi/pulumi#14421),
 * read off the registration request itself.
 *
 * Tests, the offline plan and the benchmark all use this one engine substitute. A program's
 * runtime state is global, so one process evaluates one stack: see `evaluateStack.ts` for the
 * child-process wrapper.
 *
 * Values only Azure or Entra would know (ids, client ids, FQDNs of servers not yet created) come
 * from `mockCloud.ts` and are recognisable placeholders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { mockCall, mockNewResource } from "./mockCloud";

/** The repository root (where Pulumi.yaml lives). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

// Pulumi's wire markers (sdk/nodejs/runtime/rpc.ts).
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** One resource registration as the engine would see it. */
export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  readonly custom: boolean;
  /** Inputs, secrets unwrapped (see {@link secretInputs}). */
  readonly inputs: Record<string, unknown>;
  /** Paths of input values that were secret (`configuration.secrets[0].value`). */
  readonly secretInputs: string[];
  /** Outputs the (mock) provider returned, secrets unwrapped. */
  readonly outputs: Record<string, unknown>;
  /** Paths of output values that are secret (additionalSecretOutputs, or secret inputs echoed back). */
  readonly secretOutputs: string[];
  readonly options: {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deletedWith: string;
    /** URNs from `dependsOn` plus those the SDK adds for inputs (as the engine receives them). */
    readonly dependencies: string[];
    /** Per input key, the URNs its value came from (the data dependencies). */
    readonly propertyDependencies: Record<string, string[]>;
    readonly additionalSecretOutputs: string[];
    readonly replaceOnChanges: string[];
    readonly ignoreChanges: string[];
    readonly deleteBeforeReplace: boolean;
    /** Provider reference (`urn::id`) for custom resources with an explicit provider. */
    readonly provider: string;
  };
}

/** A stack output, resolved. */
export interface RecordedOutput {
  readonly value: unknown;
  /** The whole output is secret. */
  readonly secret: boolean;
  /** Paths inside the value that are secret (`KONG_PG_AZURE_CLIENT_SECRET`), for outputs built of outputs. */
  readonly secretPaths: string[];
}

/** Resolves an exported value, Outputs nested in plain objects included, noting which paths are secret. */
async function resolveExport(value: unknown, at: string, secretPaths: string[]): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    // Output's own promise rejects when the program's apply fails, as the engine would report.
    const resolved = await (value as unknown as { promise(): Promise<unknown> }).promise();
    if (await pulumi.isSecret(value)) secretPaths.push(at);
    return resolveExport(resolved, at, secretPaths);
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolveExport(v, `${at}[${i}]`, secretPaths)));
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveExport(v, at ? `${at}.${k}` : k, secretPaths)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

export interface Evaluation {
  readonly stack: string;
  /** The merged config the program saw (`project:key` → string), secrets included. */
  readonly config: Record<string, string>;
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, RecordedOutput>;
  /** The program's failure (a config error fails before any resource is declared). */
  readonly error?: string;
}

export interface EvaluateOptions {
  readonly stack: string;
  /** Config to set or replace (keys without the project prefix, or `ns:key`); `null` removes a key. */
  readonly overrides?: Readonly<Record<string, string | number | boolean | readonly string[] | null>>;
  /** Pretend to be `pulumi preview` (default false: `up`). */
  readonly preview?: boolean;
  /** Another Pulumi project to evaluate (a folder with Pulumi.yaml and index.ts); default this one. */
  readonly projectDir?: string;
  /**
   * Outputs each `StackReference` name answers with, as another evaluation recorded them (so a
   * consumer is fed what the real program produced, not hand-written values).
   */
  readonly stackReferences?: Readonly<Record<string, Readonly<Record<string, RecordedOutput>>>>;
}

/** Config values as the CLI hands them to a Node program: strings, lists as JSON text. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Stack names that have a `Pulumi.<stack>.yaml` in the project. */
export function listStacks(projectDir = PROJECT_DIR): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Reads the project's name and config defaults, and the stack's config, merged as the CLI does. */
export function readStackConfig(stack: string, overrides: EvaluateOptions["overrides"] = {}, projectDir = PROJECT_DIR): { project: string; config: Record<string, string> } {
  const project = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config?: Record<string, { default?: unknown } | unknown>;
  };
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new Error(`no stack file Pulumi.${stack}.yaml; stacks found: ${listStacks(projectDir).join(", ") || "(none)"}`);
  }
  const stackDoc = (parseYaml(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl && typeof decl === "object" && "default" in decl) config[qualify(key)] = configString((decl as { default: unknown }).default);
  }
  for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
    if (value && typeof value === "object" && "secure" in value) {
      // Ciphertext only the CLI can decrypt: tests supply secrets through overrides instead.
      continue;
    }
    config[qualify(key)] = configString(value);
  }
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === null) delete config[qualify(key)];
    else config[qualify(key)] = configString(value);
  }
  return { project: project.name, config };
}

interface Struct {
  toJavaScript(): Record<string, unknown>;
}

/**
 * Splits a wire object into plain values and the paths of the values that were secret
 * (`administratorLoginPassword`, `configuration.secrets[0].value`): Pulumi keeps secrets at the
 * depth they occur, so a nested secret leaves its siblings readable in previews.
 */
function unwrapSecrets(obj: Record<string, unknown>): { values: Record<string, unknown>; secret: string[] } {
  const secret: string[] = [];
  const strip = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => strip(x, `${at}[${i}]`));
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o[SIG] === SECRET_SIG) {
        secret.push(at);
        return strip(o.value, at);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, strip(x, `${at}.${k}`)]));
    }
    return v;
  };
  const values = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, strip(v, k)]));
  return { values, secret };
}

/** Wraps the value at `path` (as produced by unwrapSecrets) in a secret marker, if it exists. */
function markSecret(obj: Record<string, unknown>, path: string): void {
  const steps = path.match(/[^.[\]]+/g) ?? [];
  let holder: any = obj;
  for (const step of steps.slice(0, -1)) {
    holder = holder?.[step];
    if (holder === undefined || holder === null) return;
  }
  const last = steps[steps.length - 1]!;
  const value = holder?.[last];
  if (value === undefined || (value && typeof value === "object" && value[SIG] === SECRET_SIG)) return;
  holder[last] = { [SIG]: SECRET_SIG, value };
}

/**
 * Evaluates the program for one stack in this process. Call once per process.
 */
export async function evaluateInProcess(options: EvaluateOptions): Promise<Evaluation> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const { project, config } = readStackConfig(options.stack, options.overrides, projectDir);
  const resources: RecordedResource[] = [];
  const failures: string[] = [];
  // A failing apply in the program surfaces as a rejected promise; outputs that depend on it may
  // then never settle, so the first failure ends the wait (as the engine would end the update).
  let signalFailure: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => (signalFailure = resolve));
  const onRejection = (reason: unknown) => {
    failures.push(reason instanceof Error ? reason.message : String(reason));
    signalFailure();
  };
  process.on("unhandledRejection", onRejection);

  pulumi.runtime.setAllConfig(config, []);

  // google-protobuf as the SDK itself loads it, to rewrite the mock provider's answer.
  const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] })) as {
    Struct: { fromJavaScript(o: Record<string, unknown>): Struct };
  };

  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (this: MockMonitor, req: any, callback: (err: any, resp: any) => void) {
    const wire = (req.getObject() as Struct | undefined)?.toJavaScript() ?? {};
    const inputs = unwrapSecrets(wire);
    const additional: string[] = req.getAdditionalsecretoutputsList();
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, key: string) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    return original.call(this, req, (err: any, resp: any) => {
      if (resp) {
        // The engine keeps additionalSecretOutputs and echoed secret inputs secret; the mock
        // monitor does not, so do it here.
        const state = (resp.getObject() as Struct).toJavaScript();
        for (const path of new Set([...additional, ...inputs.secret])) markSecret(state, path);
        resp.setObject(structPb.Struct.fromJavaScript(state));
        const outputs = unwrapSecrets(state);
        resources.push({
          urn: resp.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          custom: req.getCustom(),
          inputs: inputs.values,
          secretInputs: inputs.secret,
          outputs: outputs.values,
          secretOutputs: outputs.secret,
          options: {
            protect: req.getProtect() ?? false,
            retainOnDelete: req.getRetainondelete() ?? false,
            deletedWith: req.getDeletedwith(),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            additionalSecretOutputs: additional,
            replaceOnChanges: req.getReplaceonchangesList(),
            ignoreChanges: req.getIgnorechangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            provider: req.getProvider(),
          },
        });
      }
      callback(err, resp);
    });
  } as typeof original;

  const newResource = (args: pulumi.runtime.MockResourceArgs) => {
    if (args.type === "pulumi:pulumi:StackReference") {
      // What the backend answers: the referenced stack's outputs, and which of them hold secrets.
      const name = String(args.inputs.name);
      const referenced = options.stackReferences?.[name];
      if (!referenced) throw new Error(`the mock engine has no outputs for stack reference ${name}`);
      const outputs = Object.fromEntries(Object.entries(referenced).filter(([, o]) => o.value !== undefined).map(([k, o]) => [k, o.value]));
      const secretOutputNames = Object.entries(referenced).filter(([, o]) => o.secret || o.secretPaths.length > 0).map(([k]) => k);
      return { id: name, state: { name, outputs, secretOutputNames } };
    }
    return mockNewResource(args);
  };
  await pulumi.runtime.setMocks({ newResource, call: mockCall }, project, options.stack, options.preview ?? false);

  const outputs: Record<string, RecordedOutput> = {};
  let error: string | undefined;
  const run = async () => {
    const program = require(path.join(projectDir, "index.ts")) as Record<string, unknown>;
    for (const [key, value] of Object.entries(program)) {
      const secretPaths: string[] = [];
      const resolved = await resolveExport(value, "", secretPaths);
      outputs[key] = { value: resolved, secret: secretPaths.includes(""), secretPaths: secretPaths.filter((p) => p !== "") };
    }
    // Let every registration started by the program finish.
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
  };
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await Promise.race([run(), failed.then(() => new Promise((r) => setTimeout(r, 250)))]);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    clearInterval(keepAlive);
  }
  await new Promise((r) => setImmediate(r));
  process.off("unhandledRejection", onRejection);
  if (!error && failures.length > 0) error = failures.join("\n");
  return { stack: options.stack, config, resources, outputs, error };
}
