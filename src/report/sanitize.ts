/**
 * One sanitizer for text that came from DNS or SMTP (it is data, never
 * markup or terminal control). Control characters (C0, DEL, C1) and Unicode
 * bidirectional overrides are shown as visible escapes, so no escape
 * sequence reaches a terminal and nothing reorders a line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function cleanText(s: string): string {
  return s.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function hasUnsafeText(s: string): boolean {
  UNSAFE.lastIndex = 0;
  return new RegExp(UNSAFE.source).test(s);
}
