import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { probeSmtp } from '../../src/smtp/probe.js';
import type { CertificateInfo, ProbeResult } from '../../src/smtp/types.js';
import type { TransportContext } from '../../src/transport/context.js';
import { checkDane, type DaneMxInput } from '../../src/transport/dane.js';
import { checkDnssec, type DnssecSection } from '../../src/transport/dnssec.js';
import type { PeerChain } from '../../src/transport/tlsa.js';
import { fixtureZones } from '../support/fixtures.js';
import { createTestCertificates, startMicrosoftLikeSmtpServer, type TestCertificates, type TestSmtpServer } from '../support/smtp-servers.js';

/** Answers that must come get a wide deadline. */
const WIDE = 2000;
const MATCH_HOST = 'dane-match-test.d-v1.mx.microsoft';
const TA_HOST = 'dane-ta-test.d-v1.mx.microsoft';

// A probe's CertificateInfo is a PeerChain: the two types agree by shape (transport may not import smtp).
const asChain = (c: CertificateInfo): PeerChain => c;

let validating: TestDnsServer;
let plain: TestDnsServer;
let smtp: TestSmtpServer;
let taSmtp: TestSmtpServer;
let certs: TestCertificates;
let taCerts: TestCertificates;
const spkiSha256 = (pem: string): string => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

beforeAll(async () => {
  certs = await createTestCertificates();
  // DANE-TA: a certificate for the MX host, the CA sent with it (RFC 7672 3.1.1: the server MUST send the trust anchor).
  taCerts = await createTestCertificates({ names: [TA_HOST, 'localhost', '127.0.0.1'] });
  [validating, plain, smtp, taSmtp] = await Promise.all([
    startDnsServer({ zones: fixtureZones(['transport']) }),
    startDnsServer({ zones: fixtureZones(['transport']), validating: false }),
    startMicrosoftLikeSmtpServer({ certificates: certs }),
    startMicrosoftLikeSmtpServer({ certificates: { ...taCerts, certPem: `${taCerts.certPem.trimEnd()}\n${taCerts.caPem}` } }),
  ]);
  // The TLSA records are made here from the endpoints' certificates, which exist only at run time.
  for (const server of [validating, plain]) {
    server.addRecord(`_25._tcp.${MATCH_HOST}`, 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: spkiSha256(certs.certPem) });
    // Microsoft publishes several and not all match (reference R2.4): one that does not sits beside it.
    server.addRecord(`_25._tcp.${MATCH_HOST}`, 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: 'ee'.repeat(32) });
    server.addRecord(`_25._tcp.${TA_HOST}`, 'TLSA', { usage: 2, selector: 1, matchingType: 1, data: spkiSha256(taCerts.caPem) });
  }
});
afterAll(async () => {
  await Promise.all([validating.close(), plain.close(), smtp.close(), taSmtp.close()]);
});

function ctxOf(server: TestDnsServer, timeoutMs = WIDE): TransportContext & { secure: ReturnType<typeof createSecureDnsClient> } {
  return { dns: createDnsClient({ servers: [server.server], timeoutMs, retries: 0 }), secure: createSecureDnsClient({ servers: [server.server], timeoutMs, retries: 0 }) };
}
const codes = (r: { findings: { code: string; severity: string }[] }): string[] => r.findings.map((f) => `${f.code}:${f.severity}`);
const ms = (host: string): DaneMxInput[] => [{ host, microsoft: 'mx-microsoft' }];

/** The MX endpoint probed on loopback, as --probe-mx would (port 25 there; the sandbox's free port here). */
async function probe(server: TestSmtpServer, ca: string): Promise<ProbeResult> {
  return probeSmtp({ host: '127.0.0.1', port: server.port, ca, timeoutMs: WIDE });
}

async function dane(server: TestDnsServer, domain: string, mx: DaneMxInput[], chains?: Map<string, PeerChain>) {
  const ctx = ctxOf(server);
  const dnssec = await checkDnssec(ctx, domain);
  const before = ctx.secure.stats().queries;
  const r = await checkDane(ctx, mx, { dnssec: dnssec.section, chains });
  return { ...r, dnssec: dnssec.section, sent: ctx.secure.stats().queries - before };
}

describe('checkDane: TLSA at _25._tcp.<mx host> against the chain the MX presents', () => {
  it('an mx.microsoft MX whose TLSA (DANE-EE 3 1 1, made from the sandbox endpoint\'s certificate) matches the probed chain: no finding', async () => {
    const p = await probe(smtp, certs.caPem);
    expect(p.certificate?.chain).toHaveLength(2);
    const r = await dane(validating, 'dane-match.test', ms(MATCH_HOST), new Map([[MATCH_HOST, asChain(p.certificate as CertificateInfo)]]));
    expect(r.findings).toEqual([]);
    expect(r.section).toMatchObject({ status: 'pass', mxSecure: true, hostsTotal: 1, reason: null, queries: 1 });
    expect(r.section.hosts).toEqual([
      expect.objectContaining({ host: MATCH_HOST, microsoft: 'mx-microsoft', tlsaName: `_25._tcp.${MATCH_HOST}`, tlsa: 'validated', recordsTotal: 2, usable: 2, chain: 'match', matched: { usage: 3, selector: 1, matchingType: 1, depth: 0 } }),
    ]);
    expect(r.section.hosts[0]?.records[0]).toMatchObject({ acronyms: 'DANE-EE(3) SPKI(1) SHA2-256(1)', problem: null });
    expect(r.sent).toBe(1);
  });

  it('DANE-TA(2): the CA the endpoint sends matches at depth 1 with the MX host in the leaf\'s names; a leaf without that name is a mismatch', async () => {
    const p = await probe(taSmtp, taCerts.caPem);
    const chain = asChain(p.certificate as CertificateInfo);
    const r = await dane(validating, 'dane-ta.test', ms(TA_HOST), new Map([[TA_HOST, chain]]));
    expect(r.findings).toEqual([]);
    expect(r.section.hosts[0]).toMatchObject({ chain: 'match', matched: { usage: 2, selector: 1, matchingType: 1, depth: 1 } });
    // The same chain with the leaf's names taken away: RFC 7672 3.2.2 fails, so no record matches.
    const misnamed: PeerChain = { ...chain, altNames: ['localhost'], subject: 'CN=localhost' };
    const bad = await dane(validating, 'dane-ta.test', ms(TA_HOST), new Map([[TA_HOST, misnamed]]));
    expect(codes(bad)).toEqual(['DANE_TLSA_MISMATCH:error']);
    expect(bad.findings[0]?.evidence).toMatch(/do not match dane-ta-test\.d-v1\.mx\.microsoft or dane-ta\.test \(RFC 7672 3\.2\.2\)/);
  });

  it('TLSA records that match no presented certificate: DANE_TLSA_MISMATCH (error) with Microsoft\'s fix', async () => {
    const p = await probe(smtp, certs.caPem);
    const host = 'dane-mismatch-test.d-v1.mx.microsoft';
    const r = await dane(validating, 'dane-mismatch.test', ms(host), new Map([[host, asChain(p.certificate as CertificateInfo)]]));
    expect(codes(r)).toEqual(['DANE_TLSA_MISMATCH:error']);
    expect(r.findings[0]).toMatchObject({ area: 'dane', message: expect.stringContaining('None of the 2 usable TLSA records') });
    expect(r.findings[0]?.evidence).toContain(p.certificate?.chain?.[0]?.spkiSha256);
    expect(r.findings[0]?.fix).toMatch(/Get-DnssecStatusForVerifiedDomain/);
    expect(r.section).toMatchObject({ status: 'fail' });
    expect(r.section.hosts[0]).toMatchObject({ tlsa: 'validated', chain: 'mismatch', matched: null });
  });

  it('without a probed chain the records are reported, not matched (no finding)', async () => {
    const r = await dane(validating, 'dane-mismatch.test', ms('dane-mismatch-test.d-v1.mx.microsoft'));
    expect(r.findings).toEqual([]);
    expect(r.section.hosts[0]).toMatchObject({ tlsa: 'validated', usable: 2, chain: null });
  });

  it('an mx.microsoft MX without TLSA: DANE_TLSA_MISSING (warning) naming Enable-SmtpDaneInbound', async () => {
    const r = await dane(validating, 'dane-notlsa.test', ms('dane-notlsa-test.d-v1.mx.microsoft'));
    expect(codes(r)).toEqual(['DANE_TLSA_MISSING:warning']);
    expect(r.findings[0]?.fix).toMatch(/^Run Enable-SmtpDaneInbound -DomainName dane-notlsa\.test .*Enable-DnssecForVerifiedDomain/);
    expect(r.section.hosts[0]).toMatchObject({ tlsa: 'none', records: [] });
  });

  it('other MX hosts in a signed zone: no TLSA is DANE_TLSA_MISSING as info; a validated DANE-EE record is fine', async () => {
    const r = await dane(validating, 'dane-other.test', [{ host: 'mx1.dane-other.test', microsoft: null }, { host: 'mx2.dane-other.test', microsoft: null }]);
    expect(codes(r)).toEqual(['DANE_TLSA_MISSING:info']);
    expect(r.findings[0]?.message).toMatch(/^_25\._tcp\.mx1\.dane-other\.test has no TLSA record/);
    expect(r.section.hosts.map((h) => [h.host, h.tlsa, h.usable])).toEqual([['mx1.dane-other.test', 'none', 0], ['mx2.dane-other.test', 'validated', 1]]);
    expect(r.section.status).toBe('pass');
  });

  it('only PKIX usages and unknown fields: DANE_TLSA_UNUSABLE (warning), each record\'s problem named', async () => {
    const r = await dane(validating, 'dane-pkix.test', ms('dane-pkix-test.d-v1.mx.microsoft'));
    expect(codes(r)).toEqual(['DANE_TLSA_UNUSABLE:warning']);
    expect(r.section.hosts[0]?.records.map((x) => [x.acronyms, x.problem])).toEqual([
      ['PKIX-TA(0) Cert(0) SHA2-256(1)', 'pkix-usage'],
      ['PKIX-EE(1) SPKI(1) SHA2-256(1)', 'pkix-usage'],
      ['DANE-EE(3) 2 SHA2-256(1)', 'unknown-selector'],
      ['DANE-EE(3) SPKI(1) 9', 'unknown-matching-type'],
    ]);
    expect(r.findings[0]?.evidence).toBe('0 0 1, 1 1 1, 3 2 1, 3 1 9');
    expect(r.findings[0]?.fix).toMatch(/RFC 7672 3\.1\.3/);
  });

  it('an mx.microsoft MX in an unsigned zone: DANE_MX_UNSIGNED (warning); its TLSA still looked up', async () => {
    const r = await dane(validating, 'dane-unsigned.test', ms('dane-unsigned-test.d-v1.mx.microsoft'));
    expect(r.dnssec.state).toBe('unsigned');
    expect(codes(r)).toEqual(['DANE_MX_UNSIGNED:warning']);
    expect(r.findings[0]?.fix).toMatch(/DNS provider.*registrar.*Enable-DnssecForVerifiedDomain.*does not sign yours/);
    expect(r.section).toMatchObject({ mxSecure: false, status: 'warn', queries: 1 });
    expect(r.section.hosts[0]).toMatchObject({ tlsa: 'validated', usable: 1 });
  });

  it('an mx.microsoft MX in a signed zone without a DS (an island): DANE_MX_UNSIGNED too', async () => {
    const r = await dane(validating, 'dnssec-island.test', ms('dane-notlsa-test.d-v1.mx.microsoft'));
    expect(r.dnssec).toMatchObject({ state: 'signed', ds: false });
    expect(codes(r)).toEqual(['DANE_MX_UNSIGNED:warning', 'DANE_TLSA_MISSING:warning']);
    expect(r.findings[0]?.message).toContain('has no DS at its parent');
  });

  it('a validated zone with the legacy Microsoft MX: DANE_MX_LEGACY (info), and no TLSA query for that unsigned host', async () => {
    const r = await dane(validating, 'dane-legacy.test', [{ host: 'dane-legacy-test.mail.protection.outlook.com', microsoft: 'legacy' }]);
    expect(codes(r)).toEqual(['DANE_MX_LEGACY:info']);
    expect(r.findings[0]?.fix).toMatch(/^Inbound DANE to Exchange Online needs the mx.microsoft MX: Enable-DnssecForVerifiedDomain -DomainName dane-legacy\.test/);
    expect(r.section).toMatchObject({ status: 'pass', queries: 0 });
    expect(r.section.hosts[0]?.tlsa).toBe('not-asked');
    expect(r.sent).toBe(0);
  });

  it('an unsigned zone with other MX hosts: DANE cannot apply, nothing asked (RFC 7672 2.2.1)', async () => {
    const r = await dane(validating, 'dnssec-unsigned.test', [{ host: 'mx.dnssec-unsigned.test', microsoft: null }]);
    expect(r.findings).toEqual([]);
    expect(r.section).toMatchObject({ status: 'pass', mxSecure: false, queries: 0 });
  });

  it('a resolver that does not validate: the TLSA answer does not count (RFC 7672 2.2), the area is unknown with the reason', async () => {
    const r = await dane(plain, 'dane-notlsa.test', ms(MATCH_HOST));
    expect(r.dnssec.state).toBe('signed');
    expect(r.findings).toEqual([]);
    expect(r.section).toMatchObject({ status: 'unknown', mxSecure: null });
    expect(r.section.hosts[0]).toMatchObject({ tlsa: 'unvalidated', recordsTotal: 2 });
    expect(r.section.reason).toBe(`_25._tcp.${MATCH_HOST}: the resolver did not validate the TLSA answer`);
  });

  it('a TLSA that fails validation: DNSSEC_BOGUS for the host (SERVFAIL, an answer with CD, SERVFAIL again)', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      server.addZone('x-v1.mx.microsoft', [
        '; m365audit-sandbox: dnssec=bogus',
        '@ SOA ns1.mx.microsoft. hostmaster.mx.microsoft. 1 3600 600 86400 300',
        `@ DNSKEY 257 3 13 ${Buffer.alloc(64, 7).toString('base64')}`,
        `@ DS 1 13 2 ${'11'.repeat(32)}`,
        'dane-bogus-test A 198.51.100.240',
        `_25._tcp.dane-bogus-test TLSA 3 1 1 ${'22'.repeat(32)}`,
      ].join('\n'));
      const r = await dane(server, 'dane-notlsa.test', ms('dane-bogus-test.x-v1.mx.microsoft'));
      expect(codes(r)).toEqual(['DNSSEC_BOGUS:error']);
      expect(r.findings[0]).toMatchObject({ area: 'dnssec', evidence: '_25._tcp.dane-bogus-test.x-v1.mx.microsoft TLSA: SERVFAIL twice; with CD: records' });
      expect(r.section).toMatchObject({ status: 'fail', queries: 3 });
      expect(r.section.hosts[0]?.tlsa).toBe('bogus');
    } finally {
      await server.close();
    }
  });

  it('a TLSA lookup that times out: DNS_TEMPFAIL naming the TLSA query, the area unknown', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      server.setFault(`_25._tcp.${MATCH_HOST}`, 'timeout');
      const ctx = ctxOf(server, 300);
      const dnssec: DnssecSection = { status: 'pass', state: 'validated', domain: 'dane-match.test', ad: true, rrsigs: true, ds: null, resolverValidates: true, reason: null, queries: 1 };
      const r = await checkDane(ctx, ms(MATCH_HOST), { dnssec });
      expect(r.findings).toEqual([expect.objectContaining({ code: 'DNS_TEMPFAIL', evidence: `_25._tcp.${MATCH_HOST} TLSA: ETIMEOUT` })]);
      expect(r.section).toMatchObject({ status: 'unknown' });
      expect(r.section.hosts[0]?.tlsa).toBe('failed');
    } finally {
      await server.close();
    }
  });

  it('a TLSA in an unsigned zone counts as none: senders ignore it (RFC 7672 2.2), DANE_TLSA_MISSING', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      server.addZone('u-v1.mx.microsoft', `@ SOA ns1.mx.microsoft. hostmaster.mx.microsoft. 1 3600 600 86400 300\ntok A 198.51.100.241\n_25._tcp.tok TLSA 3 1 1 ${'33'.repeat(32)}\n`);
      const r = await dane(server, 'dane-notlsa.test', ms('tok.u-v1.mx.microsoft'));
      expect(codes(r)).toEqual(['DANE_TLSA_MISSING:warning']);
      expect(r.findings[0]).toMatchObject({ message: expect.stringContaining('has TLSA records, but in an unsigned zone'), evidence: '_25._tcp.tok.u-v1.mx.microsoft TLSA: 1 unsigned' });
      expect(r.section.hosts[0]).toMatchObject({ tlsa: 'insecure', recordsTotal: 1 });
    } finally {
      await server.close();
    }
  });

  it('checks at most MAX_LISTED (20) MX hosts: 500 hosts cost 20 TLSA queries', async () => {
    const ctx = ctxOf(validating);
    const dnssec: DnssecSection = { status: 'pass', state: 'validated', domain: 'dane-other.test', ad: true, rrsigs: true, ds: null, resolverValidates: true, reason: null, queries: 1 };
    const mx = Array.from({ length: 500 }, (_, i): DaneMxInput => ({ host: `mx${i}.dane-other.test`, microsoft: null }));
    const r = await checkDane(ctx, mx, { dnssec });
    expect(r.section).toMatchObject({ hostsTotal: 500, queries: 20 });
    expect(r.section.hosts).toHaveLength(20);
    expect(ctx.secure.stats().queries).toBe(20);
  });

  it('no secure client: unknown with the reason, never a throw; what the DNSSEC section alone shows still holds', async () => {
    const dnssec: DnssecSection = { status: 'pass', state: 'unsigned', domain: 'dane-unsigned.test', ad: false, rrsigs: false, ds: null, resolverValidates: null, reason: null, queries: 1 };
    const r = await checkDane({ dns: createDnsClient({ servers: [validating.server] }) }, ms('dane-unsigned-test.d-v1.mx.microsoft'), { dnssec });
    expect(codes(r)).toEqual(['DANE_MX_UNSIGNED:warning']);
    expect(r.section.reason).toMatch(/^no secure DNS client/);
    expect(r.section.hosts[0]?.tlsa).toBe('not-asked');
    const none = await checkDane({ dns: createDnsClient({ servers: [validating.server] }) }, ms(MATCH_HOST), { dnssec: { ...dnssec, state: 'unknown' } });
    expect(none.section).toMatchObject({ status: 'unknown', queries: 0 });
  });
});
