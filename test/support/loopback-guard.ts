/**
 * The loopback guard: tests (and the CLI processes they start) may open
 * connections to loopback only, and may ask DNS only of a loopback server a
 * test started. It wraps, once per process:
 *
 * - net.Socket.prototype.connect (net.connect, http, and tls.connect
 *   without a socket all go through it) and tls.connect;
 * - dgram.Socket.prototype.send and connect;
 * - dns.Resolver / dns.promises.Resolver: setServers (every server must be
 *   a loopback address, and not the system's own resolver, which may itself
 *   sit on loopback, e.g. 127.0.0.53) and every resolve* / reverse method
 *   (refused on a resolver still using the system's servers);
 * - the module-level dns functions (the default resolver, and lookup, i.e.
 *   getaddrinfo, for anything but localhost and address literals).
 *
 * A violation throws at the call, and is reported to `onViolation` too, so
 * that code which catches the error (a DNS client turning it into a
 * tempfail) cannot hide it: the vitest setup fails the test.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';

const INSTALLED = Symbol.for('m365audit.loopbackGuard');

/** True for 127.0.0.0/8, ::1, IPv4-mapped loopback and localhost names. */
export function isLoopbackHost(host: string | undefined | null): boolean {
  if (host === undefined || host === null || host === '') return true; // Node's default is localhost
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** `127.0.0.1:5353`, `[::1]:53`, `::1` or `127.0.0.1`: the host part. */
function serverHost(server: string): string {
  if (server.startsWith('[')) return server.slice(1, server.indexOf(']'));
  if (net.isIP(server)) return server;
  const colon = server.lastIndexOf(':');
  return colon > 0 ? server.slice(0, colon) : server;
}

/** The same server as `127.0.0.53` (port 53 implied) in dns.getServers()'s form. */
function sameServer(a: string, b: string): boolean {
  const norm = (s: string): string => (net.isIP(s) ? (net.isIPv6(s) ? `[${s}]:53` : `${s}:53`) : s);
  return norm(a) === norm(b);
}

export type ViolationHandler = (message: string) => void;

interface GuardState {
  onViolation: ViolationHandler;
}

/** Installs the guard in this process (once; later calls only change the handler). */
export function installLoopbackGuard(onViolation: ViolationHandler): void {
  const g = globalThis as { [INSTALLED]?: GuardState };
  const existing = g[INSTALLED];
  if (existing) {
    existing.onViolation = onViolation;
    return;
  }
  const state: GuardState = { onViolation };
  g[INSTALLED] = state;

  const fail = (what: string): never => {
    const message = `loopback guard: ${what} (tests stay on loopback; see test/support/loopback-guard.ts)`;
    state.onViolation(message);
    throw new Error(message);
  };
  // What the system resolver is, before any test changes anything.
  const systemServers = new dns.Resolver().getServers();
  const checkServers = (servers: readonly string[], where: string): void => {
    for (const s of servers) {
      if (!isLoopbackHost(serverHost(s))) fail(`${where} names the DNS server ${s}`);
      if (systemServers.some((sys) => sameServer(s, sys))) fail(`${where} names the system's own resolver ${s}`);
    }
  };

  // TCP (and TLS, HTTP on top of it).
  const connect = net.Socket.prototype.connect as (this: net.Socket, ...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as { host?: string; port?: number; path?: string } | number | string | undefined;
    if (typeof options === 'object' && options !== null) {
      if (options.path === undefined && !isLoopbackHost(options.host)) fail(`a TCP connection to ${options.host}:${options.port}`);
    } else if (typeof options === 'number' || (typeof options === 'string' && /^\d+$/.test(options))) {
      const host = typeof args[1] === 'string' ? args[1] : undefined;
      if (!isLoopbackHost(host)) fail(`a TCP connection to ${host}:${options}`);
    }
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const tlsConnect = tls.connect as (...args: unknown[]) => tls.TLSSocket;
  tls.connect = function guardedTlsConnect(...args: unknown[]): tls.TLSSocket {
    const first = args[0];
    const options = (typeof first === 'object' && first !== null ? first : typeof args[1] === 'object' && args[1] !== null ? args[1] : typeof args[2] === 'object' && args[2] !== null ? args[2] : {}) as tls.ConnectionOptions;
    const host = typeof first === 'number' ? (typeof args[1] === 'string' ? args[1] : options.host) : options.host;
    if (!options.socket && options.path === undefined && !isLoopbackHost(host)) fail(`a TLS connection to ${host}:${typeof first === 'number' ? first : options.port}`);
    return tlsConnect(...args);
  } as typeof tls.connect;

  // UDP.
  const send = dgram.Socket.prototype.send as (this: dgram.Socket, ...args: unknown[]) => void;
  dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]): void {
    // send(msg, port, address, cb) or send(msg, offset, length, port, address, cb); send(msg, cb) on a connected socket.
    const long = typeof args[1] === 'number' && typeof args[2] === 'number' && typeof args[3] === 'number';
    const port = long ? args[3] : args[1];
    const address = long ? args[4] : args[2];
    if (typeof port === 'number' && typeof address === 'string' && !isLoopbackHost(address)) fail(`a UDP datagram to ${address}:${port}`);
    return send.apply(this, args);
  } as typeof dgram.Socket.prototype.send;
  const udpConnect = dgram.Socket.prototype.connect as (this: dgram.Socket, ...args: unknown[]) => void;
  dgram.Socket.prototype.connect = function guardedUdpConnect(this: dgram.Socket, ...args: unknown[]): void {
    if (typeof args[1] === 'string' && !isLoopbackHost(args[1])) fail(`a UDP connect to ${args[1]}:${String(args[0])}`);
    return udpConnect.apply(this, args);
  } as typeof dgram.Socket.prototype.connect;

  // DNS: resolvers may only ask loopback servers a test set.
  const allowed = new WeakSet<object>();
  for (const proto of [dns.Resolver.prototype, dns.promises.Resolver.prototype] as unknown as Record<string, unknown>[]) {
    const setServers = proto.setServers as (this: object, servers: readonly string[]) => void;
    proto.setServers = function guardedSetServers(this: object, servers: readonly string[]): void {
      checkServers(servers, 'Resolver#setServers');
      setServers.call(this, servers);
      allowed.add(this);
    };
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (!/^(resolve|reverse)/.test(name) || typeof proto[name] !== 'function') continue;
      const original = proto[name] as (this: object, ...args: unknown[]) => unknown;
      proto[name] = function guardedResolve(this: object, ...args: unknown[]): unknown {
        if (!allowed.has(this)) fail(`Resolver#${name}(${String(args[0])}) on a resolver with the system's servers (${systemServers.join(', ')})`);
        return original.apply(this, args);
      };
    }
  }
  // The module-level functions use the default resolver (bound before this ran) and getaddrinfo.
  let defaultAllowed = false;
  for (const mod of [dns, dns.promises] as unknown as Record<string, unknown>[]) {
    const setServers = mod.setServers as (servers: readonly string[]) => void;
    mod.setServers = (servers: readonly string[]): void => {
      checkServers(servers, 'dns.setServers');
      setServers(servers);
      defaultAllowed = true;
    };
    for (const name of Object.keys(mod)) {
      if (!/^(resolve|reverse)/.test(name) || typeof mod[name] !== 'function' || name === 'Resolver') continue;
      const original = mod[name] as (...args: unknown[]) => unknown;
      mod[name] = (...args: unknown[]): unknown => {
        if (!defaultAllowed) fail(`dns.${name}(${String(args[0])}) on the system's resolver`);
        return original(...args);
      };
    }
    const lookup = mod.lookup as (...args: unknown[]) => unknown;
    mod.lookup = (...args: unknown[]): unknown => {
      const host = args[0];
      if (typeof host === 'string' && !isLoopbackHost(host) && net.isIP(host) === 0) fail(`dns.lookup(${host}) through the system's resolver`);
      return lookup(...args);
    };
  }
  // `import { connect } from 'node:tls'` and the like see the wrapped functions too.
  syncBuiltinESMExports();
}
