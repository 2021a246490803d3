import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import type { LookupContext } from '../../src/dns/context.js';
import { analyzeMessage } from '../../src/message/analyze.js';
import type { MessageReport } from '../../src/message/report.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { FIXTURES } from '../support/fixtures.js';
import { buildMessage, createDkimKey, publishKey, signMessage, startMessageDns } from '../support/messages.js';
import { chunks } from './m365-headers.js';

/**
 * NDRs: Exchange Online's (fixtures/message/ndr, the codes of issue 17) and
 * ones built at test time whose returned headers carry a DKIM signature made
 * with a key the loopback DNS serves. Each failed recipient is
 * NDR_FAILED_RECIPIENT with its status and the catalog entry that explains
 * it; the returned original is analysed like a message.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startMessageDns();
});
afterAll(() => server.close());

const ctx = (): LookupContext => ({ dns: createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 }), clock: () => new Date('2026-05-06T10:00:00Z') });

async function analyse(message: string | Buffer, ip?: string): Promise<MessageReport> {
  const r = await analyzeMessage(ctx(), chunks(message), { ip });
  if (r.kind !== 'report') throw new Error(`not a message: ${r.notMessage.detail}`);
  return r.report;
}

describe('Exchange Online NDRs: the failed recipient explained from the shared catalog', () => {
  it.each([
    // 5.7.23 is registered (RFC 7372) and came from the recipient's own server: the registered reading, not Microsoft's.
    ['ndr-5.1.10.eml', 'nobody@contoso.com', '5.1.10', '5.1.10', true, 'ndr-text', 'ndr-text'],
    ['ndr-5.7.1-send-as.eml', 'bob@fabrikam.example', '5.7.1', '5.7.1', true, 'delivery-status', 'text/rfc822-headers'],
    ['ndr-5.7.23.eml', 'bob@fabrikam.example', '5.7.23', '5.7.23', false, 'delivery-status', 'text/rfc822-headers'],
    ['ndr-5.7.57.eml', 'bob@fabrikam.example', '5.7.57', '5.7.57', true, 'delivery-status', 'text/rfc822-headers'],
    ['ndr-5.4.1.eml', 'bob@fabrikam.example', '5.4.1', '5.4.1', true, 'delivery-status', 'text/rfc822-headers'],
  ])('%s: bounced, NDR_FAILED_RECIPIENT for %s with %s (catalog %s)', async (file, recipient, status, id, microsoft, source, returnedFrom) => {
    const r = await analyse(readFileSync(`${FIXTURES}message/ndr/${file}`));
    expect(r.kind).toBe('ndr');
    expect(r.diagnosis).toMatchObject({ outcome: 'bounced', primary: 'NDR_FAILED_RECIPIENT' });
    expect(r.diagnosis.causes[0]).toEqual({ code: 'NDR_FAILED_RECIPIENT', scope: 'message', recipient, statusCode: status, explanationId: id });
    expect(r.findings.filter((f) => f.code === 'NDR_FAILED_RECIPIENT')).toEqual([expect.objectContaining({ severity: 'error', area: 'message', evidence: expect.stringContaining(status) })]);
    expect(r.ndr).toMatchObject({ source, recipientsTotal: 1, recipients: [{ recipient, statusCode: status, explanation: { id, microsoft } }], returned: { from: returnedFrom } });
    expect(r.ndr?.returned?.headers.summary).toMatchObject({ from: 'Alice <alice@contoso.com>', fromDomain: 'contoso.com', subject: 'Quarterly report' });
    // The NDR's own headers are Microsoft's notice: shown, not verified.
    expect(r.message.verdicts).toBeNull();
    // The returned message's Received fields are the sender's own hops: SPF waits for --ip.
    expect(r.ndr?.returned?.headers.verdicts?.spf).toMatchObject({ status: 'not-evaluated', problem: 'no-ip' });
  });

  it('5.7.1 send-as and 5.4.1 relay denied are read as their Microsoft variants', async () => {
    const sendAs = await analyse(readFileSync(`${FIXTURES}message/ndr/ndr-5.7.1-send-as.eml`));
    expect(sendAs.ndr?.recipients[0]?.explanation?.title).toMatch(/send as/i);
    const relay = await analyse(readFileSync(`${FIXTURES}message/ndr/ndr-5.4.1.eml`));
    expect(relay.ndr?.recipients[0]?.explanation?.title).toMatch(/DBEB|Relay/);
  });

  it('5.7.23 (SPF hard fail at the receiver) of mail Microsoft 365 sent: the sender\'s SPF gets Microsoft\'s include, as a record to publish', async () => {
    const r = await analyse(readFileSync(`${FIXTURES}message/ndr/ndr-5.7.23.eml`));
    // contoso.com publishes nothing in the test DNS: a new record.
    expect(r.fixes).toEqual([{ code: 'NDR_FAILED_RECIPIENT', name: 'contoso.com', type: 'TXT', value: 'v=spf1 include:spf.protection.outlook.com ~all', action: 'add', note: expect.any(String) }]);
  });

  it('the DKIM signature of the returned headers is verified on the headers alone; one of the NDR text is not', async () => {
    const five = await analyse(readFileSync(`${FIXTURES}message/ndr/ndr-5.1.10.eml`));
    expect(five.ndr?.returned?.headers.verdicts?.dkim).toBeNull();
    expect(five.notes.some((n) => n.includes('not verified'))).toBe(true);
  });
});

/** An Exchange Online-shaped NDR (multipart/report) returning `original`'s header block for `recipient` with `status`. */
function ndrFor(original: string, recipient: string, status: string, diagnostic: string): string {
  const headers = original.slice(0, original.indexOf('\r\n\r\n') + 2);
  return [
    'From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@sender.test>',
    'To: <megan@sender.test>', 'Date: Tue, 5 May 2026 09:30:09 +0000', 'Subject: Undeliverable: Quarterly figures', 'MIME-Version: 1.0',
    'Message-ID: <ndr-test@BY5PR04MB1234.namprd04.prod.outlook.com>', 'Auto-Submitted: auto-replied',
    'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset="us-ascii"', '', `Your message to ${recipient} couldn't be delivered.`, '',
    '--b1', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns;BY5PR04MB1234.namprd04.prod.outlook.com', '',
    `Final-Recipient: rfc822;${recipient}`, 'Action: failed', `Status: ${status}`, `Diagnostic-Code: smtp;${diagnostic}`, 'Remote-MTA: dns;mx.fabrikam.example', '',
    '--b1', 'Content-Type: text/rfc822-headers', '', headers, '--b1--', '',
  ].join('\r\n');
}

describe('NDRs built at test time: the returned original analysed like a message', () => {
  it('5.7.23 for sender.test, whose SPF lacks Microsoft\'s include: the record with the include before its -all, replacing it', async () => {
    const original = buildMessage({ from: 'Megan <megan@sender.test>', to: 'bob@fabrikam.example' });
    const r = await analyse(ndrFor(original, 'bob@fabrikam.example', '5.7.23', '550 5.7.23 The message was rejected because of Sender Policy Framework violation'));
    expect(r.fixes).toEqual([expect.objectContaining({ code: 'NDR_FAILED_RECIPIENT', name: 'sender.test', action: 'replace', value: 'v=spf1 ip4:192.0.2.10 ?ip4:192.0.2.20 ~ip4:192.0.2.30 include:spf.protection.outlook.com -all exp=why.%{d}' })]);
    expect(r.diagnosis.primary).toBe('NDR_FAILED_RECIPIENT');
  });

  it('a valid signature on the returned headers passes (body not checked); a signed header changed since fails in the returned scope', async () => {
    const key = createDkimKey(2048);
    publishKey(server, 'ndr', 'sender.test', key.record);
    const signed = await signMessage(buildMessage({ from: 'Megan <megan@sender.test>' }), [{ domain: 'sender.test', selector: 'ndr', key }]);
    const ok = await analyse(ndrFor(signed, 'adele@contoso.example', '5.1.10', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'));
    expect(ok.ndr?.returned?.headers.verdicts?.dkim?.signatures).toMatchObject([{ domain: 'sender.test', result: 'pass', bodyHash: 'not-checked' }]);
    expect(ok.findings.map((f) => f.code)).toEqual(['NDR_FAILED_RECIPIENT']);
    const changed = await analyse(ndrFor(signed.replace('Subject: Quarterly figures', 'Subject: Yearly figures'), 'adele@contoso.example', '5.1.10', '550 5.1.10 RESOLVER.ADR.RecipientNotFound'));
    expect(changed.diagnosis.causes.find((c) => c.code === 'MESSAGE_DKIM_INVALID')).toMatchObject({ scope: 'returned', domain: 'sender.test', dkimFailure: 'bad-signature' });
  });

  it('--ip checks SPF for the returned message, and DMARC is complete then', async () => {
    const original = buildMessage({ from: 'Megan <megan@sender.test>', extra: [] });
    const withPath = `Return-Path: <megan@sender.test>\r\n${original}`;
    const r = await analyse(ndrFor(withPath, 'bob@fabrikam.example', '5.7.1', '550 5.7.1 Delivery not authorized'), '203.0.113.7');
    expect(r.ndr?.returned?.headers.verdicts).toMatchObject({ spf: { status: 'evaluated', ip: '203.0.113.7', result: 'fail' }, dmarcComplete: true, dmarc: { result: 'fail' } });
    expect(r.ndr?.returned?.headers.connectingIp).toMatchObject({ ip: '203.0.113.7', source: 'option' });
    expect(r.diagnosis.causes.find((c) => c.code === 'MESSAGE_SPF_FAIL')).toMatchObject({ scope: 'returned', ip: '203.0.113.7', domain: 'sender.test' });
    expect(r.diagnosis.causes.find((c) => c.code === 'MESSAGE_DMARC_FAIL')).toMatchObject({ scope: 'returned', policy: 'reject' });
    expect(r.diagnosis.primary).toBe('NDR_FAILED_RECIPIENT');
  });

  it('a delayed recipient (4.4.7, action delayed) is NDR_DELAYED_RECIPIENT (info), the outcome delayed', async () => {
    const original = buildMessage({ from: 'Megan <megan@sender.test>' });
    const r = await analyse(ndrFor(original, 'bob@fabrikam.example', '4.4.7', '451 4.4.7 Message delayed').replace('Action: failed', 'Action: delayed'));
    expect(r.diagnosis).toMatchObject({ outcome: 'delayed', primary: 'NDR_DELAYED_RECIPIENT' });
    expect(r.findings).toEqual([expect.objectContaining({ code: 'NDR_DELAYED_RECIPIENT', severity: 'info' })]);
  });
});
