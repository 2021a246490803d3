/**
 * The clients of the transport areas for check and batch: the secure DNS
 * client (DNSSEC and TLSA, on dns-packet: node:dns exposes neither the AD bit
 * nor TLSA; DESIGN "Out of scope") with the same servers, deadline and
 * retries as the main client, and the HTTPS client of the MTA-STS policy
 * fetch (RFC 8461 §3.3), trusting --tls-ca beside the system's roots.
 * `--mta-sts-host HOST[:PORT]` sends every policy fetch to one address (a
 * staging policy server, the sandbox) while the certificate is still
 * verified for `mta-sts.<domain>`: the same code path, the endpoint injected.
 */
import type { Command } from 'commander';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../dns/client.js';
import { createSecureDnsClient } from '../dns/secure.js';
import { shareMxWithSecure } from '../dns/shared-mx.js';
import type { DnsClient } from '../dns/types.js';
import { createHttpsClient } from '../http/client.js';
import { cleanText } from '../report/safe-text.js';
import { parseEndpoint } from '../smtp/endpoint.js';
import type { TransportContext } from '../transport/context.js';
import type { DnsCliOptions } from './dns-options.js';
import { UsageError } from './usage.js';

/** The HTTPS port of an MTA-STS policy host (RFC 8461 §3.3). */
const HTTPS_PORT = 443;

export interface TransportCliOptions {
  mtaStsHost?: string;
}

/** --mta-sts-host. */
export function addTransportOptions(cmd: Command): Command {
  return cmd.option('--mta-sts-host <host[:port]>', 'fetch every MTA-STS policy from this address (default port 443); the certificate is still verified for mta-sts.<domain>');
}

/**
 * The secure DNS client and the HTTPS client of a run, and `dns` with its MX
 * questions answered by the secure client's (the DNSSEC area's question:
 * src/dns/shared-mx.ts), for the audit to use in its place; a usage error
 * for a bad --mta-sts-host.
 */
export function transportFromOptions(opts: DnsCliOptions & TransportCliOptions, dns: DnsClient, ca: string | undefined): Pick<TransportContext, 'secure' | 'https'> & { dns: DnsClient } {
  let route: ((host: string, port: number) => { host: string; port: number }) | undefined;
  if (opts.mtaStsHost !== undefined) {
    const to = parseEndpoint(opts.mtaStsHost, HTTPS_PORT);
    if (!to) throw new UsageError(`--mta-sts-host: not a host[:port]: ${JSON.stringify(cleanText(opts.mtaStsHost.slice(0, 256)))}`);
    route = () => ({ host: to.host, port: to.port });
  }
  const servers = dns.servers?.() ?? [];
  // A resolver the main client holds suspect (a query to it timed out unanswered) is not asked by the secure client either.
  const suspect = (server: string): boolean => dns.health?.().servers.some((s) => s.server === server && s.state === 'suspect') ?? false;
  const secure = createSecureDnsClient({ servers: servers.length > 0 ? servers : undefined, timeoutMs: opts.timeout ?? DEFAULT_TIMEOUT_MS, retries: opts.retries ?? DEFAULT_RETRIES, skip: suspect, gate: (server) => dns.slot?.(server) ?? null });
  const https = createHttpsClient({ ...(ca !== undefined ? { ca } : {}), ...(route ? { route } : {}) });
  return { secure, https, dns: shareMxWithSecure(dns, secure) };
}
