/**
 * Runs the policy pack's policies the ways the Pulumi engine would, without the CLI:
 *
 * - **directly**: `validateResource(args, reportViolation)` / `validateStack(args, reportViolation)`
 *   with args shaped exactly like @pulumi/policy's (`type`, `props`, `urn`, `name`, `opts`,
 *   `provider`, `getConfig`, `notApplicable`, …), so a test can set policy config;
 * - **through @pulumi/policy's own analyzer functions** (`makeAnalyzeRpcFun`,
 *   `makeAnalyzeStackRpcFun` from `@pulumi/policy/server`, what its gRPC server calls), with the
 *   request serialised to protobuf bytes and back as on the wire — so property deserialisation,
 *   secret unwrapping, the unknown-value proxy, type filtering and enforcement levels are the
 *   SDK's own. Policy config is the schema defaults there (the SDK keeps configured values in
 *   module state that only its `configure` RPC sets);
 * - **as a process** (`startPolicyPack`): the pack's own index.ts under Pulumi's
 *   `run-policy-pack` runner, spoken to over gRPC like the engine does, with the stack's identity
 *   in the environment as the CLI sets it.
 *
 * One adapter turns what the mock engine recorded (`RecordedResource`) into those shapes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type {
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type * as analyzerPbTypes from "@pulumi/pulumi/proto/analyzer_pb";
import type * as analyzerGrpcTypes from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { Struct as StructType } from "google-protobuf/google/protobuf/struct_pb";
import type { RecordedResource } from "../../tools/mockEngine";
import { PROJECT_DIR } from "../../tools/mockEngine";

/** Where the policy pack lives. */
export const POLICY_DIR = path.join(PROJECT_DIR, "policy");

// The SDK modules as @pulumi/pulumi itself loads them (one protobuf runtime for all).
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const analyzerPb = require(require.resolve("@pulumi/pulumi/proto/analyzer_pb")) as typeof analyzerPbTypes;
const analyzerGrpc = require(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb")) as typeof analyzerGrpcTypes;
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] })) as { Struct: typeof StructType };
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] })) as { Empty: new () => unknown };
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] })) as typeof import("@grpc/grpc-js");

/** @pulumi/policy's analyzer functions: exported by server.js, stripped from its typings (@internal). */
interface PolicyServer {
  makeAnalyzeRpcFun(pack: string, version: string, level: string, policies: Policies): (call: { request: unknown }, cb: (err: unknown, resp?: analyzerPbTypes.AnalyzeResponse) => void) => Promise<void>;
  makeAnalyzeStackRpcFun(pack: string, version: string, level: string, policies: Policies): (call: { request: unknown }, cb: (err: unknown, resp?: analyzerPbTypes.AnalyzeResponse) => void) => Promise<void>;
}
const policyServer = require("@pulumi/policy/server") as PolicyServer;

// Pulumi's wire markers (sdk/nodejs/runtime/rpc.ts).
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** How the engine spells "unknown during preview" for a string (what mocks record in a preview). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** One resource as a policy sees it, before the SDK's wrapping. */
export interface PolicySubject {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs (resource policies) or outputs (stack policies), secrets unwrapped. */
  readonly props: Record<string, unknown>;
  /** Paths of secret values in props (`administratorLoginPassword`, `a.b[0].c`), re-wrapped on the wire. */
  readonly secretPaths?: readonly string[];
  readonly protect?: boolean;
  readonly parent?: string;
  readonly provider?: { readonly type: string; readonly name: string; readonly urn: string; readonly props: Record<string, unknown> };
  /** Stack policies: URNs this resource depends on, overall and per input property. */
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** One reported violation. */
export interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly urn?: string;
  /** "mandatory" | "advisory" | … (SDK paths). */
  readonly enforcementLevel?: string;
}

/** A URN for a hand-built subject. */
export function urnOf(type: string, name: string, stack = "test"): string {
  return `urn:pulumi:${stack}::kong-entra-postgres::${type}::${name}`;
}

/** A hand-built subject: `subject("azure-native:…:Server", "db", { …props }, { protect: true })`. */
export function subject(type: string, name: string, props: Record<string, unknown>, extra: Partial<Omit<PolicySubject, "type" | "name" | "props">> = {}): PolicySubject {
  return { type, name, urn: extra.urn ?? urnOf(type, name), props, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Adapter: what the mock engine recorded → what a policy sees
// ---------------------------------------------------------------------------------------------

/**
 * A recorded resource as the engine hands it to policies: inputs for resource policies (`Analyze`
 * runs on the inputs before create/update), outputs for stack policies (`AnalyzeStack` runs on the
 * final outputs). Its explicit provider, if any, comes with the provider's inputs.
 */
export function fromRecorded(r: RecordedResource, all: readonly RecordedResource[], shape: "inputs" | "outputs"): PolicySubject {
  const providerUrn = r.options.provider ? r.options.provider.split("::").slice(0, -1).join("::") : "";
  const provider = providerUrn ? all.find((p) => p.urn === providerUrn) : undefined;
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: shape === "inputs" ? r.inputs : r.outputs,
    secretPaths: shape === "inputs" ? r.secretInputs : r.secretOutputs,
    protect: r.options.protect,
    parent: r.parent || undefined,
    provider: provider ? { type: provider.type, name: provider.name, urn: provider.urn, props: provider.inputs } : undefined,
    dependencies: r.options.dependencies,
    propertyDependencies: r.options.propertyDependencies,
  };
}

// ---------------------------------------------------------------------------------------------
// Direct calls, args shaped as @pulumi/policy's
// ---------------------------------------------------------------------------------------------

class NotApplicable extends Error {}

function options(s: PolicySubject): PolicyResourceOptions {
  return {
    protect: s.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(s.parent ? { parent: s.parent } : {}),
  };
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof token === "string" && token === type;
}

/** Resource-policy args for `s`, with `config` as the policy's configuration. */
export function resourceArgs(s: PolicySubject, config: Record<string, unknown> = {}): ResourceValidationArgs {
  const props = s.props as Record<string, any>;
  return {
    type: s.type,
    props,
    urn: s.urn,
    name: s.name,
    opts: options(s),
    ...(s.provider ? { provider: { ...s.provider, props: s.provider.props as Record<string, any> } } : {}),
    stackTags: new Map<string, string>(),
    isType: (resourceClass) => isTypeOf(s.type, resourceClass),
    asType: ((resourceClass: unknown) => (isTypeOf(s.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({ ...config }) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** Calls a resource policy's validations on `s`, as the SDK does; returns the messages reported. */
export async function validateResource(policy: ResourceValidationPolicy, s: PolicySubject, config: Record<string, unknown> = {}): Promise<string[]> {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
  for (const validate of validations) {
    try {
      await validate(resourceArgs(s, config), (message) => messages.push(message));
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
    }
  }
  return messages;
}

/** The stack-policy view of `subjects`: PolicyResource objects with parents and dependencies linked. */
export function stackResources(subjects: readonly PolicySubject[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = subjects.map((s) => {
    const props = s.props as Record<string, any>;
    const resource: PolicyResource = {
      type: s.type,
      props,
      urn: s.urn,
      name: s.name,
      opts: options(s),
      ...(s.provider ? { provider: { ...s.provider, props: s.provider.props as Record<string, any> } } : {}),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(s.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(s.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(s.urn, resource);
    return resource;
  });
  subjects.forEach((s, i) => {
    const resource = resources[i]!;
    if (s.parent && byUrn.has(s.parent)) resource.parent = byUrn.get(s.parent);
    resource.dependencies = (s.dependencies ?? []).map((u) => byUrn.get(u)).filter((r): r is PolicyResource => r !== undefined);
    for (const [key, urns] of Object.entries(s.propertyDependencies ?? {})) {
      resource.propertyDependencies[key] = urns.map((u) => byUrn.get(u)).filter((r): r is PolicyResource => r !== undefined);
    }
  });
  return resources;
}

/** Calls a stack policy on `subjects`; returns what it reported (message and URN). */
export async function validateStack(policy: StackValidationPolicy, subjects: readonly PolicySubject[], config: Record<string, unknown> = {}): Promise<{ message: string; urn?: string }[]> {
  const reported: { message: string; urn?: string }[] = [];
  const args: StackValidationArgs = {
    resources: stackResources(subjects),
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => ({ ...config }) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
  try {
    await policy.validateStack(args, (message, urn) => reported.push({ message, urn }));
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
  }
  return reported;
}

// ---------------------------------------------------------------------------------------------
// Through @pulumi/policy's analyzer functions, over protobuf
// ---------------------------------------------------------------------------------------------

/** Wraps the values at `paths` in Pulumi's secret marker, as the engine sends secrets. */
function withSecrets(props: Record<string, unknown>, paths: readonly string[] = []): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(props)) as Record<string, any>;
  for (const p of paths) {
    const steps = p.match(/[^.[\]]+/g) ?? [];
    let holder: any = copy;
    for (const step of steps.slice(0, -1)) holder = holder?.[step];
    const last = steps[steps.length - 1];
    if (holder && last !== undefined && holder[last] !== undefined) holder[last] = { [SIG]: SECRET_SIG, value: holder[last] };
  }
  return copy;
}

function struct(props: Record<string, unknown>, secretPaths?: readonly string[]): StructType {
  return structPb.Struct.fromJavaScript(withSecrets(props, secretPaths) as Parameters<typeof structPb.Struct.fromJavaScript>[0]);
}

function wireOptions(s: PolicySubject): analyzerPbTypes.AnalyzerResourceOptions {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o.setProtect(s.protect ?? false);
  o.setIgnorechangesList([]);
  o.setAliasesList([]);
  o.setAdditionalsecretoutputsList([]);
  o.setCustomtimeouts(new analyzerPb.AnalyzerResourceOptions.CustomTimeouts());
  if (s.parent) o.setParent(s.parent);
  return o;
}

function wireProvider(s: PolicySubject): analyzerPbTypes.AnalyzerProviderResource | undefined {
  if (!s.provider) return undefined;
  const p = new analyzerPb.AnalyzerProviderResource();
  p.setType(s.provider.type);
  p.setName(s.provider.name);
  p.setUrn(s.provider.urn);
  p.setProperties(struct(s.provider.props));
  return p;
}

const LEVELS: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

function diagnostics(resp: analyzerPbTypes.AnalyzeResponse | undefined): Violation[] {
  return (resp?.getDiagnosticsList() ?? []).map((d) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    urn: d.getUrn() || undefined,
    enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? String(d.getEnforcementlevel()),
  }));
}

function call(fn: (call: { request: unknown }, cb: (err: unknown, resp?: analyzerPbTypes.AnalyzeResponse) => void) => Promise<void>, request: unknown): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    void fn({ request }, (err, resp) => (err ? reject(err) : resolve(diagnostics(resp))));
  });
}

/** `Analyze` for one resource, as the engine calls it before creating or updating it. */
export function analyzeWithSdk(policies: Policies, s: PolicySubject, pack = { name: "kong-entra-postgres", version: "0.1.0" }): Promise<Violation[]> {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(s.type);
  req.setUrn(s.urn);
  req.setName(s.name);
  req.setProperties(struct(s.props, s.secretPaths));
  req.setOptions(wireOptions(s));
  const provider = wireProvider(s);
  if (provider) req.setProvider(provider);
  const onTheWire = analyzerPb.AnalyzeRequest.deserializeBinary(req.serializeBinary());
  return call(policyServer.makeAnalyzeRpcFun(pack.name, pack.version, "mandatory", policies), onTheWire);
}

/** `AnalyzeStack` over every resource, as the engine calls it at the end of a preview or update. */
export function analyzeStackWithSdk(policies: Policies, subjects: readonly PolicySubject[], pack = { name: "kong-entra-postgres", version: "0.1.0" }): Promise<Violation[]> {
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(subjects.map((s) => stackResourceMessage(s)));
  const onTheWire = analyzerPb.AnalyzeStackRequest.deserializeBinary(req.serializeBinary());
  return call(policyServer.makeAnalyzeStackRpcFun(pack.name, pack.version, "mandatory", policies), onTheWire);
}

function stackResourceMessage(s: PolicySubject): analyzerPbTypes.AnalyzerResource {
  const r = new analyzerPb.AnalyzerResource();
  r.setType(s.type);
  r.setUrn(s.urn);
  r.setName(s.name);
  r.setProperties(struct(s.props, s.secretPaths));
  r.setOptions(wireOptions(s));
  const provider = wireProvider(s);
  if (provider) r.setProvider(provider);
  if (s.parent) r.setParent(s.parent);
  r.setDependenciesList([...(s.dependencies ?? [])]);
  const deps = r.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(s.propertyDependencies ?? {})) {
    if (urns.length === 0) continue; // the engine skips properties without dependencies
    const d = new analyzerPb.AnalyzerPropertyDependencies();
    d.setUrnsList([...urns]);
    deps.set(key, d);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The pack as a process, spoken to over gRPC
// ---------------------------------------------------------------------------------------------

export interface RunningPack {
  readonly client: analyzerGrpcTypes.AnalyzerClient;
  /** Everything the pack wrote to stderr so far. */
  stderr(): string;
  /** Sends the policy config (`--policy-pack-config` JSON, after the CLI fills in defaults). */
  configure(config: Record<string, { enforcementLevel?: string; [key: string]: unknown }>): Promise<void>;
  analyze(s: PolicySubject): Promise<Violation[]>;
  analyzeStack(subjects: readonly PolicySubject[]): Promise<Violation[]>;
  policyInfo(): Promise<{ name: string; enforcementLevel: string }[]>;
  stop(): void;
}

const LEVEL_NUMBERS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

/**
 * Starts the policy pack the way the CLI's `pulumi-analyzer-policy` shim does — `node
 * <@pulumi/pulumi/cmd/run-policy-pack> <engine> .` in the pack's directory, which compiles
 * index.ts with type checking — with the stack's identity and config in the environment
 * (PULUMI_STACK, PULUMI_PROJECT, PULUMI_CONFIG, as `constructEnv` sets them), and waits for the
 * port it prints.
 */
export async function startPolicyPack(env: { stack?: string; config?: Record<string, string> }, timeoutMs = 120_000): Promise<RunningPack> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PULUMI_PROJECT: "kong-entra-postgres", PULUMI_NODEJS_PROJECT: "kong-entra-postgres", PULUMI_DRY_RUN: "true", PULUMI_NODEJS_DRY_RUN: "true" };
  delete childEnv.PULUMI_STACK;
  delete childEnv.PULUMI_NODEJS_STACK;
  delete childEnv.PULUMI_CONFIG;
  delete childEnv.NODE_OPTIONS; // not tsx's loader: the runner brings its own TypeScript (ts-node)
  // ts-node's cache would skip type-checking an unchanged index.ts whose imports changed.
  childEnv.TS_NODE_CACHE = "false";
  if (env.stack) {
    childEnv.PULUMI_STACK = env.stack;
    childEnv.PULUMI_NODEJS_STACK = env.stack;
  }
  if (env.config) childEnv.PULUMI_CONFIG = JSON.stringify(env.config);
  const child: ChildProcess = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: POLICY_DIR, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  // A pack serving gRPC never exits on its own: make sure it ends with this process.
  const killChild = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  process.once("exit", killChild);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      killChild();
      reject(new Error(`the policy pack printed no port within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = /^(\d+)\s*$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the policy pack exited (${code}) before serving; stdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = <Req, Resp>(method: (req: Req, cb: (err: Error | null, resp: Resp) => void) => unknown, req: Req) =>
    new Promise<Resp>((resolve, reject) => method.call(client, req, (err, resp) => (err ? reject(err) : resolve(resp))));
  return {
    client,
    stderr: () => stderr,
    async configure(config) {
      const req = new analyzerPb.ConfigureAnalyzerRequest();
      const map = req.getPolicyconfigMap();
      for (const [name, { enforcementLevel, ...properties }] of Object.entries(config)) {
        const pc = new analyzerPb.PolicyConfig();
        pc.setEnforcementlevel(LEVEL_NUMBERS[enforcementLevel ?? "mandatory"] as analyzerPbTypes.EnforcementLevel);
        pc.setProperties(struct(properties));
        map.set(name, pc);
      }
      await unary(client.configure as never, req);
    },
    async analyze(s) {
      const req = new analyzerPb.AnalyzeRequest();
      req.setType(s.type);
      req.setUrn(s.urn);
      req.setName(s.name);
      req.setProperties(struct(s.props, s.secretPaths));
      req.setOptions(wireOptions(s));
      const provider = wireProvider(s);
      if (provider) req.setProvider(provider);
      return diagnostics(await unary<analyzerPbTypes.AnalyzeRequest, analyzerPbTypes.AnalyzeResponse>(client.analyze as never, req));
    },
    async analyzeStack(subjects) {
      const req = new analyzerPb.AnalyzeStackRequest();
      req.setResourcesList(subjects.map((s) => stackResourceMessage(s)));
      return diagnostics(await unary<analyzerPbTypes.AnalyzeStackRequest, analyzerPbTypes.AnalyzeResponse>(client.analyzeStack as never, req));
    },
    async policyInfo() {
      const info = await unary<unknown, analyzerPbTypes.AnalyzerInfo>(client.getAnalyzerInfo as never, new emptyPb.Empty());
      return info.getPoliciesList().map((p) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? String(p.getEnforcementlevel()) }));
    },
    stop() {
      client.close();
      killChild();
      process.removeListener("exit", killChild);
    },
  };
}
