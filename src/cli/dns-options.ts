/** The DNS-facing options of the networked commands (check, batch, spf, plan). */
import { Command, InvalidArgumentError } from 'commander';
import { createDnsClient, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, parseServerAddress } from '../dns/client.js';
import type { DnsClient } from '../dns/types.js';
import { QUERIES_PER_DOMAIN } from '../dns/window.js';
import { isDkimSelector } from '../dkim/selector.js';
import { normalizeTenant } from '../m365/tenant.js';
import { positiveInt } from './common.js';

export interface DnsCliOptions {
  dnsServer?: string[];
  timeout?: number;
  retries?: number;
  qps?: number;
  /** batch: domains at once; each server's window of queries in flight is capped at this x QUERIES_PER_DOMAIN. */
  concurrency?: number;
}

/** Upper bounds of the numeric options: beyond them a value is a typo, not a wish. */
export const MAX_TIMEOUT_MS = 60_000;
export const MAX_RETRIES = 10;
export const MAX_CONCURRENCY = 4096;

function collect(value: string, previous: string[] | undefined): string[] {
  if (parseServerAddress(value) === null) throw new InvalidArgumentError('expected ADDR, ADDR:PORT or [IPv6]:PORT.');
  return [...(previous ?? []), value];
}

/** --dns-server (repeatable), --timeout, --retries. */
export function addDnsOptions(cmd: Command): Command {
  return cmd
    .option('--dns-server <addr>', 'resolver ADDR[:PORT] or [IPv6]:PORT; repeat for fallbacks (default: the system resolvers)', collect)
    .option('--timeout <ms>', `deadline of one DNS attempt in ms, at most ${MAX_TIMEOUT_MS} (default ${DEFAULT_TIMEOUT_MS})`, positiveInt('--timeout', 1, MAX_TIMEOUT_MS))
    .option('--retries <n>', `further DNS attempts after a failure, at most ${MAX_RETRIES} (default ${DEFAULT_RETRIES})`, positiveInt('--retries', 0, MAX_RETRIES));
}

export function dnsClientFromOptions(opts: DnsCliOptions): DnsClient {
  return createDnsClient({
    servers: opts.dnsServer, timeoutMs: opts.timeout, retries: opts.retries, qps: opts.qps,
    ...(opts.concurrency !== undefined ? { maxInFlight: opts.concurrency * QUERIES_PER_DOMAIN } : {}),
  });
}

/** For the audit trail: the servers the client asks (the system's without --dns-server) and the deadline and retries in effect. */
export function dnsTrail(opts: DnsCliOptions, dns: DnsClient): { resolvers: string[]; timeoutMs: number; retries: number } {
  return { resolvers: dns.servers?.() ?? [], timeoutMs: opts.timeout ?? DEFAULT_TIMEOUT_MS, retries: opts.retries ?? DEFAULT_RETRIES };
}

/** --tenant: `contoso` or `contoso.onmicrosoft.com` (.us, .partner.onmschina.cn) -> `contoso`. */
export function parseTenant(value: string): string {
  const t = normalizeTenant(value);
  if (t === null) throw new InvalidArgumentError('expected an initial-domain prefix such as contoso (or contoso.onmicrosoft.com).');
  return t;
}

/** --selector NAME, repeatable: a DKIM selector is one or more DNS labels. */
export function collectSelector(value: string, previous: string[] | undefined): string[] {
  const v = value.trim().toLowerCase();
  if (!isDkimSelector(v)) {
    throw new InvalidArgumentError('expected a DKIM selector such as s1 or google (letters, digits, - and _).');
  }
  return [...(previous ?? []), v];
}
