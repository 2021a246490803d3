import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CATALOG, type FindingCode } from '../../src/findings/catalog.js';
import { checkDkim, type DkimSection } from '../../src/dkim/check.js';
import type { DkimKeyFacts } from '../../src/dkim/key.js';
import { expectedDkimTargets, parseDkimTarget } from '../../src/dkim/target.js';
import { normalizeTenant } from '../../src/m365/tenant.js';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { tokenMatches } from '../../src/m365/clouds.js';
import type { Finding } from '../../src/findings/catalog.js';

/** Unit tests of the DKIM check against the in-memory DnsClient. */
const rsa = (bits: number): string => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
};
const K2048 = rsa(2048);
const K1024 = rsa(1024);
const K512 = rsa(512);

const D = 'contoso.com';
const legacy = (n: 1 | 2, tenant = 'contoso', suffix = 'onmicrosoft.com'): string => `selector${n}-contoso-com._domainkey.${tenant}.${suffix}`;
const fresh = (n: 1 | 2, tenant = 'contoso', c = 'r'): string => `selector${n}-contoso-com._domainkey.${tenant}.${c}-v1.dkim.mail.microsoft`;

/** A domain whose two selectors point at the given targets, each publishing the given key record (undefined: no key). */
function zone(t1: string | null, k1: string | undefined, t2: string | null, k2: string | undefined, extra: Record<string, MemoryName> = {}): Record<string, MemoryName> {
  const z: Record<string, MemoryName> = { [D]: { A: ['192.0.2.1'] } };
  if (t1) z[`selector1._domainkey.${D}`] = { CNAME: t1 };
  if (t2) z[`selector2._domainkey.${D}`] = { CNAME: t2 };
  if (t1 && k1 !== undefined) z[t1] = { TXT: [k1] };
  if (t2 && k2 !== undefined) z[t2] = { TXT: [k2] };
  return { ...z, ...extra };
}

async function run(table: Record<string, MemoryName>, ctx: { tenant?: string; selectors?: string[]; cloud?: 'gcc-high' | 'worldwide' } = {}): Promise<{ section: DkimSection; findings: Finding[]; codes: FindingCode[] }> {
  const r = await checkDkim({ dns: createMemoryDnsClient(table) }, D, ctx);
  for (const f of r.findings) {
    expect(f.severity).toBe(CATALOG[f.code].severity);
    expect(f.area === 'dkim' || f.code === 'DNS_TEMPFAIL').toBe(true);
  }
  return { ...r, codes: r.findings.map((f) => f.code) };
}

describe('parseDkimTarget', () => {
  it.each([
    ['selector1-contoso-com._domainkey.contoso.onmicrosoft.com', { format: 'legacy', selector: 1, token: 'contoso-com', tenant: 'contoso', suffix: 'onmicrosoft.com', cloud: 'worldwide', partition: null }],
    ['Selector2-contoso-com._domainkey.contoso.onmicrosoft.us.', { format: 'legacy', selector: 2, cloud: 'gcc-high', suffix: 'onmicrosoft.us' }],
    ['selector1-contoso-com._domainkey.contoso.partner.onmschina.cn', { cloud: 'china' }],
    ['selector1-exclusive-jasonshadow-com03i._domainkey.jasonshadow.r-v1.dkim.mail.microsoft', { format: 'new', token: 'exclusive-jasonshadow-com03i', tenant: 'jasonshadow', cloud: null, partition: 'r' }],
  ])('reads %s', (target, want) => {
    expect(parseDkimTarget(target)).toMatchObject(want);
  });

  it.each([
    'selector1-contoso.com._domainkey.contoso.onmicrosoft.com',
    'selector3-contoso-com._domainkey.contoso.onmicrosoft.com',
    'selector1-contoso-com._domainkey.contoso.onmicrosoft.de',
    'selector1-contoso-com._domainkey.contoso.rr-v1.dkim.mail.microsoft',
    'selector1-contoso-com._domainkey.contoso.r-v1.dkim.mail.microsoft.onmicrosoft.com',
    'selector1._domainkey.contoso.com',
    `selector1-${'a'.repeat(60)}._domainkey.contoso.onmicrosoft.com`,
    '',
  ])('rejects %s', (target) => {
    expect(parseDkimTarget(target)).toBeNull();
  });

  it('builds the legacy targets for a tenant and cloud, and reads --tenant forms', () => {
    expect(expectedDkimTargets('mail.contoso.com', 'contoso', 'dod')).toEqual([
      'selector1-mail-contoso-com._domainkey.contoso.onmicrosoft.us', 'selector2-mail-contoso-com._domainkey.contoso.onmicrosoft.us',
    ]);
    expect(['Contoso', 'contoso.onmicrosoft.com.', ' contoso.partner.onmschina.cn ', 'con_toso', '', '-x'].map(normalizeTenant)).toEqual(['contoso', 'contoso', 'contoso', null, null, null]);
  });
});

describe('checkDkim', () => {
  it('passes both legacy selectors with 2048-bit keys, naming tenant and cloud', async () => {
    const r = await run(zone(legacy(1), K2048, legacy(2), K2048));
    expect(r.codes).toEqual([]);
    expect(r.section).toMatchObject({ status: 'pass', tenant: 'contoso', cloud: 'worldwide', format: 'legacy', expected: null, extraSelectors: [] });
    expect(r.section.selectors.map((s) => [s.name, s.target, (s.key as DkimKeyFacts).bits])).toEqual([
      [`selector1._domainkey.${D}`, legacy(1), 2048], [`selector2._domainkey.${D}`, legacy(2), 2048],
    ]);
    expect(r.section.notes).toHaveLength(1);
    expect(r.section.notes[0]).toContain('DNS cannot prove DKIM signing is switched on');
  });

  it('passes the new form, which names the tenant but not the cloud', async () => {
    const r = await run(zone(fresh(1), K2048, fresh(2), K2048));
    expect(r.codes).toEqual([]);
    expect(r.section).toMatchObject({ tenant: 'contoso', cloud: null, format: 'new' });
  });

  it('reads GCC High from onmicrosoft.us', async () => {
    const r = await run(zone(legacy(1, 'contoso', 'onmicrosoft.us'), K2048, legacy(2, 'contoso', 'onmicrosoft.us'), K2048));
    expect(r.section.cloud).toBe('gcc-high');
    expect(r.section.notes[0]).toContain('d=contoso.onmicrosoft.us');
  });

  it('DKIM_MISSING when neither selector has a CNAME', async () => {
    const r = await run(zone(null, undefined, null, undefined));
    expect(r.codes).toEqual(['DKIM_MISSING']);
    expect(r.section.status).toBe('fail');
    expect(r.findings[0]?.fix).toContain('Get-DkimSigningConfig');
  });

  it('DKIM_SELECTOR_MISSING when one is missing', async () => {
    const r = await run(zone(legacy(1), K2048, null, undefined));
    expect(r.codes).toEqual(['DKIM_SELECTOR_MISSING']);
    expect(r.findings[0]?.evidence).toBe(`selector2._domainkey.${D}: NXDOMAIN`);
  });

  it('DKIM_NOT_CNAME when a TXT sits at a selector name', async () => {
    const r = await run(zone(null, undefined, legacy(2), K2048, { [`selector1._domainkey.${D}`]: { TXT: [K2048] } }));
    expect(r.codes).toEqual(['DKIM_NOT_CNAME']);
    expect(r.section.selectors[0]).toMatchObject({ target: null, txtInstead: K2048 });
    expect((r.section.selectors[0]?.key as DkimKeyFacts).bits).toBe(2048);
  });

  it('DKIM_TARGET_INVALID for targets outside Microsoft\'s patterns, with the likely cause', async () => {
    const r = await run(zone(`${legacy(1)}.${D}`, K2048, 'selector2._domainkey.contoso.com.dkim.example', K2048));
    expect(r.codes).toEqual(['DKIM_TARGET_INVALID', 'DKIM_TARGET_INVALID']);
    expect(r.findings[0]?.message).toContain('trailing dot');
    expect(r.section.tenant).toBeNull();
  });

  it('DKIM_TENANT_MISMATCH for two tenants, two clouds, a wrong selector number, or another --tenant', async () => {
    expect((await run(zone(legacy(1), K2048, legacy(2, 'fabrikam'), K2048))).section.tenant).toBe('contoso');
    expect((await run(zone(legacy(1), K2048, legacy(2, 'fabrikam'), K2048))).codes).toEqual(['DKIM_TENANT_MISMATCH']);
    expect((await run(zone(legacy(1), K2048, legacy(2, 'contoso', 'onmicrosoft.us'), K2048))).codes).toEqual(['DKIM_TENANT_MISMATCH']);
    expect((await run(zone(legacy(2), K2048, legacy(2), K2048))).codes).toEqual(['DKIM_TENANT_MISMATCH']);
    expect((await run(zone(legacy(1), K2048, legacy(2), K2048), { tenant: 'fabrikam' })).codes).toEqual(['DKIM_TENANT_MISMATCH']);
  });

  it('notes a target whose domain part fits another domain (a copied value), not a suffixed one', async () => {
    const other = (n: 1 | 2): string => `selector${n}-fabrikam-net._domainkey.contoso.onmicrosoft.com`;
    const copied = await run(zone(other(1), K2048, legacy(2), K2048));
    expect(copied.codes).toEqual([]);
    expect(copied.section.notes.filter((n) => n.includes('looks like another domain'))).toEqual([
      'The selector1 target\'s domain part is fabrikam-net, which does not fit contoso.com even allowing for Microsoft\'s suffixes: it looks like another domain\'s value. Copy Selector1CNAME from Get-DkimSigningConfig -Identity contoso.com.',
    ]);
    const suffixed = await run(zone(legacy(1).replace('contoso-com', 'contoso-com01e'), K2048, fresh(2).replace('contoso-com', 'contoso-com03i'), K2048));
    expect(suffixed.section.notes.some((n) => n.includes('looks like another domain'))).toBe(false);
  });

  it('tokenMatches allows dropped hyphens and Microsoft\'s 0… suffixes, nothing else', () => {
    expect(tokenMatches('contoso-com', 'contoso.com')).toBe(true);
    expect(tokenMatches('contoso-com01e', 'contoso.com')).toBe(true);
    expect(tokenMatches('domainwithdash-com01e', 'domain-withdash.com')).toBe(true);
    expect(tokenMatches('domain-withdash-com', 'domain-withdash.com')).toBe(true);
    expect(tokenMatches('domain-withdash-com0i', 'domain-withdash.com')).toBe(true);
    expect(tokenMatches('exclusive-jasonshadow-com03i', 'exclusive.jasonshadow.com')).toBe(true);
    expect(tokenMatches('fabrikam-net', 'contoso.com')).toBe(false);
    expect(tokenMatches('contoso-com-x', 'contoso.com')).toBe(false);
    expect(tokenMatches('contoso-co', 'contoso.com')).toBe(false);
    expect(tokenMatches('contoso-com0123456789', 'contoso.com')).toBe(false);
  });

  it('notes, but accepts, one selector in each form and two partitions', async () => {
    const mixed = await run(zone(legacy(1), K2048, fresh(2), K2048));
    expect(mixed.codes).toEqual([]);
    expect(mixed.section.format).toBe('mixed');
    expect(mixed.section.notes.some((n) => n.startsWith('One selector uses the legacy'))).toBe(true);
    const parts = await run(zone(fresh(1, 'contoso', 'n'), K2048, fresh(2, 'contoso', 'r'), K2048));
    expect(parts.codes).toEqual([]);
    expect(parts.section.notes.some((n) => n.includes('different partitions (n-v1 and r-v1)'))).toBe(true);
  });

  it('DKIM_NO_KEY when no target publishes a key; DKIM_KEY_PENDING when one does', async () => {
    const none = await run(zone(legacy(1), undefined, legacy(2), undefined));
    expect(none.codes).toEqual(['DKIM_NO_KEY']);
    expect(none.section.selectors.map((s) => s.key.status)).toEqual(['missing', 'missing']);
    const pending = await run(zone(legacy(1), K2048, legacy(2), undefined));
    expect(pending.codes).toEqual(['DKIM_KEY_PENDING']);
    expect(pending.section.status).toBe('pass');
    // An empty TXT string publishes nothing either.
    expect((await run(zone(legacy(1), K2048, legacy(2), ''))).codes).toEqual(['DKIM_KEY_PENDING']);
  });

  it.each<[string, string, FindingCode]>([
    ['1024-bit', K1024, 'DKIM_KEY_WEAK'],
    ['512-bit', K512, 'DKIM_KEY_INSECURE'],
    ['revoked', 'v=DKIM1; k=rsa; p=', 'DKIM_KEY_REVOKED'],
    ['malformed base64', 'v=DKIM1; k=rsa; p=MIIBIjAN$$$$', 'DKIM_KEY_INVALID'],
    ['truncated', 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA', 'DKIM_KEY_INVALID'],
    ['garbage', 'hello world', 'DKIM_KEY_INVALID'],
  ])('a %s key on selector1 gives %s', async (_what, key, code) => {
    const r = await run(zone(legacy(1), key, legacy(2), K2048));
    expect(r.codes).toEqual([code]);
    expect(r.findings[0]?.evidence).toBe(`${legacy(1)} TXT "${key}"`);
  });

  it('picks the key among several TXT records and says so', async () => {
    const r = await run(zone(legacy(1), undefined, legacy(2), K2048, { [legacy(1)]: { TXT: ['some-verification=1', K2048] } }));
    expect(r.codes).toEqual([]);
    expect(r.section.notes).toContain('selector1: 2 TXT records at the key name; verifiers may read any of them');
  });

  it('shows --tenant\'s expected targets in the cloud given', async () => {
    const r = await run(zone(null, undefined, null, undefined), { tenant: 'contoso', cloud: 'gcc-high' });
    expect(r.section.expected).toEqual({ tenant: 'contoso', cloud: 'gcc-high', targets: [legacy(1, 'contoso', 'onmicrosoft.us'), legacy(2, 'contoso', 'onmicrosoft.us')] });
    const bad = await run(zone(legacy(1), K2048, legacy(2), K2048), { tenant: 'not a tenant!' });
    expect(bad.section.expected).toBeNull();
    expect(bad.section.notes.some((n) => n.includes('is not a tenant prefix'))).toBe(true);
  });

  it('checks extra selectors with the generic key checks, skipping bad names', async () => {
    const r = await run(zone(legacy(1), K2048, legacy(2), K2048, {
      [`google._domainkey.${D}`]: { TXT: [K1024] },
      [`s1.mail._domainkey.${D}`]: { CNAME: 'key.esp.example' },
      'key.esp.example': { TXT: [K2048] },
    }), { selectors: ['google', 'S1.mail', 'absent', 'bad name', '', 'selector2', 'google'] });
    expect(r.section.extraSelectors.map((s) => [s.selector, s.target, s.key.status])).toEqual([
      ['google', null, 'weak'], ['s1.mail', 'key.esp.example', 'valid'], ['absent', null, 'missing'],
    ]);
    expect(r.codes).toEqual(['DKIM_KEY_WEAK', 'DKIM_SELECTOR_KEY', 'DKIM_SELECTOR_KEY', 'DKIM_SELECTOR_KEY']);
    expect(r.findings.filter((f) => f.code === 'DKIM_SELECTOR_KEY').map((f) => f.message)).toEqual([
      'Selector google: RSA 1024-bit key (weak).', 'Selector s1.mail: RSA 2048-bit key.', 'Selector absent: no key published.',
    ]);
    expect(r.section.notes).toContain('"bad name" is not a DKIM selector name; it was skipped.');
    expect(r.section.status).toBe('warn');
  });

  it('a failed lookup is DNS_TEMPFAIL and unknown, never missing or no key', async () => {
    const cname = await run(zone(legacy(1), K2048, legacy(2), K2048, { [`selector2._domainkey.${D}`]: { servfail: true } }));
    expect(cname.codes).toEqual(['DNS_TEMPFAIL', 'DNS_TEMPFAIL']);
    expect(cname.section.status).toBe('unknown');
    const both = await run(zone(null, undefined, null, undefined, { [`selector1._domainkey.${D}`]: { timeout: true }, [`selector2._domainkey.${D}`]: { timeout: true } }));
    expect(both.codes).toEqual(['DNS_TEMPFAIL', 'DNS_TEMPFAIL', 'DNS_TEMPFAIL', 'DNS_TEMPFAIL']);
    const key = await run(zone(legacy(1), K2048, legacy(2), undefined, { [legacy(2)]: { servfail: true } }));
    expect(key.codes).toEqual(['DNS_TEMPFAIL']);
    expect(key.section.selectors[1]?.key.status).toBe('unknown');
  });

  it('survives a selector CNAME that loops', async () => {
    const r = await run(zone(`selector1._domainkey.${D}`, undefined, legacy(2), K2048));
    expect(r.codes).toEqual(['DKIM_TARGET_INVALID']);
  });
});
