import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDomain, type DomainReport } from '../../src/audit/audit.js';
import { CATALOG, finding, type Finding, type FindingCode } from '../../src/findings/catalog.js';
import { scoreOf } from '../../src/findings/grade.js';
import { MAX_TEMPFAIL_QUERIES, mergeTempfails, tempfailFinding } from '../../src/findings/status.js';
import { createDnsClient } from '../../src/dns/client.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
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
    const r = await audit('timeout.test');
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

/** A resolver that answers every query with this failure (a dead or refusing resolver). */
function failingDns(pick: (name: string, type: string) => { reason: 'timeout' | 'servfail'; code: string }): DnsClient {
  return {
    resolve: async (name, type) => ({ kind: 'tempfail', ...pick(name, type) }) as never,
    stats: () => ({ queries: 0, unique: 0, cacheHits: 0, tempfails: 0 }),
  };
}

describe('a domain whose lookups failed (field trial: "unknown is not a score of 100")', () => {
  it('has grade unknown and score null, not 100', async () => {
    const r = await auditDomain({ dns: failingDns(() => ({ reason: 'timeout', code: 'ETIMEOUT' })) }, 'dead.test');
    expect(r.grade).toBe('unknown');
    expect(r.score).toBeNull();
    expect(scoreOf(r.findings)).toBeNull();
  });

  it('gives one DNS_TEMPFAIL per failure kind, its evidence listing every query that failed', async () => {
    const r = await auditDomain({ dns: failingDns(() => ({ reason: 'timeout', code: 'ETIMEOUT' })) }, 'dead.test');
    const tempfails = r.findings.filter((f) => f.code === 'DNS_TEMPFAIL');
    expect(tempfails).toHaveLength(1);
    expect(r.findings.map((f) => f.code)).toEqual(['DNS_TEMPFAIL']);
    const evidence = tempfails[0]?.evidence ?? '';
    expect(evidence).toMatch(/: ETIMEOUT$/);
    const queries = evidence.replace(/: ETIMEOUT$/, '').split(', ');
    // Each area's own lookups, each named once.
    for (const q of ['dead.test MX', 'dead.test TXT', '_dmarc.dead.test TXT', 'selector1._domainkey.dead.test CNAME', 'autodiscover.dead.test CNAME', 'msoid.dead.test CNAME']) expect(queries).toContain(q);
    expect(new Set(queries).size).toBe(queries.length);
    expect(tempfails[0]?.message).toBe(`${queries.length} DNS lookups failed (timeout), so the parts of the audit that depend on them are unknown rather than missing.`);
    for (const area of ['mx', 'spf', 'dkim', 'dmarc', 'autodiscover', 'verification'] as const) expect(r[area]?.status, area).toBe('unknown');
  });

  it('keeps timeouts and SERVFAILs apart: two findings, each with its own queries', async () => {
    const dns = failingDns((name) => (name.startsWith('_dmarc.') || name.includes('_domainkey') ? { reason: 'servfail', code: 'ESERVFAIL' } : { reason: 'timeout', code: 'ETIMEOUT' }));
    const r = await auditDomain({ dns }, 'dead.test');
    const tempfails = r.findings.filter((f) => f.code === 'DNS_TEMPFAIL');
    expect(tempfails.map((f) => /: (E[A-Z]+)$/.exec(f.evidence ?? '')?.[1])).toEqual(['ETIMEOUT', 'ESERVFAIL']);
    expect(tempfails[1]?.evidence).toContain('_dmarc.dead.test TXT');
    expect(tempfails[1]?.evidence).toContain('selector1._domainkey.dead.test CNAME');
    expect(tempfails[0]?.evidence).not.toContain('_dmarc.');
    expect(tempfails[1]?.message).toMatch(/DNS lookups failed \(servfail\)/);
  });

  it('keeps a single failed query in the one-query form', async () => {
    const r = await audit('timeout.test');
    expect(r.findings.filter((f) => f.code === 'DNS_TEMPFAIL').map((f) => [f.evidence, f.message])).toEqual([
      ['timeout.test TXT: ETIMEOUT', 'The TXT lookup for timeout.test failed (timeout), so this part of the audit is unknown rather than missing.'],
    ]);
  });
});

describe('mergeTempfails', () => {
  const tf = (name: string, code = 'ETIMEOUT'): Finding => tempfailFinding(name, 'TXT', { kind: 'tempfail', reason: code === 'ETIMEOUT' ? 'timeout' : 'servfail', code });

  it('names at most MAX_TEMPFAIL_QUERIES queries and gives the total', () => {
    const merged = mergeTempfails(Array.from({ length: 45 }, (_, i) => tf(`n${i}.test`)));
    expect(merged).toHaveLength(1);
    const evidence = merged[0]?.evidence ?? '';
    expect(evidence.split(', ')).toHaveLength(MAX_TEMPFAIL_QUERIES);
    expect(evidence).toMatch(new RegExp(`^n0\\.test TXT, .*, n${MAX_TEMPFAIL_QUERIES - 1}\\.test TXT and ${45 - MAX_TEMPFAIL_QUERIES} more \\(45 in all\\): ETIMEOUT$`));
  });

  it('names each query once and keeps other findings in place', () => {
    const other = finding('MX_MISSING', 'no MX');
    const merged = mergeTempfails([tf('a.test'), other, tf('A.test'), tf('b.test', 'ESERVFAIL'), tf('c.test')]);
    expect(merged.map((f) => [f.code, f.evidence])).toEqual([
      ['DNS_TEMPFAIL', 'a.test TXT, c.test TXT: ETIMEOUT'],
      ['MX_MISSING', undefined],
      ['DNS_TEMPFAIL', 'b.test TXT: ESERVFAIL'],
    ]);
  });
});

describe('the audit trail and echoed input', () => {
  it('stamps auditedAt from the context clock (UTC ISO 8601)', async () => {
    const clock = (): Date => new Date('2026-11-27T08:00:00+01:00');
    const r = await auditDomain({ dns: createMemoryDnsClient({}), clock }, 'nothing.test');
    expect(r.auditedAt).toBe('2026-11-27T07:00:00.000Z');
    const invalid = await auditDomain({ dns: createMemoryDnsClient({}), clock }, 'not a domain');
    expect(invalid.auditedAt).toBe('2026-11-27T07:00:00.000Z');
  });

  it('cuts a 100,000-character input to 256 characters, noting its length', async () => {
    const input = `${'a'.repeat(99_991)} not.test`;
    const r = await auditDomain({ dns: createMemoryDnsClient({}) }, input);
    expect(codes(r)).toEqual(['DOMAIN_INVALID']);
    expect(r.input).toBe(`${'a'.repeat(255)}…`);
    expect(r.inputLength).toBe(100_000);
    const f = r.findings[0]!;
    expect(f.evidence).toBe(r.input);
    expect(f.message).toBe(`"${r.input}" (100000 characters) is not a valid domain name: contains white space.`);
    expect(JSON.stringify(r).length).toBeLessThan(2000);
  });

  it('cuts by characters, never inside a surrogate pair, and leaves a short input alone', async () => {
    const r = await auditDomain({ dns: createMemoryDnsClient({}) }, '😀'.repeat(300));
    expect([...r.input]).toHaveLength(256);
    expect(r.input.endsWith('😀…')).toBe(true);
    expect(r.inputLength).toBe(300);
    const short = await auditDomain({ dns: createMemoryDnsClient({}) }, 'x'.repeat(256));
    expect(short.input).toBe('x'.repeat(256));
    expect(short.inputLength).toBeUndefined();
  });
});
