// Obtains EntraPrincipal's serialized provider the way a real deployment produces it: the
// resource is constructed under Pulumi's mocks, and the `__provider` input the engine would
// receive (and keep in state) is captured from the mocked newResource.
import * as pulumi from "@pulumi/pulumi";

let cached: Promise<string> | undefined;

export function serializedEntraPrincipalProvider(): Promise<string> {
    cached ??= capture();
    return cached;
}

async function capture(): Promise<string> {
    let resolveText: (text: string) => void = () => undefined;
    const text = new Promise<string>((resolve) => (resolveText = resolve));
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
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
    // Imported only now, so the resource is created under the mocks.
    const { EntraPrincipal } = await import("../../components/entraPrincipal");
    new EntraPrincipal("kong", {
        host: "example.postgres.database.azure.com",
        administratorName: "Kong Deployers",
        roleName: "kong",
        objectId: "00000000-0000-0000-0000-000000000001",
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no __provider input within 30 s")), 30_000).unref());
    return Promise.race([text, timeout]);
}
