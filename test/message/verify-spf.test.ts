import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { LookupContext } from '../../src/dns/context.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { lookupMessageSpf, type MessageSpfVerdict } from '../../src/message/spf-check.js';
import { startMessageDns } from '../support/messages.js';

/**
 * SPF for a message's connecting IP with the project's check_host(), over
 * fixtures/message/sender.test.zone ("v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20
 * ~ip4:192.0.2.30 -all exp=why.%{d}") through the loopback DNS server.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

const ctx = (): LookupContext => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }) });
const RECORD = "v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20 ~ip4:192.0.2.30 -all exp=why.%{d}";

async function spf(ip: string, mailFrom: string, helo?: string): Promise<MessageSpfVerdict> {
  const r = await lookupMessageSpf(ctx(), { ip, mailFrom, helo });
  if (r.status !== 'evaluated') throw new Error(`not evaluated: ${r.message}`);
  return r;
}

describe('check_host() for the connecting IP and MAIL FROM', () => {
  it.each([
    ['192.0.2.10', 'pass', 'ip4:192.0.2.10'],
    ['192.0.2.20', 'neutral', '?ip4:192.0.2.20'],
    ['192.0.2.30', 'softfail', '~ip4:192.0.2.30'],
    ['203.0.113.9', 'fail', '-all'],
  ])('%s is %s (by %s), with the record and the lookups spent', async (ip, result, term) => {
    const r = await spf(ip, 'bounces@sender.test', 'mail.sender.test');
    expect(r).toMatchObject({ ip, identity: 'mailfrom', domain: 'sender.test', sender: 'bounces@sender.test', helo: 'mail.sender.test', result, record: RECORD, records: [], lookups: 0, voidLookups: 0, dnsFailure: null });
    expect(r.path).toEqual([{ domain: 'sender.test', term }]);
  });

  it('a fail carries the exp= explanation, expanded', async () => {
    const r = await spf('203.0.113.9', '<bounces@Sender.Test>');
    expect(r).toMatchObject({ result: 'fail', domain: 'sender.test', explanation: "203.0.113.9 is not one of sender.test's mail servers" });
  });

  it('a pass has no explanation', async () => {
    expect((await spf('192.0.2.10', 'a@sender.test')).explanation).toBeNull();
  });

  it('the null reverse path checks postmaster@HELO (RFC 7208 2.4)', async () => {
    const r = await spf('192.0.2.50', '<>', 'mail.strict.test');
    expect(r).toMatchObject({ identity: 'helo', domain: 'mail.strict.test', sender: 'postmaster@mail.strict.test', result: 'pass', record: 'v=spf1 ip4:192.0.2.50 -all' });
  });

  it('counts the lookups an include spends', async () => {
    const r = await spf('192.0.2.60', 'a@nodmarc.test');
    expect(r).toMatchObject({ result: 'pass', record: 'v=spf1 include:_spf.nodmarc.test -all', lookups: 1, voidLookups: 0 });
    expect(r.path).toEqual([{ domain: 'nodmarc.test', term: 'include:_spf.nodmarc.test' }, { domain: '_spf.nodmarc.test', term: 'ip4:192.0.2.60' }]);
  });

  it('a MAIL FROM domain without SPF is none', async () => {
    const r = await spf('192.0.2.10', 'x@news.sender.test');
    expect(r).toMatchObject({ result: 'none', record: null, records: [] });
  });

  it('a failed TXT lookup is temperror with the failure, not fail', async () => {
    server.setFault('sender.test', 'servfail', 'TXT');
    try {
      const r = await spf('192.0.2.10', 'a@sender.test');
      expect(r).toMatchObject({ result: 'temperror', record: null, dnsFailure: { name: 'sender.test', type: 'TXT', reason: 'servfail', code: 'ESERVFAIL' } });
    } finally {
      server.setFault('sender.test', null, 'TXT');
    }
  });

  it('IPv6 and IPv4-mapped addresses are evaluated', async () => {
    expect((await spf('::ffff:192.0.2.10', 'a@sender.test')).result).toBe('pass');
    expect((await spf('2001:db8::1', 'a@sender.test')).result).toBe('fail');
  });
});

describe('what cannot be evaluated', () => {
  it('an address that is not one', async () => {
    expect(await lookupMessageSpf(ctx(), { ip: 'mail.sender.test', mailFrom: 'a@sender.test' })).toEqual({ status: 'not-evaluated', problem: 'ip-invalid', message: '"mail.sender.test" is not an IP address' });
  });

  it('the null reverse path without a HELO name', async () => {
    expect(await lookupMessageSpf(ctx(), { ip: '192.0.2.10', mailFrom: '', helo: null })).toMatchObject({ status: 'not-evaluated', problem: 'no-identity' });
  });
});
