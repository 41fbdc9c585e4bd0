/**
 * Allow-list parsing: every accepted form converts to the right start/end pair, and every rejected
 * form says why. Exhaustive over prefix lengths.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatAddress, parseIpv4Range, rangeSize, rangeSlug, WIDEST_PREFIX } from "../components/ipRanges";

function ok(entry: string) {
  const parsed = parseIpv4Range(entry);
  assert.ok("range" in parsed, `${entry}: ${"problem" in parsed ? parsed.problem : ""}`);
  return parsed.range;
}

function problem(entry: string): string {
  const parsed = parseIpv4Range(entry);
  assert.ok("problem" in parsed, `${entry} should be rejected`);
  return parsed.problem;
}

describe("parseIpv4Range", () => {
  it("reads a single address as a /32", () => {
    assert.deepEqual(ok("203.0.113.7"), { cidr: "203.0.113.7/32", start: "203.0.113.7", end: "203.0.113.7", prefix: 32 });
    assert.deepEqual(ok(" 203.0.113.7/32 "), { cidr: "203.0.113.7/32", start: "203.0.113.7", end: "203.0.113.7", prefix: 32 });
  });

  it("computes the last address for every prefix from /8 to /32", () => {
    for (let prefix = WIDEST_PREFIX; prefix <= 32; prefix++) {
      const range = ok(`10.0.0.0/${prefix}`);
      assert.equal(rangeSize(range.start, range.end), 2 ** (32 - prefix), `/${prefix}`);
      assert.equal(range.start, "10.0.0.0");
    }
    assert.equal(ok("198.51.100.0/24").end, "198.51.100.255");
    assert.equal(ok("172.16.0.0/12").end, "172.31.255.255");
    assert.equal(ok("255.255.255.255").end, "255.255.255.255");
  });

  it("refuses anything wider than /8", () => {
    for (let prefix = 0; prefix < WIDEST_PREFIX; prefix++) assert.match(problem(`0.0.0.0/${prefix}`), /wider than \/8|0\.0\.0\.0/);
    assert.match(problem("10.0.0.0/7"), /wider than \/8/);
  });

  it("refuses host bits and suggests the block", () => {
    assert.match(problem("198.51.100.7/24"), /did you mean 198\.51\.100\.0\/24\?/);
    assert.match(problem("10.1.0.0/8"), /did you mean 10\.0\.0\.0\/8\?/);
  });

  it("refuses what is not IPv4", () => {
    for (const entry of ["", "example.com", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/x", "1.2.3.4/24/1", "::1", "2001:db8::/32"]) {
      assert.match(problem(entry), /IPv4|prefix length/, entry);
    }
  });

  it("steers 0.0.0.0 to the explicit allowAzureServices switch", () => {
    assert.match(problem("0.0.0.0"), /allowAzureServices/);
  });
});

describe("helpers", () => {
  it("formats addresses and names rules", () => {
    assert.equal(formatAddress(0xc0000207), "192.0.2.7");
    assert.equal(rangeSlug(ok("192.0.2.0/24")), "192-0-2-0-24");
    assert.ok(Number.isNaN(rangeSize("10.0.0.2", "10.0.0.1")));
  });
});
