import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, FindingCode } from '../../src/findings/catalog.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsClient } from '../../src/dns/types.js';
import { createHttpsClient, type HttpsClient } from '../../src/http/client.js';
import { checkMtaSts, MTA_STS_MAX_POLICY_BYTES, type MtaStsSection } from '../../src/transport/mta-sts.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startMtaStsHost, type MtaStsPolicySpec, type SandboxMtaStsHost } from '../../src/sandbox/index.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * fixtures/zones/mtasts.test.zone over the loopback DNS server, and the
 * policy host each name announces served by the sandbox's MTA-STS host
 * (startMtaStsHost) through the HTTPS client's route: every MTA-STS code
 * comes out of a fixture over the loopback servers, with the real
 * DnsClient and HttpsClient.
 */
const ENFORCE = 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n';
const TESTING = 'version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 86400\r\n';
const TEN_MB = Buffer.alloc(10 * 1024 * 1024, 'mx: a.example\n');
const POLICIES: Record<string, MtaStsPolicySpec> = {
  'mtasts.test': { body: ENFORCE },
  'missmx.mtasts.test': { body: 'version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmx: *.mx.microsoft\r\nmax_age: 86400\r\n' },
  'testing.mtasts.test': { body: TESTING, contentType: 'text/plain; charset=utf-8' },
  'testmiss.mtasts.test': { body: TESTING },
  'refused.mtasts.test': { refuse: true },
  'notfound.mtasts.test': { status: 404, body: '<html><body>Not Found</body></html>', contentType: 'text/html' },
  'redirect.mtasts.test': { redirect: 'https://www.mtasts.test/mta-sts.txt' },
  'badcert.mtasts.test': { body: ENFORCE, certificate: 'wrong-name' },
  'big.mtasts.test': { body: TEN_MB, chunked: true },
  'html.mtasts.test': { body: '<html><body>version: STSv1</body></html>', contentType: 'text/html; charset=utf-8' },
  'slow.mtasts.test': { body: ENFORCE, delayMs: 600_000 },
  'badpolicy.mtasts.test': { body: 'version: STSv1\nmode: enforce\nmx: \x1b[31mred\x1b[0m.example\nmax_age: 86400\n' },
  'two.mtasts.test': { body: ENFORCE },
  'badid.mtasts.test': { body: ENFORCE },
  'split.mtasts.test': { body: ENFORCE },
};

let server: TestDnsServer;
let host: SandboxMtaStsHost;
let https: HttpsClient;
beforeAll(async () => {
  [server, host] = await Promise.all([startFixtureServer(), startMtaStsHost({ policies: POLICIES })]);
  https = createHttpsClient({ ca: host.caPem, route: host.route, timeoutMs: 5000 });
});
afterAll(() => Promise.all([server.close(), host.close()]));

function dnsClient(): DnsClient {
  return createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });
}

interface Run { section: MtaStsSection; findings: Finding[]; codes: FindingCode[]; queries: number; gets: number }

/** The check as the audit runs it: the MX hosts from DNS first, then checkMtaSts; the queries and GETs it made. */
async function run(domain: string, opts: { timeoutMs?: number; https?: HttpsClient | null } = {}): Promise<Run> {
  const dns = dnsClient();
  const mx = await dns.resolve(domain, 'MX');
  const mxHosts = mx.kind === 'records' ? mx.records.map((r) => r.exchange) : null;
  const before = dns.stats().queries;
  const gets = host.requests().length;
  const r = await checkMtaSts({ dns, https: opts.https === null ? undefined : (opts.https ?? https) }, domain, { mxHosts, cloud: 'worldwide', timeoutMs: opts.timeoutMs });
  return { ...r, codes: r.findings.map((f) => f.code), queries: dns.stats().queries - before, gets: host.requests().length - gets };
}

describe('mtasts.test zones: policies that work', () => {
  it('enforce, the policy covers the MX: no finding, one TXT query and one GET', async () => {
    const r = await run('mtasts.test');
    expect(r.codes).toEqual([]);
    expect(r.section).toMatchObject({ status: 'pass', state: 'enforce', id: '20260101T000000', records: ['v=STSv1; id=20260101T000000'], recordsTotal: 1, reason: null });
    expect(r.section.policy).toMatchObject({
      url: 'https://mta-sts.mtasts.test/.well-known/mta-sts.txt', fetch: 'ok', httpStatus: 200, contentType: 'text/plain', bytes: ENFORCE.length,
      lines: ['version: STSv1', 'mode: enforce', 'mx: *.mail.protection.outlook.com', 'max_age: 604800'], linesTotal: 4,
      mode: 'enforce', maxAge: 604800, mx: ['*.mail.protection.outlook.com'], mxTotal: 1,
      matches: [{ host: 'mtasts-test.mail.protection.outlook.com', pattern: '*.mail.protection.outlook.com' }], matchesTotal: 1,
    });
    expect([r.queries, r.gets]).toEqual([1, 1]);
    // The GET went to mta-sts.<domain> by name (SNI and Host), for the well-known path.
    expect(host.requests().find((q) => q.domain === 'mtasts.test')).toMatchObject({ path: '/.well-known/mta-sts.txt', servername: 'mta-sts.mtasts.test' });
  });

  it('a record in two character-strings is read joined', async () => {
    const r = await run('split.mtasts.test');
    expect(r.codes).toEqual([]);
    expect(r.section.id).toBe('20260108T000000');
  });

  it('testing, the MX covered: MTA_STS_TESTING (info) only; charset parameters are fine', async () => {
    const r = await run('testing.mtasts.test');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_TESTING', 'info']]);
    expect(r.section).toMatchObject({ status: 'pass', state: 'testing' });
  });
});

describe('mtasts.test zones: MX hosts the policy misses', () => {
  it('enforce: the mx.microsoft host under "*.mx.microsoft" is an error, with the one-label rule and the exact line to add', async () => {
    const r = await run('missmx.mtasts.test');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_MX_MISMATCH', 'error']]);
    const f = r.findings[0] as Finding;
    expect(f.message).toContain('missmx-mtasts-test.o-v1.mx.microsoft');
    expect(f.message).toContain('"*.mx.microsoft" covers one label only: RFC 8461 §4.1');
    expect(f.fix).toBe('Add "mx: *.o-v1.mx.microsoft" to https://mta-sts.missmx.mtasts.test/.well-known/mta-sts.txt (or the exact host, missmx-mtasts-test.o-v1.mx.microsoft), then publish a new id in _mta-sts.missmx.mtasts.test so senders fetch it again.');
    expect(r.section.status).toBe('fail');
    expect(r.section.policy?.matches).toEqual([
      { host: 'missmx-mtasts-test.o-v1.mx.microsoft', pattern: null },
      { host: 'missmx-mtasts-test.mail.protection.outlook.com', pattern: '*.mail.protection.outlook.com' },
    ]);
  });

  it('testing: the gateway MX kept beside Microsoft\'s is the catalog\'s warning, its exact host proposed', async () => {
    const r = await run('testmiss.mtasts.test');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_TESTING', 'info'], ['MTA_STS_MX_MISMATCH', 'warning']]);
    expect(r.findings[1]?.fix).toMatch(/^Add "mx: eu-smtp-inbound-1\.mimecast\.com" to https:\/\/mta-sts\.testmiss\.mtasts\.test\/\.well-known\/mta-sts\.txt, then/);
    expect(r.section.status).toBe('warn');
  });
});

describe('mtasts.test zones: a record without a usable policy (MTA_STS_POLICY_UNAVAILABLE, each kind said)', () => {
  it.each<[string, string, RegExp]>([
    ['refused.mtasts.test', 'refused', /: connection refused/],
    ['notfound.mtasts.test', 'status', /: HTTP 404$/],
    ['redirect.mtasts.test', 'redirect', /: HTTP 301 → https:\/\/www\.mtasts\.test\/mta-sts\.txt$/],
    ['badcert.mtasts.test', 'tls', /: TLS ERR_TLS_CERT_ALTNAME_INVALID: /],
    ['big.mtasts.test', 'too-large', /: over 65536 bytes \(stopped after \d+ bytes\)$/],
    ['html.mtasts.test', 'content-type', /: Content-Type text\/html; charset=utf-8$/],
  ])('%s: %s', async (domain, fetch, evidence) => {
    const r = await run(domain);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_POLICY_UNAVAILABLE', 'error']]);
    expect(r.findings[0]?.evidence).toMatch(new RegExp(`^GET https://mta-sts\\.${domain.replace(/\./g, '\\.')}/\\.well-known/mta-sts\\.txt${evidence.source}`));
    expect(r.section).toMatchObject({ status: 'fail', state: 'unavailable', policy: { fetch } });
    // One GET at most: a redirect is not followed; a refused connection or a failed handshake sends none.
    expect(r.gets).toBe(fetch === 'refused' || fetch === 'tls' ? 0 : 1);
  });

  it('the 10 MB policy: the cap stops the read at 64 KiB, and the host stops writing soon after', async () => {
    const r = await run('big.mtasts.test');
    const read = r.section.policy?.bytes ?? -1;
    expect(read).toBeGreaterThan(MTA_STS_MAX_POLICY_BYTES);
    // The client stops at the first chunk past the cap (the server writes 16 KiB pieces; TLS records are at most 16 KiB).
    expect(read).toBeLessThanOrEqual(MTA_STS_MAX_POLICY_BYTES + 64 * 1024);
    const written = host.requests().filter((q) => q.domain === 'big.mtasts.test').at(-1)?.bodyBytesWritten() ?? -1;
    expect(written).toBeLessThan(TEN_MB.length / 4);
    expect(r.section.policy?.lines).toEqual([]);
  });

  it('an over-cap Content-Length is refused before a byte is read', async () => {
    host.setPolicy('big.mtasts.test', { body: TEN_MB });
    try {
      const r = await run('big.mtasts.test');
      expect(r.section.policy).toMatchObject({ fetch: 'too-large', bytes: 0, httpStatus: 200 });
      expect(r.findings[0]?.evidence).toMatch(/Content-Length over 65536 bytes \(refused before reading\)$/);
    } finally {
      host.setPolicy('big.mtasts.test', POLICIES['big.mtasts.test'] as MtaStsPolicySpec);
    }
  });

  it('slow: the deadline ends the fetch; the test waits for the host to see the request, never a timer', async () => {
    const arrived = host.nextRequest();
    // 1500 ms: under load a shorter deadline can end the fetch before the request reaches the host.
    const pending = run('slow.mtasts.test', { timeoutMs: 1500 });
    expect((await arrived).domain).toBe('slow.mtasts.test');
    const r = await pending;
    expect(r.codes).toEqual(['MTA_STS_POLICY_UNAVAILABLE']);
    expect(r.section.policy?.fetch).toBe('timeout');
    expect(r.findings[0]?.message).toContain('did not answer within 1500 ms');
  });

  it.each<[MtaStsPolicySpec['certificate'], string]>([
    ['expired', 'CERT_HAS_EXPIRED'],
    ['untrusted', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ])('a certificate that is %s: tls %s', async (certificate, code) => {
    host.setPolicy('badcert.mtasts.test', { body: ENFORCE, certificate });
    try {
      const r = await run('badcert.mtasts.test');
      expect(r.codes).toEqual(['MTA_STS_POLICY_UNAVAILABLE']);
      expect(r.findings[0]?.evidence).toContain(`TLS ${code}`);
    } finally {
      host.setPolicy('badcert.mtasts.test', POLICIES['badcert.mtasts.test'] as MtaStsPolicySpec);
    }
  });
});

describe('mtasts.test zones: records and policies that do not parse', () => {
  it('a policy with a terminal escape in an mx line: MTA_STS_POLICY_INVALID naming the line, kept as data', async () => {
    const r = await run('badpolicy.mtasts.test');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_POLICY_INVALID', 'error']]);
    expect(r.findings[0]?.evidence).toBe('line 3: mx: \x1b[31mred\x1b[0m.example');
    expect(r.section).toMatchObject({ status: 'fail', state: 'policy-invalid', policy: { fetch: 'ok', mode: null, linesTotal: 4 } });
  });

  it('two records: MTA_STS_TXT_INVALID, and no policy is fetched', async () => {
    const r = await run('two.mtasts.test');
    expect(r.codes).toEqual(['MTA_STS_TXT_INVALID']);
    expect(r.findings[0]?.message).toContain('has 2 MTA-STS records');
    expect(r.section).toMatchObject({ state: 'invalid', recordsTotal: 2, policy: null });
    expect(r.gets).toBe(0);
  });

  it('an id with a hyphen: MTA_STS_TXT_INVALID; the unrelated TXT beside it is skipped', async () => {
    const r = await run('badid.mtasts.test');
    expect(r.codes).toEqual(['MTA_STS_TXT_INVALID']);
    expect(r.findings[0]?.evidence).toBe('v=STSv1; id=2026-01-07');
    expect(r.section.records).toEqual(['v=STSv1; id=2026-01-07']);
    expect(r.gets).toBe(0);
  });

  it('no record: MTA_STS_MISSING (info), whose fix gives the policy for the live Microsoft MX', async () => {
    const r = await run('none.mtasts.test');
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_MISSING', 'info']]);
    expect(r.findings[0]?.fix).toContain('"mx: *.mail.protection.outlook.com"');
    expect(r.section).toMatchObject({ status: 'pass', state: 'absent', records: [], policy: null });
    expect([r.queries, r.gets]).toEqual([1, 0]);
  });

  it('no HTTPS client: the record is still checked, the policy unknown with a reason', async () => {
    const r = await run('mtasts.test', { https: null });
    expect(r.codes).toEqual([]);
    expect(r.section).toMatchObject({ status: 'unknown', state: 'unknown', id: '20260101T000000', policy: null, reason: 'no HTTPS client was given, so the policy at https://mta-sts.mtasts.test/.well-known/mta-sts.txt was not fetched' });
    const bad = await run('two.mtasts.test', { https: null });
    expect(bad.section).toMatchObject({ status: 'fail', state: 'invalid' });
  });
});
