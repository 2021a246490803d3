/**
 * `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address: the one
 * parser of every "where to connect" the user gives (--dns-server, probe's
 * target, --probe-host) and of the DNS client's own server strings. Pure,
 * linear, never throws.
 */
import { isIP } from 'node:net';

export interface HostPort {
  /** The host as written (an IPv6 address without brackets). */
  host: string;
  /** Null when no port was given. */
  port: number | null;
}

/** Parses; null for anything else (an empty host, a port outside 1-65535, brackets around something that is not IPv6). */
export function parseHostPort(input: string): HostPort | null {
  const s = input.trim();
  if (s.length === 0 || s.length > 300) return null;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    const host = s.slice(1, close);
    if (isIP(host) !== 6) return null;
    const rest = s.slice(close + 1);
    if (rest === '') return { host, port: null };
    if (!rest.startsWith(':')) return null;
    const port = parsePort(rest.slice(1));
    return port === null ? null : { host, port };
  }
  // Two colons or more, unbracketed: an IPv6 address, never with a port.
  const first = s.indexOf(':');
  if (first !== -1 && s.indexOf(':', first + 1) !== -1) return isIP(s) === 6 ? { host: s, port: null } : null;
  if (first === -1) return { host: s, port: null };
  const host = s.slice(0, first);
  const port = parsePort(s.slice(first + 1));
  return host === '' || port === null ? null : { host, port };
}

/** A port: 1 to 65535, digits only. */
export function parsePort(s: string): number | null {
  if (!/^\d{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
