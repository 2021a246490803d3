import { describe, expect, it } from 'vitest';
import { explainInputs } from '../../src/cli/commands/explain.js';
import { evaluateDkimKey, parseDkimKey } from '../../src/dkim/key.js';
import { parseDmarcRecord } from '../../src/dmarc/parse.js';
import { parseDmarcUri } from '../../src/dmarc/uri.js';
import { normalizeDomain } from '../../src/domain/normalize.js';
import { explainCode, explainDeliveryStatus } from '../../src/smtp/codes.js';
import { findMicrosoftMarkers } from '../../src/smtp/ndr-codes.js';
import { parseReplies } from '../../src/smtp/reply.js';

/**
 * Every regex on an input path (a batch file, argv, DNS text, SMTP replies)
 * must be linear. These feed megabytes of the shapes that make a
 * backtracking regex quadratic (long runs of spaces between words, before
 * and after a separator) and check the result; a quadratic parser does not
 * finish at all (measured before the fix: 80,000 spaces, 15 s in
 * parseDmarcRecord, so 1 MB would take about 40 minutes).
 */
const SPACES = ' '.repeat(1024 * 1024);
/** Compares without handing a megabyte to the diff printer (itself slow on such strings when an assertion fails). */
const same = (a: string | undefined, b: string): boolean => a === b;

describe('DNS text parsers are linear', () => {
  it('parseDmarcRecord: runs of spaces around tags and values', () => {
    const r = parseDmarcRecord(`v=DMARC1;${SPACES}p=reject${SPACES};${SPACES}rua=mailto:a@example.com${SPACES}x${SPACES};${SPACES}`);
    expect(r.isDmarc).toBe(true);
    expect(r.p).toBe('reject');
    expect(same(r.tags.rua, `mailto:a@example.com${SPACES}x`)).toBe(true);
    expect(r.rua[0]?.valid).toBe(false);
  });

  it('parseDmarcUri: spaces before a size limit and inside it', () => {
    const u = parseDmarcUri(`mailto:a@example.com${SPACES}!10${SPACES}m${SPACES}`);
    expect(u).toMatchObject({ uri: 'mailto:a@example.com', address: 'a@example.com', size: 10 * 2 ** 20, valid: true });
    expect(parseDmarcUri(`mailto:a@example.com!1${SPACES}x`).problem).toMatch(/is not a size limit/);
  });

  it('parseDkimKey / evaluateDkimKey: folding white space in names and values', () => {
    const k = parseDkimKey(`v=DKIM1;${SPACES}k${SPACES}=${SPACES}rsa${SPACES};${SPACES}p=`);
    expect(k.tags).toEqual({ v: 'DKIM1', k: 'rsa', p: '' });
    expect(parseDkimKey(`v=DKIM1; a${SPACES}b=1`).errors[0]).toMatch(/is not a valid tag name/);
    expect(evaluateDkimKey(`v=DKIM1;${SPACES}p=${SPACES}`).status).toBe('revoked');
  });
});

describe('input and protocol parsers are linear (checked, no change needed)', () => {
  it('normalizeDomain', () => {
    expect(normalizeDomain(`a${SPACES}b`)).toMatchObject({ ok: false, reason: 'contains white space' });
    expect(normalizeDomain(`${':1'.repeat(500_000)}x`).ok).toBe(false);
  });

  it('explainCode and explainInputs', () => {
    expect(explainCode(`535${SPACES}5.7.3`)?.enhancedCode).toBe(null);
    expect(explainCode(`${'5 '.repeat(500_000)}x`)).toBe(null);
    expect(explainInputs(['535', `5.7.3${SPACES}`])[0]?.enhancedCode).toBe('5.7.3');
    expect(() => explainInputs([`${SPACES}x`])).toThrow(/not an SMTP code/);
  });

  it('findMicrosoftMarkers and explainDeliveryStatus (the Microsoft markers of NDR replies)', () => {
    // Runs of each marker's prefix that never complete it.
    const near = `${'RESOLVER.1'.repeat(100_000)}${'AS('.repeat(100_000)}${'ATTR'.repeat(100_000)}${'prod.outlook.'.repeat(50_000)}${SPACES}`;
    expect(findMicrosoftMarkers(near)).toEqual([]);
    expect(findMicrosoftMarkers(`${near}AS(7555)`)).toEqual(['AS(7555)']);
    expect(explainDeliveryStatus(`5.1.10${SPACES}`, `smtp;${SPACES}550${SPACES}5.1.10${SPACES}`, { remoteMta: near })?.enhancedCode).toBe('5.1.10');
  });

  it('parseReplies', () => {
    const r = parseReplies(`250-${SPACES}AUTH${SPACES}LOGIN\r\n250 ok\r\n`, { maxLineLength: 4 * 1024 * 1024 });
    expect(r.replies[0]?.code).toBe(250);
    expect(r.replies[0]?.lines).toHaveLength(2);
  });
});
