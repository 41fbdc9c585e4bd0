/**
 * Tests for components/cloudInit.ts.
 *
 * The cloud-config is read back as cloud-init reads it: YAML 1.1 (cloud-init uses PyYAML), and
 * also YAML 1.2, which must agree. The systemd units are read by a small parser of systemd's
 * `key=value` format written here; where `systemd-analyze` exists, systemd itself verifies them.
 * The full output for a representative input is pinned in
 * test/fixtures/cloud-init/vm-managed-identity-replica.yaml (regenerate with
 * `UPDATE_SNAPSHOTS=1 node --import tsx --test test/cloudInit.test.ts`, then review the diff).
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import YAML from "yaml";

import {
  CUSTOM_DATA_MAX_BYTES,
  KONG_PACKAGE,
  KONG_PACKAGE_SIGNING_KEYS,
  KONG_VM_PATHS,
  KONG_VM_UBUNTU,
  KONG_VM_UNITS,
  KongCloudInitInput,
  kongPackage,
  renderCloudInit,
} from "../components/cloudInit";
import { kongDatabaseSettings, toKongConf } from "../components/kongSettings";

// ---------------------------------------------------------------------------------------------
// Inputs and readers
// ---------------------------------------------------------------------------------------------

/** The VM runtime's kong.conf: managed identity, with a read replica. */
const KONG_CONF = toKongConf(
  kongDatabaseSettings({
    host: "kong-pg.postgres.database.azure.com",
    database: "kong",
    user: "kong-gateway-mi",
    identity: { kind: "managedIdentity", clientId: "11111111-2222-4333-8444-555555555555" },
    replicaHost: "kong-pg-replica.postgres.database.azure.com",
  }),
);
const VERSION = "3.14.0.13";
const INPUT: KongCloudInitInput = { kongConf: KONG_CONF, kongVersion: VERSION };

interface WriteFile {
  path: string;
  content?: string;
  source?: { uri: string };
  owner?: string;
  permissions?: string;
  defer?: boolean;
}
interface CloudConfig {
  write_files: WriteFile[];
  apt: { sources: Record<string, { source: string }> };
  package_update: boolean;
  packages: Array<string | string[]>;
  runcmd: string[][];
}

/** The cloud-config as cloud-init (PyYAML, YAML 1.1) reads it; YAML 1.2 must read the same. */
function readCloudConfig(text: string): CloudConfig {
  assert.equal(text.split("\n")[0], "#cloud-config", "first line");
  const docs = YAML.parseAllDocuments(text, { version: "1.1" });
  assert.equal(docs.length, 1, "one YAML document");
  const [doc] = docs as YAML.Document.Parsed[];
  assert.deepEqual(doc.errors, [], "YAML errors");
  assert.deepEqual(doc.warnings, [], "YAML warnings");
  const v11 = doc.toJS() as CloudConfig;
  assert.deepEqual(YAML.parse(text, { version: "1.2" }), v11, "YAML 1.1 and 1.2 read the same values");
  return v11;
}

function render(input: Partial<KongCloudInitInput> = {}): CloudConfig {
  return readCloudConfig(renderCloudInit({ ...INPUT, ...input }));
}

function file(config: CloudConfig, path: string): WriteFile {
  const found = config.write_files.filter((f) => f.path === path);
  assert.equal(found.length, 1, `exactly one write_files entry for ${path}`);
  return found[0];
}

/** A systemd unit file: section → [key, value] in order. Comments and blank lines skipped. */
type Unit = Map<string, Array<[string, string]>>;
function readUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Array<[string, string]> | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || /^\s*[#;]/.test(line)) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      assert.equal(unit.has(header[1]), false, `section [${header[1]}] twice`);
      section = [];
      unit.set(header[1], section);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && section, `not a unit line: ${JSON.stringify(line)}`);
    assert.ok(!line.endsWith("\\"), "no continued lines");
    section.push([kv[1], kv[2]]);
  }
  return unit;
}
function values(unit: Unit, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}
function value(unit: Unit, section: string, key: string): string {
  const all = values(unit, section, key);
  assert.equal(all.length, 1, `[${section}] ${key} once, got ${JSON.stringify(all)}`);
  return all[0];
}
/** Unit names of a list-valued setting (After=, Wants=, …) across all its lines. */
function names(unit: Unit, section: string, key: string): string[] {
  return values(unit, section, key).flatMap((v) => v.split(/\s+/).filter(Boolean));
}

function units(config: CloudConfig): { migrations: Unit; dropIn: Unit; finish: Unit } {
  const content = (path: string) => {
    const f = file(config, path);
    assert.equal(typeof f.content, "string", path);
    return readUnit(f.content as string);
  };
  return {
    migrations: content(KONG_VM_PATHS.migrationsUnit),
    dropIn: content(KONG_VM_PATHS.kongDropIn),
    finish: content(KONG_VM_PATHS.migrationsFinishUnit),
  };
}

// ---------------------------------------------------------------------------------------------
// The cloud-config document
// ---------------------------------------------------------------------------------------------

describe("renderCloudInit: the cloud-config", () => {
  test("is one #cloud-config YAML document with only the modules it needs", () => {
    const text = renderCloudInit(INPUT);
    assert.ok(text.startsWith("#cloud-config\n"), text.slice(0, 40));
    const config = readCloudConfig(text);
    assert.deepEqual(Object.keys(config).sort(), ["apt", "package_update", "packages", "runcmd", "write_files"]);
    assert.equal(config.package_update, true);
    assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"), "ends with exactly one newline");
  });

  test("embeds kong.conf exactly, root-owned 0600, written after the package", () => {
    const text = renderCloudInit(INPUT);
    const conf = file(readCloudConfig(text), KONG_VM_PATHS.kongConf);
    assert.equal(conf.content, KONG_CONF);
    assert.equal(conf.permissions, "0600");
    assert.equal(conf.owner, "root:root");
    assert.equal(conf.defer, true, "deferred: the package's postinstall chowns /etc/kong");
    // As a literal block: the reviewer reads the same lines Kong reads.
    const block = KONG_CONF.trimEnd().split("\n").map((l) => `      ${l}`).join("\n");
    assert.ok(text.includes(`    content: |\n${block}\n`), "kong.conf as a literal block");
  });

  const tricky: Array<[string, string]> = [
    ["escaped #, quotes, backslashes", `pg_user = it's "kong" \\\\#1\npg_database = kông\\#网关\n`],
    ["a comment and a trailing backslash", "# a comment\nproxy_listen = 0.0.0.0:8000, \\\n  0.0.0.0:8443 ssl\n"],
    ["leading spaces on the first line", "   database = postgres\n"],
    ["no final newline", "database = postgres"],
    ["several final newlines", "database = postgres\n\n\n"],
    ["YAML markers and indicators", "---\n...\n- x: y\n| > & * ! % @ `\n{ a: [b] }\n"],
    ["tabs", "database\t=\tpostgres\n"],
    ["what YAML 1.1 would read as other types", "on\n0600\n3.14\nyes\n12:30\n~\n"],
  ];
  for (const [name, kongConf] of tricky) {
    test(`carries kong.conf verbatim: ${name}`, () => {
      assert.equal(file(render({ kongConf }), KONG_VM_PATHS.kongConf).content, kongConf);
    });
  }

  test("installs Kong Gateway Enterprise from Kong's repository for the line, pinned to the version", () => {
    const config = render();
    const key = file(config, "/etc/apt/keyrings/kong-gateway-314.asc");
    assert.deepEqual(key.source, { uri: "https://packages.konghq.com/public/gateway-314/gpg.1B7E2AF3C3BF8153.key" });
    assert.equal(key.permissions, "0644", "apt's _apt user reads the keyring");
    assert.equal(key.defer, undefined, "the key is needed before apt runs, so it is not deferred");
    assert.deepEqual(config.apt.sources, {
      "kong-gateway-314": {
        source: `deb [signed-by=/etc/apt/keyrings/kong-gateway-314.asc] https://packages.konghq.com/public/gateway-314/deb/ubuntu noble main`,
      },
    });
    assert.deepEqual(config.packages, [[KONG_PACKAGE, VERSION]]);
    assert.equal(KONG_PACKAGE, "kong-enterprise-edition");
  });

  test("a line installs the newest package of that line, from that line's repository and key", () => {
    const config = render({ kongVersion: "3.15" });
    assert.deepEqual(config.packages, [KONG_PACKAGE]);
    file(config, "/etc/apt/keyrings/kong-gateway-315.asc");
    assert.match(config.apt.sources["kong-gateway-315"].source, /signed-by=\/etc\/apt\/keyrings\/kong-gateway-315\.asc\] https:\/\/packages\.konghq\.com\/public\/gateway-315\/deb\/ubuntu noble main$/);
    assert.equal(file(config, "/etc/apt/keyrings/kong-gateway-315.asc").source?.uri, "https://packages.konghq.com/public/gateway-315/gpg.70F548ACDD3D34DB.key");
  });

  test("the apt source trusts exactly the key file cloud-init fetches", () => {
    for (const line of Object.keys(KONG_PACKAGE_SIGNING_KEYS)) {
      const config = render({ kongVersion: line });
      const sources = Object.values(config.apt.sources);
      assert.equal(sources.length, 1);
      const signedBy = /\[signed-by=([^\]]+)\]/.exec(sources[0].source)?.[1];
      assert.ok(signedBy, sources[0].source);
      const key = file(config, signedBy);
      assert.equal(key.source?.uri, `https://packages.konghq.com/public/gateway-${line.replace(".", "")}/gpg.${KONG_PACKAGE_SIGNING_KEYS[line]}.key`);
      assert.ok(sources[0].source.endsWith(` ${KONG_VM_UBUNTU.codename} main`));
    }
  });

  test("runcmd holds the package, then starts the units without blocking cloud-init", () => {
    assert.deepEqual(render().runcmd, [
      ["apt-mark", "hold", KONG_PACKAGE],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", KONG_VM_UNITS.migrations, KONG_VM_UNITS.kong, KONG_VM_UNITS.migrationsFinish],
    ]);
  });

  test("units and drop-in are root-owned 0644 files under /etc/systemd/system, written after the package", () => {
    const config = render();
    for (const path of [KONG_VM_PATHS.migrationsUnit, KONG_VM_PATHS.kongDropIn, KONG_VM_PATHS.migrationsFinishUnit]) {
      const f = file(config, path);
      assert.ok(path.startsWith("/etc/systemd/system/"), path);
      assert.equal(f.permissions, "0644", path);
      assert.equal(f.owner, "root:root", path);
      assert.equal(f.defer, true, path);
    }
    assert.equal(KONG_VM_PATHS.kongDropIn, `/etc/systemd/system/${KONG_VM_UNITS.kong}.d/10-kong-entra-postgres.conf`);
    assert.equal(KONG_VM_PATHS.migrationsUnit, `/etc/systemd/system/${KONG_VM_UNITS.migrations}`);
    assert.equal(KONG_VM_PATHS.migrationsFinishUnit, `/etc/systemd/system/${KONG_VM_UNITS.migrationsFinish}`);
    assert.equal(config.write_files.length, 5, config.write_files.map((f) => f.path).join(", "));
  });
});

// ---------------------------------------------------------------------------------------------
// The systemd units
// ---------------------------------------------------------------------------------------------

describe("renderCloudInit: the systemd units", () => {
  const { migrations, dropIn, finish } = units(render());
  const kong = `${KONG_VM_PATHS.kongBinary}`;
  const conf = `-c ${KONG_VM_PATHS.kongConf}`;

  test("migrations: a oneshot that runs bootstrap, then up, retrying on failure, before Kong", () => {
    assert.equal(value(migrations, "Service", "Type"), "oneshot");
    assert.equal(value(migrations, "Service", "RemainAfterExit"), "yes");
    // A oneshot's ExecStart lines run in order and stop at the first failure: bootstrap && up.
    assert.deepEqual(values(migrations, "Service", "ExecStart"), [`${kong} migrations bootstrap ${conf}`, `${kong} migrations up ${conf}`]);
    assert.equal(value(migrations, "Service", "Restart"), "on-failure");
    assert.match(value(migrations, "Service", "RestartSec"), /^\d+s$/);
    assert.ok(names(migrations, "Unit", "Before").includes(KONG_VM_UNITS.kong));
    assert.ok(names(migrations, "Unit", "After").includes("network-online.target"));
    assert.ok(names(migrations, "Unit", "Wants").includes("network-online.target"));
    assert.deepEqual(values(migrations, "Install", "WantedBy"), ["multi-user.target"]);
  });

  test("Kong: the packaged unit with a drop-in that restarts it on failure and orders it after the migrations", () => {
    assert.equal(value(dropIn, "Service", "Restart"), "on-failure");
    assert.match(value(dropIn, "Service", "RestartSec"), /^\d+s$/);
    const nofile = value(dropIn, "Service", "LimitNOFILE");
    assert.ok(nofile === "infinity" || Number(nofile) >= 16384, `LimitNOFILE=${nofile}: Kong asks for at least 16384`);
    assert.ok(names(dropIn, "Unit", "After").includes(KONG_VM_UNITS.migrations));
    assert.ok(names(dropIn, "Unit", "Wants").includes(KONG_VM_UNITS.migrations));
    assert.deepEqual(values(dropIn, "Unit", "Requires"), [], "Wants, so a failed migration attempt does not stop Kong's own retries");
    // Kong's own Exec lines stay: the drop-in adds, it does not replace.
    for (const key of ["ExecStart", "ExecStartPre", "ExecStop", "ExecReload", "Type", "User"]) {
      assert.deepEqual(values(dropIn, "Service", key), [], key);
    }
    assert.deepEqual([...dropIn.keys()], ["Unit", "Service"], "no [Install]: the packaged unit has it");
  });

  test("finish: after Kong has started and runs, never before", () => {
    assert.ok(names(finish, "Unit", "After").includes(KONG_VM_UNITS.kong));
    assert.ok(names(finish, "Unit", "Wants").includes(KONG_VM_UNITS.kong));
    assert.deepEqual(values(finish, "Service", "ExecStartPre"), [`${kong} health -p ${KONG_VM_PATHS.prefix}`]);
    assert.deepEqual(values(finish, "Service", "ExecStart"), [`${kong} migrations finish ${conf}`]);
    assert.equal(value(finish, "Service", "Type"), "oneshot");
    assert.equal(value(finish, "Service", "Restart"), "on-failure");
    assert.deepEqual(values(finish, "Install", "WantedBy"), ["multi-user.target"]);
    // And nothing else orders finish before Kong.
    assert.equal(names(finish, "Unit", "Before").includes(KONG_VM_UNITS.kong), false);
    assert.equal(names(migrations, "Unit", "After").includes(KONG_VM_UNITS.migrationsFinish), false);
  });

  test("no migration command forces anything (bootstrap -f drops the database)", () => {
    for (const unit of [migrations, dropIn, finish]) {
      for (const [, entries] of unit) {
        for (const [key, v] of entries) {
          if (!key.startsWith("Exec")) continue;
          assert.doesNotMatch(v, /(^|\s)(-f|--force|-[a-z]*f[a-z]*)(\s|$)/, `${key}=${v}`);
          assert.doesNotMatch(v, /\breset\b/, `${key}=${v}`);
        }
      }
    }
  });

  test("every Kong unit reads the optional licence file and nothing else sets its environment", () => {
    for (const unit of [migrations, dropIn, finish]) {
      assert.deepEqual(values(unit, "Service", "EnvironmentFile"), [`-${KONG_VM_PATHS.licenseEnv}`]);
      assert.deepEqual(values(unit, "Service", "Environment"), []);
      assert.deepEqual(values(unit, "Service", "PassEnvironment"), []);
    }
    // The licence is a secret: cloud-init never writes it.
    const paths = render().write_files.map((f) => f.path);
    assert.equal(paths.some((p) => /licen[cs]e/i.test(p)), false, paths.join(", "));
  });

  test("every command runs the kong binary the package installs, with the kong.conf written here", () => {
    for (const unit of [migrations, finish]) {
      for (const key of ["ExecStartPre", "ExecStart"]) {
        for (const v of values(unit, "Service", key)) {
          assert.ok(v.startsWith(`${KONG_VM_PATHS.kongBinary} `), v);
          if (v.includes(" migrations ")) assert.ok(v.endsWith(conf), v);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Nothing secret, nothing that steers Kong's Azure credential
// ---------------------------------------------------------------------------------------------

describe("renderCloudInit: secrets and Azure variables", () => {
  test("no AZURE_ variable, password or client secret anywhere in the output", () => {
    for (const kongVersion of ["3.14.0.13", "3.14", "3.12"]) {
      const text = renderCloudInit({ ...INPUT, kongVersion });
      assert.equal(text.includes("AZURE_"), false, "an Azure identity variable would change which credential Kong's Azure library uses");
      for (const forbidden of ["pg_password", "pg_ro_password", "pg_azure_client_secret", "pg_ro_azure_client_secret", "tenant_id", "PRIVATE KEY"]) {
        assert.equal(text.toLowerCase().includes(forbidden.toLowerCase()), false, forbidden);
      }
    }
  });

  const secrets: Array<[string, string]> = [
    ["pg_password", "pg_password = hunter2\n"],
    ["pg_ro_password", "pg_ro_password = hunter2\n"],
    ["pg_azure_client_secret", "pg_azure_client_secret = s3cr3t~value\n"],
    ["pg_ro_azure_client_secret", "pg_ro_azure_client_secret = s3cr3t~value\n"],
    ["pg_password", "PG-PASSWORD = hunter2\n"],
    ["pg_password", "  pg.password=hunter2\n"],
    ["pg_azure_client_secret", "# pg_azure_client_secret = s3cr3t~value\n"],
  ];
  for (const [key, line] of secrets) {
    test(`refuses a kong.conf with ${JSON.stringify(line.trim())}, without echoing the value`, () => {
      assert.throws(
        () => renderCloudInit({ ...INPUT, kongConf: KONG_CONF + line }),
        (e: Error) => {
          assert.match(e.message, /^cloud-init: kongConf /);
          assert.ok(e.message.includes(key), e.message);
          assert.ok(!e.message.includes("hunter2") && !e.message.includes("s3cr3t"), e.message);
          return true;
        },
      );
    });
  }

  test("refuses a private key", () => {
    const pem = "ssl_cert_key = -----BEGIN PRIVATE KEY-----MIIE-----END PRIVATE KEY-----\n";
    assert.throws(() => renderCloudInit({ ...INPUT, kongConf: pem }), /kongConf contains a private key/);
    const rsa = "ssl_cert_key = -----BEGIN RSA PRIVATE KEY-----\n";
    assert.throws(() => renderCloudInit({ ...INPUT, kongConf: rsa }), /kongConf contains a private key/);
  });
});

// ---------------------------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------------------------

describe("renderCloudInit: input checks", () => {
  const badConf: Array<[string, unknown, RegExp]> = [
    ["empty", "", /kongConf is empty/],
    ["whitespace only", " \n\t\n", /kongConf is empty/],
    ["not a string", undefined, /kongConf must be the kong.conf text \(a string\), got undefined/],
    ["NUL", "database = postgres\u0000\n", /kongConf contains a NUL character/],
    ["CR", "database = postgres\r\n", /kongConf contains control character U\+000D on line 1/],
    ["escape on line 2", "database = postgres\npg_user = a\u001bb\n", /U\+001B on line 2/],
    ["line separator", "database = postgres\u2028\n", /U\+2028/],
    ["lone surrogate", "pg_user = \ud800\n", /lone UTF-16 surrogate/],
  ];
  for (const [name, kongConf, expected] of badConf) {
    test(`refuses kongConf: ${name}`, () => {
      assert.throws(() => renderCloudInit({ kongVersion: VERSION, kongConf: kongConf as string }), expected);
    });
  }

  test("accepts a surrogate pair (a character outside the BMP)", () => {
    const kongConf = "pg_user = kong🦍\n";
    assert.equal(file(render({ kongConf }), KONG_VM_PATHS.kongConf).content, kongConf);
  });

  const badVersions: Array<[unknown, RegExp]> = [
    ["", /must be a Kong Gateway Enterprise line such as 3\.14 or an exact package version such as 3\.14\.0\.13/],
    ["3", /must be a Kong Gateway Enterprise line/],
    ["3.14.0", /Enterprise packages have four parts/],
    ["3.14.0.13.1", /must be a Kong Gateway Enterprise line/],
    ["v3.14", /must be a Kong Gateway Enterprise line/],
    [" 3.14", /must be a Kong Gateway Enterprise line/],
    ["3.14 ", /must be a Kong Gateway Enterprise line/],
    ["03.14", /must be a Kong Gateway Enterprise line/],
    ["3.14.0.13-1", /must be a Kong Gateway Enterprise line/],
    ["3.14.*", /must be a Kong Gateway Enterprise line/],
    ["latest", /must be a Kong Gateway Enterprise line/],
    [3.14, /must be a Kong Gateway Enterprise line/],
    ["3.11", /"3\.11": Kong Gateway Enterprise has pg_azure_\* .* only from 3\.12/],
    ["2.8.4.0", /only from 3\.12/],
    ["3.16", /no package signing key is recorded for line 3\.16 \(known: 3\.12, 3\.13, 3\.14, 3\.15\)/],
    ["4.0.0.0", /no package signing key is recorded for line 4\.0/],
  ];
  for (const [kongVersion, expected] of badVersions) {
    test(`refuses kongVersion ${JSON.stringify(kongVersion)}`, () => {
      assert.throws(() => renderCloudInit({ kongConf: KONG_CONF, kongVersion: kongVersion as string }), (e: Error) => {
        assert.match(e.message, /^cloud-init: kongVersion /);
        assert.match(e.message, expected);
        return true;
      });
    });
  }

  test("refuses a result larger than Azure's customData, and accepts one of exactly that size", () => {
    // One line of n characters renders as one literal-block line: the output grows by one byte per character.
    const size = (n: number) => Buffer.byteLength(renderCloudInit({ ...INPUT, kongConf: `${"a".repeat(n)}\n` }), "utf8");
    const n = CUSTOM_DATA_MAX_BYTES - size(1) + 1;
    assert.equal(size(n), CUSTOM_DATA_MAX_BYTES);
    assert.throws(() => size(n + 1), /the rendered cloud-config is 65536 bytes; Azure's customData holds at most 65535/);
  });
});

// ---------------------------------------------------------------------------------------------
// kongPackage
// ---------------------------------------------------------------------------------------------

describe("kongPackage", () => {
  test("an exact version", () => {
    assert.deepEqual(kongPackage("3.14.0.13"), {
      line: "3.14",
      exactVersion: "3.14.0.13",
      repositoryUrl: "https://packages.konghq.com/public/gateway-314",
      signingKeyUrl: "https://packages.konghq.com/public/gateway-314/gpg.1B7E2AF3C3BF8153.key",
      keyring: "/etc/apt/keyrings/kong-gateway-314.asc",
      aptSource: "deb [signed-by=/etc/apt/keyrings/kong-gateway-314.asc] https://packages.konghq.com/public/gateway-314/deb/ubuntu noble main",
    });
  });

  test("a line", () => {
    const pkg = kongPackage("3.12");
    assert.equal(pkg.line, "3.12");
    assert.equal(pkg.exactVersion, undefined);
    assert.equal(pkg.signingKeyUrl, "https://packages.konghq.com/public/gateway-312/gpg.875433A518B93006.key");
  });

  test("every recorded key id is a 16-hex-digit OpenPGP long key id, one per line from 3.12", () => {
    for (const [line, keyId] of Object.entries(KONG_PACKAGE_SIGNING_KEYS)) {
      assert.match(line, /^3\.1[2-9]$/);
      assert.match(keyId, /^[0-9A-F]{16}$/);
    }
    assert.equal(new Set(Object.values(KONG_PACKAGE_SIGNING_KEYS)).size, Object.keys(KONG_PACKAGE_SIGNING_KEYS).length);
  });
});

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

describe("snapshot", () => {
  test("the full cloud-config for the VM runtime (managed identity, replica, 3.14.0.13)", () => {
    const fixture = join(__dirname, "fixtures", "cloud-init", "vm-managed-identity-replica.yaml");
    const text = renderCloudInit(INPUT);
    if (process.env.UPDATE_SNAPSHOTS === "1") {
      mkdirSync(dirname(fixture), { recursive: true });
      writeFileSync(fixture, text);
    }
    assert.equal(text, readFileSync(fixture, "utf8"));
  });
});

// ---------------------------------------------------------------------------------------------
// systemd's own verdict, where systemd-analyze exists
// ---------------------------------------------------------------------------------------------

const systemdAnalyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const hostUnits = ["/lib/systemd/system", "/usr/lib/systemd/system"].find((d) => existsSync(join(d, "multi-user.target")));

describe("systemd-analyze verify", { skip: systemdAnalyze.status !== 0 || hostUnits === undefined ? "systemd-analyze or the host's targets are not available" : false }, () => {
  /** Unit-file problems systemd reports (dependency lookups outside this small root are ignored). */
  const PROBLEM = /Unknown (key|section|lvalue)|bad unit file|Refusing|not executable|Failed to parse|[Ii]nvalid|Missing '='|[Nn]eutered/;

  function verify(files: WriteFile[]): string[] {
    const root = mkdtempSync(join(tmpdir(), "cloudinit-units-"));
    try {
      const lib = join(root, "lib/systemd/system");
      mkdirSync(lib, { recursive: true });
      for (const name of readdirSync(hostUnits as string)) if (name.endsWith(".target")) copyFileSync(join(hostUnits as string, name), join(lib, name));
      // Stand-ins for what the package installs: the binaries, and a unit shaped like Kong's.
      for (const bin of [KONG_VM_PATHS.kongBinary, "/usr/local/openresty/nginx/sbin/nginx"]) {
        mkdirSync(join(root, dirname(bin)), { recursive: true });
        writeFileSync(join(root, bin), "#!/bin/sh\n");
        chmodSync(join(root, bin), 0o755);
      }
      writeFileSync(
        join(root, KONG_VM_PATHS.packagedUnit),
        "[Unit]\nDescription=stand-in for Kong's packaged unit\n[Service]\nExecStart=/usr/local/openresty/nginx/sbin/nginx -p /usr/local/kong -c nginx.conf\n[Install]\nWantedBy=multi-user.target\n",
      );
      for (const f of files) {
        mkdirSync(join(root, dirname(f.path)), { recursive: true });
        writeFileSync(join(root, f.path), f.content ?? "");
      }
      const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, ...Object.values(KONG_VM_UNITS)], { encoding: "utf8" });
      return `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => PROBLEM.test(l));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  const unitFiles = render().write_files.filter((f) => f.path.startsWith("/etc/systemd/"));

  test("accepts the units and the drop-in", () => {
    assert.deepEqual(verify(unitFiles), []);
  });

  test("would report a broken unit (the check itself works)", () => {
    const broken = unitFiles.map((f) =>
      f.path === KONG_VM_PATHS.migrationsUnit ? { ...f, content: (f.content as string).replace("Restart=on-failure", "Restart=always\nBogusKey=1") } : f,
    );
    const problems = verify(broken);
    assert.ok(problems.some((l) => l.includes("BogusKey")), problems.join("\n"));
    assert.ok(problems.some((l) => /Refusing|bad unit file/.test(l)), problems.join("\n"));
  });
});
