import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { planDomain, type Plan, type PlanRow } from '../../src/audit/plan.js';
import { reviewSpfProposal } from '../../src/spf/lookups.js';

/** Microsoft's side, as in fixtures/infra. */
const MICROSOFT: Record<string, MemoryName> = {
  'spf.protection.outlook.com': { TXT: ['v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip6:2a01:111:f400::/48 -all'] },
  'example-com.mail.protection.outlook.com': { A: ['52.101.68.1'] },
  'autodiscover.outlook.com': { CNAME: 'autod.ha-autod.office.com' },
  'autod.ha-autod.office.com': { A: ['52.97.1.1'] },
};

async function plan(records: Record<string, MemoryName>, review = true): Promise<Plan> {
  const dns = createMemoryDnsClient({ ...MICROSOFT, ...records });
  return planDomain({ dns }, 'example.com', 'contoso', review ? { reviewSpf: reviewSpfProposal } : {});
}
const row = (p: Plan, area: PlanRow['area']): PlanRow => p.rows.find((r) => r.area === area) as PlanRow;

describe('planDomain: SPF', () => {
  it('replaces +all with ~all and warns that anyone may send today', async () => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 include:spf.protection.outlook.com +all'] } });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 include:spf.protection.outlook.com ~all' });
    expect(row(p, 'spf').notes).toContain('"+all" lets every address on the Internet pass: replaced by "~all".');
    expect(p.warnings.filter((w) => w.includes('"+all"'))).toHaveLength(1);
  });

  it('leaves out terms that do not parse and names each in a note and the warning', async () => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 $INCLUDE "spf.zone" include:spf.protection.outlook.com -all'] } });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com -all' });
    for (const t of ['$INCLUDE', '"spf.zone"']) {
      expect(row(p, 'spf').notes.filter((n) => n.startsWith(`Left out "${t}"`))).toHaveLength(1);
      expect(p.warnings.filter((w) => w.includes(`"${t}"`) && w.includes('permerror'))).toHaveLength(1);
    }
  });

  it('keeps a record that reaches the include through a redirect as present, adding nothing', async () => {
    const p = await plan({
      'example.com': { TXT: ['v=spf1 redirect=_spf.example.com'] },
      '_spf.example.com': { TXT: ['v=spf1 include:spf.protection.outlook.com -all'] },
    });
    expect(row(p, 'spf')).toMatchObject({ status: 'present', value: 'v=spf1 redirect=_spf.example.com' });
    expect(row(p, 'spf').notes).toEqual(['2 DNS lookups in the merged tree (limit 10).']);
    expect(p.warnings).toEqual([]);
  });

  it('adds the include when a nested one is qualified', async () => {
    const p = await plan({
      'example.com': { TXT: ['v=spf1 include:_spf.example.com -all'] },
      '_spf.example.com': { TXT: ['v=spf1 ?include:spf.protection.outlook.com -all'] },
    });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 include:_spf.example.com include:spf.protection.outlook.com -all' });
  });

  it('leaves out includes that can only give permerror or pass everyone, and a+mx terms of names that do not exist past the void limit', async () => {
    const p = await plan({
      'example.com': { TXT: ['v=spf1 include:gone.example.net include:nospf.example.net include:open.example.net include:loop.example.com a:x1.example.net a:x2.example.net mx:x3.example.net include:spf.protection.outlook.com -all'] },
      'nospf.example.net': { TXT: ['hello'] },
      'open.example.net': { TXT: ['v=spf1 +all'] },
      'loop.example.com': { TXT: ['v=spf1 include:example.com -all'] },
    });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 include:spf.protection.outlook.com -all' });
    const warning = p.warnings.find((w) => w.startsWith('Left out of the proposed SPF record'));
    for (const t of ['include:gone.example.net', 'include:nospf.example.net', 'include:open.example.net', 'include:loop.example.com', 'a:x1.example.net', 'a:x2.example.net', 'mx:x3.example.net']) {
      expect(warning).toContain(`"${t}"`);
    }
    expect(p.warnings.filter((w) => w.includes('still gives'))).toEqual([]);
  });

  it('keeps an a: term whose name exists, even over the void limit (it may be void for one address family only)', async () => {
    const p = await plan({
      'example.com': { TXT: ['v=spf1 a:v4a.example.com a:v4b.example.com a:v4c.example.com include:spf.protection.outlook.com -all'] },
      'v4a.example.com': { A: ['192.0.2.41'] },
      'v4b.example.com': { A: ['192.0.2.42'] },
      'v4c.example.com': { A: ['192.0.2.43'] },
    });
    // Microsoft's IPv6 addresses hit three void AAAA lookups before the include: it moves to the front.
    expect(row(p, 'spf').value).toBe('v=spf1 include:spf.protection.outlook.com a:v4a.example.com a:v4b.example.com a:v4c.example.com -all');
    expect(row(p, 'spf').notes).toContain('"include:spf.protection.outlook.com" moved to the front, so that no earlier term decides the result for its senders first.');
  });

  it('moves the include before terms that fail Microsoft 365\'s addresses', async () => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 -ip4:40.92.0.0/15 include:spf.protection.outlook.com -all'] } });
    expect(row(p, 'spf').value).toBe('v=spf1 include:spf.protection.outlook.com -ip4:40.92.0.0/15 -all');
    expect(p.warnings).toEqual([]);
  });

  it('warns when the tree needs more than 10 lookups, and never calls that record present', async () => {
    const hosts = Array.from({ length: 10 }, (_, i) => `a:h${i}.example.com`);
    const names = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}.example.com`, { A: [`192.0.2.${i + 1}`] }]));
    const live = `v=spf1 include:spf.protection.outlook.com ${hosts.join(' ')} -all`;
    const p = await plan({ 'example.com': { TXT: [live] }, ...names });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: live });
    expect(row(p, 'spf').notes).toContain('11 DNS lookups in the merged tree (limit 10).');
    expect(p.warnings).toContain('The merged SPF record needs 11 DNS lookups, over RFC 7208\'s limit of 10: receivers will return permerror. Flatten or drop includes before publishing.');
  });

  it('merges several records into one', async () => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 mx -all', 'MS=ms12345678', 'v=spf1 ip4:192.0.2.1 ~all'] } });
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 mx ip4:192.0.2.1 include:spf.protection.outlook.com -all', current: ['v=spf1 mx -all', 'v=spf1 ip4:192.0.2.1 ~all'] });
  });

  it('without a reviewer, merges as before: the include added, no lookup count', async () => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 redirect=_spf.example.com'] } }, false);
    expect(row(p, 'spf')).toMatchObject({ status: 'change', value: 'v=spf1 include:spf.protection.outlook.com redirect=_spf.example.com' });
    expect(row(p, 'spf').notes).toEqual([]);
  });

  it('a failed TXT lookup is unknown and not reviewed', async () => {
    const p = await plan({ 'example.com': { timeout: true } });
    expect(row(p, 'spf')).toMatchObject({ status: 'unknown', value: 'v=spf1 include:spf.protection.outlook.com -all', notes: [] });
  });
});

describe('planDomain: DMARC', () => {
  const dmarc = async (records: string[]): Promise<{ row: PlanRow; warnings: string[] }> => {
    const p = await plan({ 'example.com': { TXT: ['v=spf1 include:spf.protection.outlook.com -all'] }, '_dmarc.example.com': { TXT: records } });
    return { row: row(p, 'dmarc'), warnings: p.warnings };
  };

  it.each<[string, string[], 'present' | 'change', string]>([
    ['valid', ['v=DMARC1; p=reject; rua=mailto:d@example.com'], 'present', 'v=DMARC1; p=reject; rua=mailto:d@example.com'],
    ['valid beside a look-alike', ['v=DMARC1; p=reject', 'p=none; v=DMARC1'], 'present', 'v=DMARC1; p=reject'],
    ['invalid p (DMARC_SYNTAX)', ['v=DMARC1; p=rejected; rua=mailto:d@example.com; adkim=s'], 'change', 'v=DMARC1; p=none; rua=mailto:d@example.com; adkim=s'],
    ['two records (DMARC_MULTIPLE)', ['v=DMARC1; p=quarantine; sp=bogus; rua=mailto:d@example.com', 'v=DMARC1; p=none'], 'change', 'v=DMARC1; p=quarantine; rua=mailto:d@example.com'],
    ['v=DMARC1 not first', ['p=reject; v=DMARC1; rua=mailto:d@example.com'], 'change', 'v=DMARC1; p=reject; rua=mailto:d@example.com'],
    ['wrong case', ['v=dmarc1; p=reject'], 'change', 'v=DMARC1; p=reject'],
    ['a bad report address among good ones', ['v=DMARC1; p=reject; rua=d@example.com,mailto:e@example.com!10m'], 'change', 'v=DMARC1; p=reject; rua=mailto:e@example.com!10m'],
    ['a tag given twice', ['v=DMARC1; p=reject; p=none; pct=50'], 'change', 'v=DMARC1; p=reject; pct=50'],
  ])('%s', async (_, records, status, value) => {
    const { row: r } = await dmarc(records);
    expect(r).toMatchObject({ status, value, current: records });
  });

  it('says what it left out, and warns when the policy had to become p=none', async () => {
    const { row: r, warnings } = await dmarc(['v=DMARC1; p=rejected; rua=d@example.com']);
    expect(r.value).toBe('v=DMARC1; p=none');
    expect(r.notes).toEqual([
      'Left out the rua address "d@example.com": "d@example.com" has no URI scheme (write mailto:d@example.com).',
      '"p=rejected" is not none, quarantine or reject: p=none proposed.',
    ]);
    expect(warnings.filter((w) => w.startsWith('The live DMARC record of example.com has no valid p= tag'))).toHaveLength(1);
  });
});

describe('planDomain: DKIM, MX', () => {
  it('a TXT key where the selector CNAME belongs (DKIM_NOT_CNAME) is a change, shown as now', async () => {
    const p = await plan({ 'selector1._domainkey.example.com': { TXT: ['v=DKIM1; k=rsa; p=MIIB'] } });
    const s1 = p.rows.find((r) => r.name === 'selector1._domainkey.example.com')!;
    expect(s1).toMatchObject({ status: 'change', current: ['TXT v=DKIM1; k=rsa; p=MIIB'], value: 'selector1-example-com._domainkey.contoso.onmicrosoft.com' });
    expect(s1.notes[0]).toBe('Delete the TXT record at this name: Microsoft 365 cannot rotate a key published as TXT, and a CNAME cannot sit beside it.');
  });

  it('a live Microsoft MX host without an address (MX_HOST_UNRESOLVED) is not present', async () => {
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: 'exmple-com.mail.protection.outlook.com' }] } });
    expect(row(p, 'mx')).toMatchObject({ status: 'change', value: 'exmple-com.mail.protection.outlook.com' });
    expect(p.warnings.filter((w) => w.startsWith('The Microsoft 365 MX host exmple-com.mail.protection.outlook.com has no address'))).toHaveLength(1);
    const ok = await plan({ 'example.com': { MX: [{ priority: 0, exchange: 'example-com.mail.protection.outlook.com' }] } });
    expect(row(ok, 'mx')).toMatchObject({ status: 'present', value: 'example-com.mail.protection.outlook.com' });
  });

  it('takes the most preferred Microsoft MX, whatever order DNS gives', async () => {
    const p = await plan({ 'example.com': { MX: [{ priority: 10, exchange: 'other-com.mail.protection.outlook.com' }, { priority: 0, exchange: 'example-com.mail.protection.outlook.com' }] } });
    expect(row(p, 'mx')).toMatchObject({ status: 'present', value: 'example-com.mail.protection.outlook.com' });
  });
});

describe('planDomain: the cloud, by the audit\'s own rule (m365/clouds detectCloud)', () => {
  it('a tenant without an MX yet: GCC High from the DKIM targets, DoD from autodiscover, GCC High from the SPF include', async () => {
    const dkimUs = {
      'selector1._domainkey.example.com': { CNAME: 'selector1-example-com._domainkey.contoso.onmicrosoft.us' },
      'selector2._domainkey.example.com': { CNAME: 'selector2-example-com._domainkey.contoso.onmicrosoft.us' },
    };
    const byDkim = await plan({ 'example.com': { TXT: ['v=spf1 -all'] }, ...dkimUs });
    expect(byDkim.cloud).toBe('gcc-high');
    expect(row(byDkim, 'mx').value).toMatch(/\.mail\.protection\.office365\.us$/);
    const dod = await plan({ 'example.com': { TXT: ['v=spf1 -all'] }, ...dkimUs, 'autodiscover.example.com': { CNAME: 'autodiscover-dod.office365.us' } });
    expect(dod.cloud).toBe('dod');
    const bySpf = await plan({ 'example.com': { TXT: ['v=spf1 include:spf.protection.office365.us -all'] } });
    expect(bySpf.cloud).toBe('gcc-high');
    expect((await plan({ 'example.com': { TXT: ['v=spf1 -all'] } })).cloud).toBe('worldwide');
  });
});
