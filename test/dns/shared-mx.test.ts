import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { shareMxWithSecure } from '../../src/dns/shared-mx.js';
import type { DnsClient, SecureAnswer, SecureDnsClient } from '../../src/dns/types.js';

const flags = { ad: false, rrsigs: 0, dnssecOk: true, cd: false };
const MX = { exchange: 'contoso-com.mail.protection.outlook.com', priority: 0 };

/** A secure client that answers every MX question with `answer` and records what it was asked. */
function fakeSecure(answer: SecureAnswer<unknown>): SecureDnsClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    query: (name, type) => {
      asked.push(`${name} ${type}`);
      return Promise.resolve(answer) as never;
    },
    stats: () => ({ queries: asked.length, unique: asked.length, cacheHits: 0, tempfails: 0, tcp: 0 }),
    servers: () => [],
  };
}

const main = (): DnsClient => createMemoryDnsClient({ 'contoso.com': { MX: [{ priority: 10, exchange: 'mail.contoso.com' }], TXT: ['v=spf1 -all'] } });

describe('shareMxWithSecure: the DNSSEC question answers the MX area', () => {
  it.each([
    ['records, none cut', { kind: 'records', records: [MX], recordsTotal: 1, ...flags }, { kind: 'records', records: [MX] }],
    ['NODATA', { kind: 'nodata', ...flags }, { kind: 'nodata' }],
    ['NXDOMAIN', { kind: 'nxdomain', ...flags }, { kind: 'nxdomain' }],
  ] as const)('takes a whole answer (%s) without asking the main client', async (_, secureAnswer, expected) => {
    const dns = main();
    const secure = fakeSecure(secureAnswer as SecureAnswer<unknown>);
    const shared = shareMxWithSecure(dns, secure);
    expect(await shared.resolve('contoso.com', 'MX')).toEqual(expected);
    expect(secure.asked).toEqual(['contoso.com MX']);
    expect(dns.stats().queries).toBe(0);
  });

  it.each([
    ['SERVFAIL (bogus to a validator)', { kind: 'servfail', cd: false, code: 'ESERVFAIL' }],
    ['a timeout', { kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' }],
    ['FORMERR (a server that refuses EDNS0)', { kind: 'tempfail', reason: 'other', code: 'EFORMERR' }],
    ['an RRset cut at MAX_SECURE_RECORDS', { kind: 'records', records: [MX], recordsTotal: 900, ...flags }],
  ] as const)('asks the main client again after %s', async (_, secureAnswer) => {
    const dns = main();
    const shared = shareMxWithSecure(dns, fakeSecure(secureAnswer as SecureAnswer<unknown>));
    expect(await shared.resolve('contoso.com', 'MX')).toEqual({ kind: 'records', records: [{ priority: 10, exchange: 'mail.contoso.com' }] });
    expect(dns.stats().queries).toBe(1);
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
