import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CAF_PREFIX, commonTags, environmentSlug, resourceName, SERVER_NAME_MAX } from "../components/naming";

describe("naming", () => {
  it("builds CAF names: prefix, workload, environment, qualifier, suffix", () => {
    assert.equal(resourceName("postgresServer", "dev", "x7k2q"), "psql-kong-dev-x7k2q");
    assert.equal(resourceName("postgresServer", "prod", "x7k2q", "ro"), "psql-kong-prod-ro-x7k2q");
    assert.equal(resourceName("resourceGroup", "Team_A.Staging", "ab1"), "rg-kong-team-a-staging-ab1");
  });

  it("keeps the environment part to [a-z0-9-] without leading or trailing hyphens", () => {
    assert.equal(environmentSlug("--Prod EU--"), "prod-eu");
  });

  it("uses distinct prefixes per kind", () => {
    const prefixes = Object.values(CAF_PREFIX);
    assert.equal(new Set(prefixes).size, prefixes.length);
  });

  it("fits a server name in Azure's limit for reasonable stack names", () => {
    assert.ok(resourceName("postgresServer", "a".repeat(30), "abcdefgh", "ro").length <= SERVER_NAME_MAX);
  });

  it("tags every resource with environment, project and managed-by", () => {
    assert.deepEqual(commonTags("Prod", "kong-entra-postgres"), { environment: "prod", project: "kong-entra-postgres", "managed-by": "pulumi" });
  });
});
