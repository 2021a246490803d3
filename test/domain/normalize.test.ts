import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDomain, organizationalDomain } from '../../src/domain/normalize.js';

describe('normalizeDomain', () => {
  it.each([
    ['contoso.com', 'contoso.com'],
    ['  Contoso.COM.  ', 'contoso.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['https://www.contoso.com/path?q=1', 'www.contoso.com'],
    ['http://contoso.com:8080/', 'contoso.com'],
    ['admin@contoso.com', 'contoso.com'],
    ['"Admin" <admin@Contoso.com', 'contoso.com>'.replace('>', '')],
    ['contoso.test', 'contoso.test'],
    ['mail.corp.internal', 'mail.corp.internal'],
    ['\uFEFFcontoso.com', 'contoso.com'],
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('%j -> %s', (input, expected) => {
    expect(normalizeDomain(input)).toEqual({ ok: true, input, domain: expected });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['contoso', 'single label'],
    ['192.0.2.1', 'IP address'],
    ['[2001:db8::1]', 'IP address'],
    ['2001:db8::1', 'IP address'],
    ['conto so.com', 'white space'],
    ['contoso..com', 'empty label'],
    [`${'a'.repeat(64)}.com`, 'label of 64'],
    [`${'a'.repeat(300)}.com`, 'label of 300'],
    [`${'abcdefghij.'.repeat(23)}com`, 'name of 256'],
    ['-contoso.com', 'inner hyphens'],
    ['con_toso.com', 'inner hyphens'],
    ['contoso.com\x1b[31m', 'control'],
    ['evil\r\n.com', 'control'],
    ['1.2.3.4.5', 'all digits'],
    ['https://', 'not a valid URL'],
  ])('%j is invalid (%s)', (input, reason) => {
    const r = normalizeDomain(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('never throws and always gives a valid name or a reason (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.domain(), fc.webUrl(), fc.emailAddress()), (s) => {
        const r = normalizeDomain(s);
        if (r.ok) {
          expect(r.domain.length).toBeLessThanOrEqual(253);
          expect(r.domain).toMatch(/^[a-z0-9.-]+$/);
          for (const label of r.domain.split('.')) expect(label.length).toBeGreaterThanOrEqual(1);
        } else expect(r.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 2026 },
    );
  });
});

describe('organizationalDomain', () => {
  it.each([
    ['mail.contoso.com', 'contoso.com'],
    ['a.b.contoso.co.uk', 'contoso.co.uk'],
    ['contoso.test', 'contoso.test'],
    ['x.y.contoso.test', 'contoso.test'],
  ])('%s -> %s', (d, o) => expect(organizationalDomain(d)).toBe(o));
});
