/**
 * Header fields of a message (RFC 5322 2.2, 3.6.8): split into fields in
 * order (duplicates kept), unfolded (2.2.3), and with RFC 2047 encoded words
 * decoded by postal-mime's `decodeWords` (charsets through TextDecoder).
 * Tolerant: a line that is not a field is kept in `malformed` and skipped,
 * a field name may have white space before its colon (obs-optional, 4.5.3),
 * and 8-bit header text is read as UTF-8 (RFC 6532) or, when it is not valid
 * UTF-8, as Latin-1. Never throws.
 */
import { decodeWords } from 'postal-mime';
import { capText } from '../util/caps.js';
import type { HeaderField, MalformedLine, ParsedHeaders } from './types.js';

/** Most fields kept of one header block; real messages carry 20-150 (Microsoft's with ARC about 60). */
export const MAX_HEADER_FIELDS = 2000;
/** Most malformed lines kept (all are counted). */
export const MAX_MALFORMED_LINES = 20;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

/** Header bytes as text: UTF-8 when they are valid UTF-8 (RFC 6532), else Latin-1 (every byte a character). */
export function decodeHeaderBytes(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return LATIN1.decode(bytes);
  }
}

/** RFC 2047 encoded words decoded; the value itself when it has none or they do not decode. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return decodeWords(value);
  } catch {
    return value;
  }
}

/** ftext (RFC 5322 3.6.8): printable US-ASCII except the colon. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126 || c === 58) return false;
  }
  return true;
}

interface OpenField {
  name: string;
  lines: string[];
  line: number;
}

/**
 * Parses header text (LF or CRLF line ends) into fields. Parsing stops at the
 * first empty line (the end of a header block). `truncated` marks a block
 * the reader already cut. At most MAX_HEADER_FIELDS fields are kept.
 */
export function parseHeaderText(text: string, options: { truncated?: boolean; maxFields?: number } = {}): ParsedHeaders {
  const maxFields = options.maxFields ?? MAX_HEADER_FIELDS;
  const fields: HeaderField[] = [];
  const malformed: MalformedLine[] = [];
  let malformedTotal = 0;
  let fieldsTotal = 0;
  let open: OpenField | null = null;
  let inMalformed = false;

  const close = (): void => {
    if (!open) return;
    fieldsTotal++;
    if (fields.length < maxFields) {
      const raw = open.lines.join('\n');
      // Unfolding removes each line end that comes before white space (2.2.3): continuation lines keep their WSP.
      const value = open.lines.join('').replace(/^[ \t]+/, '');
      const trimmed = trimEnd(value);
      fields.push({ name: open.name, key: open.name.toLowerCase(), raw, value: trimmed, decoded: decodeEncodedWords(trimmed), line: open.line });
    }
    open = null;
  };
  const bad = (line: number, problem: MalformedLine['problem'], t: string): void => {
    malformedTotal++;
    if (malformed.length < MAX_MALFORMED_LINES) malformed.push({ line, problem, text: capText(t) });
  };

  let lineNo = 0;
  let at = 0;
  while (at <= text.length) {
    const lf = text.indexOf('\n', at);
    const end = lf < 0 ? text.length : lf;
    let line = text.slice(at, end);
    at = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) {
      if (lf < 0) break;
      // An empty line ends the header block.
      break;
    }
    const first = line.charAt(0);
    if (first === ' ' || first === '\t') {
      if (open) (open as OpenField).lines.push(line);
      else if (!inMalformed) bad(lineNo, 'continuation-first', line);
      continue;
    }
    close();
    inMalformed = false;
    const colon = line.indexOf(':');
    if (colon < 0) {
      bad(lineNo, 'no-colon', line);
      inMalformed = true;
      continue;
    }
    const name = trimEnd(line.slice(0, colon));
    if (!isFieldName(name)) {
      bad(lineNo, 'bad-name', line);
      inMalformed = true;
      continue;
    }
    open = { name, lines: [line.slice(colon + 1)], line: lineNo };
    if (lf < 0) break;
  }
  close();
  return { fields, malformed, malformedTotal, fieldsTotal, truncated: (options.truncated ?? false) || fieldsTotal > fields.length };
}

/** Trailing SP/HT/CR/LF removed, one pass (a regex like /\s+$/ backtracks on long inner runs). */
function trimEnd(s: string): string {
  let j = s.length;
  while (j > 0) {
    const c = s.charCodeAt(j - 1);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    j--;
  }
  return j === s.length ? s : s.slice(0, j);
}

/** Parses a header block as the reader kept it. */
export function parseHeaderBlock(bytes: Uint8Array, truncated = false): ParsedHeaders {
  return parseHeaderText(decodeHeaderBytes(bytes), { truncated });
}

/** Every field named `name` (case-insensitive), in header order. */
export function headerFields(headers: ParsedHeaders, name: string): HeaderField[] {
  const key = name.toLowerCase();
  return headers.fields.filter((f) => f.key === key);
}

/** The first (topmost) field named `name`, or null. */
export function firstHeader(headers: ParsedHeaders, name: string): HeaderField | null {
  const key = name.toLowerCase();
  return headers.fields.find((f) => f.key === key) ?? null;
}
