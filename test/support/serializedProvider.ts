// Obtains a dynamic resource's serialized provider the way a real deployment produces it: the
// resource is constructed under Pulumi's mocks, and the `__provider` input the engine would
// receive (and keep in state) is captured from the mocked newResource. One program per process,
// so each test file captures one provider.
import * as pulumi from "@pulumi/pulumi";

/** What the mocked engine saw registered while capturing. */
export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

/**
 * Runs `declare` under mocks and resolves with the first `__provider` text registered.
 * `declare` must import the component itself, so the resource is created under the mocks.
 */
export async function captureSerializedProvider(declare: () => Promise<void>, registered: Registered[] = []): Promise<string> {
    let resolveText: (text: string) => void = () => undefined;
    const text = new Promise<string>((resolve) => (resolveText = resolve));
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                if (typeof args.inputs.__provider === "string") {
                    resolveText(args.inputs.__provider);
                }
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: () => ({}),
        },
        "kong-entra-postgres",
        "test",
        false,
    );
    await declare();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no __provider input within 30 s")), 30_000).unref());
    return Promise.race([text, timeout]);
}

let cached: Promise<string> | undefined;

export function serializedEntraPrincipalProvider(): Promise<string> {
    cached ??= captureSerializedProvider(async () => {
        const { EntraPrincipal } = await import("../../components/entraPrincipal");
        new EntraPrincipal("kong", {
            host: "example.postgres.database.azure.com",
            administratorName: "Kong Deployers",
            roleName: "kong",
            objectId: "00000000-0000-0000-0000-000000000001",
        });
    });
    return cached;
}
