/**
 * Where Kong's Admin API listens, read the way Kong reads it. Pure.
 *
 * - `admin_listen` (env `KONG_ADMIN_LISTEN`) is a comma-separated list of `address:port [flags]`
 *   entries, or `off`. Kong's default binds 127.0.0.1 only; anything else is reachable from outside
 *   the host or container.
 * - kong.conf lines are `key = value`; an unescaped `#` starts a comment anywhere (`\#` is a literal
 *   `#`), values are trimmed, and a trailing `\` continues the line (Kong's conf_loader over
 *   penlight's config reader).
 * - A VM's `customData`/`userData` is base64 (Azure wants it encoded by the caller), optionally
 *   gzip-compressed (cloud-init accepts both); cloud-config `write_files` entries may themselves be
 *   `b64`/`gzip`-encoded.
 */
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";

/** The kong.conf key this module checks, and its environment spelling. */
export const ADMIN_LISTEN_KEY = "admin_listen";
export const ADMIN_LISTEN_ENV = "KONG_ADMIN_LISTEN";

/** True for a listen address only the host itself can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === "localhost" || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The address part of one listen entry (`127.0.0.1:8001 ssl` → `127.0.0.1`, `[::1]:8444` → `[::1]`). */
export function listenHost(entry: string): string {
  const address = entry.trim().split(/\s+/)[0] ?? "";
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    return close === -1 ? address : address.slice(0, close + 1);
  }
  const colon = address.lastIndexOf(":");
  return colon === -1 ? address : address.slice(0, colon);
}

/** The entries of an `admin_listen` value that bind anything but loopback (empty: private). */
export function publicListenEntries(value: string): string[] {
  return value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "" && e.toLowerCase() !== "off")
    .filter((e) => !isLoopbackHost(listenHost(e)));
}

/** Every value kong.conf text gives `key` (all occurrences: a later line must not hide an earlier one). */
export function kongConfValues(text: string, key: string): string[] {
  const values: string[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (/(^|[^\\])\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!;
    // Strip an unescaped `#` and what follows, then unescape `\#`.
    const uncommented = line.replace(/(^|[^\\])#.*$/, "$1").replace(/\\#/g, "#");
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(uncommented);
    if (m && m[1]!.toLowerCase() === key) values.push(m[2]!);
  }
  return values;
}

/**
 * Every value an environment-style assignment gives `name` (`NAME=v`, `NAME: v`,
 * `Environment="NAME=v"`, `export NAME=v`), skipping comment lines (`#` first, as in shell,
 * systemd units and YAML).
 */
export function environmentValues(text: string, name: string): string[] {
  const values: string[] = [];
  const pattern = new RegExp(`(?<![A-Za-z0-9_])${name}\\s*[=:]\\s*(.*)$`);
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    if (line.trimStart().startsWith("#")) continue;
    const m = pattern.exec(line);
    if (m) values.push(m[1]!.trim().replace(/^["']+|["']+$/g, ""));
  }
  return values;
}

export type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };

function gunzipIfCompressed(bytes: Buffer): Buffer {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

/** A VM's customData/userData as text: base64, optionally gzip-compressed. */
export function decodeCustomData(value: string): Decoded {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    return { ok: false, problem: "is not base64 (Azure wants customData base64-encoded by the caller)" };
  }
  try {
    return { ok: true, text: gunzipIfCompressed(Buffer.from(compact, "base64")).toString("utf8") };
  } catch (err) {
    return { ok: false, problem: `looks gzip-compressed but does not decompress (${(err as Error).message})` };
  }
}

/** The contents of a cloud-config's `write_files`, decoded per their `encoding`; [] when not cloud-config. */
function writeFilesContents(cloudConfig: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(cloudConfig, { version: "1.1" });
  } catch {
    return [];
  }
  const files = doc && typeof doc === "object" ? (doc as { write_files?: unknown }).write_files : undefined;
  if (!Array.isArray(files)) return [];
  const contents: string[] = [];
  for (const file of files) {
    const content = file && typeof file === "object" ? (file as { content?: unknown }).content : undefined;
    if (typeof content !== "string") continue;
    const encoding = String((file as { encoding?: unknown }).encoding ?? "").toLowerCase();
    try {
      if (["b64", "base64"].includes(encoding)) contents.push(Buffer.from(content, "base64").toString("utf8"));
      else if (["gz+b64", "gzip+base64", "gz+base64", "gzip+b64"].includes(encoding)) contents.push(gunzipSync(Buffer.from(content, "base64")).toString("utf8"));
      else contents.push(content);
    } catch {
      contents.push(content);
    }
  }
  return contents;
}

/** One place `admin_listen` is set in a VM's boot data. */
export interface AdminListenSetting {
  /** `kong.conf admin_listen` or `KONG_ADMIN_LISTEN`. */
  readonly source: string;
  readonly value: string;
}

/**
 * Every `admin_listen` the boot data sets: kong.conf lines anywhere in the text or in a
 * (decoded) `write_files` entry, and `KONG_ADMIN_LISTEN` assignments (systemd units, scripts),
 * which override kong.conf. Distinct by source and value.
 */
export function adminListenSettings(bootText: string): AdminListenSetting[] {
  const seen = new Set<string>();
  const settings: AdminListenSetting[] = [];
  const add = (source: string, value: string) => {
    const key = `${source}\u0000${value}`;
    if (!seen.has(key)) {
      seen.add(key);
      settings.push({ source, value });
    }
  };
  for (const text of [bootText, ...writeFilesContents(bootText)]) {
    for (const value of kongConfValues(text, ADMIN_LISTEN_KEY)) add(`kong.conf ${ADMIN_LISTEN_KEY}`, value);
    for (const value of environmentValues(text, ADMIN_LISTEN_ENV)) add(ADMIN_LISTEN_ENV, value);
  }
  return settings;
}
