import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { checkTlsRpt, parseTlsRptRecord, parseTlsRptUri } from '../../src/transport/tls-rpt.js';
import { startFixtureServer } from '../support/fixtures.js';

/** fixtures/zones/tlsrpt.test.zone over the loopback DNS server and the real DnsClient. */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

async function run(domain: string, required = false) {
  const dns = createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });
  const r = await checkTlsRpt({ dns }, domain, { required });
  return { ...r, codes: r.findings.map((f) => [f.code, f.severity]), queries: dns.stats().queries };
}

describe('tlsrpt.test zones over loopback DNS', () => {
  it('a valid record with a mailto: and an https: destination: no finding, one query', async () => {
    const r = await run('tlsrpt.test', true);
    expect(r.codes).toEqual([]);
    expect(r.queries).toBe(1);
    expect(r.section).toMatchObject({ status: 'pass', state: 'valid', recordsTotal: 1, ruaTotal: 2 });
    expect(r.section.rua.map((u) => [u.scheme, u.valid])).toEqual([['mailto', true], ['https', true]]);
  });

  it.each<[string, RegExp]>([
    ['broken.tlsrpt.test', /does not parse \("tls-reports@tlsrpt\.test" has no URI scheme/],
    ['two.tlsrpt.test', /has 2 TLS-RPT records, so senders use none/],
    ['case.tlsrpt.test', /does not begin with exactly "v=TLSRPTv1;"/],
  ])('%s: TLS_RPT_INVALID (warning)', async (domain, message) => {
    const r = await run(domain);
    expect(r.codes).toEqual([['TLS_RPT_INVALID', 'warning']]);
    expect(r.findings[0]?.message).toMatch(message);
    expect(r.section).toMatchObject({ status: 'warn', state: 'invalid' });
  });

  it('no record: TLS_RPT_MISSING is info, and the catalog\'s warning when MTA-STS or DANE is on', async () => {
    const plain = await run('none.tlsrpt.test');
    expect(plain.codes).toEqual([['TLS_RPT_MISSING', 'info']]);
    expect(plain.section).toMatchObject({ status: 'pass', state: 'absent' });
    const required = await run('none.tlsrpt.test', true);
    expect(required.codes).toEqual([['TLS_RPT_MISSING', 'warning']]);
    expect(required.section.status).toBe('warn');
    expect(required.findings[0]?.fix).toBe('Publish _smtp._tls.none.tlsrpt.test TXT "v=TLSRPTv1; rua=mailto:tls-reports@none.tlsrpt.test" (a mailbox that exists; https: endpoints work too): senders then send daily reports of failed TLS sessions (RFC 8460).');
  });

  it('a failed lookup is DNS_TEMPFAIL and unknown, never missing', async () => {
    const dns = createMemoryDnsClient({ '_smtp._tls.slow.example': { timeout: true } });
    const r = await checkTlsRpt({ dns }, 'slow.example', { required: true });
    expect(r.findings.map((f) => f.code)).toEqual(['DNS_TEMPFAIL']);
    expect(r.findings[0]?.evidence).toBe('_smtp._tls.slow.example TXT: ETIMEOUT');
    expect(r.section).toMatchObject({ status: 'unknown', state: 'unknown' });
  });
});

describe('parseTlsRptRecord and parseTlsRptUri', () => {
  it('reads every rua= tag, keeps extensions, and needs one mailto: or https: destination', () => {
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example.com/x; ext=1')).toMatchObject({
      ok: true, record: { rua: [{ uri: 'mailto:a@example.com', valid: true }, { uri: 'https://r.example.com/x', valid: true }], extensions: [{ name: 'ext', value: '1' }] },
    });
    // A well-formed URI of another scheme is unusable, not a syntax error: with a usable one beside it the record stands.
    const mixed = parseTlsRptRecord('v=TLSRPTv1; rua=http://r.example.com/x,mailto:a@example.com');
    expect(mixed).toMatchObject({ ok: true, record: { rua: [{ scheme: 'http', wellFormed: true, valid: false }, { valid: true }] } });
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=http://r.example.com/x')).toMatchObject({ ok: false, problem: 'no rua URI is mailto: or https:, so no report can be sent' });
    expect(parseTlsRptRecord('v=TLSRPTv1')).toMatchObject({ ok: false, problem: 'it has no rua tag (the report destinations)' });
  });

  it.each<[string, string]>([
    ['', 'an empty URI'],
    ['noscheme', '"noscheme" has no URI scheme (mailto: or https:)'],
    ['mailto:a!b@example.com', '"mailto:a!b@example.com" holds characters a URI may not contain here (spaces, controls, or an unencoded "!")'],
    ['https://x/%zz', '"https://x/%zz" has a "%" that is not a percent-encoding'],
    ['mailto:nobody', '"mailto:nobody" does not name a mailbox (mailto:name@domain)'],
    ['mailto:a@exa_mple.com', '"mailto:a@exa_mple.com" does not name a mailbox (mailto:name@domain)'],
    ['https://', '"https://" is not a valid https URI'],
  ])('%j: %s', (uri, problem) => {
    expect(parseTlsRptUri(uri)).toMatchObject({ valid: false, problem });
  });
});
