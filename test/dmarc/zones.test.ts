import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, FindingCode } from '../../src/findings/catalog.js';
import { checkDmarc, type DmarcSection } from '../../src/dmarc/check.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsClient } from '../../src/dns/types.js';
import type { Cloud } from '../../src/m365/clouds.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * The dmarc-* zone fixtures (fixtures/zones) through the loopback DNS server
 * and the real DnsClient, as in production: discovery by the RFC 9989 tree
 * walk, report authorization (wildcards served by the DNS, as in real life),
 * MOERA, and failures that must read as unknown.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

/** The real client, recording every name asked. */
function client(): { dns: DnsClient; asked: string[] } {
  const inner = createDnsClient({ servers: [server.server], timeoutMs: 1000, retries: 0 });
  const asked: string[] = [];
  return { asked, dns: { resolve: (name, type) => (asked.push(`${name} ${type}`), inner.resolve(name, type)), stats: () => inner.stats() } };
}

async function dmarc(domain: string, hints: { tenant?: string; cloud?: Cloud } = {}): Promise<{ section: DmarcSection; findings: Finding[]; codes: FindingCode[]; asked: string[] }> {
  const { dns, asked } = client();
  const r = await checkDmarc({ dns }, domain, { tenant: hints.tenant ?? null, cloud: hints.cloud ?? 'worldwide' });
  return { ...r, codes: r.findings.map((f) => f.code), asked };
}

describe('dmarc-* zones over loopback DNS', () => {
  it.each<[string, FindingCode[]]>([
    ['dmarc-wildcard.test', []],
    ['dmarc-missing.test', ['DMARC_MISSING']],
    ['dmarc-multiple.test', ['DMARC_MULTIPLE']],
    ['dmarc-syntax.test', ['DMARC_SYNTAX']],
    // The parent's record is invalid too, so nothing applies: both broken records are named, not "missing".
    ['order.dmarc-syntax.test', ['DMARC_SYNTAX', 'DMARC_SYNTAX']],
    ['case.dmarc-syntax.test', ['DMARC_SYNTAX', 'DMARC_SYNTAX']],
    ['uri.dmarc-syntax.test', ['DMARC_SYNTAX', 'DMARC_NO_RUA']],
    ['dmarc-none.test', ['DMARC_POLICY_NONE']],
    ['nop.dmarc-none.test', ['DMARC_POLICY_NONE']],
    ['testing.dmarc-none.test', ['DMARC_POLICY_NONE']],
    ['bare.dmarc-none.test', ['DMARC_POLICY_NONE', 'DMARC_NO_RUA']],
    ['dmarc-norua.test', ['DMARC_NO_RUA']],
    ['dmarc-pct.test', ['DMARC_LEGACY_TAG', 'DMARC_PCT_PARTIAL']],
    ['dmarc-tags.test', ['DMARC_LEGACY_TAG', 'DMARC_UNKNOWN_TAG']],
    ['dmarc-unauth.test', ['DMARC_RUA_UNAUTHORIZED']],
    ['dmarc-shadow.test', ['DMARC_RUA_UNAUTHORIZED']],
    ['sub.dmarc-inherit.test', ['DMARC_INHERITED']],
    ['gone.dmarc-inherit.test', ['DMARC_INHERITED']],
  ])('%s gives exactly %j', async (domain, codes) => {
    const r = await dmarc(domain);
    expect(r.codes).toEqual(codes);
  });

  it('authorizes an external rua through the destination\'s wildcard record', async () => {
    const r = await dmarc('dmarc-wildcard.test');
    expect(r.section.rua).toEqual([expect.objectContaining({
      uri: 'mailto:agg@dmarc-reports.test', address: 'agg@dmarc-reports.test', domain: 'dmarc-reports.test', external: true,
      authorization: 'authorized', authorizationName: 'dmarc-wildcard.test._report._dmarc.dmarc-reports.test',
    })]);
    expect(r.section).toMatchObject({ status: 'pass', policy: 'reject', policyTag: 'p', enforced: 'reject', inherited: false, source: '_dmarc.dmarc-wildcard.test' });
  });

  it('flags a destination that authorized nothing once, for rua and ruf alike', async () => {
    const r = await dmarc('dmarc-unauth.test');
    expect(r.section.rua.map((u) => [u.domain, u.external, u.authorization])).toEqual([
      ['dmarc-reports-closed.test', true, 'unauthorized'],
      ['dmarc-unauth.test', false, 'not-needed'],
    ]);
    expect(r.section.ruf.map((u) => [u.domain, u.authorization])).toEqual([['dmarc-reports-closed.test', 'unauthorized']]);
    expect(r.findings[0]?.evidence).toBe('dmarc-unauth.test._report._dmarc.dmarc-reports-closed.test TXT: NXDOMAIN');
    expect(r.asked.filter((q) => q.includes('._report._dmarc.'))).toEqual([
      'dmarc-unauth.test._report._dmarc.dmarc-reports-closed.test TXT',
      '*._report._dmarc.dmarc-reports-closed.test TXT',
    ]);
    expect(r.section.notes).toContain('Microsoft 365 never sends failure (ruf) reports; other receivers rarely do.');
  });

  it('explains a wildcard that an explicit entry shadows (RFC 4592)', async () => {
    const r = await dmarc('dmarc-shadow.test');
    expect(r.findings[0]?.message).toContain('publishes a wildcard *._report._dmarc.dmarc-reports-mixed.test, but it does not answer for this name');
  });

  it.each([
    ['sub.dmarc-inherit.test', 'quarantine', 'sp'],
    ['a.b.sub.dmarc-inherit.test', 'quarantine', 'sp'],
    ['gone.dmarc-inherit.test', 'reject', 'np'],
  ])('%s inherits the parent\'s policy: %s from %s=', async (domain, policy, tag) => {
    const r = await dmarc(domain);
    expect(r.section).toMatchObject({
      policy, policyTag: tag, inherited: true, source: '_dmarc.dmarc-inherit.test', policyDomain: 'dmarc-inherit.test',
      organizationalDomain: 'dmarc-inherit.test', subdomainPolicy: 'quarantine', nonExistentPolicy: 'reject',
    });
    expect(r.findings[0]?.message).toContain(`its ${tag}=${policy} applies`);
    // np is only asked about when it would change the answer: then whether the name exists.
    expect(r.asked.includes(`${domain} TXT`)).toBe(true);
  });

  it.each([
    ['dmarc-none.test', 'none', 'p', 'none', false],
    ['nop.dmarc-none.test', 'none', 'implied', 'none', false],
    ['testing.dmarc-none.test', 'quarantine', 'p', 'none', true],
    ['bare.dmarc-none.test', null, null, null, false],
  ])('%s: policy %s from %s, enforced %s', async (domain, policy, policyTag, enforced, testing) => {
    const r = await dmarc(domain);
    expect(r.section).toMatchObject({ policy, policyTag, enforced, testing, inherited: false });
  });

  it('reads pct, rf, ri and unknown tags', async () => {
    expect((await dmarc('dmarc-pct.test')).findings.find((f) => f.code === 'DMARC_PCT_PARTIAL')?.message).toContain('pct=25');
    const tags = await dmarc('dmarc-tags.test');
    expect(tags.findings.map((f) => f.message)).toEqual([
      expect.stringContaining('uses rf=, ri=, which RFC 9989 removed'),
      expect.stringContaining('(foo)'),
    ]);
    expect(tags.section.tags).toEqual({ v: 'DMARC1', p: 'reject', rua: 'mailto:dmarc@dmarc-tags.test', rf: 'afrf', ri: '86400', foo: 'bar' });
  });

  it('walks a 9-label name the bounded way: from 9 labels straight to 7', async () => {
    const hit = await dmarc('a.b.c.d.e.f.g.dmarc-ninelabels.test');
    expect(hit.asked).toEqual(['_dmarc.a.b.c.d.e.f.g.dmarc-ninelabels.test TXT', '_dmarc.c.d.e.f.g.dmarc-ninelabels.test TXT']);
    expect(hit.section).toMatchObject({ source: '_dmarc.c.d.e.f.g.dmarc-ninelabels.test', policy: 'quarantine', organizationalDomain: 'c.d.e.f.g.dmarc-ninelabels.test' });
    expect(hit.codes).toEqual(['DMARC_INHERITED']);
    const miss = await dmarc('a.b.c.d.e.f.h.dmarc-ninelabels.test');
    expect(miss.asked).toEqual([
      '_dmarc.a.b.c.d.e.f.h.dmarc-ninelabels.test', '_dmarc.c.d.e.f.h.dmarc-ninelabels.test', '_dmarc.d.e.f.h.dmarc-ninelabels.test',
      '_dmarc.e.f.h.dmarc-ninelabels.test', '_dmarc.f.h.dmarc-ninelabels.test', '_dmarc.h.dmarc-ninelabels.test',
      '_dmarc.dmarc-ninelabels.test', '_dmarc.test',
    ].map((n) => `${n} TXT`));
    expect(miss.section).toMatchObject({ source: '_dmarc.dmarc-ninelabels.test', policy: 'reject', organizationalDomain: 'dmarc-ninelabels.test' });
  });

  it('checks the MOERA domain of the tenant\'s cloud', async () => {
    const cases: [string, Cloud, string, boolean][] = [
      ['dkim-fixtures', 'worldwide', '_dmarc.dkim-fixtures.onmicrosoft.com', false],
      ['dkim-fixtures.onmicrosoft.us', 'gcc-high', '_dmarc.dkim-fixtures.onmicrosoft.us', false],
      ['dkim-fixtures', 'china', '_dmarc.dkim-fixtures.partner.onmschina.cn', true],
      ['dmarc-moera', 'worldwide', '_dmarc.dmarc-moera.onmicrosoft.com', true],
      ['dmarc-nomoera', 'worldwide', '_dmarc.dmarc-nomoera.onmicrosoft.com', true],
    ];
    for (const [tenant, cloud, name, missing] of cases) {
      const r = await dmarc('dmarc-wildcard.test', { tenant, cloud });
      expect(r.section.moera?.name).toBe(name);
      expect(r.codes).toEqual(missing ? ['DMARC_MOERA_MISSING'] : []);
    }
    expect((await dmarc('dmarc-wildcard.test', { tenant: 'dmarc-moera' })).section.moera).toEqual({ name: '_dmarc.dmarc-moera.onmicrosoft.com', record: 'v=DMARC1; rua=mailto:agg@dmarc-reports.test', policy: null });
  });

  it('turns failed lookups into DNS_TEMPFAIL and unknown, never missing or unauthorized', async () => {
    const faults: [string, 'servfail' | 'timeout' | 'refused', string][] = [
      ['_dmarc.dmarc-tempfail.test', 'timeout', 'dmarc-tempfail.test'],
      ['_dmarc.dmarc-missing.test', 'servfail', 'sub.dmarc-missing.test'],
      ['dmarc-tempfail.test._report._dmarc.dmarc-reports-closed.test', 'refused', 'dmarc-tempfail.test'],
      ['_dmarc.dkim-fixtures.onmicrosoft.com', 'servfail', 'dmarc-wildcard.test'],
    ];
    for (const [name, fault, domain] of faults) {
      server.setFault(name, fault);
      try {
        const r = await dmarc(domain, { tenant: 'dkim-fixtures' });
        expect(r.codes, name).toContain('DNS_TEMPFAIL');
        expect(r.codes, name).not.toContain('DMARC_MISSING');
        expect(r.codes, name).not.toContain('DMARC_RUA_UNAUTHORIZED');
        expect(r.codes, name).not.toContain('DMARC_MOERA_MISSING');
        expect(r.section.status, name).toBe('unknown');
        expect(r.findings.find((f) => f.code === 'DNS_TEMPFAIL')?.evidence, name).toMatch(new RegExp(`^${name.replace(/[.*]/g, '\\$&')} TXT: E`));
      } finally {
        server.setFault(name, null);
      }
    }
  });
});

describe('OpenDMARC\'s tree-walk zone (dmarc-walk.test)', () => {
  const W = 'dmarcwalk.dmarc-walk.test';
  it.each([
    // [name, source, relation, organizational domain, policy, queries]
    [`direct.${W}`, `_dmarc.direct.${W}`, false, null, 'reject', 1],
    [`sub.nopsd.${W}`, `_dmarc.nopsd.${W}`, true, `nopsd.${W}`, 'quarantine', 3],
    [`sub.psdn.${W}`, `_dmarc.psdn.${W}`, true, `psdn.${W}`, 'reject', 2],
    [`leaf.mid.psdy.${W}`, `_dmarc.psdy.${W}`, true, `mid.psdy.${W}`, 'none', 3],
    [`d6.d5.d4.d3.d2.d1.eightlabel.${W}`, `_dmarc.d3.d2.d1.eightlabel.${W}`, true, `d3.d2.d1.eightlabel.${W}`, 'reject', 2],
    [`multirecord.${W}`, `_dmarc.${W}`, true, `multirecord.${W}`, 'reject', 2],
    ['webhost.dmarc-walk.test', '_dmarc.dmarc-walk.test', true, 'dmarc-walk.test', 'none', 3],
  ] as const)('%s takes its policy from %s', async (domain, source, inherited, org, policy, queries) => {
    const r = await dmarc(domain);
    expect(r.section).toMatchObject({ source, inherited, organizationalDomain: org, policy });
    expect(r.asked.filter((q) => q.startsWith('_dmarc.'))).toHaveLength(queries);
  });

  it('discards both records at multirecord and applies the PSD\'s policy', async () => {
    const r = await dmarc(`multirecord.${W}`);
    expect(r.codes).toEqual(['DMARC_MULTIPLE', 'DMARC_INHERITED', 'DMARC_NO_RUA']);
    expect(r.findings[1]?.message).toContain('the Public Suffix Domain dmarcwalk.dmarc-walk.test (psd=y)');
    expect(r.section.walk.map((w) => [w.name, w.result])).toEqual([[`_dmarc.multirecord.${W}`, 'multiple'], [`_dmarc.${W}`, 'record']]);
  });

  it('a 10-label name asks its own name, then the 7-label one', async () => {
    const r = await dmarc(`d6.d5.d4.d3.d2.d1.eightlabel.${W}`);
    expect(r.asked).toEqual([`_dmarc.d6.d5.d4.d3.d2.d1.eightlabel.${W} TXT`, `_dmarc.d3.d2.d1.eightlabel.${W} TXT`]);
  });
});
