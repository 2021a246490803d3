import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingCode } from '../../src/findings/catalog.js';
import { auditDomain } from '../../src/audit/audit.js';
import { checkDkim, type DkimSection } from '../../src/dkim/check.js';
import type { DkimKeyFacts } from '../../src/dkim/key.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { Finding } from '../../src/findings/catalog.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * The dkim-* zone fixtures (fixtures/zones) through the loopback DNS server
 * and the real DnsClient (node:dns), as in production. Microsoft's side (the
 * keys behind the targets) is fixtures/zones/dkim-tenants.onmicrosoft.com.zone.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

async function dkim(domain: string, extra: { tenant?: string; selectors?: string[]; cloud?: 'gcc-high' } = {}): Promise<{ section: DkimSection; findings: Finding[]; codes: FindingCode[] }> {
  const dns = createDnsClient({ servers: [server.server], timeoutMs: 1000, retries: 0 });
  const r = await checkDkim({ dns }, domain, extra);
  return { ...r, codes: r.findings.map((f) => f.code) };
}

describe('dkim-* zones over loopback DNS', () => {
  it.each<[string, FindingCode[]]>([
    ['dkim-ready-legacy.test', []],
    ['dkim-ready-new.test', []],
    ['dkim-gcchigh.test', []],
    ['dkim-china.test', []],
    ['dkim-suffix.test', []],
    ['dkim-copied.test', []],
    ['dkim-missing.test', ['DKIM_MISSING']],
    ['dkim-onesel.test', ['DKIM_SELECTOR_MISSING']],
    ['dkim-txt.test', ['DKIM_NOT_CNAME']],
    ['dkim-badtarget.test', ['DKIM_TARGET_INVALID', 'DKIM_TARGET_INVALID']],
    ['dkim-mismatch.test', ['DKIM_TENANT_MISMATCH']],
    ['dkim-wrongnum.test', ['DKIM_TENANT_MISMATCH', 'DKIM_TENANT_MISMATCH']],
    ['dkim-nokey.test', ['DKIM_NO_KEY']],
    ['dkim-pending.test', ['DKIM_KEY_PENDING']],
    ['dkim-weak.test', ['DKIM_KEY_WEAK']],
    ['dkim-insecure.test', ['DKIM_KEY_INSECURE']],
    ['dkim-revoked.test', ['DKIM_KEY_REVOKED']],
    ['dkim-badkey.test', ['DKIM_KEY_INVALID']],
  ])('%s gives exactly %j', async (domain, codes) => {
    const r = await dkim(domain);
    expect([...r.codes].sort()).toEqual([...codes].sort());
  });

  it('reads tenant, cloud and form from the legacy targets, with 2048-bit keys', async () => {
    const { section } = await dkim('dkim-ready-legacy.test');
    expect(section).toMatchObject({ status: 'pass', tenant: 'dkim-fixtures', cloud: 'worldwide', format: 'legacy', expected: null });
    expect(section.selectors.map((s) => [s.selector, s.format, s.tenant, s.token, s.key.status, (s.key as DkimKeyFacts).bits])).toEqual([
      ['selector1', 'legacy', 'dkim-fixtures', 'dkim-ready-legacy-test', 'valid', 2048],
      ['selector2', 'legacy', 'dkim-fixtures', 'dkim-ready-legacy-test', 'valid', 2048],
    ]);
    expect(section.notes[0]).toMatch(/^DNS cannot prove DKIM signing is switched on\..*d=dkim-ready-legacy\.test.*Get-DkimSigningConfig -Identity dkim-ready-legacy\.test.*d=dkim-fixtures\.onmicrosoft\.com/);
  });

  it('reads the new form: tenant yes, cloud not from the target', async () => {
    const { section } = await dkim('dkim-ready-new.test');
    expect(section).toMatchObject({ status: 'pass', tenant: 'dkim-fixtures', cloud: null, format: 'new' });
    expect(section.selectors.map((s) => s.format)).toEqual(['new', 'new']);
    expect(section.notes.some((n) => n.includes('dkim.mail.microsoft'))).toBe(true);
  });

  it.each([
    ['dkim-gcchigh.test', 'gcc-high', 'onmicrosoft.us'],
    ['dkim-china.test', 'china', 'partner.onmschina.cn'],
  ])('%s is cloud %s', async (domain, cloud, suffix) => {
    const { section } = await dkim(domain);
    expect(section.cloud).toBe(cloud);
    expect(section.notes[0]).toContain(`d=dkim-fixtures.${suffix}`);
  });

  it('names the common mistakes behind invalid targets', async () => {
    const { findings } = await dkim('dkim-badtarget.test');
    const msgs = findings.filter((f) => f.code === 'DKIM_TARGET_INVALID').map((f) => f.message);
    expect(msgs[0]).toContain('without its trailing dot');
    expect(msgs[1]).toContain('.onmicrosoft.com was added to a new-form target');
  });

  it('reports selector1\'s tenant when the selectors disagree', async () => {
    const { section, findings } = await dkim('dkim-mismatch.test');
    expect(section.tenant).toBe('dkim-fixtures');
    expect(findings[0]?.message).toContain('selector1 names tenant dkim-fixtures (onmicrosoft.com) but selector2 names dkim-other');
  });

  it('says which selector number is wrong', async () => {
    const { findings } = await dkim('dkim-wrongnum.test');
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining('selector1._domainkey.dkim-wrongnum.test points at a selector2 target'),
      expect.stringContaining('selector2._domainkey.dkim-wrongnum.test points at a selector1 target'),
    ]);
  });

  it('reads weak, insecure, revoked and malformed keys behind the CNAMEs', async () => {
    const bits = async (d: string): Promise<unknown[]> => (await dkim(d)).section.selectors.map((s) => [s.key.status, (s.key as DkimKeyFacts).bits]);
    expect(await bits('dkim-weak.test')).toEqual([['weak', 1024], ['valid', 2048]]);
    expect(await bits('dkim-insecure.test')).toEqual([['insecure', 512], ['valid', 2048]]);
    expect(await bits('dkim-revoked.test')).toEqual([['revoked', null], ['valid', 2048]]);
    expect(await bits('dkim-badkey.test')).toEqual([['invalid', null], ['valid', 2048]]);
    expect((await dkim('dkim-badkey.test')).findings[0]?.message).toContain('not valid base64');
  });

  it('checks other senders\' selectors: key sizes read exactly, ed25519 raw and wrapped, PKCS#1', async () => {
    const { section, codes } = await dkim('dkim-keys.test', { selectors: ['k512', 'k1024', 'k2048', 'k4096', 'ked25519', 'kedspki', 'kpkcs1', 'krevoked', 'kbad', 'esp', 'nothere', 'selector1', 'k512'] });
    const facts = section.extraSelectors.map((s) => {
      const k = s.key as DkimKeyFacts;
      return [s.selector, k.status, k.type ?? null, k.bits ?? null, k.format ?? null];
    });
    expect(facts).toEqual([
      ['k512', 'insecure', 'rsa', 512, 'spki'],
      ['k1024', 'weak', 'rsa', 1024, 'spki'],
      ['k2048', 'valid', 'rsa', 2048, 'spki'],
      ['k4096', 'valid', 'rsa', 4096, 'spki'],
      ['ked25519', 'valid', 'ed25519', 256, 'raw'],
      ['kedspki', 'invalid', 'ed25519', 256, 'spki'],
      ['kpkcs1', 'valid', 'rsa', 2048, 'pkcs1'],
      ['krevoked', 'revoked', 'rsa', null, null],
      ['kbad', 'invalid', 'rsa', null, null],
      ['esp', 'valid', 'rsa', 2048, 'spki'],
      ['nothere', 'missing', null, null, null],
    ]);
    expect(section.extraSelectors.find((s) => s.selector === 'esp')?.target).toBe('esp-key.dkim-keys.test');
    expect(codes.filter((c) => c === 'DKIM_SELECTOR_KEY')).toHaveLength(11);
    expect(codes.filter((c) => c !== 'DKIM_SELECTOR_KEY').sort()).toEqual(['DKIM_KEY_INSECURE', 'DKIM_KEY_INVALID', 'DKIM_KEY_INVALID', 'DKIM_KEY_REVOKED', 'DKIM_KEY_WEAK', 'DKIM_MISSING']);
    expect(section.notes.some((n) => n.startsWith('kpkcs1: p= is a bare PKCS#1'))).toBe(true);
  });

  it('shows the targets --tenant implies before the CNAMEs exist', async () => {
    const { section, findings } = await dkim('dkim-missing.test', { tenant: 'dkim-fixtures' });
    const targets = ['selector1-dkim-missing-test._domainkey.dkim-fixtures.onmicrosoft.com', 'selector2-dkim-missing-test._domainkey.dkim-fixtures.onmicrosoft.com'];
    expect(section.expected).toEqual({ tenant: 'dkim-fixtures', cloud: 'worldwide', targets });
    expect(section.selectors.map((s) => s.expectedTarget)).toEqual(targets);
    expect(section.tenant).toBeNull();
    expect(findings.map((f) => f.code)).toEqual(['DKIM_MISSING']);
    for (const t of targets) expect(findings[0]?.fix).toContain(t);
  });

  it('compares the CNAMEs with --tenant', async () => {
    expect((await dkim('dkim-ready-legacy.test', { tenant: 'dkim-fixtures.onmicrosoft.com' })).codes).toEqual([]);
    const other = await dkim('dkim-ready-legacy.test', { tenant: 'contoso' });
    expect(other.codes).toEqual(['DKIM_TENANT_MISMATCH']);
    expect(other.section.tenant).toBe('dkim-fixtures');
    expect(other.findings[0]?.message).toBe('The selector CNAMEs name tenant dkim-fixtures, but the tenant given is contoso.');
    const suffixed = await dkim('dkim-suffix.test', { tenant: 'dkim-fixtures' });
    expect(suffixed.codes).toEqual([]);
    expect(suffixed.section.notes.some((n) => n.includes('domain part is dkim-suffix-test01e, not dkim-suffix-test'))).toBe(true);
    const gcc = await dkim('dkim-gcchigh.test', { tenant: 'dkim-fixtures' });
    expect(gcc.section.expected?.targets[0]).toBe('selector1-dkim-gcchigh-test._domainkey.dkim-fixtures.onmicrosoft.us');
    expect(gcc.codes).toEqual([]);
  });

  it('turns a failed lookup into DNS_TEMPFAIL and unknown, never missing', async () => {
    server.setFault('selector1._domainkey.dkim-missing.test', 'servfail');
    try {
      const r = await dkim('dkim-missing.test');
      expect(r.codes).toEqual(['DNS_TEMPFAIL', 'DNS_TEMPFAIL', 'DKIM_SELECTOR_MISSING']);
      expect(r.section.status).toBe('unknown');
      expect(r.section.selectors[0]?.key.status).toBe('unknown');
    } finally {
      server.setFault('selector1._domainkey.dkim-missing.test', null);
    }
  });
});

describe('the ready fixtures through the whole audit', () => {
  it.each(['dkim-ready-legacy.test', 'dkim-ready-new.test'])('%s grades ready with no DKIM or DMARC warning or error', async (domain) => {
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 1000, retries: 0 });
    const r = await auditDomain({ dns }, domain);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.findings.filter((f) => f.area === 'dkim' || f.area === 'dmarc')).toEqual([]);
    expect(r).toMatchObject({ grade: 'ready', score: 100, cloud: 'worldwide', tenant: 'dkim-fixtures' });
    expect(r.dkim?.selectors.map((s) => (s.key as DkimKeyFacts).bits)).toEqual([2048, 2048]);
    expect(r.dmarc).toMatchObject({ policy: 'reject', source: `_dmarc.${domain}` });
    expect(r.dmarc?.rua[0]).toMatchObject({ domain: 'dmarc-reports.test', external: true, authorization: 'authorized' });
    expect(r.dmarc?.moera).toEqual({ name: '_dmarc.dkim-fixtures.onmicrosoft.com', record: 'v=DMARC1; p=reject', policy: 'reject' });
    expect(r.notes.some((n) => n.startsWith('DNS cannot prove DKIM signing is switched on'))).toBe(true);
  });
});
