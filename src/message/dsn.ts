/**
 * Delivery reports: RFC 3464 delivery status notifications in a
 * multipart/report (RFC 6522; report-type=delivery-status, or RFC 6533's
 * global-delivery-status), and Microsoft's NDR text where there is no
 * machine-readable part.
 *
 *     Reporting-MTA: dns; mx.example.com          (per-message fields, 2.2)
 *
 *     Final-Recipient: rfc822; user@example.com   (per-recipient fields, 2.3)
 *     Action: failed
 *     Status: 5.1.1
 *     Diagnostic-Code: smtp; 550 5.1.1 <user@example.com>: Recipient address rejected
 *     Remote-MTA: dns; mx.example.com
 *
 * MIME is postal-mime's (it decodes transfer encodings and charsets and keeps
 * message/delivery-status, text/rfc822-headers and message/rfc822 parts as
 * attachments), run on the bounded prefix the reader kept: the status parts
 * come before the returned message (RFC 6522 3), so a cut-off attachment
 * only loses its own tail. Broken MIME (a missing boundary) is tolerated by
 * reading DSN fields straight from the text. Each field group is read with
 * the same header parser as the message, and the returned headers too, so
 * they can be analysed like any message. Never throws.
 */
import PostalMime, { type Email } from 'postal-mime';
import { parseEnhancedCode } from '../smtp/reply.js';
import { trimEndChars, trimStartChars } from '../util/trim.js';
import { decodeHeaderBytes, firstHeader, headerFields, parseHeaderBlock, parseHeaderText } from './headers.js';
import { htmlToText, parseNdrText, undoQuotedPrintable, type NdrText } from './ndr-text.js';
import { readMessageBytes } from './reader.js';
import type { DeliveryReport, DsnRecipient, HeaderField, ParsedHeaders, ReadMessage, TypedValue } from './types.js';

/** Most recipient groups kept of one report. */
export const MAX_DSN_RECIPIENTS = 1000;
/** Bytes of the body scanned for the marks of a report when the header does not say it is one. */
const SCAN_BYTES = 256 * 1024;
/**
 * Most lines handed to postal-mime. It spends about 10 µs a line on short
 * lines (it builds one Blob part per line: 1 MiB of empty lines, 524,288 of
 * them, took 5.9 s on the 2-core machine, 36-byte lines 0.25 s per MiB), so a
 * hostile body of 2 MiB of line ends would take 20 s. 50,000 lines hold any
 * report's text and status parts (a few hundred lines) and more than the
 * 2 MiB prefix of base64 (76-byte lines: 27,600); past them only the tail of a
 * returned attachment is lost.
 */
export const MAX_MIME_LINES = 50_000;

const LATIN1 = new TextDecoder('latin1');
const UTF8 = new TextDecoder('utf-8');

const PER_RECIPIENT = new Set(['final-recipient', 'original-recipient', 'action', 'status', 'remote-mta', 'diagnostic-code', 'last-attempt-date', 'final-log-id', 'will-retry-until']);
const PER_MESSAGE = new Set(['reporting-mta', 'dsn-gateway', 'received-from-mta', 'arrival-date', 'original-envelope-id']);
const DS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const HEADER_TYPES = new Set(['text/rfc822-headers', 'message/global-headers']);
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global']);
const REPORT_MARKS = ['final-recipient:', 'reporting-mta:', "remote server returned '", 'diagnostic information for administrators'];

/** `rfc822; user@example.com` → type and value (RFC 3464 2.1.2). */
export function parseTypedValue(value: string): TypedValue {
  const semi = value.indexOf(';');
  if (semi < 0) return { type: null, value: value.trim() };
  return { type: value.slice(0, semi).trim().toLowerCase() || null, value: value.slice(semi + 1).trim() };
}

/** The address of a recipient field's value: angle brackets removed. */
function addressOf(v: TypedValue | null): string | null {
  if (!v) return null;
  let a = v.value.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1).trim();
  return a.length > 0 ? a : null;
}

const ENHANCED_WORD = /^[245]\.[0-9]{1,3}\.[0-9]{1,3}$/;

/** The reply code and enhanced status code of a diagnostic text (`550 5.1.10 …`, `550-5.7.1 …`, `#5.1.1`). */
export function parseDiagnostic(text: string): { replyCode: number | null; status: string | null } {
  const t = text.trim();
  let rest = t;
  let replyCode: number | null = null;
  if (/^[245][0-9][0-9](?:[ -]|$)/.test(t)) {
    replyCode = Number(t.slice(0, 3));
    rest = t.slice(4);
  }
  const direct = parseEnhancedCode(rest);
  if (direct) return { replyCode, status: direct.text };
  for (const word of rest.split(/\s+/).slice(0, 50)) {
    const w = trimEndChars(trimStartChars(word, '#(<['), ')>],;:.');
    if (ENHANCED_WORD.test(w)) return { replyCode, status: w };
  }
  return { replyCode, status: null };
}

/** The most specific code: the diagnostic one when Status is missing or a bare `X.0.0` of the same class. */
function bestStatus(status: string | null, diagnostic: string | null): string | null {
  if (status === null) return diagnostic;
  if (diagnostic !== null && status.endsWith('.0.0') && diagnostic.charAt(0) === status.charAt(0) && diagnostic !== status) return diagnostic;
  return status;
}

function value(fields: readonly HeaderField[], key: string): string | null {
  const f = fields.find((x) => x.key === key);
  return f && f.value.length > 0 ? f.value : null;
}

/** One per-recipient group. */
function recipientOf(fields: HeaderField[]): DsnRecipient {
  const typed = (k: string): TypedValue | null => {
    const v = value(fields, k);
    return v === null ? null : parseTypedValue(v);
  };
  const final = typed('final-recipient');
  const original = typed('original-recipient');
  const statusText = value(fields, 'status');
  const status = statusText === null ? null : (parseEnhancedCode(statusText)?.text ?? null);
  const diagnosticCode = typed('diagnostic-code');
  const diag = diagnosticCode ? parseDiagnostic(diagnosticCode.value) : { replyCode: null, status: null };
  return {
    recipient: addressOf(final) ?? addressOf(original),
    finalRecipient: final,
    originalRecipient: original,
    action: value(fields, 'action')?.toLowerCase() ?? null,
    status,
    diagnosticStatus: diag.status,
    statusCode: bestStatus(status, diag.status),
    replyCode: diag.replyCode,
    diagnosticCode,
    remoteMta: typed('remote-mta'),
    lastAttemptDate: value(fields, 'last-attempt-date'),
    willRetryUntil: value(fields, 'will-retry-until'),
    fields,
  };
}

/** Field groups of DSN text: blocks separated by blank lines, each read as header fields. */
function groups(text: string): { fields: HeaderField[]; end: number }[] {
  const out: { fields: HeaderField[]; end: number }[] = [];
  const t = text.replace(/\r\n?/g, '\n');
  let at = 0;
  while (at < t.length && out.length <= MAX_DSN_RECIPIENTS + 1) {
    // Skip blank lines (white space only).
    let lineEnd = t.indexOf('\n', at);
    while (at < t.length && t.slice(at, lineEnd < 0 ? t.length : lineEnd).trim() === '') {
      at = lineEnd < 0 ? t.length : lineEnd + 1;
      lineEnd = t.indexOf('\n', at);
    }
    if (at >= t.length) break;
    let end = at;
    for (;;) {
      const e = t.indexOf('\n', end);
      const lineText = t.slice(end, e < 0 ? t.length : e);
      if (lineText.trim() === '') break;
      end = e < 0 ? t.length : e + 1;
      if (e < 0) break;
    }
    out.push({ fields: parseHeaderText(t.slice(at, end)).fields, end });
    at = end;
  }
  return out;
}

const isDsnField = (f: HeaderField): boolean => PER_RECIPIENT.has(f.key) || PER_MESSAGE.has(f.key);

interface StatusParts {
  messageFields: HeaderField[];
  recipients: DsnRecipient[];
  total: number;
  /** Where the DSN groups end in the text (for the returned headers after them). */
  end: number;
}

/** Per-message and per-recipient groups of a delivery-status body. `strict` stops at the first group that has no DSN field. */
function statusParts(text: string, strict: boolean): StatusParts {
  let messageFields: HeaderField[] | null = null;
  const recipients: DsnRecipient[] = [];
  let total = 0;
  let end = 0;
  for (const g of groups(text)) {
    const recipientGroup = g.fields.some((f) => PER_RECIPIENT.has(f.key) && f.key !== 'diagnostic-code');
    if (!g.fields.some(isDsnField)) {
      if (strict) break;
      continue;
    }
    end = g.end;
    if (!recipientGroup) {
      messageFields ??= g.fields;
      continue;
    }
    total++;
    if (recipients.length < MAX_DSN_RECIPIENTS) recipients.push(recipientOf(g.fields));
  }
  return { messageFields: messageFields ?? [], recipients, total, end };
}

function contentText(content: Email['attachments'][number]['content'], mimeType: string): string {
  if (typeof content === 'string') return content;
  const bytes = content instanceof Uint8Array ? content : new Uint8Array(content);
  // RFC 6533 global types are UTF-8; the classic ones are US-ASCII (read as Latin-1: every byte a character).
  return mimeType.includes('global') ? UTF8.decode(bytes) : decodeHeaderBytes(bytes);
}

/** Whether the header or the first bytes of the body say this is a delivery report. */
function looksLikeReport(read: ReadMessage, headers: ParsedHeaders): boolean {
  const ct = firstHeader(headers, 'content-type')?.value.toLowerCase() ?? '';
  if (ct.startsWith('multipart/report') || DS_TYPES.has(ct.split(';')[0]?.trim() ?? '')) return true;
  if (firstHeader(headers, 'x-ms-exchange-message-is-ndr')) return true;
  const scan = LATIN1.decode(read.bodyPrefix.subarray(0, SCAN_BYTES)).toLowerCase();
  return REPORT_MARKS.some((m) => scan.includes(m));
}

/** The kept message (header, blank line, body prefix) for the MIME parser, cut after MAX_MIME_LINES lines. */
function keptMessage(read: ReadMessage): Uint8Array {
  const eol = read.lineEnding === 'lf' ? [0x0a] : [0x0d, 0x0a];
  const out = new Uint8Array(read.header.length + eol.length + read.bodyPrefix.length);
  out.set(read.header, 0);
  out.set(eol, read.header.length);
  out.set(read.bodyPrefix, read.header.length + eol.length);
  let lines = 0;
  let at = out.indexOf(0x0a);
  while (at >= 0) {
    if (++lines >= MAX_MIME_LINES) return out.subarray(0, at + 1);
    at = out.indexOf(0x0a, at + 1);
  }
  return out;
}

/** The report's human-readable text: the text part, else the HTML part as text, else the raw body. */
function reportText(email: Email | null, read: ReadMessage): string {
  if (email?.text && email.text.trim().length > 0) return email.text;
  if (email?.html && email.html.trim().length > 0) return htmlToText(email.html);
  return undoQuotedPrintable(LATIN1.decode(read.bodyPrefix));
}

/**
 * The delivery report a message is, or null when it is none: the
 * message/delivery-status part (or DSN fields in the text, when the MIME is
 * broken), else the recipients of Microsoft's NDR text; the returned headers
 * (text/rfc822-headers, message/rfc822, or the NDR text's `Original message headers`).
 */
export async function parseDeliveryReport(read: ReadMessage, headers: ParsedHeaders): Promise<DeliveryReport | null> {
  if (read.headersOnly || read.bodyPrefix.length === 0 || !looksLikeReport(read, headers)) return null;
  let email: Email | null = null;
  try {
    email = await PostalMime.parse(keptMessage(read), { forceRfc822Attachments: true, attachmentEncoding: 'arraybuffer', maxNestingDepth: 64 });
  } catch {
    email = null; // a structure postal-mime rejects: read the text below
  }
  const attachments = email?.attachments ?? [];
  const text = reportText(email, read);
  const ndr: NdrText = parseNdrText(text);
  let source: DeliveryReport['source'] | null = null;
  let parts: StatusParts | null = null;
  const ds = attachments.find((a) => DS_TYPES.has(a.mimeType));
  if (ds) {
    parts = statusParts(contentText(ds.content, ds.mimeType), false);
    source = 'delivery-status';
  }
  let rawStatusText: string | null = null;
  if (!parts || (parts.recipients.length === 0 && parts.messageFields.length === 0)) {
    // Broken MIME: DSN fields in the text itself, from the first Reporting-MTA / Final-Recipient line on.
    const raw = undoQuotedPrintable(LATIN1.decode(read.bodyPrefix)).replace(/\r\n?/g, '\n');
    const lower = raw.toLowerCase();
    const marks = ['\nreporting-mta:', '\nfinal-recipient:', '\noriginal-recipient:'].map((m) => lower.indexOf(m)).filter((i) => i >= 0);
    if (marks.length > 0) {
      rawStatusText = raw.slice(Math.min(...marks) + 1);
      const found = statusParts(rawStatusText, true);
      if (found.recipients.length > 0) {
        parts = found;
        source = 'delivery-status-text';
      }
    }
  }
  let recipients: DsnRecipient[] = parts?.recipients ?? [];
  let total = parts?.total ?? 0;
  if (recipients.length === 0 && ndr.recipients.length > 0) {
    source = 'ndr-text';
    recipients = ndr.recipients.map((r) => recipientOfNdr(r.recipient, r.diagnostic));
    total = recipients.length;
  }
  if (source === null) return null;
  const messageFields = parts?.messageFields ?? [];
  const typed = (k: string): TypedValue | null => {
    const v = value(messageFields, k);
    return v === null ? null : parseTypedValue(v);
  };
  const returned = returnedHeaders(attachments, ndr, source === 'delivery-status-text' && rawStatusText !== null ? rawStatusText.slice(parts?.end ?? 0) : null);
  return {
    source,
    reportingMta: typed('reporting-mta'),
    generatingServer: ndr.generatingServer,
    receivedFromMta: typed('received-from-mta'),
    arrivalDate: value(messageFields, 'arrival-date'),
    originalEnvelopeId: value(messageFields, 'original-envelope-id'),
    messageFields,
    recipients,
    recipientsTotal: total,
    returnedHeaders: returned?.headers ?? null,
    returnedFrom: returned?.from ?? null,
  };
}

/** A recipient of Microsoft's NDR text, in the shape of a DSN group. */
function recipientOfNdr(recipient: string | null, diagnostic: string): DsnRecipient {
  const diag = parseDiagnostic(diagnostic);
  return {
    recipient,
    finalRecipient: recipient === null ? null : { type: 'rfc822', value: recipient },
    originalRecipient: null,
    action: 'failed',
    status: null,
    diagnosticStatus: diag.status,
    statusCode: diag.status,
    replyCode: diag.replyCode,
    diagnosticCode: { type: 'smtp', value: diagnostic },
    remoteMta: null,
    lastAttemptDate: null,
    willRetryUntil: null,
    fields: [],
  };
}

/** The returned message's headers: a headers part, a message part, the NDR text's section, or the text after broken-MIME DSN fields. */
function returnedHeaders(attachments: Email['attachments'], ndr: NdrText, afterStatus: string | null): { headers: ParsedHeaders; from: NonNullable<DeliveryReport['returnedFrom']> } | null {
  const usable = (h: ParsedHeaders): boolean => h.fields.length > 0;
  for (const a of attachments) {
    if (HEADER_TYPES.has(a.mimeType)) {
      const h = parseHeaderText(contentText(a.content, a.mimeType).replace(/^\s+/, ''));
      if (usable(h)) return { headers: h, from: 'text/rfc822-headers' };
    }
    if (MESSAGE_TYPES.has(a.mimeType)) {
      const bytes = typeof a.content === 'string' ? new TextEncoder().encode(a.content) : a.content instanceof Uint8Array ? a.content : new Uint8Array(a.content);
      const r = readMessageBytes(bytes);
      const h = parseHeaderBlock(r.header, r.headerTruncated);
      if (usable(h)) return { headers: h, from: 'message/rfc822' };
    }
  }
  if (ndr.originalHeaders !== null) {
    const h = parseHeaderText(ndr.originalHeaders);
    if (usable(h) && headerFields(h, 'received').length + headerFields(h, 'from').length > 0) return { headers: h, from: 'ndr-text' };
  }
  if (afterStatus !== null) {
    const h = parseHeaderText(afterStatus.replace(/^\s+/, ''));
    if (usable(h) && headerFields(h, 'received').length + headerFields(h, 'from').length > 0) return { headers: h, from: 'message/rfc822' };
  }
  return null;
}
