import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateDkimKey, type DkimKeyStatus } from '../../src/dkim/key.js';
import { checkDkim } from '../../src/dkim/check.js';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * The 42 DKIM key-record vectors of fixtures/dkim/dkim-key-vectors.json
 * (Mail::DKIM, dkimpy, stalwart mail-auth, mailauth; licences beside it).
 * Each row: our status, bits and encoding, and whether our verdict agrees
 * with the source's. Sources judge a signed message (Mail::DKIM) or a parse;
 * we judge the key an auditor sees, under RFC 6376, RFC 8301 (no sha1, no
 * RSA under 1024 bits) and RFC 8463 (raw 32-byte ed25519).
 */
interface Vector {
  source: string;
  name: string | null;
  record: string | null;
  expected: string | null;
  dns?: string;
  computed?: { k?: string; rsa_bits?: number; decoded_len?: number; der_format?: string };
}
const VECTORS = (JSON.parse(readFileSync(`${FIXTURES}dkim/dkim-key-vectors.json`, 'utf8')) as { vectors: Vector[] }).vectors;

type Row = [status: DkimKeyStatus, bits: number | null, format: 'spki' | 'raw' | null, agrees: boolean | null];
/** agrees: null when the source gives no verdict for the key alone (expected: null). */
const OURS: Record<number, Row> = {
  0: ['weak', 1024, 'spki', null],
  1: ['weak', 1024, 'spki', null],
  // Mail::DKIM passes 512-bit keys; RFC 8301 3.2 says verifiers must not (ours: insecure).
  2: ['insecure', 512, 'spki', false],
  // h=md5:sha1 passes an rsa-sha1 signature in Mail::DKIM; RFC 8301 retired sha1, so no signature can verify.
  3: ['invalid', null, null, false],
  4: ['insecure', 512, 'spki', false],
  // g= (RFC 4871) failures are message-level and g= is ignored by RFC 6376; the 512-bit key is what fails here.
  5: ['insecure', 512, 'spki', true],
  // t=s with i= of a subdomain is message-level; the key is 512 bits.
  6: ['insecure', 512, 'spki', true],
  7: ['weak', 1024, 'spki', null],
  8: ['invalid', null, null, true],
  9: ['invalid', null, null, true],
  10: ['invalid', null, null, true],
  11: ['invalid', null, null, true],
  12: ['invalid', null, null, true],
  13: ['insecure', 512, 'spki', true],
  14: ['revoked', null, null, true],
  15: ['weak', 1024, 'spki', null],
  16: ['weak', 1024, 'spki', null],
  17: ['weak', 1024, 'spki', null],
  18: ['insecure', 768, 'spki', null],
  19: ['insecure', 768, 'spki', null],
  23: ['valid', 256, 'raw', true],
  // An empty TXT string: no p= (the check treats an empty record at a key name as no key).
  24: ['invalid', null, null, null],
  25: ['invalid', 256, 'spki', true],
  26: ['weak', 1024, 'spki', true],
  27: ['weak', 1024, 'spki', true],
  28: ['invalid', null, null, true],
  29: ['invalid', null, null, true],
  30: ['invalid', null, null, true],
  31: ['valid', 256, 'raw', true],
  32: ['valid', 256, 'raw', true],
  // dkimpy accepts s=tlsrpt for TLSRPT signatures; for mail (what we audit) the key is unusable.
  33: ['invalid', null, null, false],
  34: ['weak', 1024, 'spki', true],
  35: ['valid', 2048, 'spki', true],
  36: ['weak', 1024, 'spki', true],
  37: ['revoked', null, null, true],
  38: ['revoked', null, null, true],
  39: ['revoked', null, null, true],
  40: ['valid', 256, 'raw', true],
  41: ['weak', 1024, 'spki', true],
};

/** Does our status say what the source's verdict says? */
function agrees(expected: string | null, status: DkimKeyStatus): boolean | null {
  if (expected === null) return null;
  if (expected === 'pass' || expected === 'valid') return status === 'valid' || status === 'weak';
  if (expected === 'revoked') return status === 'revoked';
  if (expected === 'invalid') return status === 'invalid' || status === 'revoked' || status === 'insecure';
  throw new Error(`unmapped verdict ${expected}`);
}

describe('DKIM key vectors', () => {
  it('has 42 vectors, 39 with a record and 3 DNS outcomes', () => {
    expect(VECTORS).toHaveLength(42);
    expect(VECTORS.filter((v) => v.record === null).map((v) => v.dns)).toEqual(['NXDOMAIN', '~~Query timed out~~', '~~SERVFAIL~~']);
  });

  const withRecord = VECTORS.map((v, i) => [i, v] as const).filter(([, v]) => v.record !== null);
  it.each(withRecord)('vector %i', (i, v) => {
    const row = OURS[i];
    expect(row, `no expectation for vector ${i}`).toBeDefined();
    const [status, bits, format, agreement] = row as Row;
    const facts = evaluateDkimKey(v.record as string);
    expect({ status: facts.status, bits: facts.bits, format: facts.format }).toEqual({ status, bits, format });
    // Bits read by node:crypto equal the researchers' own DER parse wherever we decode an RSA key.
    if (facts.bits !== null && v.computed?.rsa_bits !== undefined) expect(facts.bits).toBe(v.computed.rsa_bits);
    if (facts.status === 'invalid' || facts.status === 'revoked') expect(facts.problem).toMatch(/\S/);
    expect(agrees(v.expected, facts.status)).toBe(agreement);
  });

  it('agrees with the sources on every vector but 2, 3, 4 and 33 (RFC 8301 and s=tlsrpt, above)', () => {
    const disagree = withRecord.filter(([i]) => OURS[i]?.[3] === false).map(([i]) => i);
    expect(disagree).toEqual([2, 3, 4, 33]);
  });

  // The three DNS outcomes, as an extra selector: no key (NXDOMAIN) is a fact, a timeout or SERVFAIL is unknown.
  it.each([
    [20, { }, 'missing', []],
    // Both queries at the name (CNAME and TXT) fail: one DNS_TEMPFAIL for each, naming it.
    [21, { timeout: true }, 'unknown', ['DNS_TEMPFAIL', 'DNS_TEMPFAIL']],
    [22, { servfail: true }, 'unknown', ['DNS_TEMPFAIL', 'DNS_TEMPFAIL']],
  ] as const)('vector %i through checkDkim', async (i, entry, status, codes) => {
    const v = VECTORS[i] as Vector;
    const [selector, , ...rest] = (v.name as string).split('.');
    const domain = rest.join('.');
    const table: Record<string, MemoryName> = { [domain]: { A: ['192.0.2.1'] } };
    if (Object.keys(entry).length > 0) table[v.name as string] = entry;
    const { section, findings } = await checkDkim({ dns: createMemoryDnsClient(table) }, domain, { selectors: [selector as string] });
    expect(section.extraSelectors[0]?.key.status).toBe(status);
    const extraCodes = findings.map((f) => f.code).filter((c) => c === 'DNS_TEMPFAIL' || c === 'DKIM_SELECTOR_KEY');
    expect(extraCodes).toEqual(codes.length > 0 ? codes : ['DKIM_SELECTOR_KEY']);
    if (status === 'unknown') {
      expect(section.status).toBe('unknown');
      expect(findings.filter((f) => f.code === 'DNS_TEMPFAIL').map((f) => f.evidence?.split(':')[0])).toEqual([`${v.name} CNAME`, `${v.name} TXT`]);
    }
  });
});
