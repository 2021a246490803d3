import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseForefrontReport, parseMicrosoftAntispam } from '../../src/message/antispam.js';
import { parseArcAuthenticationResults, parseAuthenticationResults } from '../../src/message/authres.js';
import { parseMessageDate } from '../../src/message/date.js';
import { parseHeaderText } from '../../src/message/headers.js';
import { parseNdrText } from '../../src/message/ndr-text.js';
import { parseMessage } from '../../src/message/parse.js';
import { readMessage, readMessageBytes } from '../../src/message/reader.js';
import { parseReceived } from '../../src/message/received.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * Property tests: no byte sequence and no header-ish text makes the reader or
 * any parser throw, and the reader's result does not depend on where the
 * input is cut into chunks. Seed fixed so a failure repeats.
 */
const SEED = 20260301;
const RUNS = 400;

const NAMES = ['Received', 'From', 'To', 'Subject', 'Authentication-Results', 'ARC-Authentication-Results', 'X-Forefront-Antispam-Report', 'X-Microsoft-Antispam', 'X-MS-Exchange-Organization-SCL', 'Content-Type', 'Final-Recipient', 'Status', 'Diagnostic-Code', 'DKIM-Signature'];
const PIECES = [
  ':', ';', '=', ' ', '\t', '\r\n', '\n', '\r', '(', ')', '"', '\\', '[', ']', '<', '>', '@', '.', ',', '/', '#', "'",
  '=?utf-8?B?', '=?iso-8859-1?q?', '?=', 'from ', 'by ', 'with ', 'id ', 'for ', 'via ', '[IPv6:2001:db8::1]', '192.0.2.1', '2001:db8::7',
  'version=TLS1_2', 'cipher=', 'spf=pass', 'dkim=fail', 'dmarc=fail action=oreject', 'compauth=fail reason=001', 'smtp.mailfrom=', 'header.d=', 'i=1',
  'CIP:', 'SCL:5', 'SFV:SPM', 'CAT:PHSH', 'BCL:7', 'Tue, 4 Mar 2025 10:15:04 +0000', '31 Feb 99 25:61:61 -9999', 'multipart/report; boundary=b', '--b',
  'Remote Server returned \'', '550 5.1.10 ', '#550 5.2.2 ', '##rfc822;', 'Diagnostic information for administrators:', 'Original message headers:', '\u0000', '\u00ff', '\u202e', 'é', '\ud800',
];

/** Header-ish text: field names, separators, folds and the tokens each parser looks for, in any order. */
const headerish = (): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...NAMES).map((n) => `\n${n}: `), fc.constantFrom(...PIECES), fc.string({ maxLength: 8 })), { maxLength: 80 }).map((a) => a.join(''));
const text = (): fc.Arbitrary<string> => fc.oneof(headerish(), fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
const bytes = (): fc.Arbitrary<Uint8Array> => fc.oneof(fc.uint8Array({ maxLength: 2000 }), headerish().map((s) => new TextEncoder().encode(s)));

async function* cut(b: Uint8Array, points: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const p of [...new Set(points.map((x) => x % (b.length + 1)))].sort((x, y) => x - y)) {
    yield b.subarray(at, p);
    at = p;
  }
  yield b.subarray(at);
}

const FIXTURE_MESSAGES = [
  readFileSync(`${FIXTURES}message/m365-junked.eml`),
  readFileSync(`${FIXTURES}message/ndr/ndr-5.7.23.eml`),
  readFileSync(`${FIXTURES}message/ndr/ndr-5.1.10.eml`),
  readFileSync(`${FIXTURES}message/dsn-sisimai/eml/lhost-office365-13.eml`),
  readFileSync(`${FIXTURES}message/dsn-sisimai/eml/rfc3464-35.eml`),
];

/** A fixture message with a few bytes changed, inserted or cut. */
const mutatedMessage = (): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...FIXTURE_MESSAGES), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('set', 'insert', 'cut')), { maxLength: 8 })).map(([base, ops]) => {
    let b = Buffer.from(base);
    for (const [at, v, kind] of ops) {
      const i = at % (b.length + 1);
      if (kind === 'set' && i < b.length) b[i] = v;
      else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
      else b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + v))]);
    }
    return new Uint8Array(b);
  });

describe('message properties', () => {
  it('the parsers never throw on random or header-ish text', () => {
    fc.assert(
      fc.property(text(), (s) => {
        const h = parseHeaderText(s);
        expect(h.fields.length).toBeLessThanOrEqual(h.fieldsTotal);
        for (const f of h.fields) expect(typeof f.decoded).toBe('string');
        const ar = parseAuthenticationResults(s);
        expect(ar.results.length).toBeLessThanOrEqual(ar.resultsTotal);
        parseArcAuthenticationResults(s);
        const hop = parseReceived(s);
        expect(hop.timestamp === null || Number.isFinite(hop.timestamp)).toBe(true);
        parseForefrontReport(s);
        parseMicrosoftAntispam(s);
        parseNdrText(s);
        const d = parseMessageDate(s);
        expect(d === null || Number.isFinite(d)).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('readMessage and parseMessage never throw on random bytes or header-ish text', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(), async (b) => {
        const m = await parseMessage(readMessageBytes(b));
        expect(m.notMessage === null || typeof m.notMessage.detail === 'string').toBe(true);
        if (m.notMessage) expect(m.headers.fields).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('parseMessage never throws on damaged real messages and reports (MIME through postal-mime)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedMessage(), async (b) => {
        const m = await parseMessage(readMessageBytes(b));
        for (const r of m.report?.recipients ?? []) expect(r.statusCode === null || /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.statusCode)).toBe(true);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('the reader gives the same result, and the tee the same bytes, wherever the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytes(), mutatedMessage()), fc.array(fc.nat(), { maxLength: 12 }), async (b, points) => {
        const whole = readMessageBytes(b);
        const seen: Uint8Array[] = [];
        const read = await readMessage(cut(b, points), { tee: (c) => void seen.push(c.slice()) });
        expect(Buffer.from(read.header).equals(Buffer.from(whole.header))).toBe(true);
        expect(Buffer.from(read.bodyPrefix).equals(Buffer.from(whole.bodyPrefix))).toBe(true);
        expect({ ...read, header: null, bodyPrefix: null }).toEqual({ ...whole, header: null, bodyPrefix: null });
        expect(Buffer.concat(seen).equals(Buffer.from(b.subarray(whole.skippedBytes)))).toBe(true);
        expect(read.headerBytes + read.bodyBytes + read.skippedBytes + (read.headersOnly ? 0 : blankLineBytes(b, read))).toBe(b.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

/** The bytes of the blank line that ends the header block (LF or CRLF). */
function blankLineBytes(b: Uint8Array, r: { skippedBytes: number; headerBytes: number }): number {
  return b[r.skippedBytes + r.headerBytes] === 0x0d ? 2 : 1;
}
