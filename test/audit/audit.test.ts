import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDomain, type DomainReport } from '../../src/audit/audit.js';
import { CATALOG, type FindingCode } from '../../src/audit/catalog.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { TestDnsServer } from '../support/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
  server.setFault('timeout.test', 'timeout', 'TXT');
});
afterAll(() => server.close());

async function audit(domain: string, extra: { timeoutMs?: number; cloud?: 'worldwide' | 'gcc-high' | 'dod' | 'china' } = {}): Promise<DomainReport> {
  const dns = createDnsClient({ servers: [server.server], timeoutMs: extra.timeoutMs ?? 1000, retries: 0 });
  return auditDomain({ dns, cloud: extra.cloud }, domain);
}
const codes = (r: DomainReport): FindingCode[] => r.findings.map((f) => f.code);

describe('auditDomain on loopback fixture zones', () => {
  it('grades a domain that satisfies every rule ready, 100, with no warning or error', async () => {
    const r = await audit('ready.test');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r).toMatchObject({ domain: 'ready.test', grade: 'ready', score: 100, cloud: 'worldwide' });
    expect(r.mx?.m365Host).toBe('ready-test.mail.protection.outlook.com');
    expect(r.autodiscover?.target).toBe('autodiscover.outlook.com');
    expect(r.verification?.records).toEqual(['MS=ms11223344']);
    expect(r.timing.queries).toBeGreaterThan(0);
  });

  it.each<[string, FindingCode[], FindingCode[]]>([
    ['mx-none.test', ['MX_MISSING'], ['MX_NOT_M365']],
    ['mx-null.test', ['MX_MISSING'], []],
    ['mx-other.test', ['MX_NOT_M365'], ['MX_MISSING', 'MX_GATEWAY']],
    ['mx-multi.test', ['MX_MULTIPLE', 'MX_PRIORITY'], ['MX_NOT_M365', 'MX_HOST_UNRESOLVED']],
    ['mx-leftover.test', ['MX_DEPRECATED'], ['MX_NOT_M365']],
    ['mx-unresolved.test', ['MX_HOST_UNRESOLVED'], ['MX_NOT_M365']],
    ['mx-gateway.test', ['MX_GATEWAY', 'MX_MULTIPLE'], ['MX_NOT_M365']],
    ['mxtoken.test', ['MX_TOKEN_MISMATCH'], ['MX_HOST_UNRESOLVED']],
    ['mx-dnssec.test', [], ['MX_NOT_M365', 'MX_TOKEN_MISMATCH', 'MX_HOST_UNRESOLVED', 'AUTODISCOVER_MISSING']],
    ['ad-other.test', ['AUTODISCOVER_NOT_M365', 'MSOID_PRESENT', 'VERIFICATION_TXT_MALFORMED', 'VERIFICATION_TXT_ABSENT', 'SPF_MISSING', 'DMARC_MISSING'], ['AUTODISCOVER_MISSING']],
    ['mx-other.test', ['AUTODISCOVER_MISSING', 'VERIFICATION_TXT_ABSENT'], ['MSOID_PRESENT']],
    ['presence-spf.test', ['SPF_MULTIPLE'], ['SPF_MISSING']],
    ['nonexistent.test', ['DOMAIN_NOT_FOUND'], ['MX_MISSING', 'SPF_MISSING', 'DMARC_MISSING']],
  ])('%s gives %j and not %j', async (domain, present, absent) => {
    const r = await audit(domain);
    for (const c of present) expect(codes(r), c).toContain(c);
    for (const c of absent) expect(codes(r), c).not.toContain(c);
    for (const f of r.findings) expect(f.severity).toBe(CATALOG[f.code].severity);
  });

  it('counts two MX hosts once each and names the retired ones', async () => {
    const r = await audit('mx-leftover.test');
    const deprecated = r.findings.filter((f) => f.code === 'MX_DEPRECATED');
    expect(deprecated.map((f) => f.evidence)).toEqual(['0 ms12345678.msv1.invalid', '10 mail.global.frontbridge.com']);
    expect(r.grade).toBe('not-ready');
  });

  it('gives NXDOMAIN as DOMAIN_NOT_FOUND alone, score 0', async () => {
    const r = await audit('nonexistent.test');
    expect(codes(r)).toEqual(['DOMAIN_NOT_FOUND']);
    expect(r).toMatchObject({ grade: 'not-ready', score: 0, mx: null, spf: null });
  });

  it('reports a TXT timeout as DNS_TEMPFAIL, never SPF_MISSING, and grades unknown', async () => {
    const r = await audit('timeout.test', { timeoutMs: 300 });
    expect(codes(r)).toContain('DNS_TEMPFAIL');
    expect(codes(r)).not.toContain('SPF_MISSING');
    expect(codes(r)).not.toContain('VERIFICATION_TXT_ABSENT');
    const tempfails = r.findings.filter((f) => f.code === 'DNS_TEMPFAIL');
    expect(tempfails.map((f) => f.evidence)).toEqual(['timeout.test TXT: ETIMEOUT']);
    expect(r.spf?.status).toBe('unknown');
    expect(r.verification?.status).toBe('unknown');
  });

  it('reads an SPF record whose answer is over 512 bytes (TCP after truncation)', async () => {
    server.resetStats();
    const r = await audit('big.test');
    expect(r.spf?.record).toMatch(/^v=spf1 ip4:192\.0\.2\.1 .* include:spf\.protection\.outlook\.com -all$/);
    expect(codes(r)).not.toContain('SPF_MISSING');
    expect(server.stats().truncated).toBeGreaterThanOrEqual(1);
    expect(server.stats().tcpQueries).toBeGreaterThanOrEqual(1);
  });

  it('audits bücher.example as xn--bcher-kva.example', async () => {
    const r = await audit('bücher.example');
    expect(r.domain).toBe('xn--bcher-kva.example');
    expect(r.input).toBe('bücher.example');
    expect(r.mx?.m365Host).toBe('xn--bcher-kva-example.mail.protection.outlook.com');
    // node:dns passes names through domainToASCII, which turns this MX host
    // (not valid punycode, but a valid LDH name) into "": it must still resolve.
    expect(codes(r)).not.toContain('MX_HOST_UNRESOLVED');
    expect(codes(r)).not.toContain('DNS_TEMPFAIL');
  });

  it.each(['https://ready.test/owa/', 'postmaster@ready.test', 'READY.TEST.'])('audits %s as its host', async (input) => {
    const r = await audit(input);
    expect(r.domain).toBe('ready.test');
    expect(r.grade).toBe('ready');
  });

  it('gives DOMAIN_INVALID for garbage, without a lookup', async () => {
    const r = await audit('not a domain');
    expect(codes(r)).toEqual(['DOMAIN_INVALID']);
    expect(r).toMatchObject({ domain: null, grade: 'not-ready', score: 0, timing: { queries: 0 } });
  });

  it.each<[string, string]>([
    ['gcc.test', 'gcc-high'],
    ['dod.test', 'dod'],
    ['china.test', 'china'],
    ['mx-dnssec.test', 'worldwide'],
  ])('detects %s as cloud %s, with its own autodiscover host', async (domain, cloud) => {
    const r = await audit(domain);
    expect(r.cloud).toBe(cloud);
    expect(codes(r)).not.toContain('AUTODISCOVER_NOT_M365');
    expect(codes(r)).not.toContain('MX_NOT_M365');
    expect(codes(r)).not.toContain('MSOID_PRESENT');
  });

  it('lets --cloud override detection', async () => {
    const r = await audit('gcc.test', { cloud: 'worldwide' });
    expect(r.cloud).toBe('worldwide');
    expect(codes(r)).toContain('AUTODISCOVER_NOT_M365');
  });

  it('reports a domain whose every query times out as unknown within a few seconds', async () => {
    server.setFault('allfail.test', 'timeout');
    server.setFault('*.allfail.test', 'timeout');
    const t0 = Date.now();
    const r = await audit('allfail.test', { timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.grade).toBe('unknown');
    expect(r.findings.length).toBeGreaterThan(0);
    expect(new Set(codes(r))).toEqual(new Set(['DNS_TEMPFAIL']));
    server.setFault('allfail.test', null);
    server.setFault('*.allfail.test', null);
  });

  it('shows the expected DKIM targets of --tenant for the cloud detected from the MX (GCC High)', async () => {
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 1000, retries: 0 });
    const r = await auditDomain({ dns, tenant: 'gcctenant' }, 'gcc.test');
    expect(r.cloud).toBe('gcc-high');
    expect(r.tenant).toBe('gcctenant');
    expect(r.dkim?.expected).toEqual({
      tenant: 'gcctenant',
      cloud: 'gcc-high',
      targets: ['selector1-gcc-test._domainkey.gcctenant.onmicrosoft.us', 'selector2-gcc-test._domainkey.gcctenant.onmicrosoft.us'],
    });
  });

  it('puts the DKIM note (DNS cannot prove signing is on) into notes, not findings', async () => {
    const r = await audit('ready.test');
    expect(r.notes.some((n) => /DNS cannot prove/i.test(n))).toBe(true);
    expect(r.findings.some((f) => /DNS cannot prove/i.test(f.message))).toBe(false);
  });
});
