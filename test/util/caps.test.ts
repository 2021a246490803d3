import { describe, expect, it } from 'vitest';
import { capFindings, capList, capText, capTexts, listText, MAX_LISTED, MAX_TEXT_LENGTH } from '../../src/util/caps.js';
import { trimChars, trimEndChars, trimStartChars } from '../../src/util/trim.js';

describe('capText', () => {
  it('keeps short text, cuts long text with the full length', () => {
    expect(capText('abc')).toBe('abc');
    expect(capText('x'.repeat(MAX_TEXT_LENGTH))).toBe('x'.repeat(MAX_TEXT_LENGTH));
    expect(capText('x'.repeat(56 * 1024))).toBe(`${'x'.repeat(MAX_TEXT_LENGTH)}… [cut: 57344 characters]`);
    expect(capText('abcdef', 3)).toBe('abc… [cut: 6 characters]');
  });

  it('never splits a surrogate pair', () => {
    expect(capText('ab😀cd', 3)).toBe('ab… [cut: 6 characters]');
    expect(capText('a😀cd', 3)).toBe('a😀… [cut: 5 characters]');
  });
});

describe('capList, capTexts, listText', () => {
  const many = Array.from({ length: 1000 }, (_, i) => `item${i}`);
  it('keep the first MAX_LISTED entries', () => {
    expect(capList(many)).toEqual(many.slice(0, MAX_LISTED));
    expect(capTexts(['a', 'b'.repeat(5000)], 1)).toEqual(['a']);
    expect(capTexts(['b'.repeat(5000)])[0]).toMatch(/… \[cut: 5000 characters\]$/);
  });

  it('listText names how many more there are', () => {
    expect(listText(['a', 'b'], ', ')).toBe('a, b');
    expect(listText(many, ', ')).toBe(`${many.slice(0, 20).join(', ')}, … and 980 more`);
  });
});

describe('capFindings', () => {
  const f = (code: string, i: number, evidence?: string) => ({ code, message: `m${i}`, ...(evidence === undefined ? {} : { evidence }) });
  it('keeps at most MAX_LISTED of a code, in order, the last one naming the rest; texts cut', () => {
    const input = [f('A', 0), ...Array.from({ length: 30 }, (_, i) => f('B', i, 'e'.repeat(i === 0 ? 5000 : 1))), f('A', 1)];
    const out = capFindings(input);
    expect(out.map((x) => x.code)).toEqual(['A', ...Array<string>(20).fill('B'), 'A']);
    expect(out[20]?.message).toBe('m19 (10 more B findings like this are not listed.)');
    expect(out[1]?.evidence).toMatch(/… \[cut: 5000 characters\]$/);
    expect(out[21]).toEqual(f('A', 1));
    // Exactly at the cap: nothing to mention.
    expect(capFindings(Array.from({ length: 20 }, (_, i) => f('C', i))).at(-1)?.message).toBe('m19');
  });
});

describe('trimChars', () => {
  it('trims only the given characters, from the chosen ends', () => {
    expect(trimChars(' \t a b \t ')).toBe('a b');
    expect(trimChars('\r\n a \n', ' \t\r\n')).toBe('a');
    expect(trimChars('\na\n')).toBe('\na\n');
    expect(trimStartChars('  a  ')).toBe('a  ');
    expect(trimEndChars('  a  ')).toBe('  a');
    expect(trimChars('    ')).toBe('');
  });

  it('is linear: a 5 MB run of spaces inside the text costs one pass', () => {
    const s = `a${' '.repeat(5 * 1024 * 1024)}b`;
    expect(trimChars(`  ${s}  `)).toBe(s);
    expect(trimEndChars(s)).toBe(s);
  });
});
