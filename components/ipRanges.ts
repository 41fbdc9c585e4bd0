/**
 * IPv4 allow-list entries: parsing, validation and conversion to the start/end pairs Azure's
 * PostgreSQL firewall rules take. Pure: no Pulumi resources.
 *
 * Azure Flexible Server firewall rules are IPv4 ranges (`startIpAddress`..`endIpAddress`); it has
 * no IPv6 public access. An allow-list entry is a single address (`203.0.113.7`, meaning /32) or a
 * CIDR block whose host bits are zero (`203.0.113.0/24`).
 */

/** The widest block an allow-list may contain. Anything wider opens a large part of the internet. */
export const WIDEST_PREFIX = 8;

/** A validated IPv4 block. */
export interface Ipv4Range {
  /** The entry as written in config, normalised to CIDR form (`a.b.c.d/p`). */
  readonly cidr: string;
  /** First address of the block, dotted quad. */
  readonly start: string;
  /** Last address of the block, dotted quad. */
  readonly end: string;
  /** Prefix length, 0–32. */
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseAddress(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats a 32-bit unsigned address as a dotted quad. */
export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parses one allow-list entry. Returns either the range or a sentence saying what is wrong and
 * how to fix it (the caller prefixes the config key).
 */
export function parseIpv4Range(entry: string): { range: Ipv4Range } | { problem: string } {
  const text = entry.trim();
  const [addressText, prefixText, ...rest] = text.split("/");
  const address = parseAddress(addressText ?? "");
  if (address === undefined || rest.length > 0) {
    return { problem: `"${entry}" is not an IPv4 address or CIDR block; write e.g. 203.0.113.7 or 203.0.113.0/24 (Azure's PostgreSQL firewall takes IPv4 only)` };
  }
  let prefix = 32;
  if (prefixText !== undefined) {
    if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
      return { problem: `"${entry}" has an invalid prefix length; use /${WIDEST_PREFIX} to /32` };
    }
    prefix = Number(prefixText);
  }
  if (prefix < WIDEST_PREFIX) {
    return { problem: `"${entry}" opens a /${prefix}, wider than /${WIDEST_PREFIX}: that is a large part of the internet; list the narrower blocks you need` };
  }
  if (address === 0) {
    return { problem: `"${entry}" is 0.0.0.0, which Azure reads as "allow Azure services"; to allow that use allowAzureServices (never in production)` };
  }
  const size = 2 ** (32 - prefix);
  const start = Math.floor(address / size) * size;
  if (start !== address) {
    return { problem: `"${entry}" has host bits set; did you mean ${formatAddress(start)}/${prefix}?` };
  }
  return { range: { cidr: `${formatAddress(start)}/${prefix}`, start: formatAddress(start), end: formatAddress(start + size - 1), prefix } };
}

/** Number of addresses in a range given as start/end dotted quads (for policies and plans). */
export function rangeSize(start: string, end: string): number {
  const a = parseAddress(start);
  const b = parseAddress(end);
  if (a === undefined || b === undefined || b < a) return Number.NaN;
  return b - a + 1;
}

/** A firewall-rule name fragment for a range: `203-0-113-0-24` (rule names allow [A-Za-z0-9_-]). */
export function rangeSlug(range: Ipv4Range): string {
  return `${range.start.replace(/\./g, "-")}-${range.prefix}`;
}
