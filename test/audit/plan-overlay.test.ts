import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDomain, type DomainReport } from '../../src/audit/audit.js';
import { planDomain } from '../../src/audit/plan.js';
import { createDnsClient } from '../../src/dns/client.js';
import { createZoneOverlay } from '../../src/dns/overlay.js';
import type { DnsClient } from '../../src/dns/types.js';
import { parseZoneFile } from '../../src/dns/zone-file.js';
import { renderPlanZone } from '../../src/report/plan.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { reviewSpfProposal } from '../../src/spf/lookups.js';
import { FIXTURES, startFixtureServer } from '../support/fixtures.js';

/**
 * The pre-flight loop as a property, through --zone's overlay: for every
 * fixture domain, `plan`'s zone output laid over live DNS (the fixture
 * server, unchanged) audits with no error finding in MX, SPF, DKIM (the
 * CNAMEs), DMARC or autodiscover. test/audit/plan-property.test.ts checks
 * the same by publishing into a copy of the zones; this checks that the
 * overlay's rules (per RRset, CNAME over every type, SPF beside the other
 * TXT records) give the audit what publishing would.
 */
const DIRS = ['zones', 'demo'];
const FILES = DIRS.flatMap((d) => readdirSync(`${FIXTURES}${d}`).filter((f) => f.endsWith('.zone')).map((f) => ({ path: `${FIXTURES}${d}/${f}`, origin: f.slice(0, -'.zone'.length) })));
const ORIGINS = FILES.map((f) => f.origin).sort();
/** Names inside the zones with an SPF or DMARC record of their own (the broken records are mostly there); not record names (an _ label). */
const OWN_RECORD_NAMES = FILES.flatMap(({ path, origin }) =>
  parseZoneFile(readFileSync(path, 'utf8'), { origin }).records
    .filter((r) => r.type === 'TXT' && /v=spf1|v=dmarc1/i.test(r.data.join('')))
    .map((r) => r.name.replace(/^_dmarc\./, ''))
    .filter((name) => name !== origin && name.endsWith(`.${origin}`) && !name.split('.').some((l) => l.startsWith('_') || l === '*')),
).filter((n, i, all) => all.indexOf(n) === i).sort();

const AREAS = new Set<string>(['mx', 'spf', 'dkim', 'dmarc', 'autodiscover']);
/** The keys at the CNAME targets are Microsoft's to publish (as in plan-property.test.ts). */
const KEY_CODES = new Set<string>(['DKIM_NO_KEY', 'DKIM_KEY_INVALID', 'DKIM_KEY_INSECURE']);
/** As in plan-property.test.ts: its own tree already needs 10 lookups; the plan warns instead. */
const EXCLUDED: Record<string, string[]> = { 'spf-eleven.example': ['SPF_TOO_MANY_LOOKUPS'] };
const FALLBACK_TENANT = 'plantenant';
const errorsOf = (r: DomainReport): string[] => r.findings.filter((f) => f.severity === 'error' && (AREAS.has(f.area) || f.code === 'DNS_TEMPFAIL') && !KEY_CODES.has(f.code)).map((f) => `${f.code}: ${f.message}`);

let server: TestDnsServer;
let live: DnsClient;
beforeAll(async () => {
  server = await startFixtureServer({ dirs: DIRS });
  live = createDnsClient({ servers: [server.server], timeoutMs: 2000, retries: 0 });
});
afterAll(() => server?.close());

describe('plan --format zone, laid over live DNS with --zone, passes the audit', () => {
  it('covers every fixture zone and the names with records of their own', () => {
    expect(ORIGINS.length).toBeGreaterThanOrEqual(65);
    expect(OWN_RECORD_NAMES).toEqual(expect.arrayContaining(['allpass.spf-codes.example', 'broken.spf-codes.example', 'order.dmarc-syntax.test']));
  });

  it.each([...ORIGINS, ...OWN_RECORD_NAMES])('%s', async (domain) => {
    const before = await auditDomain({ dns: live }, domain);
    const tenant = before.tenant ?? FALLBACK_TENANT;
    const plan = await planDomain({ dns: live }, domain, tenant, { reviewSpf: reviewSpfProposal });
    const mx = plan.rows.find((r) => r.area === 'mx');
    // Microsoft's side, as in plan-property.test.ts: Exchange Online gives the MX host its address once the domain is added.
    const text = `${renderPlanZone(plan)}${mx?.value}. A 192.0.2.250\n`;
    const dns = createZoneOverlay(live, [{ file: 'next.zone', zone: parseZoneFile(text, { origin: null }) }]).scope();
    const after = await auditDomain({ dns, tenant }, domain);
    const left = errorsOf(after);
    const excluded = EXCLUDED[domain];
    if (excluded) expect(left.map((l) => l.split(':')[0])).toEqual(excluded);
    else expect(left).toEqual([]);
    // Every row the plan publishes reached the audit from the file.
    const used = new Set(dns.used().answers);
    // The optional rows (MTA-STS, TLS-RPT) are comments in the snippet, published by hand.
    for (const row of plan.rows.filter((r) => r.status !== 'present' && !r.optional)) expect(used.has(`${row.name} ${row.type}`), `${row.name} ${row.type}`).toBe(true);
  });
});
