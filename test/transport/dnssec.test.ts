import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import type { TransportContext } from '../../src/transport/context.js';
import { checkDnssec } from '../../src/transport/dnssec.js';
import { startSilentServer } from '../dns/udp-servers.js';
import { fixtureZones, startDnssecServers } from '../support/fixtures.js';

/** Answers that must come get a wide deadline. */
const WIDE = 2000;

let validating: TestDnsServer;
let plain: TestDnsServer;
beforeAll(async () => {
  [validating, plain] = await startDnssecServers();
});
afterAll(async () => {
  await Promise.all([validating.close(), plain.close()]);
});

function ctxOf(server: string, timeoutMs = WIDE): TransportContext {
  return { dns: createDnsClient({ servers: [server], timeoutMs, retries: 0 }), secure: createSecureDnsClient({ servers: [server], timeoutMs, retries: 0 }) };
}
const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code);

describe('checkDnssec: validated, signed, unsigned, bogus, unknown', () => {
  it('validated: the MX answer came with AD, in one query', async () => {
    validating.resetStats();
    const r = await checkDnssec(ctxOf(validating.server), 'dnssec-valid.test');
    expect(r.section).toEqual({ status: 'pass', state: 'validated', domain: 'dnssec-valid.test', ad: true, rrsigs: true, ds: null, resolverValidates: true, reason: null, queries: 1 });
    expect(r.findings).toEqual([]);
    expect(validating.stats().udpQueries).toBe(1);
  });

  it('signed, not validated: a resolver that passes RRSIGs on and never sets AD, in two queries (MX, DS)', async () => {
    plain.resetStats();
    const r = await checkDnssec(ctxOf(plain.server), 'dnssec-valid.test');
    expect(r.section).toMatchObject({ status: 'pass', state: 'signed', ad: false, rrsigs: true, ds: true, resolverValidates: false, queries: 2 });
    expect(codes(r)).toEqual(['DNSSEC_NOT_VALIDATED']);
    expect(r.findings[0]).toMatchObject({ severity: 'info', area: 'dnssec', evidence: 'dnssec-valid.test MX: AD=0, 1 RRSIG; dnssec-valid.test DS: 1 record, AD=0' });
    expect(r.findings[0]?.fix).toContain('--dns-server');
    expect([...plain.stats().perQuery.keys()]).toEqual(['dnssec-valid.test MX', 'dnssec-valid.test DS']);
  });

  it('signed without a DS at the parent (an island): the resolver validates (AD on the DS proof), DNSSEC_NO_DS', async () => {
    const r = await checkDnssec(ctxOf(validating.server), 'dnssec-island.test');
    expect(r.section).toMatchObject({ status: 'pass', state: 'signed', ds: false, resolverValidates: true, queries: 2 });
    expect(codes(r)).toEqual(['DNSSEC_NO_DS']);
  });

  it('unsigned: no RRSIG from a DNSSEC-aware resolver, in one query, whether it validates or not', async () => {
    for (const server of [validating, plain]) {
      const r = await checkDnssec(ctxOf(server.server), 'dnssec-unsigned.test');
      expect(r.section).toMatchObject({ status: 'pass', state: 'unsigned', ad: false, rrsigs: false, ds: null, resolverValidates: null, queries: 1 });
      expect(codes(r)).toEqual(['DNSSEC_UNSIGNED']);
      // The fix says who signs: the customer's DNS host, not Enable-DnssecForVerifiedDomain.
      expect(r.findings[0]?.fix).toMatch(/DNS provider.*registrar.*does not sign your zone: Enable-DnssecForVerifiedDomain/);
    }
  });

  it('bogus: SERVFAIL, an answer with CD, SERVFAIL again (three queries); a non-validating resolver sees it signed', async () => {
    validating.resetStats();
    const r = await checkDnssec(ctxOf(validating.server), 'dnssec-bogus.test');
    expect(r.section).toMatchObject({ status: 'fail', state: 'bogus', resolverValidates: true, queries: 3 });
    expect(codes(r)).toEqual(['DNSSEC_BOGUS']);
    expect(r.findings[0]).toMatchObject({ severity: 'error', area: 'dnssec' });
    expect(validating.stats().perQuery.get('dnssec-bogus.test MX')).toBe(3);
    const nv = await checkDnssec(ctxOf(plain.server), 'dnssec-bogus.test');
    expect(nv.section.state).toBe('signed');
  });

  it('one SERVFAIL that goes away is not bogus: the third query decides', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      server.setFault('dnssec-valid.test', 'servfail', 'MX');
      void server.nextQuery(/^dnssec-valid\.test MX/).then(() => server.setFault('dnssec-valid.test', null, 'MX'));
      const r = await checkDnssec(ctxOf(server.server), 'dnssec-valid.test');
      expect(r.section).toMatchObject({ state: 'validated', queries: 3 });
      expect(r.findings).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('unknown: SERVFAIL with and without CD is a failure (DNS_TEMPFAIL), not a validation result', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      server.setFault('dnssec-valid.test', 'servfail', 'MX');
      const r = await checkDnssec(ctxOf(server.server), 'dnssec-valid.test');
      expect(r.section).toMatchObject({ status: 'unknown', state: 'unknown', queries: 2 });
      expect(r.findings).toEqual([expect.objectContaining({ code: 'DNS_TEMPFAIL', evidence: 'dnssec-valid.test MX: ESERVFAIL' })]);
    } finally {
      await server.close();
    }
  });

  it('unknown: a silent resolver (DNS_TEMPFAIL), a resolver that is not DNSSEC-aware (no DO echoed), no secure client', async () => {
    const silent = await startSilentServer();
    try {
      const r = await checkDnssec(ctxOf(silent.server, 200), 'dnssec-valid.test');
      expect(r.section).toMatchObject({ status: 'unknown', state: 'unknown', reason: 'the MX lookup failed' });
      expect(r.findings).toEqual([expect.objectContaining({ code: 'DNS_TEMPFAIL', evidence: 'dnssec-valid.test MX: ETIMEOUT' })]);
      silent.answer('nxdomain');
      const old = await checkDnssec(ctxOf(silent.server), 'dnssec-valid.test');
      expect(old.section).toMatchObject({ status: 'unknown', state: 'unknown', resolverValidates: false });
      expect(old.section.reason).toMatch(/not DNSSEC-aware/);
      expect(old.findings).toEqual([]);
    } finally {
      await silent.close();
    }
    const none = await checkDnssec({ dns: createDnsClient({ servers: [validating.server] }) }, 'dnssec-valid.test');
    expect(none.section).toMatchObject({ status: 'unknown', state: 'unknown', queries: 0 });
    expect(none.section.reason).toMatch(/no secure DNS client/);
    expect(none.findings).toEqual([]);
  });
});
