/**
 * The example consumer (examples/consumer) reads the stack outputs through a StackReference. Its
 * reference is fed the outputs the real program produced under mocks for each stack — not
 * hand-written values — and the test checks what the consumer derives from them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, PROJECT_DIR } from "../tools/mockEngine";

const consumerDir = path.join(PROJECT_DIR, "examples", "consumer");

describe("example consumer", () => {
  for (const stack of listStacks()) {
    it(`derives a read-only connection and the identity from stack ${stack}`, async () => {
      const kong = await evaluateStack({ stack });
      assert.equal(kong.error, undefined);
      const reference = `organization/kong-entra-postgres/${stack}`;
      const consumer = await evaluateStack({
        stack: "dev",
        projectDir: consumerDir,
        overrides: { kongStack: reference },
        stackReferences: { [reference]: kong.outputs },
      });
      assert.equal(consumer.error, undefined, consumer.error);
      const out = (k: string) => consumer.outputs[k]!;
      const kv = (k: string) => kong.outputs[k]?.value;

      const expectedHost = kv("replicaHost") ?? kv("serverHost");
      assert.equal(out("readOnlyHost").value, expectedHost, "reads from the replica when there is one");
      assert.deepEqual(out("readOnlyEnvironment").value, {
        PGHOST: expectedHost,
        PGPORT: "5432",
        PGDATABASE: kv("databaseName"),
        PGUSER: kv("kongRoleName"),
        PGSSLMODE: "verify-full",
      });
      assert.equal(out("readOnlyEnvironment").secret, false, "the connection itself is readable");
      assert.equal(
        out("connectionUrl").value,
        `postgresql://${encodeURIComponent(String(kv("kongRoleName")))}@${expectedHost}:5432/kong?sslmode=verify-full`,
      );
      assert.doesNotMatch(String(out("connectionUrl").value), /mock-secret-/);

      const identity = out("azureIdentityEnvironment");
      assert.deepEqual(identity.value, kv("azurePostgresql"));
      const hasSecret = kong.outputs.azurePostgresql!.secretPaths.length > 0;
      assert.equal(identity.secret, hasSecret, "a reference output holding the client secret stays secret");
    });
  }
});
