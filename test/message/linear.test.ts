import { describe, expect, it } from 'vitest';
import { parseForefrontReport } from '../../src/message/antispam.js';
import { MAX_AUTH_PROBLEMS, parseAuthenticationResults } from '../../src/message/authres.js';
import { parseMessageDate } from '../../src/message/date.js';
import { MAX_MIME_LINES, parseDiagnostic } from '../../src/message/dsn.js';
import { parseHeaderText } from '../../src/message/headers.js';
import { htmlToText, parseNdrText, undoQuotedPrintable } from '../../src/message/ndr-text.js';
import { parseMessage } from '../../src/message/parse.js';
import { readMessageBytes } from '../../src/message/reader.js';
import { parseReceived } from '../../src/message/received.js';

/**
 * The message parsers read text a sender chose, up to the reader's caps
 * (1 MiB of header, 2 MiB of body): every one must be linear. These feed a
 * quarter megabyte of the shapes that make a backtracking regex quadratic (runs of
 * spaces, of separators, of the characters a trim strips) and check the
 * result; a quadratic parser would not finish (test/hostile/linear.test.ts
 * measured 15 s for 80,000 spaces in a quadratic DMARC parser).
 */
// A quarter of a megabyte: a quadratic parser needs ~10^10 steps on it (minutes); a linear one milliseconds.
const N = 256 * 1024;
const SPACES = ' '.repeat(N);

describe('message parsers are linear', () => {
  it('parseHeaderText: a megabyte of folded white space and of trailing spaces', () => {
    const h = parseHeaderText(`Subject: a${'\n '.repeat(N / 2)}b${SPACES}\nTo: x@example.com\n`);
    expect(h.fields.map((f) => f.key)).toEqual(['subject', 'to']);
    expect(h.fields[0]?.value.endsWith('b')).toBe(true);
  });

  it('parseAuthenticationResults: runs of spaces, semicolons, equals signs and comments', () => {
    expect(parseAuthenticationResults(`mx.example;${SPACES}spf${SPACES}=${SPACES}pass${SPACES}smtp.mailfrom=${SPACES}a.example`).results[0]).toMatchObject({ method: 'spf', result: 'pass' });
    const semis = parseAuthenticationResults(`mx.example${';'.repeat(N)}`).problems;
    expect(semis).toHaveLength(MAX_AUTH_PROBLEMS + 1);
    expect(semis[MAX_AUTH_PROBLEMS]).toBe(`… and ${N - MAX_AUTH_PROBLEMS} more problems`);
    expect(parseAuthenticationResults(`mx.example; dkim=pass header.b=a${'='.repeat(N)}`).results[0]?.properties[0]?.value.length).toBe(N + 1);
    expect(parseAuthenticationResults(`mx.example; spf=pass ${'('.repeat(N / 2)}`).results).toHaveLength(1);
  });

  it('parseReceived: long comments, brackets and TLS-ish words', () => {
    expect(parseReceived(`from a.example (${'['.repeat(N / 2)}) by b.example; Tue, 4 Mar 2025 10:00:00 +0000`).byHost).toBe('b.example');
    expect(parseReceived(`from a.example (${'x '.repeat(N / 2)}[192.0.2.1]) by b.example`).fromIp).toBe('192.0.2.1');
    expect(parseReceived(`from a.example (${'version=TLS1_2, '.repeat(N / 16)}) by b.example`).tls?.version).toBe('TLSv1.2');
    expect(parseReceived(`${';'.repeat(N)}`).date).toBeNull();
  });

  it('parseMessageDate, parseForefrontReport, parseDiagnostic', () => {
    expect(parseMessageDate(`Tue,${SPACES}4 Mar 2025 10:00:00 +0000`)).toBe(Date.UTC(2025, 2, 4, 10));
    expect(parseForefrontReport(`SCL:5;${';'.repeat(N)}CIP:192.0.2.1`).cip).toBe('192.0.2.1');
    expect(parseDiagnostic(`550 ${'.'.repeat(N)}x`)).toEqual({ replyCode: 550, status: null });
    expect(parseDiagnostic(`550 #${'#'.repeat(N)}5.1.1${'.'.repeat(N)}`)).toEqual({ replyCode: 550, status: '5.1.1' });
  });

  it('parseNdrText, htmlToText, undoQuotedPrintable', () => {
    expect(parseNdrText(`Diagnostic information for administrators:\n${'\n'.repeat(N)}a@example.com\nRemote Server returned '550 5.1.1 x'\n`).recipients).toHaveLength(1);
    expect(parseNdrText(`Original message headers:\n${' \n'.repeat(N / 2)}From: a@example.com`).originalHeaders?.length).toBeGreaterThan(0);
    expect(htmlToText('<'.repeat(N)).length).toBe(0);
    expect(undoQuotedPrintable('=\n'.repeat(N / 2))).toBe('');
  });

  it('parseMessage: a report whose body is 2 MiB of line ends (MIME sees the first MAX_MIME_LINES lines)', async () => {
    const MIB = 1024 * 1024;
    const head = 'From: a@example.com\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nStatus: 5.1.1\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n';
    const m = await parseMessage(readMessageBytes(new TextEncoder().encode(`${head}${'\r\n'.repeat(MIB)}--b--\r\n`)));
    expect(m.size.bodyBytes).toBeGreaterThan(2 * MIB);
    expect(m.report?.source).toBe('delivery-status');
    expect(m.report?.recipients[0]?.recipient).toBe('bob@example.org');
    expect(MAX_MIME_LINES).toBe(50_000);
  });
});
