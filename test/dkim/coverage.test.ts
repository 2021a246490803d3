import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type FindingCode } from '../../src/findings/catalog.js';
import { checkDkim } from '../../src/dkim/check.js';
import { checkDmarc } from '../../src/dmarc/check.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { FIXTURES, startFixtureServer } from '../support/fixtures.js';

/**
 * Acceptance: every DKIM_* and DMARC_* code of the catalog is produced by
 * some dkim-* / dmarc-* zone fixture, served over the loopback DNS server.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

/** Fixture names below the zone apexes that carry a case of their own. */
const SUBDOMAINS = [
  'order.dmarc-syntax.test', 'case.dmarc-syntax.test', 'uri.dmarc-syntax.test', 'nop.dmarc-none.test', 'testing.dmarc-none.test',
  'bare.dmarc-none.test', 'sub.dmarc-inherit.test', 'gone.dmarc-inherit.test', 'a.b.c.d.e.f.g.dmarc-ninelabels.test',
];

describe('fixture coverage of the DKIM and DMARC codes', () => {
  it('produces every DKIM_* and DMARC_* code', async () => {
    const zones = readdirSync(`${FIXTURES}zones`).filter((f) => /^(dkim|dmarc)-.*\.test\.zone$/.test(f)).map((f) => f.slice(0, -'.zone'.length));
    const seen = new Map<FindingCode, string>();
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 1000, retries: 0 });
    for (const domain of [...zones, ...SUBDOMAINS]) {
      const [dkim, dmarc, moera] = await Promise.all([
        checkDkim({ dns }, domain, { selectors: domain === 'dkim-keys.test' ? ['k2048'] : [] }),
        checkDmarc({ dns }, domain, { tenant: null, cloud: 'worldwide' }),
        checkDmarc({ dns }, domain, { tenant: 'dmarc-moera', cloud: 'worldwide' }),
      ]);
      for (const f of [...dkim.findings, ...dmarc.findings, ...moera.findings]) if (!seen.has(f.code)) seen.set(f.code, domain);
    }
    const wanted = (Object.keys(CATALOG) as FindingCode[]).filter((c) => c.startsWith('DKIM_') || c.startsWith('DMARC_'));
    expect(wanted).toHaveLength(23);
    expect(wanted.filter((c) => !seen.has(c))).toEqual([]);
    expect(seen.has('DNS_TEMPFAIL')).toBe(false);
  });
});
