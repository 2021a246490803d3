import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditedMessageReport } from '../../src/audit/message.js';
import { auditMessage } from '../../src/audit/message.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { renderMessageHtml } from '../../src/report/message-html.js';
import { renderMessageMarkdown } from '../../src/report/message-markdown.js';
import { renderMessageJson, renderMessageTable } from '../../src/report/message.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';
import { chunks, microsoftTrace, withTrace } from '../message/m365-headers.js';

/**
 * Every output format of `message` stays safe whatever the header values
 * hold: text smuggled in as RFC 2047 encoded words (which decode to any
 * character: ESC, CR/LF, bidi overrides) or raw in a field (Subject, From,
 * Received hosts, Authentication-Results comments, anti-spam fields, an
 * NDR's recipient and diagnostic). No control character reaches the
 * terminal or a ticket, no markup or table cell is added to Markdown, no
 * element to HTML, and the JSON round-trips.
 */
const dns = createMemoryDnsClient({
  'sender.test': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
  '_dmarc.sender.test': { TXT: ['v=DMARC1; p=quarantine'] },
});

/** Characters no output may carry raw (safe-text.ts's table), line feed apart (the layout's own). */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
/** The elements the HTML renderer writes itself. */
const OWN_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'p', 'main', 'section', 'strong', 'a', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'pre', 'ul', 'li', 'dl', 'dt', 'dd', 'footer', 'time']);

const b64 = (s: string): string => `=?utf-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
/** Raw header text: anything but a line break (a raw CR or LF would end the field). */
const raw = (s: string): string => s.replace(/[\r\n]/g, ' ');

function hostileMessage(s: string): string {
  const trace = microsoftTrace({
    ip: '203.0.113.7', helo: 'mail.sender.test', mailFrom: 'megan@sender.test', headerFrom: 'sender.test', spf: 'fail', dkim: 'none', dmarc: 'fail', action: 'quarantine',
    compauth: 'fail', reason: '000', scl: 5, sfv: 'SPM', cat: 'SPOOF', dest: 'J',
  }).map((f) => (f.startsWith('X-Forefront-Antispam-Report') ? f.replace('CTRY:NL', `CTRY:${raw(s).replace(/;/g, ',')}`) : f));
  return withTrace([
    `Received: from ${raw(s).replace(/[;()]/g, '_')} (192.0.2.99) by mail.sender.test with ESMTP; Tue, 5 May 2026 09:30:01 +0000`,
    ...trace,
    `Authentication-Results: other.example; spf=pass (${raw(s).replace(/[()]/g, '_')}) smtp.mailfrom=sender.test`,
  ], [
    `From: ${b64(s)} <megan@sender.test>`, `To: ${raw(s)} <adele@contoso.example>`, `Subject: ${b64(s)} and ${raw(s)}`, 'Date: Tue, 5 May 2026 09:30:00 +0000',
    `Message-ID: <${raw(s).replace(/[<>\s]/g, '_')}@sender.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain', '', 'body',
  ].join('\r\n'));
}

function hostileNdr(s: string): string {
  return [
    'From: postmaster@sender.test', 'To: megan@sender.test', `Subject: ${b64(s)}`, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '',
    '--b', 'Content-Type: text/plain', '', 'undeliverable', '',
    '--b', 'Content-Type: message/delivery-status', '', `Reporting-MTA: dns;${raw(s)}`, '',
    `Final-Recipient: rfc822;${raw(s)}@fabrikam.example`, 'Action: failed', 'Status: 5.1.10', `Diagnostic-Code: smtp;550 5.1.10 ${raw(s)}`, `Remote-MTA: dns;${raw(s)}`, '',
    '--b', 'Content-Type: text/rfc822-headers', '', `From: ${b64(s)} <megan@sender.test>`, `Subject: ${raw(s)}`, '', '--b--', '',
  ].join('\r\n');
}

async function reportOf(message: string): Promise<AuditedMessageReport> {
  const r = await auditMessage({ dns }, chunks(message));
  if (r.kind !== 'report') throw new Error(r.notMessage.detail);
  return r.report;
}

function expectSafe(r: AuditedMessageReport): void {
  const table = renderMessageTable(r, { color: false });
  expect(table).not.toMatch(UNSAFE);
  const colored = renderMessageTable(r, { color: true });
  // The only escapes are the renderer's own SGR codes.
  expect(colored.replace(/\x1b\[\d+m/g, '')).not.toMatch(UNSAFE);

  const md = renderMessageMarkdown(r);
  expect(md).not.toMatch(UNSAFE);
  expect(md).not.toMatch(/<script|<img|<\/style|<!--|\]\(http/i);
  // Headings are the renderer's: its title and its sections.
  for (const h of md.split('\n').filter((l) => l.startsWith('#'))) expect(h).toMatch(/^(## (Message|NDR|Headers)\b|### (Records to publish|Recipients \(\d+\)|Route \(oldest first\)|Findings)$)/);
  // Every table row keeps its cells: 3 in the verdict table, 5 in the recipients'.
  for (const row of md.split('\n').filter((l) => l.startsWith('| '))) {
    const cells = row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).length;
    expect([3, 5]).toContain(cells);
  }
  // Fences come in pairs, and no line inside a block is a fence that could close it early.
  const fences = md.split('\n').filter((l) => /^`{3,}/.test(l));
  expect(fences.length % 2).toBe(0);

  const html = renderMessageHtml(r);
  expect(html).not.toMatch(UNSAFE);
  for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)) expect(OWN_TAGS, `element <${m[1]}>`).toContain((m[1] as string).toLowerCase());
  // No event-handler attribute in any element (data's `onerror=` stays text, its `<` escaped).
  for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) expect(tag).not.toMatch(/\son[a-z]+=/i);

  const json = renderMessageJson(r);
  expect(json).not.toMatch(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/);
  expect((JSON.parse(json) as { report: unknown }).report).toEqual(JSON.parse(JSON.stringify(r)));
}

describe('message renderers on hostile header values', () => {
  it.each(HOSTILE_STRINGS.map((s, i) => [i, s]))('a message whose fields hold hostile string %i: every format safe', async (_i, s) => {
    const r = await reportOf(hostileMessage(s));
    // The decoded Subject holds the string itself: the hostile text really reached the report.
    expect(r.message.summary.subject?.startsWith(s.replace(/\r\n|\r|\n/g, (m) => m))).toBe(true);
    expectSafe(r);
  });

  it.each(HOSTILE_STRINGS.map((s, i) => [i, s]))('an NDR whose recipient, diagnostic and MTA hold hostile string %i: every format safe', async (_i, s) => {
    const r = await reportOf(hostileNdr(s));
    expect(r.kind).toBe('ndr');
    expectSafe(r);
  });

  it('property: any text in the encoded and raw header values leaves every format safe', async () => {
    const text = fc.oneof(
      fc.constantFrom(...HOSTILE_STRINGS),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0x2070 }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
    );
    await fc.assert(fc.asyncProperty(text, async (s) => {
      expectSafe(await reportOf(hostileMessage(s)));
      expectSafe(await reportOf(hostileNdr(s)));
    }), { numRuns: 60, seed: 17 });
  });
});
