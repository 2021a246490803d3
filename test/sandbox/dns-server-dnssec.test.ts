import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { fixtureZones, startDnssecServers } from '../support/fixtures.js';

/**
 * The sandbox DNS server's DNSSEC view, asked with hand-made queries (not the
 * secure client: these tests pin the server's bits on their own).
 */
interface Asked {
  edns?: boolean;
  dnssecOk?: boolean;
  cd?: boolean;
  ad?: boolean;
}

interface Seen {
  rcode: string;
  ad: boolean;
  cd: boolean;
  tc: boolean;
  opt: { size: number; dnssecOk: boolean } | null;
  answers: { name: string; type: string; data: unknown }[];
  authorities: { name: string; type: string; data: unknown }[];
}

async function ask(server: TestDnsServer, name: string, type: string, opts: Asked = {}): Promise<Seen> {
  const socket = createSocket('udp4');
  const edns = opts.edns ?? opts.dnssecOk ?? false;
  const query = packet.encode({
    type: 'query',
    id: 4242,
    flags: packet.RECURSION_DESIRED | (opts.cd ? packet.CHECKING_DISABLED : 0) | (opts.ad ? packet.AUTHENTIC_DATA : 0),
    questions: [{ type: type as packet.RecordType, name, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: opts.dnssecOk ? packet.DNSSEC_OK : 0 } as packet.Answer] : [],
  });
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      socket.once('message', resolve);
      socket.once('error', reject);
      socket.send(query, server.port, '127.0.0.1');
    });
    const r = packet.decode(reply);
    const opt = (r.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize: number; flags: number } | undefined;
    const rows = (list: packet.Answer[] | undefined): Seen['answers'] => (list ?? []).map((a) => ({ name: a.name, type: a.type, data: (a as { data?: unknown }).data }));
    return {
      rcode: (r as unknown as { rcode: string }).rcode,
      ad: ((r.flags ?? 0) & packet.AUTHENTIC_DATA) !== 0,
      cd: ((r.flags ?? 0) & packet.CHECKING_DISABLED) !== 0,
      tc: ((r.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0,
      opt: opt ? { size: opt.udpPayloadSize, dnssecOk: (opt.flags & packet.DNSSEC_OK) !== 0 } : null,
      answers: rows(r.answers),
      authorities: rows(r.authorities),
    };
  } finally {
    socket.close();
  }
}

const types = (rows: Seen['answers']): string[] => rows.map((r) => r.type);

let validating: TestDnsServer;
let plain: TestDnsServer;
beforeAll(async () => {
  [validating, plain] = await startDnssecServers();
});
afterAll(async () => {
  await Promise.all([validating.close(), plain.close()]);
});

describe('the sandbox DNS server: DNSSEC and DANE records from zone files', () => {
  it('serves TLSA, DS, DNSKEY and RRSIG with their data (dns-packet decodes each)', async () => {
    const tlsa = await ask(validating, '_25._tcp.dane-mismatch-test.d-v1.mx.microsoft', 'TLSA');
    expect(tlsa.answers.map((a) => a.data)).toEqual([
      { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex') },
      { usage: 3, selector: 1, matchingType: 2, certificate: Buffer.from('00112233445566778899aabbccddeeff'.repeat(4), 'hex') },
    ]);
    const ds = await ask(validating, 'dnssec-valid.test', 'DS');
    expect(ds.answers.map((a) => a.data)).toEqual([{ keyTag: 37777, algorithm: 13, digestType: 2, digest: Buffer.from('2F0B2FE59C532AC46234AC1955217F69E9951EFAEAEBFD7F4D8D2A4AD0A5B1FD', 'hex') }]);
    const key = await ask(validating, 'dnssec-valid.test', 'DNSKEY');
    expect(key.answers.map((a) => a.data)).toEqual([{ flags: 257, algorithm: 13, key: Buffer.from('U03EBDZFlyEsIc1o6o6NXEyMwJSMMmHRB+0rfZ3w17YG/PyFDch0yJeV4x2VtbLOg3AjnFJjtkxWYJYb1ojZEg==', 'base64') }]);
    const sig = await ask(validating, 'dnssec-valid.test', 'RRSIG');
    expect(sig.answers).toHaveLength(1);
    expect(sig.answers[0]?.data).toMatchObject({ typeCovered: 'MX', algorithm: 13, labels: 2, originalTTL: 3600, keyTag: 37777, signersName: 'dnssec-valid.test', expiration: 4102358400 });
  });

  it('answers a query without EDNS0, AD or CD as before: no OPT, no RRSIG, no AD, even from a secure zone', async () => {
    const r = await ask(validating, 'dnssec-valid.test', 'MX');
    expect(r).toMatchObject({ rcode: 'NOERROR', ad: false, cd: false, opt: null });
    expect(types(r.answers)).toEqual(['MX']);
  });

  it('echoes EDNS0 with the DO bit as asked (RFC 3225 3), advertising 1232 bytes', async () => {
    expect((await ask(validating, 'dnssec-unsigned.test', 'MX', { edns: true })).opt).toEqual({ size: 1232, dnssecOk: false });
    expect((await ask(validating, 'dnssec-unsigned.test', 'MX', { dnssecOk: true })).opt).toEqual({ size: 1232, dnssecOk: true });
  });

  it('validating: AD and RRSIGs for a secure zone with DO (the file\'s RRSIG for MX, made-up ones elsewhere)', async () => {
    const mx = await ask(validating, 'dnssec-valid.test', 'MX', { dnssecOk: true });
    expect(mx).toMatchObject({ rcode: 'NOERROR', ad: true });
    expect(types(mx.answers)).toEqual(['MX', 'RRSIG']);
    expect(mx.answers[1]?.data).toMatchObject({ typeCovered: 'MX', keyTag: 37777 });
    const txt = await ask(validating, 'dnssec-valid.test', 'TXT', { dnssecOk: true });
    expect(types(txt.answers)).toEqual(['TXT', 'RRSIG']);
    // Made up: signer the apex, key tag and algorithm of its DNSKEY (RFC 4034 Appendix B), 64 zero bytes.
    expect(txt.answers[1]?.data).toMatchObject({ typeCovered: 'TXT', algorithm: 13, labels: 2, keyTag: 37777, signersName: 'dnssec-valid.test', signature: Buffer.alloc(64) });
  });

  it('validating: AD for a query with the AD bit and no DO (RFC 6840 5.7), without RRSIGs', async () => {
    const r = await ask(validating, 'dnssec-valid.test', 'MX', { ad: true });
    expect(r).toMatchObject({ ad: true, opt: null });
    expect(types(r.answers)).toEqual(['MX']);
  });

  it('validating: a NODATA answer from a secure zone has AD, the SOA and its RRSIG', async () => {
    const r = await ask(validating, 'dnssec-valid.test', 'AAAA', { dnssecOk: true });
    expect(r).toMatchObject({ rcode: 'NOERROR', ad: true, answers: [] });
    expect(types(r.authorities)).toEqual(['SOA', 'RRSIG']);
  });

  it('validating: a signed zone without a DS (an island) gets RRSIGs but no AD; an unsigned one neither', async () => {
    const island = await ask(validating, 'dnssec-island.test', 'MX', { dnssecOk: true });
    expect(island).toMatchObject({ ad: false });
    expect(types(island.answers)).toEqual(['MX', 'RRSIG']);
    const unsigned = await ask(validating, 'dnssec-unsigned.test', 'MX', { dnssecOk: true });
    expect(unsigned).toMatchObject({ ad: false });
    expect(types(unsigned.answers)).toEqual(['MX']);
  });

  it('validating: a DS at an apex is the parent\'s (RFC 4035 3.1.4.1): a topmost zone\'s DS counts as from a signed TLD', async () => {
    const valid = await ask(validating, 'dnssec-valid.test', 'DS', { dnssecOk: true });
    expect(valid).toMatchObject({ ad: true });
    expect(types(valid.answers)).toEqual(['DS', 'RRSIG']);
    expect(valid.answers[1]?.data).toMatchObject({ typeCovered: 'DS', signersName: 'test' });
    // The island's parent proves there is no DS: NODATA, authenticated.
    expect(await ask(validating, 'dnssec-island.test', 'DS', { dnssecOk: true })).toMatchObject({ rcode: 'NOERROR', ad: true, answers: [] });
    // d-v1.mx.microsoft's DS is mx.microsoft's record (fixtures/infra, signed with a DS): secure.
    const child = await ask(validating, 'd-v1.mx.microsoft', 'DS', { dnssecOk: true });
    expect(child.ad).toBe(true);
    expect(child.answers[1]?.data).toMatchObject({ typeCovered: 'DS', signersName: 'mx.microsoft', keyTag: 42900 });
  });

  it('validating: a TLSA in a secure child zone under a secure parent is authentic', async () => {
    const r = await ask(validating, '_25._tcp.dane-pkix-test.d-v1.mx.microsoft', 'TLSA', { dnssecOk: true });
    expect(r).toMatchObject({ rcode: 'NOERROR', ad: true });
    expect(types(r.answers)).toEqual(['TLSA', 'TLSA', 'TLSA', 'TLSA', 'RRSIG']);
  });

  it('validating: a bogus zone answers SERVFAIL (RFC 4035 5.5), and with CD set the data, CD copied, no AD (RFC 4035 3.2.2)', async () => {
    expect(await ask(validating, 'dnssec-bogus.test', 'MX', { dnssecOk: true })).toMatchObject({ rcode: 'SERVFAIL', answers: [], opt: { dnssecOk: true } });
    const cd = await ask(validating, 'dnssec-bogus.test', 'MX', { dnssecOk: true, cd: true });
    expect(cd).toMatchObject({ rcode: 'NOERROR', ad: false, cd: true });
    expect(types(cd.answers)).toEqual(['MX', 'RRSIG']);
    // As any validating resolver: a plain query (node:dns, no EDNS0) gets SERVFAIL too.
    const dns = createDnsClient({ servers: [validating.server], timeoutMs: 2000, retries: 0 });
    expect(await dns.resolve('dnssec-bogus.test', 'MX')).toEqual({ kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' });
    // A query from another zone is not touched by it.
    expect(await dns.resolve('dnssec-unsigned.test', 'MX')).toMatchObject({ kind: 'records' });
  });

  it('not validating: RRSIGs with DO, never AD, and bogus data answered', async () => {
    const valid = await ask(plain, 'dnssec-valid.test', 'MX', { dnssecOk: true, ad: true });
    expect(valid).toMatchObject({ rcode: 'NOERROR', ad: false, opt: { dnssecOk: true } });
    expect(types(valid.answers)).toEqual(['MX', 'RRSIG']);
    const bogus = await ask(plain, 'dnssec-bogus.test', 'MX', { dnssecOk: true });
    expect(bogus).toMatchObject({ rcode: 'NOERROR', ad: false });
    expect(types(bogus.answers)).toEqual(['MX', 'RRSIG']);
  });

  it('truncates a DO answer over the client\'s EDNS0 size (the OPT record kept in the truncated reply)', async () => {
    const server = await startDnsServer({ zones: fixtureZones(['transport']) });
    try {
      const big = 'ab'.repeat(700);
      server.addZone('big.dnssec.test', `@ SOA ns hostmaster 1 3600 600 86400 300\n@ DNSKEY 257 3 13 ${Buffer.alloc(64, 1).toString('base64')}\n@ DS 1 13 2 ${'00'.repeat(32)}\n_25._tcp.mx TLSA 3 0 0 ${big}\n_25._tcp.mx TLSA 2 0 0 ${big}\n`);
      const r = await ask(server, '_25._tcp.mx.big.dnssec.test', 'TLSA', { dnssecOk: true });
      expect(r).toMatchObject({ tc: true, answers: [], opt: { dnssecOk: true } });
      expect(server.stats().truncated).toBe(1);
    } finally {
      await server.close();
    }
  });
});
