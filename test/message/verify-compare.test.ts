import { describe, expect, it } from 'vitest';
import { compareVerdicts, type CurrentVerdicts } from '../../src/message/compare.js';
import type { DkimSignatureVerdict } from '../../src/message/dkim-verify.js';

/** The receiver's recorded results against today's verdicts (pure): what differs, and what explains it. */
type Dkim = NonNullable<CurrentVerdicts['dkim']>[number];
const key = (status: NonNullable<DkimSignatureVerdict['key']>['status']): Dkim['key'] => ({ name: 'k', status, type: 'rsa', bits: 2048, record: null, records: 1, testing: false, problem: null });
const sig = (domain: string, selector: string, result: Dkim['result'], more: Partial<Dkim> = {}): Dkim => ({ domain, selector, result, reason: null, bodyHash: 'match', key: key('valid'), ...more });

describe('compareVerdicts', () => {
  it('nothing when every result agrees (case and bestguesspass aside)', () => {
    expect(compareVerdicts(
      { spf: 'Pass', dkim: [{ result: 'pass', domain: 'Sender.Test' }], dmarc: 'bestguesspass' },
      { spf: { result: 'pass' }, dkim: [sig('sender.test', 's1', 'pass')], dmarc: { result: 'none' } },
    )).toEqual([]);
  });

  it('SPF that passed then and fails now: a DNS difference', () => {
    expect(compareVerdicts({ spf: 'pass' }, { spf: { result: 'fail' } })).toEqual([
      { method: 'spf', domain: null, selector: null, recorded: 'pass', now: 'fail', cause: 'dns', reason: null },
    ]);
  });

  it('today\'s temperror is never a difference', () => {
    expect(compareVerdicts({ spf: 'pass', dkim: [{ result: 'pass', domain: 'sender.test' }], dmarc: 'pass' }, { spf: { result: 'temperror' }, dkim: [sig('sender.test', 's1', 'temperror')], dmarc: { result: 'temperror' } })).toEqual([]);
  });

  it('a DKIM key revoked since: dns; with the DMARC result that follows it', () => {
    expect(compareVerdicts(
      { dkim: [{ result: 'pass', domain: 'sender.test' }], dmarc: 'pass' },
      { dkim: [sig('sender.test', 's1', 'permerror', { reason: 'invalid public key', key: key('revoked') })], dmarc: { result: 'fail' } },
    )).toEqual([
      { method: 'dkim', domain: 'sender.test', selector: 's1', recorded: 'pass', now: 'permerror', cause: 'dns', reason: 'invalid public key' },
      { method: 'dmarc', domain: null, selector: null, recorded: 'pass', now: 'fail', cause: 'dns', reason: null },
    ]);
  });

  it('a body changed after receipt: message; and DMARC then unclear', () => {
    expect(compareVerdicts(
      { dkim: [{ result: 'pass', domain: 'sender.test' }], dmarc: 'pass' },
      { dkim: [sig('sender.test', 's1', 'fail', { bodyHash: 'mismatch', reason: 'body hash did not verify' })], dmarc: { result: 'fail' } },
    ).map((d) => [d.method, d.cause])).toEqual([['dkim', 'message'], ['dmarc', 'unclear']]);
  });

  it('a bad signature with a valid key now: unclear (key replaced or header changed)', () => {
    expect(compareVerdicts({ dkim: [{ result: 'pass', domain: 'sender.test', selector: 's1' }] }, { dkim: [sig('sender.test', 's1', 'fail', { reason: 'bad signature' })] })[0]?.cause).toBe('unclear');
  });

  it('a signature that passes now where the receiver failed it: dns', () => {
    expect(compareVerdicts({ dkim: [{ result: 'fail', domain: 'sender.test' }] }, { dkim: [sig('sender.test', 's1', 'pass')] })).toMatchObject([{ recorded: 'fail', now: 'pass', cause: 'dns' }]);
  });

  it('matches by d= and s=; one signature of several with d= that agrees is agreement', () => {
    const now = [sig('sender.test', 'a', 'permerror', { key: key('missing') }), sig('sender.test', 'b', 'pass')];
    expect(compareVerdicts({ dkim: [{ result: 'pass', domain: 'sender.test' }] }, { dkim: now })).toEqual([]);
    expect(compareVerdicts({ dkim: [{ result: 'pass', domain: 'sender.test', selector: 'A' }] }, { dkim: now })).toMatchObject([{ selector: 'a', now: 'permerror', cause: 'dns' }]);
  });

  it('does not compare a recorded DKIM result without header.d=, or with a d= the message has no signature of', () => {
    expect(compareVerdicts({ dkim: [{ result: 'none' }, { result: 'pass', domain: 'other.test' }] }, { dkim: [sig('sender.test', 's1', 'fail')] })).toEqual([]);
  });

  it('nothing to compare when either side is missing', () => {
    expect(compareVerdicts({}, { spf: { result: 'fail' }, dmarc: { result: 'fail' } })).toEqual([]);
    expect(compareVerdicts({ spf: 'pass', dmarc: 'pass' }, {})).toEqual([]);
  });
});
