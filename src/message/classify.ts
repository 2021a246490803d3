/**
 * Is the input a message at all? The `message` command reads whatever file it
 * is given; an image, a JSON file or prose must be told apart in one line
 * (exit 2), not analysed into an empty report. A message here is: a header
 * block whose first line is a field (RFC 5322 2.2: `name:` with printable
 * ASCII), more fields than other lines among its first 20, and at least one field a message
 * or a header paste carries (trace, originator, MIME, authentication or
 * Microsoft's stamps). The detail never quotes the input.
 */
import type { NotAMessage, ParsedHeaders, ReadMessage } from './types.js';

/** Field names at least one of which every message and every header paste carries. */
const MESSAGE_FIELDS = new Set([
  'received', 'return-path', 'from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id',
  'in-reply-to', 'references', 'mime-version', 'content-type', 'content-transfer-encoding', 'delivered-to',
  'authentication-results', 'arc-authentication-results', 'arc-seal', 'arc-message-signature', 'dkim-signature',
  'received-spf', 'x-received', 'auto-submitted', 'thread-topic', 'thread-index',
]);
const MESSAGE_FIELD_PREFIXES = ['x-ms-', 'x-microsoft-', 'x-forefront-', 'x-google-', 'x-mailer'];

/** Magic numbers of the files people hand over instead of a message. */
const SIGNATURES: readonly { bytes: readonly number[]; what: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (or an Office document)' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data' },
  // An Outlook .msg is an OLE compound file: the headers are inside it, not text.
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an Outlook .msg file (save the message as .eml, or paste its headers)' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text (save it as UTF-8)' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text (save it as UTF-8)' },
];

/** Lines of the header block that must be mostly fields. */
const FIRST_LINES = 20;
/** Bytes looked at to tell binary data from text. */
const SNIFF_BYTES = 4096;

function startsWith(b: Uint8Array, sig: readonly number[]): boolean {
  return sig.length <= b.length && sig.every((x, i) => b[i] === x);
}

/** Why `read` is not a message, or null when it is one. */
export function classifyMessage(read: ReadMessage, headers: ParsedHeaders): NotAMessage | null {
  const b = read.header;
  if (b.length === 0) return { reason: 'empty', detail: 'the input is empty (no header fields), not a message' };
  const sig = SIGNATURES.find((s) => startsWith(b, s.bytes));
  if (sig) return { reason: 'binary', detail: `the input is binary data (${sig.what}), not a message` };
  const sniff = b.subarray(0, SNIFF_BYTES);
  let control = 0;
  for (const c of sniff) {
    if (c === 0) return { reason: 'binary', detail: 'the input is binary data (it holds NUL bytes), not a message' };
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) control++;
  }
  if (control * 10 > sniff.length) return { reason: 'binary', detail: 'the input is binary data, not a message' };
  // No field name starts with these, though ftext allows them: `{"a": 1}` would read as a field named `{"a"`.
  const first = b[0];
  const what = first === 0x7b || first === 0x5b ? ' (it looks like JSON)' : first === 0x3c ? ' (it looks like HTML or XML)' : '';
  if (what !== '' || headers.fields[0]?.line !== 1) return { reason: 'no-header-fields', detail: `the input does not start with a header field${what}, not a message` };
  // Judged on the first lines: a header paste followed by its body with no blank line between is still a message.
  const early = (line: number): boolean => line <= FIRST_LINES;
  if (headers.malformed.filter((m) => early(m.line)).length > headers.fields.filter((f) => early(f.line)).length) {
    return { reason: 'no-header-fields', detail: 'most lines of the input are not header fields, not a message' };
  }
  const known = headers.fields.some((f) => MESSAGE_FIELDS.has(f.key) || MESSAGE_FIELD_PREFIXES.some((p) => f.key.startsWith(p)));
  if (!known) return { reason: 'no-message-fields', detail: 'the input has no message header fields (From, Received, Subject, …), not a message' };
  return null;
}
