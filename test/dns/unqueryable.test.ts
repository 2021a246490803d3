import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unqueryable } from '../../src/dns/client.js';

/** The definition, written the slow way: byte lengths as UTF-8 puts them on the wire (RFC 1035 §2.3.4). */
function reference(name: string): boolean {
  if (name === '' || Buffer.byteLength(name) > 253) return true;
  return name.split('.').some((l) => l.length === 0 || Buffer.byteLength(l) > 63);
}

describe('unqueryable: names no query can carry', () => {
  it('agrees with the byte-length definition', () => {
    expect(unqueryable('contoso.com')).toBe(false);
    expect(unqueryable('')).toBe(true);
    expect(unqueryable('a..b')).toBe(true);
    expect(unqueryable('a.')).toBe(true);
    expect(unqueryable(`${'a'.repeat(63)}.com`)).toBe(false);
    expect(unqueryable(`${'a'.repeat(64)}.com`)).toBe(true);
    expect(unqueryable(`${'é'.repeat(32)}.com`)).toBe(true); // 64 bytes
    expect(unqueryable(`${'😀'.repeat(16)}.com`)).toBe(true); // 64 bytes in 32 UTF-16 units
    expect(unqueryable(`${'\ud800'.repeat(21)}.com`)).toBe(false); // lone surrogates: 3 bytes each, 63
    expect(unqueryable(Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.'))).toBe(true); // 255 bytes
    fc.assert(fc.property(fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 70 }), fc.constant(''), fc.string({ maxLength: 64 })), { maxLength: 8 }).map((a) => a.join('.')),
    ), (s) => unqueryable(s) === reference(s)), { seed: 19, numRuns: 5000 });
  });
});
