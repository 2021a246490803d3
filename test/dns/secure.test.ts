import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecureDnsClient, MAX_SECURE_RECORDS } from '../../src/dns/secure.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { fixtureZones, startDnssecServers } from '../support/fixtures.js';
import { startQrZeroServer, startSilentServer } from './udp-servers.js';

/** Answers that must come get a wide deadline (the suite runs beside others). */
const WIDE = 2000;

let validating: TestDnsServer;
let plain: TestDnsServer;
beforeAll(async () => {
  [validating, plain] = await startDnssecServers();
});
afterAll(async () => {
  await Promise.all([validating.close(), plain.close()]);
});

describe('createSecureDnsClient: EDNS0 with DO, the AD bit, RRSIGs, SERVFAIL apart', () => {
  it('reads the AD bit, the RRSIGs, the DO echo and TLSA records (RFC 6698 2.1) from a validating resolver', async () => {
    const c = createSecureDnsClient({ servers: [validating.server], timeoutMs: WIDE, retries: 0 });
    expect(await c.query('_25._tcp.dane-mismatch-test.d-v1.mx.microsoft', 'TLSA')).toEqual({
      kind: 'records',
      records: [
        { usage: 3, selector: 1, matchingType: 1, data: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0' },
        { usage: 3, selector: 1, matchingType: 2, data: '00112233445566778899aabbccddeeff'.repeat(4) },
      ],
      recordsTotal: 2,
      ad: true, rrsigs: 1, dnssecOk: true, cd: false,
    });
    expect(await c.query('dnssec-valid.test', 'DS')).toMatchObject({ kind: 'records', records: [{ keyTag: 37777, algorithm: 13, digestType: 2, digest: '2f0b2fe59c532ac46234ac1955217f69e9951efaeaebfd7f4d8d2a4ad0a5b1fd' }], ad: true });
    expect(await c.query('dnssec-valid.test', 'DNSKEY')).toMatchObject({ kind: 'records', records: [{ flags: 257, protocol: 3, algorithm: 13, key: 'U03EBDZFlyEsIc1o6o6NXEyMwJSMMmHRB+0rfZ3w17YG/PyFDch0yJeV4x2VtbLOg3AjnFJjtkxWYJYb1ojZEg==' }] });
    expect(await c.query('dnssec-valid.test', 'MX')).toEqual({ kind: 'records', records: [{ exchange: 'dnssec-valid-test.mail.protection.outlook.com', priority: 0 }], recordsTotal: 1, ad: true, rrsigs: 1, dnssecOk: true, cd: false });
    expect(await c.query('dnssec-valid.test', 'TXT')).toMatchObject({ kind: 'records', records: ['v=spf1 include:spf.protection.outlook.com -all'] });
  });

  it('tells signed (RRSIGs, no AD), unsigned (neither) and negative answers apart', async () => {
    const c = createSecureDnsClient({ servers: [validating.server], timeoutMs: WIDE, retries: 0 });
    expect(await c.query('dnssec-island.test', 'MX')).toMatchObject({ kind: 'records', ad: false, rrsigs: 1, dnssecOk: true });
    expect(await c.query('dnssec-unsigned.test', 'MX')).toMatchObject({ kind: 'records', ad: false, rrsigs: 0, dnssecOk: true });
    expect(await c.query('dnssec-valid.test', 'AAAA')).toEqual({ kind: 'nodata', ad: true, rrsigs: 1, dnssecOk: true, cd: false });
    expect(await c.query('nothing.dnssec-valid.test', 'MX')).toEqual({ kind: 'nxdomain', ad: true, rrsigs: 1, dnssecOk: true, cd: false });
    const nv = createSecureDnsClient({ servers: [plain.server], timeoutMs: WIDE, retries: 0 });
    expect(await nv.query('dnssec-valid.test', 'MX')).toMatchObject({ kind: 'records', ad: false, rrsigs: 1, dnssecOk: true });
  });

  it('returns SERVFAIL as its own kind, at once (no retry), and the data when asked with CD', async () => {
    const c = createSecureDnsClient({ servers: [validating.server], timeoutMs: WIDE, retries: 2 });
    validating.resetStats();
    expect(await c.query('dnssec-bogus.test', 'MX')).toEqual({ kind: 'servfail', cd: false, code: 'ESERVFAIL' });
    expect(validating.stats().udpQueries).toBe(1);
    expect(await c.query('dnssec-bogus.test', 'MX', { cd: true })).toMatchObject({ kind: 'records', ad: false, rrsigs: 1, cd: true });
    // SERVFAIL is not cached: asked again, asked again.
    expect(await c.query('dnssec-bogus.test', 'MX')).toMatchObject({ kind: 'servfail' });
    expect(c.stats()).toMatchObject({ queries: 3, unique: 3, cacheHits: 0 });
  });

  it('caches answers per (name, type, CD) and joins queries in flight', async () => {
    const c = createSecureDnsClient({ servers: [validating.server], timeoutMs: WIDE, retries: 0 });
    const [a, b] = await Promise.all([c.query('dnssec-valid.test', 'MX'), c.query('DNSSEC-VALID.test.', 'MX')]);
    expect(a).toEqual(b);
    await c.query('dnssec-valid.test', 'MX');
    await c.query('dnssec-valid.test', 'MX', { cd: true });
    expect(c.stats()).toEqual({ queries: 2, unique: 2, cacheHits: 2, tempfails: 0, tcp: 0 });
  });

  it('asks again over TCP when the UDP answer is truncated, and keeps at most MAX_SECURE_RECORDS records', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      const rows = Array.from({ length: 100 }, (_, i) => `_25._tcp.mx TLSA 3 1 1 ${i.toString(16).padStart(2, '0').repeat(32)}`);
      server.addZone('many.dnssec.test', `@ SOA ns hostmaster 1 3600 600 86400 300\n@ DNSKEY 257 3 13 ${Buffer.alloc(64, 1).toString('base64')}\n@ DS 1 13 2 ${'00'.repeat(32)}\n${rows.join('\n')}\n`);
      const c = createSecureDnsClient({ servers: [server.server], timeoutMs: WIDE, retries: 0 });
      const r = await c.query('_25._tcp.mx.many.dnssec.test', 'TLSA');
      expect(r).toMatchObject({ kind: 'records', recordsTotal: 100, ad: true, rrsigs: 1 });
      expect(r.kind === 'records' ? r.records.length : 0).toBe(MAX_SECURE_RECORDS);
      expect(server.stats()).toMatchObject({ udpQueries: 1, tcpQueries: 1, truncated: 1 });
      expect(c.stats()).toMatchObject({ queries: 1, tcp: 1 });
    } finally {
      await server.close();
    }
  });

  it('drops a reply with QR=0 over UDP (waits on to the deadline) and refuses one over TCP (RFC 1035 4.1.1)', async () => {
    const hostile = await startQrZeroServer();
    try {
      const c = createSecureDnsClient({ servers: [hostile.server], timeoutMs: 300, retries: 0 });
      expect(await c.query('qr.dnssec.test', 'A')).toEqual({ kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' });
      const overTcp = createSecureDnsClient({ servers: [hostile.server], timeoutMs: WIDE, retries: 0 });
      expect(await overTcp.query('tc-qr.dnssec.test', 'A')).toEqual({ kind: 'tempfail', reason: 'other', code: 'EBADRESP' });
      expect([hostile.udpQueries(), hostile.tcpQueries()]).toEqual([2, 1]);
    } finally {
      await hostile.close();
    }
  });

  it('times out a silent server after retries + 1 attempts, and then goes to the next server first', async () => {
    const silent = await startSilentServer();
    try {
      const lone = createSecureDnsClient({ servers: [silent.server], timeoutMs: 200, retries: 1 });
      expect(await lone.query('dnssec-valid.test', 'MX')).toEqual({ kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' });
      expect(silent.queries).toHaveLength(2);
      expect(lone.stats()).toMatchObject({ queries: 2, tempfails: 1 });
      // The silent one first, then the sandbox; after that answer the sandbox is asked first.
      const two = createSecureDnsClient({ servers: [silent.server, validating.server], timeoutMs: 300, retries: 0 });
      expect(await two.query('dnssec-valid.test', 'MX')).toMatchObject({ kind: 'records', ad: true });
      expect(silent.queries).toHaveLength(3);
      expect(await two.query('dnssec-unsigned.test', 'MX')).toMatchObject({ kind: 'records', ad: false });
      expect(silent.queries).toHaveLength(3);
      expect(two.servers()).toEqual([silent.server, validating.server]);
    } finally {
      await silent.close();
    }
  });

  it('says when the reply carries no DO bit back (a resolver that is not DNSSEC-aware, RFC 3225 3), and reads REFUSED as a failure', async () => {
    const old = await startSilentServer();
    try {
      old.answer('nxdomain');
      const c = createSecureDnsClient({ servers: [old.server], timeoutMs: WIDE, retries: 0 });
      expect(await c.query('dnssec-valid.test', 'MX')).toEqual({ kind: 'nxdomain', ad: false, rrsigs: 0, dnssecOk: false, cd: false });
      old.answer('refused');
      expect(await c.query('dnssec-valid.test', 'DS')).toEqual({ kind: 'tempfail', reason: 'refused', code: 'EREFUSED' });
    } finally {
      await old.close();
    }
  });

  it('asks nothing for a name that cannot be asked, and refuses a server that is not an address', async () => {
    const c = createSecureDnsClient({ servers: [validating.server], timeoutMs: WIDE, retries: 0 });
    expect(await c.query(`${'a'.repeat(64)}.test`, 'TLSA')).toEqual({ kind: 'tempfail', reason: 'other', code: 'EBADNAME' });
    expect(await c.query('a..test', 'TLSA')).toEqual({ kind: 'tempfail', reason: 'other', code: 'EBADNAME' });
    expect(c.stats().queries).toBe(0);
    expect(() => createSecureDnsClient({ servers: ['dns.google'] })).toThrow(TypeError);
  });
});
