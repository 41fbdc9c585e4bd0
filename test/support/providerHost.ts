// Test side of ./providerHost.cjs: starts the host process and calls the serialized provider in it.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export class ProviderCallError extends Error {
    constructor(
        message: string,
        readonly code?: string,
    ) {
        super(message);
    }
}

interface Reply {
    id: number;
    ok: boolean;
    result?: unknown;
    error?: { message: string; code?: string };
}

export class ProviderHost {
    private nextId = 1;
    private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    private stderr = "";

    private constructor(private readonly child: ChildProcess) {
        child.on("message", (reply: Reply) => {
            const waiter = this.pending.get(reply.id);
            this.pending.delete(reply.id);
            if (reply.ok) {
                waiter?.resolve(reply.result);
            } else {
                waiter?.reject(new ProviderCallError(reply.error?.message ?? "unknown error", reply.error?.code));
            }
        });
        child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
        child.on("exit", (code, signal) => {
            for (const waiter of this.pending.values()) {
                waiter.reject(new Error(`provider host exited (${code ?? signal}): ${this.stderr}`));
            }
            this.pending.clear();
        });
    }

    /** Starts a host with exactly `env` (see AzurePostgres.providerEnv) and loads the provider text. */
    static async start(providerText: string, env: NodeJS.ProcessEnv): Promise<ProviderHost> {
        const child = fork(path.join(__dirname, "providerHost.cjs"), [], {
            cwd: PROJECT_ROOT,
            env,
            execArgv: [], // no tsx: the real host has no TypeScript loader
            stdio: ["ignore", "inherit", "pipe", "ipc"],
        });
        const host = new ProviderHost(child);
        await host.send({ op: "load", text: providerText });
        return host;
    }

    private send(message: Record<string, unknown>): Promise<unknown> {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.child.send({ ...message, id });
        });
    }

    /** Calls a provider method the way the engine's RPCs do. */
    call<T = any>(method: "check" | "diff" | "create" | "read" | "update" | "delete", ...args: unknown[]): Promise<T> {
        return this.send({ op: "call", method, args }) as Promise<T>;
    }

    /** Signs in as `user` with a token of the given managed identity (default: the host's default identity). */
    runAs(options: { user: string; clientId?: string; host: string; port: number; database?: string; statements: string[] }): Promise<any[][]> {
        return this.send({ op: "runAs", ...options }) as Promise<any[][]>;
    }

    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
            return;
        }
        const exited = new Promise((resolve) => this.child.once("exit", resolve));
        this.child.kill("SIGTERM");
        await exited;
    }
}
