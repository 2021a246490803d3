import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { LookupContext } from '../../src/dns/context.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { MAX_DKIM_SIGNATURES, startDkimVerification, verifyDkim, type DkimVerification } from '../../src/message/dkim-verify.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns } from '../support/messages.js';

/**
 * DKIM signatures made at test time (mailauth's dkimSign, fresh keys),
 * verified by src/message/dkim-verify.ts against the loopback DNS server
 * through the real DnsClient: each verdict's result, reason, body hash, key
 * facts and DNS failure, and which names were asked.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());

const CLOCK = (): Date => new Date('2026-05-06T10:00:00Z');
const ctx = (): LookupContext => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }), clock: CLOCK });
const FROM = 'Megan Bowen <megan@sender.test>';

/** The TXT names the server was asked since the last reset. */
function asked(): string[] {
  return [...server.stats().perQuery.keys()].sort();
}

async function verify(message: string | Buffer): Promise<DkimVerification> {
  server.resetStats();
  return verifyDkim(ctx(), message);
}

describe('one signature against the loopback DNS', () => {
  it('passes with a 2048-bit key: one TXT lookup, the key facts, the body hash', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]);
    const v = await verify(signed);
    expect(v).toMatchObject({ signaturesTotal: 1, headersOnly: false, problem: null });
    expect(v.signatures).toHaveLength(1);
    expect(v.signatures[0]).toMatchObject({
      index: 0, domain: 'sender.test', selector: 'valid', algorithm: 'rsa-sha256', canonicalization: 'relaxed/relaxed',
      result: 'pass', reason: null, bodyHash: 'match', dnsFailure: null, signedAt: '2026-05-05T09:30:00.000Z', expiresAt: null, bodyLength: null,
      key: { name: 'valid._domainkey.sender.test', status: 'valid', type: 'rsa', bits: 2048, records: 1, testing: false, problem: null },
    });
    expect(v.signatures[0]?.signedHeaders).toContain('from');
    expect(asked()).toEqual(['valid._domainkey.sender.test TXT']);
  });

  it('fails when the body was changed after signing (body hash mismatch), and still reports the key', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]);
    const v = await verify(signed.replace('the figures are attached', 'the figures are wrong'));
    expect(v.signatures[0]).toMatchObject({ result: 'fail', reason: 'body hash did not verify', bodyHash: 'mismatch', key: { status: 'valid', bits: 2048 }, dnsFailure: null });
    expect(asked()).toEqual(['valid._domainkey.sender.test TXT']);
  });

  it('fails (bad signature) when a signed header field was changed', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]);
    const v = await verify(signed.replace('Subject: Quarterly figures', 'Subject: Quarterly figures (corrected)'));
    expect(v.signatures[0]).toMatchObject({ result: 'fail', reason: 'bad signature', bodyHash: 'match', key: { status: 'valid' } });
  });

  it('is a permerror when the key is revoked in DNS (empty p=)', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'revoked', 'sender.test', 'v=DKIM1; k=rsa; p=');
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'revoked', key }]);
    const v = await verify(signed);
    expect(v.signatures[0]).toMatchObject({
      result: 'permerror', reason: 'invalid public key', bodyHash: 'match', dnsFailure: null,
      key: { name: 'revoked._domainkey.sender.test', status: 'revoked', bits: null, record: 'v=DKIM1; k=rsa; p=', problem: 'p= is empty: the key is revoked' },
    });
  });

  it('is a permerror when no key is published (no key, missing)', async () => {
    const key = createDkimKey(2048);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'nokey', key }]);
    const v = await verify(signed);
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', reason: 'no key', key: { status: 'missing', record: null, bits: null }, dnsFailure: null });
  });

  it('passes with a 1024-bit key and says it is 1024 bits (weak)', async () => {
    const key = createDkimKey(1024);
    publishKey(server, 'k1024', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'k1024', key }]);
    const v = await verify(signed);
    expect(v.signatures[0]).toMatchObject({ result: 'pass', key: { status: 'weak', type: 'rsa', bits: 1024 } });
  });

  it('passes with an ed25519 key (RFC 8463): 256 bits', async () => {
    const key = createDkimKey('ed25519');
    publishKey(server, 'ed', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'ed', key }]);
    const v = await verify(signed);
    expect(v.signatures[0]).toMatchObject({ algorithm: 'ed25519-sha256', result: 'pass', key: { status: 'valid', type: 'ed25519', bits: 256 } });
  });

  it('keeps a DNS tempfail for the key apart from a bad signature: temperror, the failure, the key unknown', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'flaky', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'flaky', key }]);
    server.setFault('flaky._domainkey.sender.test', 'servfail');
    try {
      const v = await verify(signed);
      expect(v.signatures[0]).toMatchObject({
        result: 'temperror', reason: 'DNS failure: ESERVFAIL', bodyHash: 'match',
        key: { name: 'flaky._domainkey.sender.test', status: 'unknown', bits: null },
        dnsFailure: { name: 'flaky._domainkey.sender.test', reason: 'servfail', code: 'ESERVFAIL' },
      });
    } finally {
      server.setFault('flaky._domainkey.sender.test', null);
    }
  });

  it('is a permerror when x= has passed at the verification time', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key, expires: new Date('2026-05-05T12:00:00Z') }]);
    const v = await verify(signed);
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', reason: 'expired', expiresAt: '2026-05-05T12:00:00.000Z' });
  });
});

describe('two signatures', () => {
  it('verifies each: the author domain and a sending service, in header order', async () => {
    const own = createDkimKey(2048);
    const esp = createDkimKey(1024, 'esp');
    publishKey(server, 'valid', 'sender.test', own.record);
    publishKey(server, 'esp1', 'esp-mailer.test', esp.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [
      { domain: 'esp-mailer.test', selector: 'esp1', key: esp },
      { domain: 'sender.test', selector: 'valid', key: own },
    ]);
    const v = await verify(signed);
    expect(v.signatures.map((s) => [s.index, s.domain, s.selector, s.result, s.key?.bits])).toEqual([
      [0, 'esp-mailer.test', 'esp1', 'pass', 1024],
      [1, 'sender.test', 'valid', 'pass', 2048],
    ]);
    expect(asked()).toEqual(['esp1._domainkey.esp-mailer.test TXT', 'valid._domainkey.sender.test TXT']);
  });
});

describe('what RFC 6376 6.1.1 and RFC 8301 refuse before any lookup', () => {
  async function signedWith(edit: (s: string) => string, algorithm?: 'rsa-sha1'): Promise<string> {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    return edit(await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key, ...(algorithm ? { algorithm } : {}) }]));
  }

  it('h= without From', async () => {
    const v = await verify(await signedWith((s) => s.replace(/ From;/, ' Subject;')));
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', reason: 'h= does not include From (RFC 6376 6.1.1)', bodyHash: 'not-checked' });
    // The key is still looked up (and reported); mailauth is not given the signature.
    expect(v.signatures[0]?.key?.status).toBe('valid');
  });

  it('i= outside d=', async () => {
    const v = await verify(await signedWith((s) => s.replace('d=sender.test;', 'd=sender.test; i=megan@other.test;')));
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', identity: 'megan@other.test', reason: 'i=megan@other.test is not in d=sender.test or below it (RFC 6376 6.1.1)' });
  });

  it('rsa-sha1', async () => {
    const v = await verify(await signedWith((s) => s, 'rsa-sha1'));
    expect(v.signatures[0]).toMatchObject({ algorithm: 'rsa-sha1', result: 'permerror', reason: 'rsa-sha1 must not be used for verifying (RFC 8301 3.1)' });
  });

  it('an algorithm mailauth does not know (it gives no result of its own)', async () => {
    const v = await verify(await signedWith((s) => s.replace('a=rsa-sha256', 'a=rsa-md5')));
    expect(v.signatures).toHaveLength(1);
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', reason: 'a=rsa-md5 is not an algorithm verifiers know (RFC 6376 3.3, RFC 8463)' });
  });

  it('a d= that is not a domain name: no lookup at all', async () => {
    const v = await verify(await signedWith((s) => s.replace('d=sender.test;', 'd=sender..test;')));
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', domain: 'sender..test', key: null });
    expect(asked()).toEqual([]);
  });
});

describe('headers pasted alone', () => {
  it('verifies the header signature and the key; the body hash is not checked', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]);
    const headers = signed.slice(0, signed.indexOf('\r\n\r\n') + 2);
    for (const paste of [headers, headers.slice(0, -2), headers.replace(/\r\n/g, '\n')]) {
      const v = await verify(paste);
      expect(v).toMatchObject({ headersOnly: true, problem: null, signaturesTotal: 1 });
      expect(v.signatures[0]).toMatchObject({ result: 'pass', bodyHash: 'not-checked', key: { bits: 2048 } });
    }
  });

  it('says so when the key is gone since', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'gone', key }]);
    const v = await verify(signed.slice(0, signed.indexOf('\r\n\r\n')));
    expect(v.signatures[0]).toMatchObject({ result: 'permerror', reason: 'no key', bodyHash: 'not-checked', key: { status: 'missing' } });
  });

  it('fails a header signature whose signed fields were changed', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]);
    const v = await verify(signed.slice(0, signed.indexOf('\r\n\r\n')).replace('Quarterly', 'Yearly'));
    expect(v.signatures[0]).toMatchObject({ result: 'fail', reason: 'bad signature', bodyHash: 'not-checked' });
  });
});

describe('what mailauth may ask DNS', () => {
  /** A signed message with an ARC set whose ARC-Message-Signature has a true bh= (so an unguarded verifier looks its key up). */
  async function withArc(): Promise<string> {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const message = buildMessage({ from: FROM });
    const arc = (await signMessage(message, [{ domain: 'arc-forwarder.test', selector: 'arc', key }])).replace('DKIM-Signature: v=1;', 'ARC-Message-Signature: i=1;');
    const dkim = await signMessage(message, [{ domain: 'sender.test', selector: 'valid', key }]);
    const arcSet = [
      'ARC-Seal: i=1; a=rsa-sha256; cv=none; d=arc-forwarder.test; s=arc; t=1778059800; b=AAAA',
      arc.slice(0, arc.indexOf('From:')).trimEnd(),
      'ARC-Authentication-Results: i=1; mx.arc-forwarder.test; spf=pass smtp.mailfrom=sender.test',
    ].join('\r\n');
    return `${arcSet}\r\n${dkim}`;
  }

  it('never looks up an ARC key (mailauth alone would)', async () => {
    const message = await withArc();
    // The control: mailauth's own dkimVerify asks for the ARC-Message-Signature's key.
    const names: string[] = [];
    await dkimVerify(message, { resolver: async (name: string) => { names.push(name); throw Object.assign(new Error('no'), { code: 'ENOTFOUND' }); } });
    expect(names).toContain('arc._domainkey.arc-forwarder.test');
    const v = await verify(message);
    expect(v.signatures.map((s) => [s.domain, s.result])).toEqual([['sender.test', 'pass']]);
    expect(asked()).toEqual(['valid._domainkey.sender.test TXT']);
  });

  it(`verifies at most ${MAX_DKIM_SIGNATURES} signatures, one TXT lookup each, and counts the rest`, async () => {
    const key = createDkimKey(2048);
    const signers = Array.from({ length: 12 }, (_, i) => ({ domain: 'sender.test', selector: `many${i}`, key }));
    for (const s of signers) publishKey(server, s.selector, s.domain, key.record);
    const v = await verify(await signMessage(buildMessage({ from: FROM }), signers));
    expect(v.signaturesTotal).toBe(12);
    expect(v.signatures).toHaveLength(MAX_DKIM_SIGNATURES);
    expect(v.signatures.every((s) => s.result === 'pass')).toBe(true);
    expect(asked()).toHaveLength(MAX_DKIM_SIGNATURES);
  });
});

describe('l= (body length limits)', () => {
  it('prints nothing when the body is shorter than l= (mailauth alone logs to stdout), and fails', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key, maxBodyLength: 30 }]);
    const cut = signed.slice(0, signed.indexOf('\r\n\r\n') + 4) + 'Hello\r\n';
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await dkimVerify(cut, { resolver: async () => [[key.record]] });
    expect(log).toHaveBeenCalled();
    log.mockClear();
    const v = await verify(cut);
    expect(log).not.toHaveBeenCalled();
    expect(v.signatures[0]).toMatchObject({ result: 'fail', bodyHash: 'mismatch', bodyLength: { limit: 30, canonical: 7 } });
  });

  it('passes when text was appended after the signed part, and gives both lengths', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key, maxBodyLength: 12 }]);
    const v = await verify(`${signed}Unsigned text added later.\r\n`);
    expect(v.signatures[0]).toMatchObject({ result: 'pass', bodyLength: { limit: 12 } });
    expect(v.signatures[0]?.bodyLength?.canonical).toBeGreaterThan(40);
  });
});

describe('streaming', () => {
  it('gives the same verdict for any chunking, LF line ends included', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const body = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(i % 90)}  \r\n`).join('') + '\r\n\r\n';
    const signed = await signMessage(buildMessage({ from: FROM, body }), [{ domain: 'sender.test', selector: 'valid', key }]);
    for (const text of [signed, signed.replace(/\r\n/g, '\n')]) {
      const bytes = Buffer.from(text);
      for (const size of [1, 7, 1000, 70_000]) {
        const v = startDkimVerification(ctx());
        for (let at = 0; at < bytes.length; at += size) await v.write(bytes.subarray(at, at + size));
        const r = await v.end();
        expect([size, r.signatures[0]?.result, r.signatures[0]?.bodyHash]).toEqual([size, 'pass', 'match']);
      }
    }
  });

  it('copies what it keeps: a reader may reuse its buffer after each write', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const signed = Buffer.from(await signMessage(buildMessage({ from: FROM }), [{ domain: 'sender.test', selector: 'valid', key }]));
    const v = startDkimVerification(ctx());
    const scratch = Buffer.alloc(16);
    for (let at = 0; at < signed.length; at += 16) {
      const n = signed.copy(scratch, 0, at, at + 16);
      await v.write(scratch.subarray(0, n));
      scratch.fill(0x41);
    }
    expect((await v.end()).signatures[0]?.result).toBe('pass');
  });

  it('ignores writes after end, and end() twice gives the same answer', async () => {
    const v = startDkimVerification(ctx());
    await v.write(Buffer.from('From: a@sender.test\r\n\r\nhi\r\n'));
    const first = await v.end();
    await v.write(Buffer.from('more'));
    expect(await v.end()).toBe(first);
    expect(first).toEqual({ signatures: [], signaturesTotal: 0, headersOnly: false, problem: null });
  });
});

describe('a reader that does not await its writes', () => {
  it('keeps the chunks in order and copies the ones that wait', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'valid', 'sender.test', key.record);
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i}\r\n`).join('');
    const signed = Buffer.from(await signMessage(buildMessage({ from: FROM, body }), [{ domain: 'sender.test', selector: 'valid', key }]));
    const v = startDkimVerification(ctx());
    const scratch = Buffer.alloc(5000);
    for (let at = 0; at < signed.length; at += 5000) {
      const n = signed.copy(scratch, 0, at, at + 5000);
      void v.write(scratch.subarray(0, n));
      scratch.fill(0x41);
    }
    expect((await v.end()).signatures[0]).toMatchObject({ result: 'pass', bodyHash: 'match' });
  });
});
