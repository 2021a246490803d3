import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { shareMxWithSecure } from '../../src/dns/shared-mx.js';
import type { DnsClient, SecureAnswer, SecureDnsClient } from '../../src/dns/types.js';

const flags = { ad: false, rrsigs: 0, dnssecOk: true, cd: false };
const MX = { exchange: 'contoso-com.mail.protection.outlook.com', priority: 0 };
const MAIN_MX = { kind: 'records', records: [{ priority: 10, exchange: 'mail.contoso.com' }] };

/** A secure client that answers the MX questions with `answers` in turn (the last one again after that) and records what it was asked. */
function fakeSecure(...answers: SecureAnswer<unknown>[]): SecureDnsClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    query: (name, type) => {
      asked.push(`${name} ${type}`);
      return Promise.resolve(answers[Math.min(asked.length, answers.length) - 1]) as never;
    },
    stats: () => ({ queries: asked.length, unique: asked.length, cacheHits: 0, tempfails: 0, tcp: 0 }),
    servers: () => [],
  };
}

const main = (): DnsClient => createMemoryDnsClient({
  'contoso.com': { MX: [{ priority: 10, exchange: 'mail.contoso.com' }], TXT: ['v=spf1 -all'] },
  'fabrikam.com': { MX: [{ priority: 10, exchange: 'mail.fabrikam.com' }] },
});
const WHOLE = { kind: 'records', records: [MX], recordsTotal: 1, ...flags } as SecureAnswer<unknown>;
const TIMEOUT = { kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' } as SecureAnswer<unknown>;

describe('shareMxWithSecure: the DNSSEC question answers the MX area', () => {
  it.each([
    ['records, none cut', WHOLE, { kind: 'records', records: [MX] }],
    ['NODATA', { kind: 'nodata', ...flags }, { kind: 'nodata' }],
    ['NXDOMAIN', { kind: 'nxdomain', ...flags }, { kind: 'nxdomain' }],
  ] as const)('takes a whole answer (%s); once the secure client has answered, the main client is not asked', async (_, secureAnswer, expected) => {
    const dns = main();
    const secure = fakeSecure(secureAnswer as SecureAnswer<unknown>);
    const shared = shareMxWithSecure(dns, secure);
    // Before any secure answer the main client is asked beside it (a resolver may drop EDNS0 queries).
    expect(await shared.resolve('contoso.com', 'MX')).toEqual(expected);
    expect(dns.stats().queries).toBe(1);
    expect(await shared.resolve('fabrikam.com', 'MX')).toEqual(expected);
    expect(secure.asked).toEqual(['contoso.com MX', 'fabrikam.com MX']);
    expect(dns.stats().queries).toBe(1);
  });

  it.each([
    ['SERVFAIL (bogus to a validator)', { kind: 'servfail', cd: false, code: 'ESERVFAIL' }],
    ['FORMERR (a server that refuses EDNS0)', { kind: 'tempfail', reason: 'other', code: 'EFORMERR' }],
    ['an RRset cut at MAX_SECURE_RECORDS', { kind: 'records', records: [MX], recordsTotal: 900, ...flags }],
    ['a name node:dns would write escaped', { kind: 'records', records: [MX], recordsTotal: 1, escapedNames: true, ...flags }],
  ] as const)('asks the main client again after %s', async (_, secureAnswer) => {
    const dns = main();
    const shared = shareMxWithSecure(dns, fakeSecure(WHOLE, secureAnswer as SecureAnswer<unknown>));
    await shared.resolve('fabrikam.com', 'MX');
    expect(await shared.resolve('contoso.com', 'MX')).toEqual(MAIN_MX);
    expect(dns.stats().queries).toBe(2);
  });

  it('a timeout: the main client\'s answer before the secure client has answered anything, the timeout itself after', async () => {
    const dns = main();
    const shared = shareMxWithSecure(dns, fakeSecure(TIMEOUT, WHOLE, TIMEOUT));
    // Nothing answered yet: the silence may be a resolver that drops EDNS0; the main client's answer counts.
    expect(await shared.resolve('contoso.com', 'MX')).toEqual(MAIN_MX);
    await shared.resolve('fabrikam.com', 'MX');
    const before = dns.stats().queries;
    // Now the resolver has answered an EDNS0 query: a silent name is silent, and is not waited out twice.
    expect(await shared.resolve('silent.contoso.com', 'MX')).toEqual({ kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' });
    expect(dns.stats().queries).toBe(before);
  });

  it('sends every other question to the main client, and keeps its optional methods', async () => {
    const dns = main();
    const secure = fakeSecure({ kind: 'nodata', ...flags });
    const health = { servers: [], deadAfterMs: 1, silentSince: null, dead: false };
    const withHealth: DnsClient = { ...dns, health: () => health, servers: () => ['127.0.0.1:53'] };
    const shared = shareMxWithSecure(withHealth, secure);
    expect(await shared.resolve('contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['v=spf1 -all'] });
    expect(secure.asked).toEqual([]);
    expect(shared.health?.()).toBe(health);
    expect(shared.servers?.()).toEqual(['127.0.0.1:53']);
    expect(shared.waitForServer).toBeUndefined();
  });
});

describe('shareMxWithSecure against a server', () => {
  it('a truncated reply whose TCP retry times out is not a silent name: node:dns is asked, and its answer taken', async () => {
    // UDP: a DO query about big.test gets TC (its signatures would not fit); a plain one the MX. TCP: accepted, never answered.
    const udp = dgram.createSocket('udp4');
    const sockets: net.Socket[] = [];
    const tcp = net.createServer((s) => void sockets.push(s));
    udp.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const name = q.questions?.[0]?.name ?? '';
      const withDo = (q.additionals ?? []).some((x) => x.type === 'OPT');
      const flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (withDo && name === 'big.test' ? packet.TRUNCATED_RESPONSE : 0);
      const answers = withDo && name === 'big.test' ? [] : [{ type: 'MX', name, ttl: 60, data: { preference: 0, exchange: `mail.${name}` } }];
      udp.send(packet.encode({ type: 'response', id: q.id, flags, questions: q.questions, answers: answers as packet.Answer[] }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    const port = udp.address().port;
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', () => resolve()));
    try {
      const server = `127.0.0.1:${port}`;
      const dns = createDnsClient({ servers: [server], timeoutMs: 500, retries: 0 });
      const secure = createSecureDnsClient({ servers: [server], timeoutMs: 500, retries: 0 });
      const shared = shareMxWithSecure(dns, secure);
      expect((await shared.resolve('small.test', 'MX')).kind).toBe('records');
      // The secure client has answered, so a plain timeout would be final; this one came after a TC reply.
      expect(await secure.query('big.test', 'MX')).toEqual({ kind: 'tempfail', reason: 'other', code: 'ETIMEOUT' });
      expect(await shared.resolve('big.test', 'MX')).toEqual({ kind: 'records', records: [{ exchange: 'mail.big.test', priority: 0 }] });
    } finally {
      for (const s of sockets) s.destroy();
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});
