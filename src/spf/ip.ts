/**
 * Client addresses and networks for SPF, on ipaddr.js. An IPv4-mapped IPv6
 * address is IPv4 (RFC 7208 5: "MUST still be considered an IPv4 address").
 */
import ipaddr from 'ipaddr.js';
import { deepFreeze } from '../util/freeze.js';
import type { MacroIp } from './macro.js';

export interface ClientIp extends MacroIp {
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  /** The name asked for PTR records: in-addr.arpa or nibble ip6.arpa. */
  reverseName: string;
}

/** Parses a client address; null when it is not one. Accepts upper case and mapped forms. Results are shared and frozen (a batch checks the same sample addresses for every domain). */
export function parseClientIp(input: string): ClientIp | null {
  // An address is at most 45 characters (IPv4-mapped IPv6); longer text (a header value) is read, not remembered.
  return input.length > MAX_CACHED_INPUT ? readClientIp(input) : cached(clientCache, input, () => readClientIp(input));
}

const MAX_CACHED_INPUT = 64;

function readClientIp(input: string): ClientIp | null {
  const addr = parseAddress(input.trim());
  if (!addr) return null;
  if (addr.kind() === 'ipv4') {
    const v4 = addr as ipaddr.IPv4;
    const dotted = v4.toString();
    return { family: 4, addr: v4, dotted, readable: dotted, reverseName: `${[...v4.octets].reverse().join('.')}.in-addr.arpa` };
  }
  const v6 = addr as ipaddr.IPv6;
  const nibbles = v6.toByteArray().flatMap((b) => [(b >> 4).toString(16), (b & 15).toString(16)]);
  return {
    family: 6,
    addr: v6,
    dotted: nibbles.join('.'),
    readable: v6.toRFC5952String(),
    reverseName: `${[...nibbles].reverse().join('.')}.ip6.arpa`,
  };
}

/**
 * An address, with IPv4-mapped IPv6 turned into IPv4. ipaddr.js reads the
 * deprecated IPv4-compatible form (`::1.2.3.4`) as mapped, so that form is
 * rebuilt here with zeros where the mapped form has ffff.
 */
function parseAddress(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (!ipaddr.IPv6.isValid(s) || s.includes('%')) return null;
  const v6 = parseIPv6(s);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** An IPv6 network or address exactly as written (an embedded IPv4 tail stays where it was). */
export function parseIPv6(s: string): ipaddr.IPv6 {
  const v6 = ipaddr.IPv6.parse(s);
  if (s.includes('.') && !/ffff:[0-9.]+$/i.test(s)) {
    const bytes = v6.toByteArray();
    bytes[10] = 0;
    bytes[11] = 0;
    return ipaddr.fromByteArray(bytes) as ipaddr.IPv6;
  }
  return v6;
}

/** Parsed networks and answers kept for reuse: a batch meets the same Microsoft ranges in every domain. */
const ADDRESS_CACHE_SIZE = 4096;
const v4Cache = new Map<string, ipaddr.IPv4 | null>();
const v6Cache = new Map<string, ipaddr.IPv6 | null>();
const clientCache = new Map<string, ClientIp | null>();

function cached<T>(cache: Map<string, T | null>, key: string, parse: () => T | null): T | null {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= ADDRESS_CACHE_SIZE) cache.clear();
    v = parse();
    // Shared by every caller of the run: frozen (ipaddr's octets/parts arrays included) so none can change it.
    if (v !== null) deepFreeze(v);
    cache.set(key, v);
  }
  return v;
}

const v4 = (s: string): ipaddr.IPv4 | null => cached(v4Cache, s, () => (ipaddr.IPv4.isValidFourPartDecimal(s) ? ipaddr.IPv4.parse(s) : null));
const v6 = (s: string): ipaddr.IPv6 | null => cached(v6Cache, s, () => (ipaddr.IPv6.isValid(s) && !s.includes('%') ? parseIPv6(s) : null));

/** Whether an address from DNS (A or AAAA answer) lies in the client's network of `prefix` bits. */
export function addressMatches(client: ClientIp, candidate: string, prefix: number): boolean {
  const other = client.family === 4 ? v4(candidate) : v6(candidate);
  return other !== null && client.addr.match(other, prefix);
}

/** ip4/ip6 mechanism match; a mechanism of the other family never matches (RFC 7208 5.6). */
export function networkMatches(client: ClientIp, family: 4 | 6, network: string, prefix: number | null): boolean {
  if (client.family !== family) return false;
  return addressMatches(client, network, prefix ?? (family === 4 ? 32 : 128));
}

const firstCache = new Map<string, string | null>();

/**
 * The first address of a network as a string (`40.92.0.0/15` -> `40.92.0.0`).
 * Remembered (bounded): every domain's audit asks it of the same Microsoft 365
 * ranges, and ipaddr's objects made each time were garbage a few microseconds later.
 */
export function firstAddress(family: 4 | 6, network: string, prefix: number | null): string | null {
  return cached(firstCache, `${family} ${network}/${prefix ?? ''}`, () => computeFirstAddress(family, network, prefix));
}

function computeFirstAddress(family: 4 | 6, network: string, prefix: number | null): string | null {
  try {
    if (family === 4) {
      if (!ipaddr.IPv4.isValidFourPartDecimal(network)) return null;
      return ipaddr.IPv4.networkAddressFromCIDR(`${network}/${prefix ?? 32}`).toString();
    }
    const bits = prefix ?? 128;
    const bytes = parseIPv6(network).toByteArray();
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, bits - i * 8));
      bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
    }
    return (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
  } catch {
    return null;
  }
}
