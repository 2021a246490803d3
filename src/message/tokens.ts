/**
 * A tokenizer for structured header values: comments (RFC 5322 3.2.2, nested,
 * with quoted-pairs), quoted strings (3.2.4), words, and the specials a
 * caller names (`;` and `=` for Authentication-Results, `;` for Received).
 * One pass over the text, no regex: linear on any input. Tolerant: an
 * unterminated comment or quoted string runs to the end of the text.
 */

/** A lexical token with its offsets in the value (`end` exclusive) and whether white space or a comment came before it. */
export type Token =
  | { kind: 'word'; text: string; start: number; end: number; spaced: boolean }
  | { kind: 'quoted'; text: string; start: number; end: number; spaced: boolean }
  | { kind: 'comment'; text: string; start: number; end: number; spaced: boolean }
  | { kind: 'special'; text: string; start: number; end: number; spaced: boolean };

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * Splits `value` into tokens. `specials` are single characters returned as
 * their own tokens (never inside a word); `(`, `)` and `"` always start a
 * comment or a quoted string. A stray `)` is skipped.
 */
export function tokenize(value: string, specials: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let spaced = false;
  const n = value.length;
  while (i < n) {
    const c = value.charAt(i);
    if (isSpace(c)) {
      spaced = true;
      i++;
      continue;
    }
    if (c === '(') {
      const start = i;
      let depth = 1;
      let text = '';
      i++;
      while (i < n && depth > 0) {
        const d = value.charAt(i);
        if (d === '\\' && i + 1 < n) {
          text += value.charAt(i + 1);
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
        text += d;
        i++;
      }
      out.push({ kind: 'comment', text: text.trim(), start, end: i, spaced });
      // A comment separates like white space does (CFWS).
      spaced = true;
      continue;
    }
    if (c === ')') {
      i++;
      spaced = true;
      continue;
    }
    if (c === '"') {
      const start = i;
      let text = '';
      i++;
      while (i < n) {
        const d = value.charAt(i);
        if (d === '\\' && i + 1 < n) {
          text += value.charAt(i + 1);
          i += 2;
          continue;
        }
        if (d === '"') {
          i++;
          break;
        }
        text += d;
        i++;
      }
      out.push({ kind: 'quoted', text, start, end: i, spaced });
      spaced = false;
      continue;
    }
    if (specials.includes(c)) {
      out.push({ kind: 'special', text: c, start: i, end: i + 1, spaced });
      spaced = false;
      i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = value.charAt(i);
      if (isSpace(d) || d === '(' || d === ')' || d === '"' || specials.includes(d)) break;
      i++;
    }
    out.push({ kind: 'word', text: value.slice(start, i), start, end: i, spaced });
    spaced = false;
  }
  return out;
}

/** The text with every comment removed (nested ones too) and runs of white space made one space. Linear. */
export function stripComments(value: string): string {
  return tokenize(value, '')
    .filter((t) => t.kind !== 'comment')
    .map((t) => (t.kind === 'quoted' ? `"${t.text}"` : t.text))
    .join(' ');
}
