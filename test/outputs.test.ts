/**
 * The stack outputs are an interface: every output the README documents exists in every stack,
 * secret ones are secret (per key where the README says so), and nothing else is.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateStack } from "../tools/evaluateStack";
import { listStacks, PROJECT_DIR, type Evaluation } from "../tools/mockEngine";

interface DocumentedOutput {
  name: string;
  secret: "no" | "yes" | { perKey: string };
}

/** Reads the README's "Stack outputs" table. */
function documentedOutputs(): DocumentedOutput[] {
  const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Stack outputs"), readme.indexOf("\n## ", readme.indexOf("## Stack outputs") + 3));
  const rows = section.split("\n").filter((l) => /^\| `\w+` \|/.test(l));
  return rows.map((row) => {
    const cells = row.split("|").map((c) => c.trim());
    const name = cells[1]!.replace(/`/g, "");
    const secretCell = cells[3]!;
    const perKey = /^per key: `(\w+)`$/.exec(secretCell);
    const secret = perKey ? { perKey: perKey[1]! } : (secretCell as "no" | "yes");
    assert.ok(perKey || secretCell === "no" || secretCell === "yes", `README: unreadable secret cell for ${name}: ${secretCell}`);
    return { name, secret };
  });
}

const documented = documentedOutputs();

it("the README documents the stack outputs", () => {
  assert.ok(documented.length >= 15, `only ${documented.length} outputs documented`);
});

for (const stack of listStacks()) {
  describe(`outputs of ${stack}`, () => {
    let e: Evaluation;
    before(async () => {
      e = await evaluateStack({ stack });
      assert.equal(e.error, undefined);
    });

    it("exports exactly the documented outputs", () => {
      assert.deepEqual(Object.keys(e.outputs).sort(), documented.map((d) => d.name).sort());
    });

    it("marks secret exactly what the README says is secret", () => {
      for (const d of documented) {
        const out = e.outputs[d.name]!;
        if (d.secret === "yes") {
          assert.equal(out.secret, true, `${d.name} must be secret`);
        } else if (d.secret === "no") {
          assert.equal(out.secret, false, `${d.name} must be readable`);
          assert.deepEqual(out.secretPaths, [], `${d.name} has no secret inside`);
        } else {
          assert.equal(out.secret, false, `${d.name} as a whole stays readable`);
          const map = out.value as Record<string, string>;
          if (d.secret.perKey in map) assert.deepEqual(out.secretPaths, [d.secret.perKey], `${d.name}: only ${d.secret.perKey} is secret`);
          else assert.deepEqual(out.secretPaths, [], `${d.name}: nothing secret without a client secret`);
          for (const [k, v] of Object.entries(map)) {
            if (k !== d.secret.perKey) assert.doesNotMatch(v, /mock-secret-/, `${d.name}.${k} carries a secret value`);
          }
        }
      }
    });

    it("gives non-Kong apps the same connection Kong uses", () => {
      const kong = e.outputs.kongEnvironment!.value as Record<string, string>;
      const azure = e.outputs.azurePostgresql!.value as Record<string, string>;
      assert.equal(azure.AZURE_POSTGRESQL_HOST, kong.KONG_PG_HOST);
      assert.equal(azure.AZURE_POSTGRESQL_PORT, kong.KONG_PG_PORT);
      assert.equal(azure.AZURE_POSTGRESQL_DATABASE, kong.KONG_PG_DATABASE);
      assert.equal(azure.AZURE_POSTGRESQL_USER, kong.KONG_PG_USER);
      assert.equal(azure.AZURE_POSTGRESQL_CLIENTID, kong.KONG_PG_AZURE_CLIENT_ID);
      assert.equal(azure.AZURE_POSTGRESQL_TENANTID, kong.KONG_PG_AZURE_TENANT_ID);
      assert.equal(azure.AZURE_POSTGRESQL_CLIENTSECRET, kong.KONG_PG_AZURE_CLIENT_SECRET);
      assert.equal(azure.AZURE_POSTGRESQL_SSL, "true");
      assert.equal(kong.KONG_PG_PASSWORD, undefined);
      assert.ok(!(e.outputs.kongConf!.value as string).includes("client_secret"));
    });
  });
}
