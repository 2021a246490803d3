import { readdirSync, readFileSync } from 'node:fs';
import { parseZone } from 'dnsz';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditDomain, type DomainReport } from '../../src/audit/audit.js';
import type { Finding } from '../../src/findings/catalog.js';
import { createDnsClient } from '../../src/dns/client.js';
import { classifyMxHost } from '../../src/m365/mx.js';
import { planDomain, type Plan } from '../../src/audit/plan.js';
import { renderPlanZone } from '../../src/report/plan.js';
import { reviewSpfProposal } from '../../src/spf/lookups.js';
import { isSpfRecord } from '../../src/spf/parse.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { FIXTURES, fixtureZones } from '../support/fixtures.js';
import { parseCharacterStrings, type ZoneStore } from '../../src/sandbox/zone-store.js';

/**
 * The property: `plan` never proposes what `check` flags. For every fixture
 * domain, publish the plan's rows (from its zone snippet) into a copy of the
 * fixture zones, audit the result, and no error finding is left in MX, SPF,
 * DKIM (the CNAMEs), DMARC or autodiscover.
 */
const DIRS = ['zones', 'demo'];
const ZONE_FILES = DIRS.flatMap((d) => readdirSync(`${FIXTURES}${d}`).filter((f) => f.endsWith('.zone')).map((f) => ({ dir: d, origin: f.slice(0, -'.zone'.length) })));
/** Every zone's origin. */
const ORIGINS = ZONE_FILES.map((z) => z.origin).sort();
/**
 * And every name inside those zones with an SPF or DMARC record of its own
 * (spf-codes.example's allpass, broken, loop …, dmarc-syntax.test's order,
 * uri …): the broken records the fixtures hold are mostly there. Names with
 * an underscore label are record names, not mail domains.
 */
const OWN_RECORD_NAMES = ZONE_FILES.flatMap(({ dir, origin }) =>
  parseZone(readFileSync(`${FIXTURES}${dir}/${origin}.zone`, 'utf8'), { defaultTTL: 300, defaultClass: 'IN' }).records
    .filter((r) => r.type === 'TXT' && /v=spf1|v=dmarc1/i.test(r.content))
    .map((r) => (r.name === '@' ? origin : r.name.endsWith('.') ? r.name.slice(0, -1) : `${r.name}.${origin}`).toLowerCase().replace(/^_dmarc\./, ''))
    .filter((name) => name !== origin && name.endsWith(`.${origin}`) && !name.split('.').some((l) => l.startsWith('_') || l === '*')),
).filter((n, i, all) => all.indexOf(n) === i).sort();

const AREAS = new Set<string>(['mx', 'spf', 'dkim', 'dmarc', 'autodiscover']);
/**
 * Not the plan's to fix: the keys at the CNAME targets are Microsoft's. It
 * publishes them when DKIM is switched on for the domain, and the fixtures
 * publish keys for a few targets only. DKIM_MISSING, DKIM_NOT_CNAME,
 * DKIM_TARGET_INVALID and DKIM_TENANT_MISMATCH (the CNAMEs) stay in.
 */
const KEY_CODES = new Set<string>(['DKIM_NO_KEY', 'DKIM_KEY_INVALID', 'DKIM_KEY_INSECURE']);
/**
 * Domains whose remaining errors the plan cannot fix, only name: each with
 * the codes that remain and the warning the plan must give instead.
 */
const EXCLUDED: Record<string, { codes: string[]; warning: RegExp; why: string }> = {
  'spf-eleven.example': {
    codes: ['SPF_TOO_MANY_LOOKUPS'],
    warning: /needs 11 DNS lookups, over RFC 7208's limit of 10/,
    why: 'its own tree (mx, a, include:_a …) already needs 10 lookups; which sender to drop or flatten is the owner\'s choice',
  },
};
const FALLBACK_TENANT = 'plantenant';

let base: ZoneStore;
beforeAll(() => {
  base = fixtureZones(DIRS);
});

async function withServer<T>(zones: ZoneStore, run: (dns: ReturnType<typeof createDnsClient>) => Promise<T>): Promise<T> {
  const server: TestDnsServer = await startDnsServer({ zones });
  try {
    return await run(createDnsClient({ servers: [server.server], timeoutMs: 2000, retries: 0 }));
  } finally {
    await server.close();
  }
}

/**
 * Publishes a plan the way its zone snippet says (so the snippet is checked
 * too): each line replaces what the owner holds of its type; an SPF line
 * replaces the v=spf1 records only (other TXT records stay beside it); a
 * CNAME line everything at the owner, as a CNAME cannot sit beside other
 * data (RFC 1034 3.6.2).
 */
function applyPlan(zones: ZoneStore, plan: Plan): void {
  const lines = parseZone(renderPlanZone(plan), { defaultTTL: 300, defaultClass: 'IN' }).records;
  // The optional rows (MTA-STS, TLS-RPT) are comments in the snippet, published by hand: not here.
  const required = plan.rows.filter((r) => !r.optional);
  expect(lines.map((l) => [l.name, l.type])).toEqual(required.map((r) => [r.name, r.type]));
  for (const [i, line] of lines.entries()) {
    const row = required[i]!;
    const content = line.content.trim();
    if (line.type === 'MX') {
      const [priority, host] = content.split(/\s+/) as [string, string];
      expect([Number(priority), host]).toEqual([row.priority, `${row.value}.`]);
      zones.replace(line.name, 'MX', [{ priority: Number(priority), exchange: host.replace(/\.$/, '') }]);
    } else if (line.type === 'CNAME') {
      expect(content).toBe(`${row.value}.`);
      zones.remove(line.name);
      zones.addRecord(line.name, 'CNAME', content.replace(/\.$/, ''));
    } else {
      const strings = parseCharacterStrings(content);
      expect(Buffer.from(strings.join(''), 'latin1').toString('utf8')).toBe(row.value);
      const others = row.area === 'spf' ? zones.recordsOf(line.name, 'TXT').map((r) => r.data as string[]).filter((d) => !isSpfRecord(d.join(''))) : [];
      zones.replace(line.name, 'TXT', [...others, strings]);
    }
  }
}

const errorsOf = (r: DomainReport): Finding[] => r.findings.filter((f) => f.severity === 'error' && (AREAS.has(f.area) || f.code === 'DNS_TEMPFAIL') && !KEY_CODES.has(f.code));

describe('plan, published, passes the audit', () => {
  it('covers every fixture zone and the names with records of their own', () => {
    expect(ORIGINS.length).toBe(ZONE_FILES.length);
    expect(ORIGINS.length).toBeGreaterThanOrEqual(65);
    expect(OWN_RECORD_NAMES).toEqual(expect.arrayContaining(['allpass.spf-codes.example', 'broken.spf-codes.example', 'order.dmarc-syntax.test']));
  });

  it.each([...ORIGINS, ...OWN_RECORD_NAMES])('%s', async (domain) => {
    const before = await withServer(base, (dns) => auditDomain({ dns }, domain));
    // The zone's own tenant when its DKIM targets name one (selector1's when they disagree), else a fixed one.
    const tenant = before.tenant ?? FALLBACK_TENANT;
    const plan = await withServer(base, (dns) => planDomain({ dns }, domain, tenant, { reviewSpf: reviewSpfProposal }));
    // An optional row may be unknown (a published MTA-STS policy is not fetched without an HTTPS client): it never counts.
    expect(plan.rows.filter((r) => r.status === 'unknown' && !r.optional)).toEqual([]);

    // A live value the audit flags as an error is never `present`.
    for (const area of AREAS) {
      const rows = plan.rows.filter((r) => r.area === area);
      if (rows.every((r) => r.status === 'present')) expect(errorsOf(before).filter((f) => f.area === area).map((f) => f.code), area).toEqual([]);
    }

    const zones = base.clone();
    applyPlan(zones, plan);
    // Microsoft's side: Exchange Online gives <token>.mail.protection.outlook.com (or the
    // mx.microsoft form) an address when the domain is added to the tenant; the plan can only
    // point at it. Only a Microsoft-form host gets one, so a plan that proposed any other host
    // would still meet MX_HOST_UNRESOLVED or MX_NOT_M365.
    const mx = plan.rows.find((r) => r.area === 'mx')!;
    expect(['m365', 'm365-dnssec']).toContain(classifyMxHost(mx.value, 0).kind);
    if (zones.lookup(mx.value, 'A').answers.every((a) => a.type !== 'A')) zones.addRecord(mx.value, 'A', '192.0.2.250');

    const after = await withServer(zones, (dns) => auditDomain({ dns, tenant }, domain));
    const left = errorsOf(after).map((f) => f.code);
    const excluded = EXCLUDED[domain];
    if (excluded) {
      expect(left).toEqual(excluded.codes);
      expect(plan.warnings.some((w) => excluded.warning.test(w)), excluded.why).toBe(true);
      expect(plan.rows.find((r) => r.area === 'spf')?.status).toBe('change');
    } else {
      expect(errorsOf(after).map((f) => `${f.code}: ${f.message}`)).toEqual([]);
    }
  });
});
