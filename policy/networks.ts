/**
 * Address and port arithmetic for the network policies. Pure.
 */

/** A dotted-quad IPv4 address as a number, or undefined when it is not one (no leading zeros). */
export function parseIpv4(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0]! * 256 + octets[1]!) * 256 + octets[2]!) * 256 + octets[3]!;
}

/** Addresses in a /`prefix` block. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Azure's "allow Azure services" firewall rule: start and end 0.0.0.0. Azure reads it as "any
 * address inside Azure" (every customer's), not as the single address 0.0.0.0.
 */
export function isAllowAzureServices(start: unknown, end: unknown): boolean {
  return parseIpv4(start) === 0 && parseIpv4(end) === 0;
}

export type RangeCheck =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly problem: string };

/** Size of the inclusive range start..end, or what is wrong with it. */
export function ipv4RangeSize(start: unknown, end: unknown): RangeCheck {
  const s = parseIpv4(start);
  const e = parseIpv4(end);
  if (s === undefined) return { ok: false, problem: `startIpAddress ${JSON.stringify(start)} is not an IPv4 address` };
  if (e === undefined) return { ok: false, problem: `endIpAddress ${JSON.stringify(end)} is not an IPv4 address` };
  if (e < s) return { ok: false, problem: `endIpAddress ${end} comes before startIpAddress ${start}` };
  return { ok: true, size: e - s + 1 };
}

/** The narrowest prefix length whose block holds `size` addresses (for messages: 2^24+1 → /7). */
export function prefixCovering(size: number): number {
  return 32 - Math.ceil(Math.log2(size));
}

/**
 * True when an NSG port spec ("8001", "8000-8500", "*") includes `port`. A spec this cannot read
 * counts as including it: a policy that cannot tell must not pass the rule.
 */
export function portSpecIncludes(spec: unknown, port: number): boolean {
  if (typeof spec === "number") return spec === port;
  if (typeof spec !== "string") return true;
  const s = spec.trim();
  if (s === "*") return true;
  const single = /^(\d{1,5})$/.exec(s);
  if (single) return Number(single[1]) === port;
  const range = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(s);
  if (range) return Number(range[1]) <= port && port <= Number(range[2]);
  return true;
}

/** Protocols an NSG rule may name that cannot carry Kong's Admin API (HTTP over TCP). */
const NON_TCP_PROTOCOLS = new Set(["udp", "icmp", "esp", "ah"]);

/** True when an NSG rule's protocol can carry TCP ("Tcp", "*", "Any", or unset). */
export function protocolCarriesTcp(protocol: unknown): boolean {
  return !(typeof protocol === "string" && NON_TCP_PROTOCOLS.has(protocol.trim().toLowerCase()));
}
