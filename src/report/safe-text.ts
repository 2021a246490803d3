/**
 * The one safe-text module: every escape rule of every output format, built
 * on one table of the characters that must never reach a reader raw —
 * cleanText (terminal and plain text), safeJson (JSON), mdText, mdCode and
 * mdCodeBlock (Markdown), csvCell (CSV), escapeHtml (HTML). Text from DNS
 * or SMTP is data, never markup or terminal control: every output format
 * (terminal, JSON, CSV, Markdown, HTML) escapes or replaces exactly these.
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
const UNSAFE_IN_JSON = unsafeCharsRegex('json');
const UNSAFE_TEST = new RegExp(`[${UNSAFE_CHARS}]`);
const UNSAFE_IN_JSON_TEST = new RegExp(`[${BEYOND_C0}]`);

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

/**
 * Text from DNS or SMTP inside Markdown: one line, control characters made
 * visible, and everything Markdown or inline HTML would act on escaped, so a
 * record cannot add a table cell, a link, an image or markup to a ticket.
 */
export function mdText(s: string): string {
  return cleanText(s)
    .replace(/\\x0[ad]/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]{}()|~!#])/g, '\\$1')
    .trim();
}

/** The longest run of backticks in `s` (0 without one). */
function longestBacktickRun(s: string): number {
  let longest = 0;
  for (const m of s.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

/**
 * Text from DNS or a saved run as a Markdown code span: control characters
 * made visible (one line), and delimited by a backtick run longer than any
 * inside it, padded with a space when it starts or ends with a backtick
 * (CommonMark 0.31 section 6.1). Inside a code span nothing is markup and
 * nothing needs a backslash, so `_dmarc` stays `_dmarc`. Not for GFM table
 * cells: a table splits its cells on | even inside a code span.
 */
export function mdCode(s: string): string {
  const text = cleanText(s);
  if (text === '') return '';
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * A value to copy, as a fenced code block (CommonMark 0.31 section 4.5): each
 * line exactly as it is (no backslash, no entity: `&gt;` would be copied as
 * it stands), control characters made visible so a line stays one line, and
 * a fence of more backticks than any run inside, so no value can close it;
 * `info` names the language after the opening fence.
 */
export function mdCodeBlock(lines: string | readonly string[], info = ''): string {
  const text = (typeof lines === 'string' ? [lines] : lines).map(cleanText);
  let longest = 0;
  for (const l of text) longest = Math.max(longest, longestBacktickRun(l));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  // The info string (e.g. `dns`) is ours, never data; only letters, digits and - are kept.
  return [`${fence}${info.replace(/[^a-z0-9-]/gi, '')}`, ...text, fence].join('\n');
}

/**
 * A cell a spreadsheet would run as a formula (= + - @, and tab or CR that
 * some apps strip first) gets a leading apostrophe (OWASP CSV injection).
 * The unsafe characters above (controls, line breaks too: one
 * record, one line; zero-width and bidi controls) become spaces. Quoting is
 * csv-stringify's (RFC 4180).
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value).replace(UNSAFE, ' ');
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * The only way text reaches the page: control characters and bidi overrides
 * made visible (cleanText), then the five characters HTML acts on, in text
 * and in quoted attributes alike, turned into entities. Anything that is not
 * a string (a saved run read back by `report` may hold anything) is
 * stringified first rather than trusted.
 */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  return cleanText(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/**
 * The one JSON writer of every command (check, batch, report, probe,
 * explain, spf, plan). JSON.stringify escapes only U+0000-U+001F; DEL, the
 * C1 controls (U+009B is a terminal CSI), line separators, zero-width and
 * bidi controls would pass through raw and could drive or fool a terminal
 * that shows the JSON. Every character of the table above is written as
 * \uXXXX: the same JSON value, safe to print.
 */
export function safeJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent) ?? 'null';
  // Most documents hold none: a test is cheaper than a replace that copies the whole string.
  return UNSAFE_IN_JSON_TEST.test(json) ? json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}
