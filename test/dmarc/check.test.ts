import { describe, expect, it } from 'vitest';
import { CATALOG, type Finding, type FindingCode } from '../../src/findings/catalog.js';
import { checkDmarc, MAX_REPORT_DESTINATIONS, type DmarcSection } from '../../src/dmarc/check.js';
import { dmarcWalkNames, MAX_WALK_QUERIES } from '../../src/dmarc/discover.js';
import { parseDmarcRecord } from '../../src/dmarc/parse.js';
import { parseDmarcUri } from '../../src/dmarc/uri.js';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import type { Cloud } from '../../src/m365/clouds.js';

/** Unit tests of the DMARC parser, walk and check against the in-memory DnsClient. */

/** The memory client with wildcard answers synthesized as an authoritative server would (RFC 4592, closest ancestor). */
function withWildcards(table: Record<string, MemoryName>): { dns: DnsClient; asked: string[] } {
  const inner = createMemoryDnsClient(table);
  const asked: string[] = [];
  return {
    asked,
    dns: {
      async resolve(name, type) {
        asked.push(`${name} ${type}`);
        const a = await inner.resolve(name, type);
        if (a.kind !== 'nxdomain') return a;
        const labels = name.split('.');
        for (let i = 1; i < labels.length - 1; i++) {
          const wild = await inner.resolve(`*.${labels.slice(i).join('.')}`, type);
          if (wild.kind !== 'nxdomain') return wild;
        }
        return a;
      },
      stats: () => inner.stats(),
    },
  };
}

async function run(domain: string, table: Record<string, MemoryName>, hints: { tenant?: string; cloud?: Cloud } = {}): Promise<{ section: DmarcSection; findings: Finding[]; codes: FindingCode[]; asked: string[] }> {
  const { dns, asked } = withWildcards(table);
  const r = await checkDmarc({ dns }, domain, { tenant: hints.tenant ?? null, cloud: hints.cloud ?? 'worldwide' });
  for (const f of r.findings) {
    expect(f.severity).toBe(CATALOG[f.code].severity);
    expect(f.area === 'dmarc' || f.code === 'DNS_TEMPFAIL').toBe(true);
  }
  return { ...r, codes: r.findings.map((f) => f.code), asked };
}
const at = (record: string | string[], extra: Record<string, MemoryName> = {}): Record<string, MemoryName> => ({
  'contoso.com': { A: ['192.0.2.1'] }, '_dmarc.contoso.com': { TXT: Array.isArray(record) ? record : [record] }, ...extra,
});

describe('dmarcWalkNames (RFC 9989 4.10)', () => {
  it.each([
    ['com', ['com']],
    ['contoso.com', ['contoso.com', 'com']],
    ['a.mail.example.com', ['a.mail.example.com', 'mail.example.com', 'example.com', 'com']],
    ['h.g.f.e.d.c.b.a', ['h.g.f.e.d.c.b.a', 'g.f.e.d.c.b.a', 'f.e.d.c.b.a', 'e.d.c.b.a', 'd.c.b.a', 'c.b.a', 'b.a', 'a']],
    ['i.h.g.f.e.d.c.b.a', ['i.h.g.f.e.d.c.b.a', 'g.f.e.d.c.b.a', 'f.e.d.c.b.a', 'e.d.c.b.a', 'd.c.b.a', 'c.b.a', 'b.a', 'a']],
    // RFC 9989's own example: eight queries, the second at seven labels.
    ['a.b.c.d.e.f.g.h.i.j.mail.example.com', ['a.b.c.d.e.f.g.h.i.j.mail.example.com', 'g.h.i.j.mail.example.com', 'h.i.j.mail.example.com', 'i.j.mail.example.com', 'j.mail.example.com', 'mail.example.com', 'example.com', 'com']],
  ])('%s', (domain, names) => {
    expect(dmarcWalkNames(domain)).toEqual(names);
  });

  it('never asks more than eight names', () => {
    for (let n = 1; n <= 40; n++) expect(dmarcWalkNames(Array.from({ length: n }, (_, i) => `l${i}`).join('.')).length).toBe(Math.min(n, MAX_WALK_QUERIES));
  });
});

describe('parseDmarcUri', () => {
  it.each([
    ['mailto:d@example.com', { scheme: 'mailto', address: 'd@example.com', domain: 'example.com', size: null, valid: true }],
    ['mailto:D@Example.COM!10m', { address: 'D@example.com', domain: 'example.com', size: 10 * 2 ** 20, valid: true }],
    [' mailto:x@example.com ! 2 g ', { size: 2 * 2 ** 30, valid: true }],
    ['mailto:a%40b@example.com?subject=x', { address: 'a@b@example.com', domain: 'example.com', valid: true }],
    ['https://reports.example.net/dmarc', { scheme: 'https', domain: 'reports.example.net', valid: true }],
    ['mailto:d@b%C3%BCcher.example', { domain: 'xn--bcher-kva.example', valid: true }],
    // A URI is ASCII (RFC 3986): a raw Unicode domain must be percent-encoded or punycode.
    ['mailto:d@bücher.example', { valid: false }],
    ['d@example.com', { scheme: null, valid: false }],
    ['mailto:', { valid: false }],
    ['mailto:d@', { valid: false }],
    ['mailto:d@exa mple.com', { valid: false }],
    ['mailto:d@example.com!am', { valid: false }],
    ['mailto:d@-bad-.com', { valid: false }],
    ['mailto:%zz@example.com', { valid: false }],
    ['mailto:"><img src=x>@evil.example', { valid: false }],
  ])('%s', (uri, want) => {
    expect(parseDmarcUri(uri)).toMatchObject(want);
  });
});

describe('parseDmarcRecord', () => {
  it('reads every tag with its defaults', () => {
    const r = parseDmarcRecord('v=DMARC1; p=Reject; sp=quarantine; np=none; psd=n; t=y; adkim=s; aspf=s; fo=d:s; rua=mailto:a@example.com; ruf=mailto:f@example.com');
    expect(r).toMatchObject({ isDmarc: true, usable: true, p: 'reject', sp: 'quarantine', np: 'none', psd: 'n', testing: true, adkim: 's', aspf: 's', fo: ['d', 's'] });
    expect(r.issues.map((i) => i.kind)).toEqual(['weak-subdomains']);
    expect(parseDmarcRecord('v=DMARC1')).toMatchObject({ isDmarc: true, usable: true, p: null, psd: 'u', testing: false, adkim: 'r', aspf: 'r', fo: ['0'] });
  });

  it.each([
    ['v=DMARC1; p=reject', true, true, true],
    ['p=reject; v=DMARC1', false, true, false],
    ['v=dmarc1; p=reject', false, true, false],
    ['v=DMARC1x; p=reject', false, true, false],
    ['p=none', false, true, false],
    ['v=spf1 -all', false, false, false],
    ['', false, false, false],
    ['v=DMARC1; p=rejected', true, true, false],
    ['v=DMARC1; p=reject; sp=bogus', true, true, false],
    ['v=DMARC1; p=reject; np=', true, true, false],
    ['v=DMARC1; p=reject; p=none', true, true, false],
    ['v=DMARC1; p=reject; adkim=x', true, true, true],
    ['v=DMARC1; p', true, true, true],
  ])('%j: isDmarc %s, meant %s, usable %s', (record, isDmarc, meant, usable) => {
    expect(parseDmarcRecord(record)).toMatchObject({ isDmarc, meantAsDmarc: meant, usable });
  });

  it('reads legacy tags and notes them', () => {
    const r = parseDmarcRecord('v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600; x_y=1; x-y=2');
    expect(r).toMatchObject({ pct: 50, legacyTags: ['pct', 'rf', 'ri'], unknownTags: ['x_y'] });
    expect(r.issues.map((i) => [i.level, i.kind])).toEqual([
      ['warning', 'legacy'], ['warning', 'legacy'], ['warning', 'legacy'], ['warning', 'unknown'], ['error', 'syntax'],
    ]);
    expect(parseDmarcRecord('v=DMARC1; p=reject; pct=abc').pct).toBeNull();
  });
});

describe('checkDmarc', () => {
  it('passes p=reject with an internal rua', async () => {
    const r = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:d@contoso.com'));
    expect(r.codes).toEqual([]);
    expect(r.section).toMatchObject({
      status: 'pass', record: 'v=DMARC1; p=reject; rua=mailto:d@contoso.com', source: '_dmarc.contoso.com', policy: 'reject', policyTag: 'p',
      enforced: 'reject', inherited: false, organizationalDomain: null, subdomainPolicy: 'reject', nonExistentPolicy: 'reject',
      alignment: { dkim: 'r', spf: 'r' }, psd: 'u', moera: null,
    });
    expect(r.section.rua[0]).toMatchObject({ external: false, authorization: 'not-needed', authorizationName: null });
    expect(r.asked).toEqual(['_dmarc.contoso.com TXT']);
  });

  it('DMARC_MISSING names every name the walk asked', async () => {
    const r = await run('mail.contoso.com', { 'mail.contoso.com': { A: ['192.0.2.1'] } });
    expect(r.codes).toEqual(['DMARC_MISSING']);
    expect(r.findings[0]?.evidence).toBe('_dmarc.mail.contoso.com: NXDOMAIN; _dmarc.contoso.com: NXDOMAIN; _dmarc.com: NXDOMAIN');
  });

  it('ignores records that are not DMARC (an SPF record at _dmarc is still DMARC_MISSING)', async () => {
    expect((await run('contoso.com', at('v=spf1 -all'))).codes).toEqual(['DMARC_MISSING']);
  });

  it('DMARC_MULTIPLE discards every v=DMARC1 record at a name', async () => {
    const r = await run('contoso.com', at(['v=DMARC1; p=reject', 'v=DMARC1; p=none', 'unrelated']));
    expect(r.codes).toEqual(['DMARC_MULTIPLE']);
    expect(r.section.policy).toBeNull();
  });

  it('DMARC_SYNTAX instead of DMARC_MISSING for a record meant as DMARC; treated as absent', async () => {
    const r = await run('contoso.com', at('v=DMARC1; p=rejct; rua=mailto:d@contoso.com'));
    expect(r.codes).toEqual(['DMARC_SYNTAX']);
    expect(r.findings[0]?.message).toContain('p=rejct is not valid');
    expect(r.section).toMatchObject({ policy: null, record: null });
    // A parent's policy applies past it.
    const sub = await run('mail.contoso.com', at('v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@contoso.com', { '_dmarc.mail.contoso.com': { TXT: ['p=none; v=DMARC1'] } }));
    expect(sub.codes).toEqual(['DMARC_SYNTAX', 'DMARC_INHERITED']);
    expect(sub.section.policy).toBe('quarantine');
  });

  it('notes a look-alike beside a valid record without failing', async () => {
    const r = await run('contoso.com', at(['v=DMARC1; p=reject; rua=mailto:d@contoso.com', 'v=dmarc1; p=none']));
    expect(r.codes).toEqual([]);
    expect(r.section.notes.some((n) => n.includes('looks meant as DMARC'))).toBe(true);
  });

  it('DMARC_POLICY_NONE for p=none, for sp=none reaching a subdomain, and for no p at all', async () => {
    expect((await run('contoso.com', at('v=DMARC1; p=none; rua=mailto:d@contoso.com'))).codes).toEqual(['DMARC_POLICY_NONE']);
    const sub = await run('mail.contoso.com', at('v=DMARC1; p=reject; sp=none; rua=mailto:d@contoso.com'));
    expect(sub.codes).toEqual(['DMARC_INHERITED', 'DMARC_POLICY_NONE']);
    expect(sub.findings[1]?.message).toContain('(sp=none)');
    const bare = await run('contoso.com', at('v=DMARC1; aspf=s'));
    expect(bare.codes).toEqual(['DMARC_POLICY_NONE', 'DMARC_NO_RUA']);
    expect(bare.section.policy).toBeNull();
  });

  it('DMARC_NO_RUA when there is no usable mailto: rua', async () => {
    expect((await run('contoso.com', at('v=DMARC1; p=reject'))).codes).toEqual(['DMARC_NO_RUA']);
    const https = await run('contoso.com', at('v=DMARC1; p=reject; rua=https://r.example.net/x'));
    expect(https.codes).toEqual(['DMARC_NO_RUA']);
    expect(https.section.notes[0]).toContain('only mailto:');
  });

  it('DMARC_PCT_PARTIAL and DMARC_LEGACY_TAG for pct below 100, DMARC_UNKNOWN_TAG for foreign tags', async () => {
    const r = await run('contoso.com', at('v=DMARC1; p=reject; pct=10; rua=mailto:d@contoso.com; bimi=x'));
    expect(r.codes).toEqual(['DMARC_LEGACY_TAG', 'DMARC_PCT_PARTIAL', 'DMARC_UNKNOWN_TAG']);
    expect((await run('contoso.com', at('v=DMARC1; p=reject; pct=100; rua=mailto:d@contoso.com'))).codes).toEqual(['DMARC_LEGACY_TAG']);
  });

  it('DMARC_RUA_UNAUTHORIZED for an external destination without v=DMARC1; a wildcard authorizes', async () => {
    const open = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.example', { '*._report._dmarc.reports.example': { TXT: ['v=DMARC1'] } }));
    expect(open.codes).toEqual([]);
    expect(open.section.rua[0]).toMatchObject({ external: true, authorization: 'authorized', authorizationName: 'contoso.com._report._dmarc.reports.example' });
    const explicit = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.example', { 'contoso.com._report._dmarc.reports.example': { TXT: ['v=DMARC1;'] } }));
    expect(explicit.codes).toEqual([]);
    const closed = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.example', { 'contoso.com._report._dmarc.reports.example': { TXT: ['v=spf1'] } }));
    expect(closed.codes).toEqual(['DMARC_RUA_UNAUTHORIZED']);
    // The same organization needs no authorization.
    expect((await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.contoso.com'))).codes).toEqual([]);
  });

  it('asks about the policy domain when the record is inherited', async () => {
    const r = await run('mail.contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.example', { '*._report._dmarc.reports.example': { TXT: ['v=DMARC1'] } }));
    expect(r.section.rua[0]?.authorizationName).toBe('contoso.com._report._dmarc.reports.example');
    expect(r.codes).toEqual(['DMARC_INHERITED']);
  });

  it(`checks at most ${MAX_REPORT_DESTINATIONS} external destinations`, async () => {
    const rua = Array.from({ length: 14 }, (_, i) => `mailto:r@d${i}.example`).join(',');
    const r = await run('contoso.com', at(`v=DMARC1; p=reject; rua=${rua}`));
    expect(r.codes.filter((c) => c === 'DMARC_RUA_UNAUTHORIZED')).toHaveLength(MAX_REPORT_DESTINATIONS);
    expect(r.section.rua.filter((u) => u.authorization === 'unchecked')).toHaveLength(4);
    expect(r.section.notes).toContain('4 more report addresses not checked for authorization (at most 10 destinations are).');
  });

  it('follows psd=y: the Organizational Domain is one label below, the PSD\'s policy applies without one', async () => {
    const table = { 'gov.example': { A: ['192.0.2.1'] }, '_dmarc.gov.example': { TXT: ['v=DMARC1; p=reject; sp=quarantine; psd=y; rua=mailto:d@gov.example'] } };
    const r = await run('agency.gov.example', table);
    expect(r.section).toMatchObject({ policy: 'quarantine', policyTag: 'sp', source: '_dmarc.gov.example', organizationalDomain: 'agency.gov.example' });
    expect(r.findings[0]?.message).toContain('the Public Suffix Domain gov.example (psd=y)');
    // With a record of its own at the Organizational Domain, that one applies.
    const own = await run('mail.agency.gov.example', { ...table, '_dmarc.agency.gov.example': { TXT: ['v=DMARC1; p=none; rua=mailto:d@agency.gov.example'] } });
    expect(own.section).toMatchObject({ source: '_dmarc.agency.gov.example', policy: 'none', organizationalDomain: 'agency.gov.example' });
  });

  it('takes the record with the fewest labels when no psd= stops the walk', async () => {
    const r = await run('a.mail.contoso.com', at('v=DMARC1; p=reject; rua=mailto:d@contoso.com', { '_dmarc.mail.contoso.com': { TXT: ['v=DMARC1; p=none; rua=mailto:d@contoso.com'] } }));
    expect(r.section).toMatchObject({ source: '_dmarc.contoso.com', policy: 'reject', organizationalDomain: 'contoso.com' });
    expect(r.section.walk.map((w) => [w.name, w.result])).toEqual([
      ['_dmarc.a.mail.contoso.com', 'none'], ['_dmarc.mail.contoso.com', 'record'], ['_dmarc.contoso.com', 'record'], ['_dmarc.com', 'none'],
    ]);
  });

  it('applies np to a name that does not exist, asking only when np would change the answer', async () => {
    const r = await run('gone.contoso.com', at('v=DMARC1; p=quarantine; np=reject; rua=mailto:d@contoso.com'));
    expect(r.section).toMatchObject({ policy: 'reject', policyTag: 'np' });
    expect(r.asked).toContain('gone.contoso.com TXT');
    const same = await run('gone.contoso.com', at('v=DMARC1; p=reject; np=reject; rua=mailto:d@contoso.com'));
    expect(same.asked).not.toContain('gone.contoso.com TXT');
  });

  it('t=y lowers the policy one step', async () => {
    const r = await run('contoso.com', at('v=DMARC1; p=reject; t=y; rua=mailto:d@contoso.com'));
    expect(r.section).toMatchObject({ policy: 'reject', enforced: 'quarantine', testing: true });
    expect(r.codes).toEqual([]);
    expect(r.section.notes).toContain('t=y (test mode): receivers are asked to apply quarantine instead of reject.');
  });

  it('DMARC_MOERA_MISSING unless the MOERA domain has a record with p=', async () => {
    const base = at('v=DMARC1; p=reject; rua=mailto:d@contoso.com');
    expect((await run('contoso.com', base, { tenant: 'contoso' })).codes).toEqual(['DMARC_MOERA_MISSING']);
    expect((await run('contoso.com', { ...base, '_dmarc.contoso.onmicrosoft.com': { TXT: ['v=DMARC1; p=reject'] } }, { tenant: 'contoso' })).codes).toEqual([]);
    expect((await run('contoso.com', { ...base, '_dmarc.contoso.onmicrosoft.com': { TXT: ['v=DMARC1; rua=mailto:x@contoso.com'] } }, { tenant: 'contoso' })).codes).toEqual(['DMARC_MOERA_MISSING']);
    const us = await run('contoso.com', { ...base, '_dmarc.contoso.onmicrosoft.com': { TXT: ['v=DMARC1; p=reject'] } }, { tenant: 'contoso', cloud: 'dod' });
    expect(us.codes).toEqual(['DMARC_MOERA_MISSING']);
    expect(us.section.moera?.name).toBe('_dmarc.contoso.onmicrosoft.us');
  });

  it('a tempfail anywhere is DNS_TEMPFAIL and unknown, never missing', async () => {
    const own = await run('contoso.com', { 'contoso.com': { A: ['192.0.2.1'] }, '_dmarc.contoso.com': { timeout: true } });
    expect(own.codes).toEqual(['DNS_TEMPFAIL']);
    expect(own.section.status).toBe('unknown');
    const parent = await run('mail.contoso.com', { 'mail.contoso.com': { A: ['192.0.2.1'] }, '_dmarc.contoso.com': { servfail: true } });
    expect(parent.codes).toEqual(['DNS_TEMPFAIL']);
    const auth = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:a@reports.example', { 'contoso.com._report._dmarc.reports.example': { servfail: true } }));
    expect(auth.codes).toEqual(['DNS_TEMPFAIL']);
    expect(auth.section.rua[0]?.authorization).toBe('unknown');
    const moera = await run('contoso.com', at('v=DMARC1; p=reject; rua=mailto:d@contoso.com', { '_dmarc.contoso.onmicrosoft.com': { servfail: true } }), { tenant: 'contoso' });
    expect(moera.codes).toEqual(['DNS_TEMPFAIL']);
  });
});
