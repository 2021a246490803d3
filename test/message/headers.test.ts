import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/message/classify.js';
import { decodeHeaderBytes, firstHeader, headerFields, MAX_HEADER_FIELDS, parseHeaderBlock, parseHeaderText } from '../../src/message/headers.js';
import { readMessageBytes } from '../../src/message/reader.js';
import { parseMessage } from '../../src/message/parse.js';
import { FIXTURES } from '../support/fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const JUNKED = readFileSync(`${FIXTURES}message/m365-junked.eml`);

describe('parseHeaderText', () => {
  it('unfolds (RFC 5322 2.2.3), keeps the raw folds, and trims the value', () => {
    const h = parseHeaderText('Subject: one\r\n two\r\n\tthree  \r\nTo: b@example.com\r\n');
    expect(h.fields).toHaveLength(2);
    expect(h.fields[0]).toEqual({ name: 'Subject', key: 'subject', raw: ' one\n two\n\tthree  ', value: 'one two\tthree', decoded: 'one two\tthree', line: 1 });
    expect(h.fields[1]).toMatchObject({ name: 'To', value: 'b@example.com', line: 4 });
  });

  it('decodes RFC 2047 encoded words (B and Q, UTF-8 and Latin-1, adjacent words joined) and keeps the value as written', () => {
    const h = parseHeaderBlock(JUNKED);
    expect(firstHeader(h, 'from')).toMatchObject({ value: '=?utf-8?B?QWxpY2Ugw4nDqQ==?= <alice@fabrikam.example>', decoded: 'Alice Éé <alice@fabrikam.example>' });
    expect(firstHeader(h, 'subject')).toMatchObject({ value: '=?iso-8859-1?q?Caf=E9?= invoice for March', decoded: 'Café invoice for March' });
    const adj = parseHeaderText('Subject: =?utf-8?q?a?= =?utf-8?q?b?=\n');
    expect(adj.fields[0]?.decoded).toBe('ab');
    // postal-mime reads an unknown charset as Latin-1 and drops base64 that does not decode; the value stays as written.
    const broken = parseHeaderText('Subject: =?x-unknown?Q?caf=E9?= and =?utf-8?B?***?=\n');
    expect(broken.fields[0]).toMatchObject({ value: '=?x-unknown?Q?caf=E9?= and =?utf-8?B?***?=', decoded: 'café and ' });
  });

  it('keeps duplicated fields in order with their lines', () => {
    const h = parseHeaderBlock(JUNKED);
    const received = headerFields(h, 'Received');
    expect(received).toHaveLength(5);
    expect(received.map((f) => f.line)).toEqual([1, 4, 16, 21, 25]);
    expect(received[0]?.value.startsWith('from DM6PR03MB1234.namprd03.prod.outlook.com')).toBe(true);
    expect(h.fields.map((f) => f.key).slice(-3)).toEqual(['message-id', 'mime-version', 'content-type']);
    expect(h).toMatchObject({ fieldsTotal: 22, malformedTotal: 0, truncated: false });
  });

  it('tolerates malformed lines: kept in malformed with their problem, the fields around them read', () => {
    const h = parseHeaderText(' leading continuation\nFrom: a@example.com\nthis line has no colon\n  its continuation\nBad Name: x\nSubject : obsolete space before the colon\nTo: b@example.com\n');
    expect(h.fields.map((f) => [f.name, f.value])).toEqual([['From', 'a@example.com'], ['Subject', 'obsolete space before the colon'], ['To', 'b@example.com']]);
    expect(h.malformed.map((m) => [m.line, m.problem])).toEqual([[1, 'continuation-first'], [3, 'no-colon'], [5, 'bad-name']]);
    expect(h.malformedTotal).toBe(3);
  });

  it('stops at the first empty line (the end of a header block)', () => {
    const h = parseHeaderText('From: a@example.com\n\nNot-A-Header: body text\n');
    expect(h.fields.map((f) => f.key)).toEqual(['from']);
  });

  it('reads 8-bit header bytes as UTF-8 when they are, else as Latin-1', () => {
    expect(decodeHeaderBytes(enc('Subject: café'))).toBe('Subject: café');
    expect(decodeHeaderBytes(Uint8Array.from([0x53, 0x3a, 0x20, 0x63, 0x61, 0x66, 0xe9]))).toBe('S: café');
  });

  it('keeps at most MAX_HEADER_FIELDS fields and says how many there were', () => {
    const text = Array.from({ length: MAX_HEADER_FIELDS + 5 }, (_, i) => `X-N: ${i}\n`).join('');
    const h = parseHeaderText(text);
    expect(h.fields).toHaveLength(MAX_HEADER_FIELDS);
    expect(h).toMatchObject({ fieldsTotal: MAX_HEADER_FIELDS + 5, truncated: true });
    expect(h.fields[MAX_HEADER_FIELDS - 1]?.value).toBe(String(MAX_HEADER_FIELDS - 1));
  });
});

describe('classifyMessage: is it a message at all', () => {
  const classify = (bytes: Uint8Array): ReturnType<typeof classifyMessage> => {
    const r = readMessageBytes(bytes);
    return classifyMessage(r, parseHeaderBlock(r.header, r.headerTruncated));
  };

  it('messages and header-only pastes are messages', () => {
    expect(classify(JUNKED)).toBeNull();
    expect(classify(enc('Received: from a by b; Tue, 4 Mar 2025 10:15:04 +0000\nX-Forefront-Antispam-Report: SCL:5;'))).toBeNull();
    expect(classify(enc('\n\n   Authentication-Results: spf=pass smtp.mailfrom=example.com\n'))).toBeNull();
    // Headers pasted with their body and no blank line between: the body lines are malformed, the paste a message.
    const fields = Array.from({ length: 12 }, (_, i) => `Received: from h${i}.example by h${i + 1}.example; Tue, 4 Mar 2025 10:15:04 +0000\n`).join('');
    expect(classify(enc(`${fields}${'Hello Bob, here is the text of the message.\n'.repeat(40)}`))).toBeNull();
  });

  it('binary files are named by their signature', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(classify(png)).toEqual({ reason: 'binary', detail: 'the input is binary data (a PNG image), not a message' });
    expect(classify(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1]))?.detail).toContain('Outlook .msg');
    expect(classify(enc('%PDF-1.7\n'))?.reason).toBe('binary');
    expect(classify(Uint8Array.from([0x46, 0x72, 0x6f, 0x6d, 0x3a, 0x00, 0x01]))).toMatchObject({ reason: 'binary' });
  });

  it('JSON, HTML and prose are not messages, and the detail quotes none of the input', () => {
    expect(classify(enc('{"domains": ["contoso.com"]}'))).toEqual({ reason: 'no-header-fields', detail: 'the input does not start with a header field (it looks like JSON), not a message' });
    expect(classify(enc('<html><body>x</body></html>'))?.detail).toContain('HTML');
    expect(classify(enc('Dear team, the message bounced. Can you look?\nThanks'))?.reason).toBe('no-header-fields');
    expect(classify(enc('Note: not a header\nthe rest is prose\nmore prose\n'))?.reason).toBe('no-header-fields');
    expect(classify(enc('Color: blue\nShape: round\n'))).toEqual({ reason: 'no-message-fields', detail: 'the input has no message header fields (From, Received, Subject, …), not a message' });
    const secret = classify(enc('{"password": "hunter2"}'));
    expect(secret?.detail).not.toContain('hunter2');
  });

  it('empty input', () => {
    expect(classify(new Uint8Array(0))?.reason).toBe('empty');
    expect(classify(enc('\r\n \n'))?.reason).toBe('empty');
  });

  it('parseMessage says when the input is not a message and analyses nothing', async () => {
    const m = await parseMessage(readMessageBytes(enc('{"a": 1}')));
    expect(m.notMessage?.reason).toBe('no-header-fields');
    expect(m.headers.fields).toEqual([]);
    expect(m.received.hops).toEqual([]);
    expect(m.report).toBeNull();
  });
});
