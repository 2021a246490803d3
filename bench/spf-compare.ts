import { Resolver } from 'node:dns/promises';
import * as mailauthSpf from 'mailauth/lib/spf/index.js';
import pLimit from 'p-limit';
import { createDnsClient } from '../src/dns/client.js';
import { checkSpf } from '../src/spf/check.js';

export interface SpfComparison {
  tools: { name: string; seconds: number; udpQueries: number; results: string }[];
}

/** An address inside the Microsoft 365 include of the fixture zones. */
const M365_IP = '203.0.113.129';

/**
 * mailauth's SPF check and ours over the same domains, server and
 * concurrency. mailauth is given node:dns (its documented resolver shape);
 * ours runs the product's SPF check through one DnsClient.
 */
export async function compareSpf(
  domains: readonly string[],
  server: string,
  concurrency: number,
  reset: () => Promise<void>,
  stats: () => Promise<{ udpQueries: number }>,
): Promise<SpfComparison> {
  const tools: SpfComparison['tools'] = [];
  const limit = pLimit(concurrency);

  await reset();
  const resolver = new Resolver({ timeout: 2000, tries: 3 });
  resolver.setServers([server]);
  const resolve = (name: string, rr: string): Promise<unknown> => resolver.resolve(name, rr);
  let t0 = performance.now();
  const maResults = await Promise.all(domains.map((d) => limit(async () => {
    const r = await mailauthSpf.spf({ sender: `postmaster@${d}`, ip: M365_IP, helo: d, mta: 'bench.local', resolver: resolve as never });
    return String((r as { status?: { result?: string } }).status?.result ?? 'unknown');
  })));
  tools.push({ name: 'mailauth 4 spf()', seconds: (performance.now() - t0) / 1000, udpQueries: (await stats()).udpQueries, results: tally(maResults) });

  await reset();
  const dns = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 2 });
  t0 = performance.now();
  const ours = await Promise.all(domains.map((d) => limit(async () => {
    const r = await checkSpf({ dns }, d, { cloud: 'worldwide' });
    return r.section.status;
  })));
  tools.push({ name: 'm365audit checkSpf (analysis + check_host)', seconds: (performance.now() - t0) / 1000, udpQueries: (await stats()).udpQueries, results: tally(ours) });
  return { tools };
}

function tally(values: readonly string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}
