/**
 * One table of the characters that must never reach a reader raw, and the
 * sanitizers built on it. Text from DNS or SMTP is data, never markup or
 * terminal control: every output format (terminal, JSON, CSV, Markdown,
 * HTML) escapes or replaces exactly these.
 *
 * - C0 controls U+0000-U+001F, DEL U+007F and the C1 controls U+0080-U+009F
 *   (U+009B is a one-byte CSI: a terminal escape on its own);
 * - U+2028 / U+2029, line and paragraph separators (line breaks to some
 *   terminals and editors, invisible to others);
 * - zero-width characters U+200B-U+200D, U+2060 and U+FEFF, which hide text
 *   or make two names that look equal differ;
 * - every bidirectional control (Unicode UAX #9 section 2: U+061C, U+200E,
 *   U+200F, U+202A-U+202E, U+2066-U+2069), which reorder what is shown
 *   (the "Trojan Source" attack, CVE-2021-42574).
 */
const C0 = '\\u0000-\\u001f';
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff';
/** The table, as the inside of a regex character class. */
export const UNSAFE_CHARS = `${C0}${BEYOND_C0}`;

/**
 * A fresh global regex over UNSAFE_CHARS (a shared /g regex keeps lastIndex
 * between calls). `json`: without C0, which JSON.stringify escapes itself
 * inside strings and whose line breaks outside strings are the layout.
 */
export function unsafeCharsRegex(use: 'text' | 'json' = 'text'): RegExp {
  return new RegExp(`[${use === 'json' ? BEYOND_C0 : UNSAFE_CHARS}]`, 'g');
}

const UNSAFE = unsafeCharsRegex();
const UNSAFE_TEST = new RegExp(`[${UNSAFE_CHARS}]`);

/** `\xNN` for a byte-sized code point, `\uNNNN` above: visible, and the same form in every renderer. */
export function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Shows every unsafe character as a visible escape (terminal, Markdown and HTML text). */
export function cleanText(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

export function hasUnsafeText(s: string): boolean {
  return UNSAFE_TEST.test(s);
}
