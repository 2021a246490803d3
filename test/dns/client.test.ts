import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient, parseServerAddress } from '../../src/dns/client.js';
import { classifyDnsError } from '../../src/dns/errors.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';

const ZONE = `$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ MX 10 mx.dns.test.
@ TXT "v=spf1 -all"
@ TXT "one" "two"
mx A 192.0.2.1
mx AAAA 2001:db8::1
alias CNAME mx
a.b.deep A 192.0.2.2
*.wild TXT "wildcard"
big TXT ( "${'x'.repeat(250)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}" )
ptr.in NS ns1.dns.test.
slow TXT "slow answer"
`;

let server: TestDnsServer;
beforeAll(async () => {
  server = await startDnsServer();
  server.addZone('dns.test', ZONE);
  server.addRecord('1.2.0.192.in-addr.arpa', 'PTR', 'mx.dns.test');
});
afterAll(() => server.close());

const client = (opts: { timeoutMs?: number; retries?: number } = {}) =>
  createDnsClient({ servers: [server.server], timeoutMs: opts.timeoutMs ?? 1000, retries: opts.retries ?? 0 });

describe('DnsClient through node:dns against the loopback server', () => {
  it('returns typed records for every type', async () => {
    const c = client();
    expect(await c.resolve('dns.test', 'MX')).toEqual({ kind: 'records', records: [{ exchange: 'mx.dns.test', priority: 10 }] });
    const txt = await c.resolve('dns.test', 'TXT');
    expect(txt.kind).toBe('records');
    expect(txt.kind === 'records' && [...txt.records].sort()).toEqual(['onetwo', 'v=spf1 -all']);
    expect(await c.resolve('mx.dns.test', 'A')).toEqual({ kind: 'records', records: ['192.0.2.1'] });
    expect(await c.resolve('mx.dns.test', 'AAAA')).toEqual({ kind: 'records', records: ['2001:db8::1'] });
    expect(await c.resolve('alias.dns.test', 'CNAME')).toEqual({ kind: 'records', records: ['mx.dns.test'] });
    expect(await c.resolve('1.2.0.192.in-addr.arpa', 'PTR')).toEqual({ kind: 'records', records: ['mx.dns.test'] });
    expect(await c.resolve('ptr.in.dns.test', 'NS')).toEqual({ kind: 'records', records: ['ns1.dns.test'] });
  });

  it('keeps NXDOMAIN and NODATA apart, empty non-terminals included', async () => {
    const c = client();
    expect(await c.resolve('nope.dns.test', 'TXT')).toEqual({ kind: 'nxdomain' });
    expect(await c.resolve('mx.dns.test', 'TXT')).toEqual({ kind: 'nodata' });
    expect(await c.resolve('b.deep.dns.test', 'A')).toEqual({ kind: 'nodata' });
  });

  it('follows CNAMEs and serves wildcards', async () => {
    const c = client();
    expect(await c.resolve('alias.dns.test', 'A')).toEqual({ kind: 'records', records: ['192.0.2.1'] });
    expect(await c.resolve('anything.wild.dns.test', 'TXT')).toEqual({ kind: 'records', records: ['wildcard'] });
  });

  it('gets an answer over 512 bytes by TCP after a truncated UDP answer', async () => {
    server.resetStats();
    const a = await client().resolve('big.dns.test', 'TXT');
    expect(a).toEqual({ kind: 'records', records: ['x'.repeat(250) + 'y'.repeat(250) + 'z'.repeat(250)] });
    const s = server.stats();
    expect(s.truncated).toBe(1);
    expect(s.tcpQueries).toBe(1);
  });

  it('maps timeout, SERVFAIL and REFUSED to tempfail and retries each', async () => {
    const cases = [['timeout', 'timeout', 'ETIMEOUT'], ['servfail', 'servfail', 'ESERVFAIL'], ['refused', 'refused', 'EREFUSED']] as const;
    for (const [fault, reason, code] of cases) {
      const name = `${fault}.dns.test`;
      server.setFault(name, fault);
      server.resetStats();
      const c = client({ timeoutMs: 300, retries: 2 });
      expect(await c.resolve(name, 'TXT')).toEqual({ kind: 'tempfail', reason, code });
      expect(server.stats().perQuery.get(`${name} TXT`)).toBe(3);
      expect(c.stats()).toMatchObject({ queries: 3, tempfails: 1 });
      server.setFault(name, null);
    }
  });

  it('does not cache a tempfail: the next ask tries again and can succeed', async () => {
    const c = client({ timeoutMs: 300 });
    server.setFault('mx.dns.test', 'servfail', 'A');
    expect((await c.resolve('mx.dns.test', 'A')).kind).toBe('tempfail');
    server.setFault('mx.dns.test', null, 'A');
    expect(await c.resolve('mx.dns.test', 'A')).toEqual({ kind: 'records', records: ['192.0.2.1'] });
  });

  it('asks once for concurrent and repeated lookups of the same (name, type)', async () => {
    server.resetStats();
    const c = client();
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.resolve('DNS.test.', 'MX')));
    await c.resolve('dns.test', 'MX');
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(server.stats().udpQueries).toBe(1);
    expect(c.stats()).toMatchObject({ queries: 1, unique: 1, cacheHits: 20 });
  });

  it('owns the deadline: a 2-second answer with a 300 ms timeout is a tempfail within about 300 ms per attempt', async () => {
    server.setLatency('slow.dns.test', 2000);
    const c = client({ timeoutMs: 300, retries: 1 });
    const t0 = Date.now();
    expect(await c.resolve('slow.dns.test', 'TXT')).toMatchObject({ kind: 'tempfail', reason: 'timeout' });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(1500);
    server.setLatency('slow.dns.test', null);
  });

  it('waits for a slow answer that comes within the timeout (c-ares does not give up early)', async () => {
    server.setLatency('slow.dns.test', 700);
    const a = await client({ timeoutMs: 2500 }).resolve('slow.dns.test', 'TXT');
    server.setLatency('slow.dns.test', null);
    expect(a).toEqual({ kind: 'records', records: ['slow answer'] });
  });

  it('tries the next server when the first does not answer', async () => {
    server.resetStats();
    const c = createDnsClient({ servers: ['127.0.0.1:9', server.server], timeoutMs: 400, retries: 1 });
    expect(await c.resolve('mx.dns.test', 'A')).toEqual({ kind: 'records', records: ['192.0.2.1'] });
    expect(c.stats().queries).toBe(2);
  });

  it('answers NXDOMAIN for names that cannot exist without asking', async () => {
    server.resetStats();
    const c = client();
    expect(await c.resolve(`${'a'.repeat(64)}.dns.test`, 'TXT')).toEqual({ kind: 'nxdomain' });
    expect(await c.resolve('a..dns.test', 'TXT')).toEqual({ kind: 'nxdomain' });
    expect(server.stats().udpQueries).toBe(0);
  });
});

describe('parseServerAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.1:5353', '127.0.0.1:5353'],
    ['[::1]:5353', '[::1]:5353'],
    ['::1', '::1'],
    ['[::1]', '::1'],
  ])('%s -> %s', (input, out) => expect(parseServerAddress(input)).toBe(out));
  it.each(['dns.google', '1.2.3.4:99999', '[1.2.3.4]:53', '', '::1:53:x'])('rejects %s', (input) => expect(parseServerAddress(input)).toBeNull());
});

describe('classifyDnsError', () => {
  it.each([
    ['ENOTFOUND', 'nxdomain'], ['ENODATA', 'nodata'], ['ETIMEOUT', 'tempfail'], ['ESERVFAIL', 'tempfail'],
    ['EREFUSED', 'tempfail'], ['ECONNREFUSED', 'tempfail'], ['ECANCELLED', 'tempfail'], ['EWHATEVER', 'tempfail'],
  ])('%s is %s', (code, kind) => expect(classifyDnsError(Object.assign(new Error(code), { code })).kind).toBe(kind));
});
