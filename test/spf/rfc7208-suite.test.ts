import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import { checkHost, spfIdentity, type CheckHostResult } from '../../src/spf/evaluate.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { loadIntoServer, loadSuite, memoryTable, type SuiteTest } from './suite.js';

/**
 * The openspf RFC 7208 suite, every test, no skips, through the DnsClient
 * interface the product uses: an in-memory client over each scenario's
 * zonedata, and for "Record lookup" and "Processing limits" also the real
 * node:dns client against the loopback DNS server.
 */
const scenarios = loadSuite();
const LOOPBACK_SCENARIOS = ['Record lookup', 'Processing limits'];

async function run(dns: DnsClient, t: SuiteTest): Promise<CheckHostResult> {
  const id = spfIdentity(t.mailfrom, t.helo);
  return checkHost({ dns }, { ip: t.host, domain: id.domain, sender: id.sender, helo: t.helo }, { receiver: 'receiver.example' });
}

function judge(t: SuiteTest, r: CheckHostResult): void {
  const why = `${t.name} (${t.spec ?? ''}): got ${r.result} — ${r.reason}`;
  expect(t.results, why).toContain(r.result);
  if (t.explanation !== undefined && r.result === 'fail') {
    const expected = t.explanation === 'DEFAULT' ? null : t.explanation.toLowerCase();
    expect(r.explanation?.toLowerCase() ?? null, why).toBe(expected);
  }
}

describe('suite file', () => {
  it('holds 16 scenarios and 203 tests', () => {
    expect(scenarios).toHaveLength(16);
    expect(scenarios.reduce((n, s) => n + s.tests.length, 0)).toBe(203);
  });
});

describe.each(scenarios.map((s) => [s.description, s] as const))('rfc7208-tests.yml: %s (memory DnsClient)', (_name, scenario) => {
  const dns = createMemoryDnsClient(memoryTable(scenario.zonedata));
  it.each(scenario.tests.map((t) => [t.name, t] as const))('%s', async (_t, t) => {
    judge(t, await run(dns, t));
  });
});

describe.each(scenarios.filter((s) => LOOPBACK_SCENARIOS.includes(s.description)).map((s) => [s.description, s] as const))(
  'rfc7208-tests.yml: %s (node:dns client, loopback DNS server)',
  (_name, scenario) => {
    let server: TestDnsServer;
    beforeAll(async () => {
      server = await startDnsServer();
      loadIntoServer(server, scenario.zonedata);
    });
    afterAll(() => server.close());
    it.each(scenario.tests.map((t) => [t.name, t] as const))('%s', async (_t, t) => {
      // A fresh client per test: no answer carries over; 1500 ms: answers beat it under load, the TIMEOUT names wait it out.
      const dns = createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });
      judge(t, await run(dns, t));
    });
  },
);
