/**
 * cloud-init for Kong's VM runtime: the `#cloud-config` text a VM's `osProfile.customData` carries.
 *
 * A pure module (no Pulumi, no I/O): `renderCloudInit({ kongConf, kongVersion })` returns the text;
 * the VM component base64-encodes it (Azure wants customData base64 and never updates it, so a
 * change replaces the VM).
 *
 * The VM is Ubuntu 24.04 LTS "noble" (`KONG_VM_UBUNTU`) with a user-assigned managed identity.
 * Kong reaches PostgreSQL with that identity through IMDS, so nothing secret exists to deliver:
 * Azure's API text for customData says to pass no secret or password in it, and this module
 * refuses a kong.conf that carries one. The licence is a secret too; it never travels here (see
 * `KONG_VM_PATHS.licenseEnv`).
 *
 * What the VM does on first boot, in cloud-init's stage order [cloud.cfg]:
 * 1. init stage, `write_files`: fetches the signing key of the Kong package line over HTTPS from
 *    Kong's repository, as Kong's own instructions do (`curl …/gpg.<key id>.key`) [install].
 * 2. config stage, `apt`: adds Kong's apt source for that line, signed by that key only.
 * 3. final stage, `packages`: installs `kong-enterprise-edition` (the exact version, or the newest
 *    of the line); then the deferred `write_files` write kong.conf and the systemd units *after*
 *    the package, whose postinstall runs `chown -R kong:kong /etc/kong/` and `chmod -R g=u`
 *    [postinstall]; then `runcmd` holds the package, reloads systemd and starts the units without
 *    waiting (a blocking start would hold cloud-final while Kong waits for its database).
 *
 * Units (names in `KONG_VM_UNITS`), also started this way on every reboot:
 * - `kong-migrations.service` (ours, oneshot): `kong migrations bootstrap`, then `kong migrations
 *   up` (each a no-op when the database is current; bootstrap on a bootstrapped database prints
 *   "Database already bootstrapped" and exits 0 [migrations]). Never `bootstrap -f`: it drops the
 *   database. Retries until it succeeds (the database, its firewall rule or Kong's role may not
 *   exist yet when the VM boots).
 * - `kong-enterprise-edition.service` (the package's own unit [unit]) with our drop-in: ordered
 *   after the migrations, `Restart=on-failure`, the licence hook. Kong refuses to start while the
 *   database needs bootstrap or `up`, in `kong start` and in the nginx `init` phase the packaged
 *   unit goes through [check_state], so starting it after a failed migration attempt is safe: it
 *   fails, and restarts until the migrations have succeeded.
 * - `kong-migrations-finish.service` (ours, oneshot): `kong migrations finish` once `kong health`
 *   says this node runs. `finish` must only run once no node of the older version serves [ref];
 *   that holds here because this cloud-init runs on exactly one VM, and a new Kong version means a
 *   new VM (customData cannot change), which must replace the old one *delete-before-replace*.
 *   Two VMs from this cloud-init against one database would both run migrations: do not.
 *
 * Sources (cited as [install], [keys], [unit], [postinstall], [check_state], [migrations], [ref],
 * [cloud.cfg], [write_files], [customData], [oneshot], [penlight]):
 * - [install] Kong/developer.konghq.com app/_includes/install/gateway/linux/packages/ubuntu.md: key
 *   `https://packages.konghq.com/public/gateway-<major><minor>/gpg.<gpg_key>.key`, apt source
 *   `…/gateway-<major><minor>/deb/ubuntu <codename> main`, `apt-get install -y
 *   kong-enterprise-edition=<ee_version>`; app/_data/products/gateway.yml: 3.14 is LTS, latest
 *   3.14.0.13, packaged for ubuntu2404 (the default Ubuntu) from 3.9 to 3.15.
 * - [keys] the same gateway.yml, `public_keys`: the GPG key id of each line's repository.
 * - [unit] Kong/kong build/package/kong-enterprise-edition.service and nfpm.yaml (Enterprise 3.3+
 *   ships `/lib/systemd/system/kong-enterprise-edition.service`; Kong's changelog 3.3.0.0 and
 *   3.4.0.0: unit name restored, `User=root` added): `ExecStartPre=/usr/local/bin/kong prepare -p
 *   /usr/local/kong`, `ExecStart=/usr/local/openresty/nginx/sbin/nginx -p /usr/local/kong -c
 *   nginx.conf` (foreground: `KONG_NGINX_DAEMON=off`), `ExecStop=/bin/kill -s QUIT $MAINPID`,
 *   `LimitNOFILE=infinity`, no `Restart=`. `kong prepare` without `-c` reads `/etc/kong/kong.conf`
 *   (kong/conf_loader/constants.lua `DEFAULT_PATHS`).
 * - [postinstall] Kong/kong build/package/postinstall.sh: creates user and group `kong`.
 * - [check_state] Kong/kong kong/init.lua (`init`) and kong/cmd/start.lua call
 *   kong/cmd/utils/migrations.lua `check_state`: error on `needs_bootstrap` or `new_migrations`.
 * - [migrations] Kong/kong kong/cmd/utils/migrations.lua `bootstrap`: logs "Database already
 *   bootstrapped" and returns (exit 0) when the schema exists.
 * - [ref] https://developer.konghq.com/gateway/upgrade/in-place/ (stop the old nodes, `up`, `finish`,
 *   start the new ones; downtime) and …/upgrade/blue-green/ ("compatibility of the database with
 *   cluster X is only lost when kong migrations finish is executed").
 * - [cloud.cfg] canonical/cloud-init config/cloud.cfg.tmpl: write_files (init stage) → apt_configure,
 *   runcmd (config stage, which only writes the script) → package_update_upgrade_install,
 *   write_files_deferred, scripts_user (final stage, which runs it).
 * - [write_files] canonical/cloud-init cloudinit/config/cc_write_files.py: `source.uri` (HTTPS,
 *   3 retries), file created with its final mode; `defer: true` writes in the final stage.
 * - [customData] Azure compute API, `osProfile.customData`: base64, decoded at most 65535 bytes,
 *   "Do not pass any secrets or passwords", cannot be updated.
 * - [oneshot] systemd.service(5): several `ExecStart=` of a oneshot run in order and stop at the
 *   first failure (so two lines are `a && b`); `Restart=on-failure` is allowed for oneshot since
 *   systemd 245 (24.04 ships 255); `Restart=` also covers a failed `ExecStartPre=`.
 * - [penlight] lunarmodules/Penlight lua/pl/config.lua, as Kong reads kong.conf: every
 *   non-alphanumeric character of a key becomes `_` (see components/kongSettings.ts).
 */
import { Document, Scalar, YAMLMap, YAMLSeq } from "yaml";

import { KONG_CLIENT_SECRET_SETTING, KONG_LICENSE_ENV } from "./kongSettings";

// ---------------------------------------------------------------------------------------------
// Constants for the VM component, tests and docs
// ---------------------------------------------------------------------------------------------

/**
 * The OS the cloud-init is written for: the apt source names its codename, so the VM must boot this
 * release. `image` is the Azure Marketplace image of Ubuntu 24.04 LTS (Gen2, amd64).
 */
export const KONG_VM_UBUNTU = {
  release: "24.04 LTS",
  codename: "noble",
  image: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
} as const;

/** Kong Gateway Enterprise's Debian package [install]. */
export const KONG_PACKAGE = "kong-enterprise-edition";

/** Kong's package repositories, one per line: `${KONG_PACKAGE_REPOSITORY}/gateway-314/…` [install]. */
export const KONG_PACKAGE_REPOSITORY = "https://packages.konghq.com/public";

/**
 * GPG key id of each line's package repository, as Kong publishes them [keys]. Only lines with
 * `pg_azure_*` (3.12+) are listed; a new line needs its key added here, from Kong's published list.
 */
export const KONG_PACKAGE_SIGNING_KEYS: Readonly<Record<string, string>> = Object.freeze({
  "3.12": "875433A518B93006",
  "3.13": "B3A98B904066BD1F",
  "3.14": "1B7E2AF3C3BF8153",
  "3.15": "70F548ACDD3D34DB",
});

/** systemd units on the VM. `kong` is the package's own unit; the migration units are ours. */
export const KONG_VM_UNITS = {
  kong: "kong-enterprise-edition.service",
  migrations: "kong-migrations.service",
  migrationsFinish: "kong-migrations-finish.service",
} as const;

/** Paths on the VM. */
export const KONG_VM_PATHS = {
  /** The `kong` CLI the package installs [unit]. */
  kongBinary: "/usr/local/bin/kong",
  /** Kong's prefix, as the packaged unit passes it to `kong prepare -p` [unit]. */
  prefix: "/usr/local/kong",
  /** kong.conf, where the packaged unit's `kong prepare` reads it by default [unit]. */
  kongConf: "/etc/kong/kong.conf",
  /**
   * Licence hook: an optional systemd environment file every Kong unit reads if it exists
   * (`EnvironmentFile=-…`), for `KONG_LICENSE_DATA='<licence JSON>'` (single quotes keep the JSON's
   * double quotes) or `KONG_LICENSE_PATH=<file>`. Nothing here creates it: the licence is a secret,
   * so it reaches the VM out of band — for example fetched from Key Vault with the VM's managed
   * identity — as root-owned 0600, followed by `systemctl restart kong-enterprise-edition` (Kong
   * reads its licence at start). Kong also reads `/etc/kong/license.json` by default, with no
   * configuration. Put nothing else in this file, in particular no Azure identity variables.
   */
  licenseEnv: "/etc/kong/license.env",
  /** The unit Kong's package ships [unit]. */
  packagedUnit: "/lib/systemd/system/kong-enterprise-edition.service",
  /** Our drop-in for it. */
  kongDropIn: "/etc/systemd/system/kong-enterprise-edition.service.d/10-kong-entra-postgres.conf",
  migrationsUnit: "/etc/systemd/system/kong-migrations.service",
  migrationsFinishUnit: "/etc/systemd/system/kong-migrations-finish.service",
} as const;

/** Azure decodes customData to at most 65535 bytes [customData]. */
export const CUSTOM_DATA_MAX_BYTES = 65535;

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

export interface KongCloudInitInput {
  /** kong.conf text, as `toKongConf` renders it; embedded verbatim. Must carry no secret. */
  readonly kongConf: string;
  /**
   * Kong Gateway Enterprise version: an exact package version (`3.14.0.13`, pinned) or a line
   * (`3.14`: the newest package of that line when the VM first boots, like the image tag of the
   * same name). Either way the installed package is then held: a new version means a new VM.
   */
  readonly kongVersion: string;
}

/** What `kongVersion` resolves to. */
export interface KongPackage {
  /** `3.14`. */
  readonly line: string;
  /** `3.14.0.13`, or undefined for a line (newest of the line). */
  readonly exactVersion?: string;
  /** `https://packages.konghq.com/public/gateway-314`. */
  readonly repositoryUrl: string;
  /** `https://packages.konghq.com/public/gateway-314/gpg.1B7E2AF3C3BF8153.key`. */
  readonly signingKeyUrl: string;
  /** Where the key is kept on the VM, ASCII-armored (apt reads `.asc` keyrings). */
  readonly keyring: string;
  /** The apt source line, signed by that key only. */
  readonly aptSource: string;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/**
 * The `#cloud-config` text for Kong's VM. Throws, naming the input, when the kong.conf is empty,
 * has characters cloud-config cannot carry verbatim, or carries a secret, when the version is not a
 * known Kong Gateway Enterprise line or package version, or when the result exceeds customData's
 * limit.
 */
export function renderCloudInit(input: KongCloudInitInput): string {
  checkKongConf(input.kongConf);
  const pkg = kongPackage(input.kongVersion);
  const p = KONG_VM_PATHS;

  const doc = new Document(
    {
      write_files: [
        // Init stage: before apt needs it.
        { path: pkg.keyring, source: { uri: pkg.signingKeyUrl }, owner: "root:root", permissions: "0644" },
        // Final stage, after the package (see the module's documentation).
        { path: p.kongConf, owner: "root:root", permissions: "0600", defer: true, content: input.kongConf },
        { path: p.migrationsUnit, owner: "root:root", permissions: "0644", defer: true, content: migrationsUnit() },
        { path: p.kongDropIn, owner: "root:root", permissions: "0644", defer: true, content: kongDropIn() },
        { path: p.migrationsFinishUnit, owner: "root:root", permissions: "0644", defer: true, content: migrationsFinishUnit() },
      ],
      apt: { sources: { [`kong-gateway-${compactLine(pkg.line)}`]: { source: pkg.aptSource } } },
      package_update: true,
      packages: [pkg.exactVersion === undefined ? KONG_PACKAGE : [KONG_PACKAGE, pkg.exactVersion]],
      runcmd: [
        ["apt-mark", "hold", KONG_PACKAGE],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "--no-block", KONG_VM_UNITS.migrations, KONG_VM_UNITS.kong, KONG_VM_UNITS.migrationsFinish],
      ],
    },
    // cloud-init reads YAML 1.1 (PyYAML): quote what 1.1 would not read as a string (3.14, 0600, on).
    { schema: "yaml-1.1" },
  );

  doc.commentBefore = [
    ` Kong Gateway Enterprise ${pkg.exactVersion ?? `${pkg.line} (newest of the line)`} on Ubuntu ${KONG_VM_UBUNTU.release} (${KONG_VM_UBUNTU.codename}),`,
    " signing in to PostgreSQL with the VM's managed identity. Generated by components/cloudInit.ts.",
    " Carries no secret (Azure: no secret or password in customData); the licence, if any, arrives",
    ` out of band (${p.licenseEnv} or /etc/kong/license.json).`,
    " Order: key (init stage), apt source (config), package, then kong.conf and units (final, deferred",
    " so the package's postinstall chown of /etc/kong cannot touch them), then runcmd.",
  ].join("\n");

  // Every file's content as a literal block, so kong.conf and the units read as they are written.
  const files = doc.get("write_files") as YAMLSeq<YAMLMap>;
  for (const file of files.items) {
    const content = file.get("content", true);
    if (content instanceof Scalar) content.type = Scalar.BLOCK_LITERAL;
  }
  // Commands as [a, b, c], one per line.
  for (const command of (doc.get("runcmd") as YAMLSeq<YAMLSeq>).items) command.flow = true;
  const packages = doc.get("packages") as YAMLSeq;
  for (const item of packages.items) if (item instanceof YAMLSeq) item.flow = true;

  const text = `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > CUSTOM_DATA_MAX_BYTES) {
    throw new Error(`cloud-init: the rendered cloud-config is ${bytes} bytes; Azure's customData holds at most ${CUSTOM_DATA_MAX_BYTES}`);
  }
  return text;
}

/**
 * Kong's package line, repository, key and apt source for a `kongVersion` (`3.14` or `3.14.0.13`).
 * Throws, naming `kongVersion`, for anything else.
 */
export function kongPackage(kongVersion: string): KongPackage {
  const shown = JSON.stringify(kongVersion);
  const m = typeof kongVersion === "string" ? /^(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)\.(0|[1-9]\d*))?$/.exec(kongVersion) : null;
  if (!m) {
    throw new Error(
      `cloud-init: kongVersion must be a Kong Gateway Enterprise line such as 3.14 or an exact package version such as 3.14.0.13 (Enterprise packages have four parts), got ${shown}`,
    );
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const line = `${major}.${minor}`;
  if (major < 3 || (major === 3 && minor < 12)) {
    throw new Error(`cloud-init: kongVersion ${shown}: Kong Gateway Enterprise has pg_azure_* (password-less Entra sign-in) only from 3.12`);
  }
  const keyId = KONG_PACKAGE_SIGNING_KEYS[line];
  if (keyId === undefined) {
    throw new Error(
      `cloud-init: kongVersion ${shown}: no package signing key is recorded for line ${line} (known: ${Object.keys(KONG_PACKAGE_SIGNING_KEYS).join(", ")}); add the line's key id from Kong's published public keys to KONG_PACKAGE_SIGNING_KEYS`,
    );
  }
  const repositoryUrl = `${KONG_PACKAGE_REPOSITORY}/gateway-${compactLine(line)}`;
  const keyring = `/etc/apt/keyrings/kong-gateway-${compactLine(line)}.asc`;
  return {
    line,
    exactVersion: m[3] === undefined ? undefined : kongVersion,
    repositoryUrl,
    signingKeyUrl: `${repositoryUrl}/gpg.${keyId}.key`,
    keyring,
    aptSource: `deb [signed-by=${keyring}] ${repositoryUrl}/deb/ubuntu ${KONG_VM_UBUNTU.codename} main`,
  };
}

/** `3.14` → `314`, as Kong names its repositories [install]. */
function compactLine(line: string): string {
  return line.replace(".", "");
}

// ---------------------------------------------------------------------------------------------
// systemd units
// ---------------------------------------------------------------------------------------------

const KONG = KONG_VM_PATHS.kongBinary;
const CONF = KONG_VM_PATHS.kongConf;
const HEADER = "# Written by kong-entra-postgres's cloud-init (components/cloudInit.ts).";
const LICENSE_HOOK = [
  `# Licence hook, optional (the leading "-"): ${KONG_LICENSE_ENV}='<licence JSON>', delivered out of band.`,
  `EnvironmentFile=-${KONG_VM_PATHS.licenseEnv}`,
];

/** The end both migration units share: retry until the database is there, the licence hook, enabled at boot. */
const RETRYING_ONESHOT_TAIL = [
  "Restart=on-failure",
  "RestartSec=15s",
  "TimeoutStartSec=15min",
  ...LICENSE_HOOK,
  "",
  "[Install]",
  "WantedBy=multi-user.target",
];

function unitText(lines: readonly string[]): string {
  return `${lines.join("\n")}\n`;
}

/** bootstrap, then up; each a no-op on a current database. */
function migrationsUnit(): string {
  return unitText([
    HEADER,
    "# Prepares Kong's database before Kong starts: bootstrap (exits 0, \"Database already",
    "# bootstrapped\", when it is), then up (no-op when current). Never bootstrap -f: it drops the",
    "# database. One VM runs this against its database, never two at once.",
    "[Unit]",
    "Description=Kong Gateway database migrations: bootstrap, then up",
    "Wants=network-online.target",
    "After=network-online.target",
    `Before=${KONG_VM_UNITS.kong}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    // Two ExecStart lines of a oneshot run in order and stop at the first failure: bootstrap && up.
    `ExecStart=${KONG} migrations bootstrap -c ${CONF}`,
    `ExecStart=${KONG} migrations up -c ${CONF}`,
    "# The database, its firewall rule or Kong's role may not exist yet at first boot: try again.",
    ...RETRYING_ONESHOT_TAIL,
  ]);
}

/** Our changes to the unit Kong's package ships; its Exec lines stay as Kong wrote them. */
function kongDropIn(): string {
  return unitText([
    HEADER,
    `# Drop-in for the unit Kong's package ships (${KONG_VM_PATHS.packagedUnit}): it runs`,
    `# "kong prepare -p ${KONG_VM_PATHS.prefix}" (which reads ${CONF}) and nginx in the foreground`,
    "# as root, stops with QUIT, and has no Restart=.",
    "[Unit]",
    "# Migrations first. Wants, not Requires: should they fail, Kong starts anyway, refuses a database",
    "# that needs bootstrap or up, exits, and Restart= retries until the migrations have succeeded.",
    `Wants=network-online.target ${KONG_VM_UNITS.migrations}`,
    `After=network-online.target ${KONG_VM_UNITS.migrations}`,
    "",
    "[Service]",
    "Restart=on-failure",
    "RestartSec=5s",
    "# Kong sizes worker connections from this limit (up to 16384) and asks for at least 16384; its",
    "# package sets infinity: restated here so it does not depend on the packaged file.",
    "LimitNOFILE=infinity",
    ...LICENSE_HOOK,
  ]);
}

/** finish, once this node serves. */
function migrationsFinishUnit(): string {
  return unitText([
    HEADER,
    "# Completes migrations (finish) once this node runs. Safe only because no node of an older Kong",
    "# version serves this database any more: one VM, replaced (delete before create) to change version.",
    "[Unit]",
    "Description=Kong Gateway database migrations: finish, once this node runs",
    `Wants=${KONG_VM_UNITS.kong}`,
    `After=${KONG_VM_UNITS.kong}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "# Kong's unit counts as started as soon as nginx is launched: wait until Kong really runs.",
    `ExecStartPre=${KONG} health -p ${KONG_VM_PATHS.prefix}`,
    `ExecStart=${KONG} migrations finish -c ${CONF}`,
    ...RETRYING_ONESHOT_TAIL,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/**
 * kong.conf keys whose value is a secret, or a password Entra sign-in never uses. The settings
 * model refuses them already; this is the last check before the text leaves for customData.
 */
const SECRET_KONG_CONF_KEYS = [
  KONG_CLIENT_SECRET_SETTING,
  KONG_CLIENT_SECRET_SETTING.replace(/^pg_/, "pg_ro_"),
  "pg_password",
  "pg_ro_password",
] as const;

function checkKongConf(text: unknown): asserts text is string {
  const fail = (problem: string): never => {
    throw new Error(`cloud-init: kongConf ${problem}`);
  };
  if (typeof text !== "string") fail(`must be the kong.conf text (a string), got ${typeof text}`);
  const conf = text as string;
  if (conf.trim() === "") fail("is empty: render it with toKongConf(kongDatabaseSettings(…))");
  if (conf.includes("\u0000")) fail("contains a NUL character");
  // Tabs and line feeds only: anything else would leave the literal block (YAML escapes it), and
  // a CR would reach Kong as part of a value.
  const control = /[\u0001-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/.exec(conf);
  if (control) {
    const line = conf.slice(0, control.index).split("\n").length;
    fail(`contains control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} on line ${line}; kong.conf takes plain LF-separated lines`);
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(conf)) fail("contains a lone UTF-16 surrogate, which has no UTF-8 form");
  // Kong's reader turns every non-alphanumeric character of a key into "_" [penlight]: normalise
  // the same way, and look everywhere, comments included.
  const normalised = conf.toLowerCase().replace(/[^a-z0-9]+/g, "_");
  for (const key of SECRET_KONG_CONF_KEYS) {
    if (normalised.includes(key)) {
      fail(`mentions ${key}: customData must carry no secret or password (Azure), and the VM signs in with its managed identity`);
    }
  }
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(conf)) fail("contains a private key: customData must carry no secret (Azure)");
}
