import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { LookupContext } from '../../src/dns/context.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { domainsAlign, fromDomainOf, lookupDmarcAlignment, type DmarcAlignmentInput } from '../../src/message/align.js';
import { verifyDkim } from '../../src/message/dkim-verify.js';
import { lookupMessageSpf } from '../../src/message/spf-check.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns } from '../support/messages.js';

/**
 * DMARC alignment of a message over fixtures/message: sender.test (p=reject,
 * sp=quarantine, np=none, relaxed), strict.test (p=quarantine, adkim=s,
 * aspf=s, t=y), nodmarc.test (no record), through the loopback DNS server.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

const ctx = (): LookupContext => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }) });
const align = (input: Partial<DmarcAlignmentInput> & { from: string[] }) => lookupDmarcAlignment(ctx(), { spf: null, dkim: [], ...input });

describe('domainsAlign (pure)', () => {
  it.each([
    ['bounce.sender.test', 'sender.test', 'r', true],
    ['bounce.sender.test', 'sender.test', 's', false],
    ['SENDER.test.', 'sender.test', 's', true],
    ['mail.example.co.uk', 'news.example.co.uk', 'r', true],
    ['example.co.uk', 'other.co.uk', 'r', false],
    ['sender.test', 'esp-mailer.test', 'r', false],
    ['', 'sender.test', 'r', false],
  ] as const)('%s and %s, %s: %s', (a, b, mode, want) => {
    expect(domainsAlign(a, b, mode)).toBe(want);
  });
});

describe('the From domain (pure)', () => {
  it('one domain, however many addresses name it', () => {
    expect(fromDomainOf(['megan@Sender.Test', 'alex@sender.test'])).toEqual({ domain: 'sender.test' });
  });
  it.each([
    [[], 'no-from'],
    [['megan@sender.test', 'eve@attacker.test'], 'several-from-domains'],
    [['megan'], 'from-invalid'],
    [['megan@sender..test'], 'from-invalid'],
  ] as const)('%j is a %s problem', (from, kind) => {
    const r = fromDomainOf(from);
    expect('problem' in r && r.problem.kind).toBe(kind);
  });
});

describe('relaxed alignment (sender.test: p=reject; sp=quarantine; np=none)', () => {
  it('SPF of a subdomain bounce address aligns; DMARC passes; p=reject is the policy', async () => {
    const r = await align({ from: ['megan@sender.test'], spf: { domain: 'bounce.sender.test', result: 'pass' } });
    expect(r).toMatchObject({
      fromDomain: 'sender.test', organizationalDomain: 'sender.test', fromProblem: null, spfMode: 'r', dkimMode: 'r', result: 'pass', dkimAligned: false, dnsFailure: null,
      spf: { domain: 'bounce.sender.test', result: 'pass', aligned: true, domainAligned: true },
      policy: { domain: 'sender.test', relation: 'own', p: 'reject', sp: 'quarantine', np: 'none', adkim: 'r', aspf: 'r', testing: false },
      appliedPolicy: { tag: 'p', policy: 'reject', effective: 'reject', fromDomainExists: null },
    });
  });

  it('an aligned domain that did not pass does not count: DMARC fails', async () => {
    const r = await align({ from: ['megan@sender.test'], spf: { domain: 'sender.test', result: 'softfail' }, dkim: [{ domain: 'sender.test', result: 'fail' }] });
    expect(r).toMatchObject({ result: 'fail', spf: { aligned: false, domainAligned: true }, dkim: [{ aligned: false, domainAligned: true }] });
  });

  it('an existing subdomain in From gets sp=', async () => {
    const r = await align({ from: ['news@news.sender.test'], dkim: [{ domain: 'sender.test', result: 'pass' }] });
    expect(r).toMatchObject({
      fromDomain: 'news.sender.test', organizationalDomain: 'sender.test', result: 'pass', dkimAligned: true,
      policy: { domain: 'sender.test', relation: 'organizational' },
      appliedPolicy: { tag: 'sp', policy: 'quarantine', effective: 'quarantine', fromDomainExists: true },
    });
  });

  it('a subdomain that does not exist gets np= (NXDOMAIN)', async () => {
    const r = await align({ from: ['x@gone.sender.test'] });
    expect(r).toMatchObject({ result: 'fail', appliedPolicy: { tag: 'np', policy: 'none', fromDomainExists: false } });
  });
});

describe('strict alignment (strict.test: p=quarantine; adkim=s; aspf=s; t=y)', () => {
  it('a subdomain passes SPF and DKIM but aligns with neither: DMARC fails', async () => {
    const r = await align({ from: ['a@strict.test'], spf: { domain: 'mail.strict.test', result: 'pass' }, dkim: [{ domain: 'mail.strict.test', result: 'pass' }] });
    expect(r).toMatchObject({
      spfMode: 's', dkimMode: 's', result: 'fail', dkimAligned: false,
      spf: { aligned: false, domainAligned: false }, dkim: [{ aligned: false, domainAligned: false }],
      appliedPolicy: { tag: 'p', policy: 'quarantine', effective: 'none' },
    });
  });

  it('the exact domain aligns', async () => {
    const r = await align({ from: ['a@strict.test'], dkim: [{ domain: 'STRICT.test', result: 'pass' }] });
    expect(r).toMatchObject({ result: 'pass', dkimAligned: true, dkim: [{ domain: 'strict.test', aligned: true }] });
  });

  it('the same identifiers align under relaxed sender.test', async () => {
    const r = await align({ from: ['a@sender.test'], spf: { domain: 'mail.sender.test', result: 'pass' }, dkim: [{ domain: 'mail.sender.test', result: 'pass' }] });
    expect(r).toMatchObject({ result: 'pass', spf: { aligned: true }, dkimAligned: true });
  });
});

describe('no policy, problems, failures', () => {
  it('no DMARC record on the walk: none, no policy', async () => {
    const r = await align({ from: ['a@nodmarc.test'], spf: { domain: 'nodmarc.test', result: 'pass' } });
    expect(r).toMatchObject({ fromDomain: 'nodmarc.test', result: 'none', policy: null, appliedPolicy: null, spfMode: 'r', spf: { aligned: true } });
  });

  it('several From domains: permerror, no lookup', async () => {
    server.resetStats();
    const r = await align({ from: ['megan@sender.test', 'eve@attacker.test'] });
    expect(r).toMatchObject({ fromDomain: null, result: 'permerror', policy: null, fromProblem: { kind: 'several-from-domains' } });
    expect(server.stats().perQuery.size).toBe(0);
  });

  it('no From: permerror', async () => {
    expect(await align({ from: [] })).toMatchObject({ result: 'permerror', fromProblem: { kind: 'no-from' } });
  });

  it('a failed policy lookup is temperror, never none', async () => {
    server.setFault('_dmarc.sender.test', 'servfail');
    try {
      const r = await align({ from: ['megan@sender.test'], dkim: [{ domain: 'sender.test', result: 'pass' }] });
      expect(r).toMatchObject({ result: 'temperror', policy: null, dnsFailure: { name: '_dmarc.sender.test', reason: 'servfail', code: 'ESERVFAIL' } });
    } finally {
      server.setFault('_dmarc.sender.test', null);
    }
  });
});

describe('from a signed message to the DMARC verdict', () => {
  it('two signatures, one aligned with From: DMARC passes on DKIM although SPF fails', async () => {
    const own = createDkimKey(2048);
    const esp = createDkimKey(2048, 'esp');
    publishKey(server, 'al1', 'sender.test', own.record);
    publishKey(server, 'esp1', 'esp-mailer.test', esp.record);
    const message = await signMessage(buildMessage({ from: 'Megan <megan@sender.test>' }), [
      { domain: 'esp-mailer.test', selector: 'esp1', key: esp },
      { domain: 'sender.test', selector: 'al1', key: own },
    ]);
    const dkim = await verifyDkim(ctx(), message);
    const spf = await lookupMessageSpf(ctx(), { ip: '203.0.113.9', mailFrom: 'bounce@esp-mailer.test' });
    expect(spf).toMatchObject({ status: 'evaluated', result: 'none' });
    const r = await align({ from: ['megan@sender.test'], spf: spf.status === 'evaluated' ? spf : null, dkim: dkim.signatures });
    expect(r.dkim.map((d) => [d.domain, d.result, d.aligned])).toEqual([['esp-mailer.test', 'pass', false], ['sender.test', 'pass', true]]);
    expect(r).toMatchObject({ result: 'pass', dkimAligned: true, spf: { domain: 'esp-mailer.test', aligned: false } });
  });

  it('only the service signature verifies (the author key revoked): DMARC fails, p=reject applies', async () => {
    const own = createDkimKey(2048);
    const esp = createDkimKey(2048, 'esp');
    publishKey(server, 'al2', 'sender.test', 'v=DKIM1; p=');
    publishKey(server, 'esp1', 'esp-mailer.test', esp.record);
    const message = await signMessage(buildMessage({ from: 'Megan <megan@sender.test>' }), [
      { domain: 'esp-mailer.test', selector: 'esp1', key: esp },
      { domain: 'sender.test', selector: 'al2', key: own },
    ]);
    const dkim = await verifyDkim(ctx(), message);
    const r = await align({ from: ['megan@sender.test'], dkim: dkim.signatures });
    expect(r.dkim.map((d) => [d.domain, d.result, d.aligned, d.domainAligned])).toEqual([['esp-mailer.test', 'pass', false, false], ['sender.test', 'permerror', false, true]]);
    expect(r).toMatchObject({ result: 'fail', appliedPolicy: { tag: 'p', effective: 'reject' } });
  });
});
