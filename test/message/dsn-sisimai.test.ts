import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/message/parse.js';
import { readMessageBytes } from '../../src/message/reader.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * The 65 real bounces of fixtures/message/dsn-sisimai (sisimai's
 * set-of-emails, BSD-2-Clause). For each failed recipient sisimai's tests
 * assert: the status code, which must equal our `statusCode`, and the SMTP
 * reply code, which must equal our `replyCode` (sisimai's "" is null here).
 * The recipient addresses are ours (RECIPIENTS): read by hand from each
 * message's Final-Recipient fields, or from Microsoft's NDR text where there
 * is no delivery-status part. Where our reading of the report differs from
 * sisimai's heuristics, DIFFERENT says what we give and why.
 */
interface Case { file: string; kind: string; expected: { index: number; status: string; replycode: string }[]; has_message_delivery_status: boolean; sha256: string }
const DIR = `${FIXTURES}message/dsn-sisimai/`;
const CASES = (JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as { cases: Case[] }).cases;

const RECIPIENTS: Record<string, string[]> = {
  'lhost-exchange2007-01': ['mikeneko@example.co.jp'],
  'lhost-exchange2007-02': ['kijitora@example.edu'],
  'lhost-exchange2007-03': ['kijitora@neko.example.com'],
  'lhost-exchange2007-04': ['neko-nyaan@example.jp'],
  'lhost-exchange2007-05': ['gwang1@student.mlcsyd.nsw.edu.au'],
  'lhost-exchange2007-06': ['transports@agglo-saumur.fr'],
  'lhost-exchange2007-07': ['kijitora@example.jp'],
  'lhost-office365-01': ['kijitora@example.com'],
  'lhost-office365-02': ['kijitora@example.onmicrosoft.com'],
  'lhost-office365-03': ['kijitora@example.com'],
  'lhost-office365-04': ['otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp'],
  'lhost-office365-05': ['kijitora@example.jp'],
  'lhost-office365-06': ['neko@libsisimai.org'],
  'lhost-office365-07': ['otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp'],
  'lhost-office365-08': ['nyaan@neko.example.jp'],
  'lhost-office365-09': ['azumakuniyuki@example.ne.jp'],
  'lhost-office365-10': ['azumakuniyuki@example.ne.jp'],
  'lhost-office365-11': ['kijitora@cr3.neko.nyaan.jp'],
  'lhost-office365-12': ['kijitora@cr.neko.nyaan.jp'],
  'lhost-office365-13': ['kijitora-nyaan@neko.kyoto.example.jp'],
  'lhost-outlook-01': ['kijitora@example.jp'],
  'lhost-outlook-02': ['kijitora@example.jp'],
  'lhost-outlook-03': ['kijitora@example.jp'],
  'lhost-outlook-04': ['sabineko@example.co.jp', 'mikeneko@example.co.jp'],
  'lhost-outlook-06': ['kijitora@example.com'],
  'lhost-outlook-07': ['kijitora@example.com'],
  'lhost-outlook-08': ['kijitora@hotmail.example.com'],
  'lhost-outlook-09': ['kijitora@example.org'],
  'rfc3464-01': ['userunknown@bouncehammer.jp'],
  'rfc3464-03': ['kijitora@example.com'],
  'rfc3464-04': ['kijitora@mailx-53.neko.example.edu'],
  'rfc3464-06': ['kijitora@example.net'],
  'rfc3464-07': ['kijitora@example.net'],
  'rfc3464-08': ['kijitora@example.net'],
  'rfc3464-09': ['kijitora-cat@mx4.gr3.example.jp'],
  'rfc3464-10': ['kijitora@example.jp'],
  'rfc3464-26': ['kijitora@example.or.jp'],
  // An mbox file of two reports: the first message is the one read.
  'rfc3464-28': ['kijitora@neko.example.jp'],
  'rfc3464-29': ['kijitora@example.com'],
  'rfc3464-34': ['kijitora@example.com'],
  'rfc3464-35': ['kijitora@nyaan.example.com', 'sabatora@cat.example.net', 'mikeneko@neko.example.or.jp'],
  'rfc3464-36': ['kijitora@nyaan.example.com'],
  'rfc3464-40': ['kijitora@nyaan.neko.example.com'],
  'rfc3464-42': ['jane.doe@some-domain.net'],
  'rfc3464-43': ['jp1rb6cm3@mozmail.com'],
  'rfc3464-51': ['kijitora@example.de'],
  'rfc3464-52': ['neko@libsisimai.org'],
  'rfc3464-53': ['sironeko@example.jp'],
  'rfc3464-54': ['sotoneko@haineko.org'],
  'rfc3464-55': ['sotoneko@nora.nyaan.jp'],
  'rfc3464-56': ['siro@neko1.nyaan.jp'],
  'rfc3464-57': ['otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp'],
  'rfc3464-58': ['otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp'],
  'rfc3464-59': ['neko@libsisimai.org'],
  'rfc3464-60': ['kijitora@example.jp'],
  'rfc3464-61': ['kijitora@example.com'],
  'rfc3464-62': ['nekonyaan@gmal.com'],
  'rfc3464-63': ['libsisimai-2@googlegroups.com'],
  'rfc3464-64': ['maildebug@example.jpn'],
  'rfc3464-65': ['kijitora@example.it'],
  'rhost-microsoft-01': ['kijitora@example.com'],
  'rhost-microsoft-02': ['kijitora@example.org'],
  'rhost-microsoft-03': ['kijitora@example.com'],
  'rhost-microsoft-04': ['pseudo-local-part-of-microsoft@outlook.com'],
  'rhost-microsoft-05': ['pseudo-local-part-of-microsoft@outlook.com'],
};

/** Where we give another status or reply code than sisimai, and why. Keyed by file and recipient index (1-based). */
const DIFFERENT: Record<string, { status?: string; replyCode?: number | null; why: string }> = {
  // The DSN says `Status: 4.4.7` and `Diagnostic-Code: smtp;550 4.4.7 QUEUE.Expired`; sisimai reads 4.4.1 from
  // the "Remote Server at … returned '… connection attempt failed'" lines of the text.
  'lhost-exchange2007-05#1': { status: '4.4.7', replyCode: 550, why: 'the DSN fields, not the prose' },
  // `Diagnostic-Code: smtp; 426 …` for a 4.0.0 status: sisimai keeps no reply code for temporary failures without one in its taxonomy.
  'rfc3464-36#1': { replyCode: 426, why: 'the reply code the Diagnostic-Code gives' },
  // No Diagnostic-Code: the 554 is only in the human-readable transcript, which we do not read for codes.
  'rfc3464-04#1': { replyCode: null, why: 'no Diagnostic-Code in the status fields' },
  'rfc3464-06#1': { replyCode: null, why: 'no Diagnostic-Code in the status fields' },
};

/**
 * Reports whose MIME structure does not hold: no boundary lines at all (04, 06, 34), or the status part's
 * boundary line indented by a space (35, so RFC 2046 5.1.1 does not see it). Their DSN fields are read from the text.
 */
const BROKEN_MIME = new Set(['rfc3464-04', 'rfc3464-06', 'rfc3464-34', 'rfc3464-35']);

const name = (file: string): string => file.replace(/^eml\//, '').replace(/\.eml$/, '');

describe('sisimai bounces: 65 real DSNs and NDRs', () => {
  it('has every message unchanged (sha256) and an expected recipient list for each', () => {
    expect(CASES).toHaveLength(65);
    for (const c of CASES) {
      expect(createHash('sha256').update(readFileSync(`${DIR}${c.file}`)).digest('hex'), c.file).toBe(c.sha256);
      expect(RECIPIENTS[name(c.file)]?.length, c.file).toBe(c.expected.length);
    }
  });

  CASES.forEach((c) => {
    it(`${name(c.file)} (${c.kind.split(' (')[0]})`, async () => {
      const m = await parseMessage(readMessageBytes(readFileSync(`${DIR}${c.file}`)));
      expect(m.notMessage).toBeNull();
      const report = m.report;
      expect(report).not.toBeNull();
      // The message/delivery-status part where there is one; DSN fields in the text where the MIME is
      // broken (no part is found), Microsoft's NDR text where there are no DSN fields at all.
      expect(report?.source).toBe(BROKEN_MIME.has(name(c.file)) ? 'delivery-status-text' : c.has_message_delivery_status ? 'delivery-status' : 'ndr-text');
      expect(report?.recipients.map((r) => r.recipient)).toEqual(RECIPIENTS[name(c.file)]);
      for (const e of c.expected) {
        const r = report?.recipients[e.index - 1];
        const diff = DIFFERENT[`${name(c.file)}#${e.index}`];
        expect(r?.statusCode, 'status').toBe(diff?.status ?? e.status);
        const reply = diff && 'replyCode' in diff ? diff.replyCode : e.replycode === '' ? null : Number(e.replycode);
        expect(r?.replyCode, 'reply code').toBe(reply);
      }
    });
  });

  it('counts what agrees: every status but one, and the differences are all listed', async () => {
    let statuses = 0;
    let agreeing = 0;
    for (const c of CASES) {
      const m = await parseMessage(readMessageBytes(readFileSync(`${DIR}${c.file}`)));
      for (const e of c.expected) {
        statuses++;
        if (m.report?.recipients[e.index - 1]?.statusCode === e.status) agreeing++;
      }
    }
    expect(statuses).toBe(68);
    expect(agreeing).toBe(67);
    expect(Object.values(DIFFERENT).filter((d) => d.status !== undefined)).toHaveLength(68 - 67);
  });
});

describe('sisimai bounces: the Microsoft ones in detail', () => {
  const parse = async (f: string): ReturnType<typeof parseMessage> => parseMessage(readMessageBytes(readFileSync(`${DIR}eml/${f}.eml`)));

  it("an Exchange Online NDR with no status part: the recipient, the 'Remote Server returned' reply, the generating server, the original headers", async () => {
    const m = await parse('lhost-office365-01');
    const r = m.report;
    expect(r).toMatchObject({ source: 'ndr-text', generatingServer: 'FFFFFFFFFFFF.e0.prod.outlook.com', returnedFrom: 'ndr-text' });
    expect(r?.recipients[0]).toMatchObject({ recipient: 'kijitora@example.com', action: 'failed', statusCode: '5.1.10', replyCode: 550, diagnosticCode: { type: 'smtp', value: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' } });
    // The returned headers parse like a message's: the Received chain of the original.
    const received = r?.returnedHeaders?.fields.filter((f) => f.key === 'received') ?? [];
    expect(received).toHaveLength(3);
    expect(r?.returnedHeaders?.fields.find((f) => f.key === 'from')?.value).toBe('"Shironeko, Nyaaaan" <sironeko@example.ed.jp>');
  });

  it('a DSN from Exchange Online: per-message fields, per-recipient fields, the returned message', async () => {
    const m = await parse('lhost-office365-13');
    const r = m.report;
    expect(r?.source).toBe('delivery-status');
    expect(r?.reportingMta).toEqual({ type: 'dns', value: expect.stringContaining('.prod.exchangelabs.com') });
    expect(r?.recipients[0]).toMatchObject({ finalRecipient: { type: 'rfc822', value: 'kijitora-nyaan@neko.kyoto.example.jp' }, action: 'failed', status: '5.1.10', diagnosticStatus: '5.1.10', replyCode: 550 });
    expect(r?.generatingServer).toBe('NEKONYAAN0022.apcprd01.prod.exchangelabs.com');
    expect(r?.returnedFrom).toBe('message/rfc822');
    expect(r?.returnedHeaders?.fields.some((f) => f.key === 'received')).toBe(true);
  });

  it('a bounce from Microsoft with text/rfc822-headers and a Status more specific than its class', async () => {
    const r = (await parse('rhost-microsoft-01')).report;
    expect(r?.returnedFrom).toBe('text/rfc822-headers');
    expect(r?.recipients[0]?.statusCode).toBe('5.7.606');
    const g = (await parse('rfc3464-51')).report?.recipients[0];
    // Status 5.0.0 says only "permanent"; the Diagnostic-Code's 5.1.0 is the code to explain.
    expect(g).toMatchObject({ status: '5.0.0', diagnosticStatus: '5.1.0', statusCode: '5.1.0' });
  });
});
