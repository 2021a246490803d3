import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { LookupContext } from '../../src/dns/context.js';
import type { FindingCode } from '../../src/findings/catalog.js';
import { analyzeMessage, type MessageAnalysis } from '../../src/message/analyze.js';
import type { DiagnosisCause, MessageReport } from '../../src/message/report.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns, type TestSigner } from '../support/messages.js';
import { chunks, microsoftTrace, withTrace, type Recorded } from './m365-headers.js';

/**
 * The whole analysis (src/message/analyze.ts) of messages signed at test
 * time with keys the loopback DNS serves (fixtures/message: sender.test,
 * quarantine.test, weak.test, nodmarc.test), with Microsoft 365-style
 * recorded verdicts. Each case's diagnosis is asserted by its outcome, the
 * deciding cause (`primary`), the causes' codes and typed fields, the
 * findings and the records it proposes: never by prose.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

const CLOCK = (): Date => new Date('2026-05-06T10:00:00Z');
const ctx = (): LookupContext => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }), clock: CLOCK });
const SENDER_SPF = 'v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20 ~ip4:192.0.2.30 -all exp=why.%{d}';

async function analyse(message: string | Buffer, options: { ip?: string } = {}): Promise<MessageReport> {
  const r: MessageAnalysis = await analyzeMessage(ctx(), chunks(message), options);
  if (r.kind !== 'report') throw new Error(`not a message: ${r.notMessage.detail}`);
  return r.report;
}

const codes = (r: MessageReport): FindingCode[] => r.findings.map((f) => f.code);
const causeCodes = (r: MessageReport): FindingCode[] => r.diagnosis.causes.map((c) => c.code);
const cause = (r: MessageReport, code: FindingCode): DiagnosisCause | undefined => r.diagnosis.causes.find((c) => c.code === code);

/** A message from `from`, signed by `signers` (none: unsigned), with Microsoft's recorded verdicts above it. */
async function received(from: string, recorded: Recorded, signers: TestSigner[] = [], body?: string): Promise<string> {
  const plain = buildMessage({ from, ...(body === undefined ? {} : { body }) });
  const signed = signers.length > 0 ? await signMessage(plain, signers) : plain;
  return withTrace(microsoftTrace(recorded), signed);
}

const PASS: Omit<Recorded, 'ip' | 'mailFrom' | 'headerFrom'> = {
  spf: 'pass', dkim: 'pass', dkimDomain: 'sender.test', dmarc: 'pass', action: 'none', compauth: 'pass', reason: '100', scl: 1, sfv: 'NSPM', bcl: 0, dest: 'I',
};

describe('Microsoft 365 verdicts, each diagnosis naming its cause', () => {
  it('passed: SPF, DKIM and DMARC pass today as recorded; delivered, nothing decides against it, no finding', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'pass2048', 'sender.test', key.record);
    const r = await analyse(await received('Megan Bowen <megan@sender.test>', { ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test' }, [{ domain: 'sender.test', selector: 'pass2048', key }]));
    expect(r.kind).toBe('message');
    expect(r.diagnosis).toMatchObject({ outcome: 'delivered', outcomeEvidence: 'X-Microsoft-Antispam-Mailbox-Delivery: dest:I', primary: null, causes: [] });
    expect(r.findings).toEqual([]);
    expect(r.message.connectingIp).toMatchObject({ ip: '192.0.2.10', source: 'received', agree: true });
    expect(r.message.verdicts?.spf).toMatchObject({ status: 'evaluated', result: 'pass', domain: 'sender.test', record: SENDER_SPF });
    expect(r.message.verdicts?.dkim?.signatures).toMatchObject([{ domain: 'sender.test', selector: 'pass2048', result: 'pass', bodyHash: 'match', key: { bits: 2048 } }]);
    expect(r.message.verdicts?.dmarc).toMatchObject({ result: 'pass', fromDomain: 'sender.test', dkimAligned: true, spf: { aligned: true } });
    expect(r.message.verdicts?.dmarcComplete).toBe(true);
    expect(r.message.differences).toEqual([]);
    expect(r.message.recorded).toMatchObject({ receiver: 'microsoft', spf: { result: 'pass', senderIp: '192.0.2.10' }, dmarc: { result: 'pass', action: 'none' }, compauth: { result: 'pass', reason: { code: '100', class: '1xx' } } });
    expect(r.fixes).toEqual([]);
    expect(r.diagnosis.sentences).toHaveLength(2);
  });

  it('junked for SPF fail: 203.0.113.7 is not in sender.test\'s SPF, no DKIM; SPF decides, DMARC p=reject, compauth 000; the fix adds the address to the record', async () => {
    const r = await analyse(await received('Megan Bowen <megan@sender.test>', {
      ip: '203.0.113.7', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'fail', dkim: 'none', dmarc: 'fail', action: 'oreject', compauth: 'fail', reason: '000', scl: 5, sfv: 'SPM', cat: 'SPOOF', dest: 'J',
    }));
    expect(r.diagnosis).toMatchObject({ outcome: 'junked', primary: 'MESSAGE_SPF_FAIL' });
    expect(causeCodes(r)).toEqual(['MESSAGE_SPF_FAIL', 'MESSAGE_DKIM_NOT_ALIGNED', 'MESSAGE_DMARC_FAIL', 'MESSAGE_COMPAUTH_FAIL', 'MESSAGE_SPAM']);
    expect(cause(r, 'MESSAGE_SPF_FAIL')).toMatchObject({ ip: '203.0.113.7', domain: 'sender.test', result: 'fail', recorded: false });
    expect(cause(r, 'MESSAGE_DMARC_FAIL')).toMatchObject({ domain: 'sender.test', policy: 'reject', policyTag: 'p', spfAligned: false, dkimAligned: false });
    expect(cause(r, 'MESSAGE_COMPAUTH_FAIL')).toMatchObject({ reason: '000', reasonClass: '000' });
    expect(cause(r, 'MESSAGE_DKIM_NOT_ALIGNED')).toMatchObject({ domain: 'sender.test', signingDomains: [] });
    expect(codes(r)).toEqual(['MESSAGE_SPF_FAIL', 'MESSAGE_DMARC_FAIL', 'MESSAGE_COMPAUTH_FAIL', 'MESSAGE_DKIM_NOT_ALIGNED', 'MESSAGE_SPAM']);
    expect(r.findings.map((f) => f.severity)).toEqual(['error', 'error', 'error', 'warning', 'warning']);
    expect(r.fixes).toEqual([{ code: 'MESSAGE_SPF_FAIL', name: 'sender.test', type: 'TXT', value: 'v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20 ~ip4:192.0.2.30 ip4:203.0.113.7 -all exp=why.%{d}', action: 'replace', note: expect.any(String) }]);
    expect(r.message.verdicts?.spf).toMatchObject({ result: 'fail', explanation: "203.0.113.7 is not one of sender.test's mail servers" });
    expect(r.message.differences).toEqual([]);
  });

  it('quarantined by DMARC: SPF passes for the service\'s bounce domain and DKIM for its own d=, neither aligns with quarantine.test', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'esp', 'sender.test', key.record);
    const r = await analyse(await received('News <news@quarantine.test>', {
      ip: '192.0.2.40', mailFrom: 'bounces@bounce.sender.test', headerFrom: 'quarantine.test', spf: 'pass', dkim: 'pass', dkimDomain: 'sender.test', dmarc: 'fail', action: 'quarantine', compauth: 'fail', reason: '000', scl: 5, sfv: 'SPM', cat: 'SPOOF',
    }, [{ domain: 'sender.test', selector: 'esp', key }]));
    expect(r.diagnosis).toMatchObject({ outcome: 'quarantined', outcomeEvidence: 'Authentication-Results: dmarc=fail action=quarantine', primary: 'MESSAGE_DMARC_FAIL' });
    expect(codes(r)).not.toContain('MESSAGE_SPF_FAIL');
    expect(codes(r)).not.toContain('MESSAGE_DKIM_INVALID');
    expect(cause(r, 'MESSAGE_DMARC_FAIL')).toMatchObject({ domain: 'quarantine.test', policy: 'quarantine', policyTag: 'p', spfAligned: false, dkimAligned: false, recorded: false });
    expect(cause(r, 'MESSAGE_DKIM_NOT_ALIGNED')).toMatchObject({ domain: 'quarantine.test', signingDomains: ['sender.test'] });
    expect(r.message.verdicts?.spf).toMatchObject({ result: 'pass', domain: 'bounce.sender.test' });
    expect(r.message.verdicts?.dmarc).toMatchObject({ result: 'fail', spf: { domain: 'bounce.sender.test', aligned: false, domainAligned: false }, dkim: [{ domain: 'sender.test', aligned: false }] });
  });

  it('spoof-protected: weak.test has ?all and no DMARC; compauth=fail reason=001 decides, DMARC is none (no DMARC finding), neutral SPF is no SPF failure', async () => {
    const r = await analyse(await received('CEO <ceo@weak.test>', {
      ip: '203.0.113.9', mailFrom: 'ceo@weak.test', headerFrom: 'weak.test', helo: 'mail.weak.test', spf: 'neutral', dkim: 'none', dmarc: 'none', action: 'none', compauth: 'fail', reason: '001', scl: 5, sfv: 'SPM', cat: 'SPOOF', dest: 'J',
    }));
    expect(r.diagnosis).toMatchObject({ outcome: 'junked', primary: 'MESSAGE_COMPAUTH_FAIL' });
    expect(cause(r, 'MESSAGE_COMPAUTH_FAIL')).toMatchObject({ reason: '001', reasonClass: '001', domain: 'weak.test', recorded: true });
    expect(codes(r)).not.toContain('MESSAGE_DMARC_FAIL');
    expect(codes(r)).not.toContain('MESSAGE_SPF_FAIL');
    expect(r.message.verdicts?.spf).toMatchObject({ result: 'neutral', domain: 'weak.test' });
    expect(r.message.verdicts?.dmarc).toMatchObject({ result: 'none', policy: null });
    expect(r.message.recorded.compauth?.reason).toMatchObject({ code: '001', class: '001', result: 'fail' });
  });

  it('bulk: BCL 7 at the default threshold, SRV:BULK; bulk decides (MESSAGE_BULK with the level and threshold), authentication passes', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'bulk', 'sender.test', key.record);
    const r = await analyse(await received('Offers <offers@sender.test>', {
      ...PASS, ip: '192.0.2.10', mailFrom: 'offers@sender.test', headerFrom: 'sender.test', scl: 6, sfv: 'SPM', srv: 'BULK', cat: 'BULK', bcl: 7, dest: 'J',
    }, [{ domain: 'sender.test', selector: 'bulk', key }]));
    expect(r.diagnosis).toMatchObject({ outcome: 'junked', primary: 'MESSAGE_BULK' });
    expect(cause(r, 'MESSAGE_BULK')).toMatchObject({ bcl: 7, threshold: 7 });
    expect(codes(r).sort()).toEqual(['MESSAGE_BULK', 'MESSAGE_SPAM']);
    expect(r.findings.find((f) => f.code === 'MESSAGE_BULK')?.severity).toBe('info');
    expect(r.message.recorded.antispam).toMatchObject({ bcl: 7, bulkThreshold: 7, scl: 6, junkFolder: true });
  });

  it('phish: CAT:PHSH decides (MESSAGE_PHISH, an error) though authentication passes; CAT:HPHSH is quarantined', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'phish', 'sender.test', key.record);
    const base = { ...PASS, ip: '192.0.2.10', mailFrom: 'it@sender.test', headerFrom: 'sender.test', scl: 5, sfv: 'SPM', dest: null } as const;
    const signer = [{ domain: 'sender.test', selector: 'phish', key }];
    const r = await analyse(await received('IT <it@sender.test>', { ...base, cat: 'PHSH' }, signer));
    expect(r.diagnosis).toMatchObject({ outcome: 'junked', primary: 'MESSAGE_PHISH' });
    expect(cause(r, 'MESSAGE_PHISH')).toMatchObject({ category: 'PHSH' });
    expect(r.findings[0]).toMatchObject({ code: 'MESSAGE_PHISH', severity: 'error', area: 'message' });
    const high = await analyse(await received('IT <it@sender.test>', { ...base, cat: 'HPHSH' }, signer));
    expect(high.diagnosis).toMatchObject({ outcome: 'quarantined', primary: 'MESSAGE_PHISH' });
    expect(cause(high, 'MESSAGE_PHISH')).toMatchObject({ category: 'HPHSH' });
  });
});

describe('DKIM signatures against today\'s DNS', () => {
  const recordedPass = { ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test' };

  it('a body altered after signing: MESSAGE_DKIM_INVALID (body-changed) decides; the receiver saw a pass, so the change came after it (MESSAGE_RESULT_DIFFERS, not DNS)', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'altered', 'sender.test', key.record);
    const msg = await received('Megan <megan@sender.test>', recordedPass, [{ domain: 'sender.test', selector: 'altered', key }]);
    const r = await analyse(msg.replace('the figures are attached', 'the figures are wrong'));
    expect(r.diagnosis.primary).toBe('MESSAGE_DKIM_INVALID');
    expect(cause(r, 'MESSAGE_DKIM_INVALID')).toMatchObject({ domain: 'sender.test', selector: 'altered', result: 'fail', dkimFailure: 'body-changed' });
    expect(r.message.differences).toEqual([expect.objectContaining({ method: 'dkim', domain: 'sender.test', recorded: 'pass', now: 'fail', cause: 'message' })]);
    expect(codes(r)).toContain('MESSAGE_RESULT_DIFFERS');
    expect(codes(r)).not.toContain('MESSAGE_DNS_CHANGED');
    // SPF still passes aligned: DMARC passes, no DMARC finding.
    expect(r.message.verdicts?.dmarc.result).toBe('pass');
    expect(codes(r)).not.toContain('MESSAGE_DMARC_FAIL');
  });

  it('a key revoked in DNS since: permerror (key-revoked), and today\'s DNS differs from the recorded pass (MESSAGE_DNS_CHANGED)', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'revoked', 'sender.test', 'v=DKIM1; k=rsa; p=');
    const r = await analyse(await received('Megan <megan@sender.test>', recordedPass, [{ domain: 'sender.test', selector: 'revoked', key }]));
    expect(cause(r, 'MESSAGE_DKIM_INVALID')).toMatchObject({ domain: 'sender.test', selector: 'revoked', result: 'permerror', dkimFailure: 'key-revoked' });
    expect(cause(r, 'MESSAGE_DNS_CHANGED')).toMatchObject({ method: 'dkim', domain: 'sender.test', result: 'pass', now: 'permerror' });
    expect(r.message.differences).toEqual([expect.objectContaining({ method: 'dkim', cause: 'dns' })]);
    expect(r.diagnosis.primary).toBe('MESSAGE_DKIM_INVALID');
  });

  it('a 1024-bit key: the signature passes, DKIM_KEY_WEAK (warning) asks for 2048; delivered, nothing decides against it', async () => {
    const key = createDkimKey(1024);
    publishKey(server, 'weak1024', 'sender.test', key.record);
    const r = await analyse(await received('Megan <megan@sender.test>', recordedPass, [{ domain: 'sender.test', selector: 'weak1024', key }]));
    expect(r.message.verdicts?.dkim?.signatures[0]).toMatchObject({ result: 'pass', key: { status: 'weak', bits: 1024 } });
    expect(codes(r)).toEqual(['DKIM_KEY_WEAK']);
    expect(r.findings[0]).toMatchObject({ severity: 'warning', area: 'dkim' });
    expect(cause(r, 'DKIM_KEY_WEAK')).toMatchObject({ domain: 'sender.test', selector: 'weak1024' });
    expect(r.diagnosis).toMatchObject({ outcome: 'delivered', primary: null });
  });

  it('two signatures of which one aligns: DMARC passes through d=sender.test although SPF fails; d=nodmarc.test does not align', async () => {
    const a = createDkimKey(2048, 'a');
    const b = createDkimKey(2048, 'b');
    publishKey(server, 'own', 'sender.test', a.record);
    publishKey(server, 'esp', 'nodmarc.test', b.record);
    const r = await analyse(await received('Megan <megan@sender.test>', { ...recordedPass, ip: '203.0.113.7', spf: 'fail' }, [
      { domain: 'nodmarc.test', selector: 'esp', key: b }, { domain: 'sender.test', selector: 'own', key: a },
    ]));
    const d = r.message.verdicts?.dmarc;
    expect(d).toMatchObject({ result: 'pass', dkimAligned: true, spf: { aligned: false } });
    expect(d?.dkim).toEqual([
      expect.objectContaining({ domain: 'nodmarc.test', result: 'pass', aligned: false }),
      expect.objectContaining({ domain: 'sender.test', result: 'pass', aligned: true }),
    ]);
    expect(codes(r)).toEqual(['MESSAGE_SPF_FAIL']);
    expect(r.diagnosis.primary).toBe('MESSAGE_SPF_FAIL');
  });
});

describe('headers: folded, encoded, duplicated; a header-only paste; the connecting IP', () => {
  it('folded and encoded From and Subject are decoded; two From fields naming two domains: DMARC cannot evaluate (MESSAGE_FROM_PROBLEM, permerror)', async () => {
    const msg = withTrace(microsoftTrace({ ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', dkim: 'none' }), buildMessage({
      from: '=?utf-8?B?TWVnYW4gQsO2d2Vu?=\r\n <megan@sender.test>',
      subject: '=?iso-8859-1?q?Caf=E9?=\r\n figures',
      extra: ['From: Other <x@nodmarc.test>'],
    }));
    const r = await analyse(msg);
    expect(r.message.summary).toMatchObject({ from: 'Megan Böwen <megan@sender.test>', subject: 'Café figures', fromAddresses: ['megan@sender.test', 'x@nodmarc.test'], fromDomain: null, duplicated: ['from'] });
    expect(r.message.verdicts?.dmarc).toMatchObject({ result: 'permerror', fromProblem: { kind: 'several-from-domains' } });
    expect(codes(r)).toContain('MESSAGE_FROM_PROBLEM');
    expect(codes(r)).not.toContain('MESSAGE_DMARC_FAIL');
    // The receiver's dmarc=pass beside today's permerror is the From field's doing, not DNS: no difference.
    expect(r.message.differences).toEqual([]);
    expect(codes(r)).not.toContain('MESSAGE_DNS_CHANGED');
  });

  it('duplicated Authentication-Results: the topmost Microsoft one is the receiver\'s, one a sender forged below it is not', async () => {
    const trace = microsoftTrace({ ...PASS, ip: '203.0.113.7', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'fail', dkim: 'none', dmarc: 'fail', action: 'oreject', compauth: 'fail', reason: '000', scl: 5, sfv: 'SPM' });
    const forged = 'Authentication-Results: spf=pass smtp.mailfrom=sender.test; dkim=pass header.d=sender.test; dmarc=pass action=none header.from=sender.test; compauth=pass reason=100';
    const r = await analyse(withTrace(trace, `${forged}\r\n${buildMessage({ from: 'megan@sender.test' })}`));
    expect(r.message.recorded.authenticationResults).toHaveLength(2);
    expect(r.message.recorded).toMatchObject({ spf: { result: 'fail' }, dmarc: { result: 'fail', action: 'oreject' }, compauth: { result: 'fail' } });
    expect(r.diagnosis.primary).toBe('MESSAGE_SPF_FAIL');
  });

  it('malformed lines in the header give a partial analysis, never a failure', async () => {
    const trace = microsoftTrace({ ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', dkim: 'none' });
    const msg = withTrace([...trace.slice(0, 3), 'this line is not a field', ...trace.slice(3)], buildMessage({ from: 'megan@sender.test', extra: ['no colon here either', 'X-Bad Name: a space in the name'] }));
    const r = await analyse(msg);
    expect(r.input.malformedLines).toBe(3);
    expect(r.message.verdicts?.spf).toMatchObject({ result: 'pass' });
  });

  it('a header-only paste: DKIM header signature and key verified, body hash not checked; noted', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'paste', 'sender.test', key.record);
    const full = await received('Megan <megan@sender.test>', { ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test' }, [{ domain: 'sender.test', selector: 'paste', key }]);
    const r = await analyse(full.slice(0, full.indexOf('\r\n\r\n')).replace(/\r\n/g, '\n'));
    expect(r.input).toMatchObject({ headersOnly: true, bodyBytes: 0, lineEnding: 'lf' });
    expect(r.message.verdicts?.dkim).toMatchObject({ headersOnly: true, signatures: [{ result: 'pass', bodyHash: 'not-checked' }] });
    expect(r.findings).toEqual([]);
    expect(r.notes.some((n) => n.startsWith('Headers pasted alone'))).toBe(true);
  });

  it('one tenant relaying to another: the first Microsoft hop and CIP disagree, and SPF is checked for CIP; --ip overrides both', async () => {
    const trace = microsoftTrace({ ...PASS, ip: '192.0.2.10', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', dkim: 'none' })
      .map((f) => (f.startsWith('Received: from mail.sender.test') ? f.replace('from mail.sender.test (192.0.2.10)', 'from laptop.sender.test (198.51.100.77)') : f));
    const msg = withTrace(trace, buildMessage({ from: 'megan@sender.test' }));
    const r = await analyse(msg);
    expect(r.message.connectingIp).toMatchObject({ ip: '192.0.2.10', source: 'forefront-cip', agree: false });
    expect(r.message.verdicts?.spf).toMatchObject({ ip: '192.0.2.10', result: 'pass' });
    const given = await analyse(msg, { ip: '192.0.2.30' });
    expect(given.message.connectingIp).toMatchObject({ ip: '192.0.2.30', source: 'option' });
    expect(given.message.verdicts?.spf).toMatchObject({ ip: '192.0.2.30', result: 'softfail' });
    expect(cause(given, 'MESSAGE_SPF_FAIL')).toMatchObject({ ip: '192.0.2.30', result: 'softfail' });
  });

  it('a lookup that fails: SPF is temperror and DNS_TEMPFAIL names the query, never an SPF failure; DMARC is not judged on it', async () => {
    server.setFault('weak.test', 'servfail', 'TXT');
    try {
      const r = await analyse(withTrace(microsoftTrace({ ...PASS, ip: '203.0.113.9', mailFrom: 'ceo@weak.test', headerFrom: 'weak.test', dkim: 'none' }), buildMessage({ from: 'ceo@weak.test' })));
      expect(r.message.verdicts?.spf).toMatchObject({ result: 'temperror', dnsFailure: { name: 'weak.test', type: 'TXT' } });
      expect(r.findings.filter((f) => f.code === 'DNS_TEMPFAIL')).toEqual([expect.objectContaining({ severity: 'error', evidence: expect.stringContaining('weak.test TXT') })]);
      expect(codes(r)).not.toContain('MESSAGE_SPF_FAIL');
      expect(r.message.verdicts?.dmarcComplete).toBe(false);
      expect(codes(r)).not.toContain('MESSAGE_DNS_CHANGED');
    } finally {
      server.setFault('weak.test', null, 'TXT');
    }
  });

  it('inputs that are not messages: a PNG, JSON, nothing: each a reason, no report, no DNS asked', async () => {
    server.resetStats();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 1)]);
    for (const [input, reason] of [[png, 'binary'], ['{"a": 1}\n', 'no-header-fields'], ['', 'empty']] as const) {
      const r = await analyzeMessage(ctx(), chunks(input));
      expect(r).toMatchObject({ kind: 'not-message', notMessage: { reason } });
    }
    expect(server.stats().perQuery.size).toBe(0);
  });
});
