import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import { createSpfResolver, MAX_DNS_LOOKUPS } from '../../src/spf/budget.js';
import { checkHost, describePath, spfIdentity } from '../../src/spf/evaluate.js';
import { firstAddress, parseClientIp } from '../../src/spf/ip.js';

function dns(table: Record<string, MemoryName>): DnsClient {
  return createMemoryDnsClient(table);
}

const check = (d: DnsClient, ip: string, domain = 'example.com', sender = `user@${domain}`) => checkHost({ dns: d }, { ip, domain, sender, helo: 'mail.example.org' });

describe('the budget-keeping resolver', () => {
  it('counts DNS-querying terms and reports the 11th as a breach', () => {
    const r = createSpfResolver(dns({}));
    for (let i = 1; i <= MAX_DNS_LOOKUPS; i++) expect(r.chargeTerm(`a:${i}.example`)).toBeNull();
    expect(r.chargeTerm('a:11.example')?.reason).toContain('term 11, over the limit of 10');
    expect(r.lookups).toBe(11);
  });

  it('counts void answers only when asked to, and breaches at the third', async () => {
    const r = createSpfResolver(dns({ 'x.example': { A: ['192.0.2.1'] } }));
    expect((await r.resolve('gone.example', 'A', false)).kind).toBe('nxdomain');
    expect(r.voidLookups).toBe(0);
    expect((await r.resolve('x.example', 'AAAA', true)).kind).toBe('nodata');
    expect((await r.resolve('gone1.example', 'A', true)).kind).toBe('nxdomain');
    const third = await r.resolve('gone2.example', 'A', true);
    expect(third.kind).toBe('breach');
    expect(r.voidLookups).toBe(3);
  });

  it('caps MX names (the ten most preferred; more is a breach unless one matches) and PTR names (the first 10)', () => {
    const r = createSpfResolver(dns({}));
    const mx = (n: number) => Array.from({ length: n }, (_, i) => ({ priority: i, exchange: `mx${i}.example.` }));
    expect(r.mxNames(mx(10))).toMatchObject({ breach: null });
    expect(r.mxNames(mx(10)).names).toHaveLength(10);
    const eleven = r.mxNames([...mx(11)].reverse());
    expect(eleven.breach).toMatchObject({ breach: 'mx' });
    expect(eleven.names).toEqual(Array.from({ length: 10 }, (_, i) => `mx${i}.example`));
    expect(r.mxNames([{ priority: 0, exchange: '' }, { priority: 0, exchange: '.' }]).names).toEqual([]);
    expect(r.ptrNames(Array.from({ length: 12 }, (_, i) => `h${i}.example.`))).toEqual(Array.from({ length: 10 }, (_, i) => `h${i}.example`));
  });
});

describe('checkHost', () => {
  it('returns lookups, void lookups and the path of an include', async () => {
    const d = dns({
      'example.com': { TXT: ['v=spf1 a:gone.example.com include:_spf.example.net -all'] },
      '_spf.example.net': { TXT: ['v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all'] },
    });
    const r = await check(d, '192.0.2.9');
    expect(r).toMatchObject({ result: 'pass', lookups: 2, voidLookups: 1, explanation: null });
    expect(r.path).toEqual([{ domain: 'example.com', term: 'include:_spf.example.net' }, { domain: '_spf.example.net', term: 'ip4:192.0.2.0/24' }]);
    expect(describePath(r.path)).toBe('include:_spf.example.net > ip4:192.0.2.0/24');
    expect((await check(d, '2001:db8::5')).result).toBe('pass');
    expect((await check(d, '198.51.100.1')).result).toBe('fail');
  });

  it('gives temperror naming the query that failed, and permerror past the limits', async () => {
    const d = dns({
      'example.com': { TXT: ['v=spf1 include:slow.example.com -all'] },
      'slow.example.com': { timeout: true },
      'loop.example.com': { TXT: ['v=spf1 include:loop.example.com'] },
    });
    const t = await check(d, '192.0.2.1');
    expect(t.result).toBe('temperror');
    expect(t.tempfail).toMatchObject({ name: 'slow.example.com', type: 'TXT', answer: { code: 'ETIMEOUT' } });
    const loop = await check(d, '192.0.2.1', 'loop.example.com');
    expect(loop).toMatchObject({ result: 'permerror', lookups: 11 });
    expect(loop.reason).toContain('over the limit of 10');
  });

  it('sees an IPv4-mapped client as IPv4 (RFC 7208 5)', async () => {
    const d = dns({ 'example.com': { TXT: ['v=spf1 ip6:::ffff:192.0.2.1 ip4:192.0.2.1 -all'] } });
    const r = await check(d, '::FFFF:192.0.2.1');
    expect(r.path).toEqual([{ domain: 'example.com', term: 'ip4:192.0.2.1' }]);
  });

  it('rejects a client address that is not one', async () => {
    expect((await check(dns({}), 'not-an-ip')).result).toBe('permerror');
  });

  it('expands exp= with c, r and t from the options', async () => {
    const d = dns({
      'example.com': { TXT: ['v=spf1 -all exp=why.example.com'] },
      'why.example.com': { TXT: ['%{c} refused by %{r} at %{t} for %{d}'] },
    });
    const r = await checkHost({ dns: d }, { ip: '2001:db8::1', domain: 'example.com', sender: 'a@example.com' }, { receiver: 'mx.receiver.example', now: () => 1_700_000_000_123 });
    expect(r.explanation).toBe('2001:db8::1 refused by mx.receiver.example at 1700000000 for example.com');
  });

  it('prefers a validated name under the domain for %{p}', async () => {
    const d = dns({
      'example.com': { TXT: ['v=spf1 exists:%{p}.ok.example.com -all'] },
      '1.2.0.192.in-addr.arpa': { PTR: ['other.example.net', 'mx.example.com'] },
      'other.example.net': { A: ['192.0.2.1'] },
      'mx.example.com': { A: ['192.0.2.1'] },
      'mx.example.com.ok.example.com': { A: ['127.0.0.2'] },
    });
    expect((await check(d, '192.0.2.1')).result).toBe('pass');
  });

  it('derives the identity from MAIL FROM or HELO (RFC 7208 2.4)', () => {
    expect(spfIdentity('user@example.com', 'mx.example.org')).toEqual({ domain: 'example.com', sender: 'user@example.com' });
    expect(spfIdentity('', 'mx.example.org')).toEqual({ domain: 'mx.example.org', sender: 'postmaster@mx.example.org' });
  });
});

describe('addresses', () => {
  it('parses clients, reverse names and first addresses', () => {
    expect(parseClientIp('192.0.2.3')?.reverseName).toBe('3.2.0.192.in-addr.arpa');
    expect(parseClientIp('2001:db8::1')?.reverseName).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
    expect(parseClientIp('01.2.3.4')).toBeNull();
    expect(parseClientIp('fe80::1%eth0')).toBeNull();
    expect(firstAddress(4, '40.92.1.2', 15)).toBe('40.92.0.0');
    expect(firstAddress(6, '2a01:111:f403:f0ff::1', 52)).toBe('2a01:111:f403:f000::');
    expect(firstAddress(6, '::1.2.3.4', 128)).toBe('::102:304');
  });
});

describe('the MX limit (RFC 7208 4.6.4)', () => {
  const table = (matchAt: number): Record<string, MemoryName> => {
    const t: Record<string, MemoryName> = { 'example.com': { TXT: ['v=spf1 mx -all'], MX: [] } };
    for (let i = 1; i <= 11; i++) {
      t['example.com']?.MX?.push({ priority: i, exchange: `mx${i}.example.com` });
      t[`mx${i}.example.com`] = { A: [i === matchAt ? '192.0.2.1' : `198.51.100.${i}`] };
    }
    return t;
  };
  it('passes when one of the ten most preferred names matches, even with eleven', async () => {
    expect((await check(dns(table(3)), '192.0.2.1')).result).toBe('pass');
  });
  it('is a permerror when none of them matches and there are more than ten', async () => {
    const r = await check(dns(table(11)), '192.0.2.1');
    expect(r.result).toBe('permerror');
    expect(r.reason).toContain('11 names');
  });
});
