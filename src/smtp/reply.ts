/**
 * SMTP reply parsing (RFC 5321 4.2, enhanced status codes RFC 3463/RFC 2034).
 * Pure: text in, events out. Never throws; input from a server is data, so
 * lines that are not replies are reported as garbage and skipped, and a line
 * that never ends is cut off with an error event instead of growing memory.
 */

/**
 * RFC 5321 4.5.3.1.5 allows 512 octets per reply line; Microsoft's stay far
 * below. Eight times that leaves room for sloppy servers while a server that
 * streams an endless line is stopped after 4 KiB.
 */
export const MAX_REPLY_LINE = 4096;
/** A multi-line reply with more lines than this is treated as hostile (an EHLO list has about ten). */
export const MAX_REPLY_LINES = 200;

export interface EnhancedCode {
  /** 2 success, 4 persistent transient failure, 5 permanent failure. */
  cls: 2 | 4 | 5;
  subject: number;
  detail: number;
  /** `5.7.139` */
  text: string;
}

export interface SmtpReply {
  /** The three-digit reply code (of the first line). */
  code: number;
  /** The text of each line, without the code and separator. */
  lines: string[];
  /** The enhanced status code at the start of the first line's text, if any. */
  enhanced: EnhancedCode | null;
}

export type ReplyError = 'line-too-long' | 'too-many-lines';

export type ReplyEvent =
  | { type: 'reply'; reply: SmtpReply }
  | { type: 'garbage'; line: string }
  | { type: 'error'; error: ReplyError; sample: string };

export interface ReplyLine {
  code: number;
  /** `false` for `250-…` (more lines follow), `true` for `250 …` or a bare `250`. */
  final: boolean;
  text: string;
}

const LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=$|[\s,;:])/;

/** One reply line, or null when it is not one (garbage). */
export function parseReplyLine(line: string): ReplyLine | null {
  const m = LINE.exec(line);
  if (!m) return null;
  return { code: Number(m[1]), final: m[2] !== '-', text: m[3] ?? '' };
}

/** The enhanced status code at the start of a reply text (`5.7.3 Authentication unsuccessful`). */
export function parseEnhancedCode(text: string): EnhancedCode | null {
  const m = ENHANCED.exec(text.trimStart());
  if (!m) return null;
  const cls = Number(m[1]) as 2 | 4 | 5;
  const subject = Number(m[2]);
  const detail = Number(m[3]);
  return { cls, subject, detail, text: `${cls}.${subject}.${detail}` };
}

export interface ReplyParser {
  /** Feeds received text; returns the events it completes. */
  push(chunk: string): ReplyEvent[];
  /** The connection ended: a partial line left over is garbage. */
  end(): ReplyEvent[];
  /** True once an error event was given: the parser ignores further input. */
  readonly failed: boolean;
}

/** An incremental parser for a reply stream (a socket's decoded text). */
export function createReplyParser(options: { maxLineLength?: number; maxLines?: number } = {}): ReplyParser {
  const maxLine = options.maxLineLength ?? MAX_REPLY_LINE;
  const maxLines = options.maxLines ?? MAX_REPLY_LINES;
  let buffer = '';
  let pending: { code: number; lines: string[] } | null = null;
  let failed = false;

  function fail(out: ReplyEvent[], error: ReplyError, sample: string): void {
    failed = true;
    buffer = '';
    pending = null;
    out.push({ type: 'error', error, sample: sample.slice(0, 80) });
  }

  function line(out: ReplyEvent[], raw: string): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const parsed = parseReplyLine(text);
    if (!parsed) {
      out.push({ type: 'garbage', line: text });
      return;
    }
    // RFC 5321 says every line of a reply carries the same code; a server that
    // changes it mid-reply is tolerated, the first line's code stands.
    const current = pending ?? { code: parsed.code, lines: [] };
    current.lines.push(parsed.text);
    if (parsed.final) {
      pending = null;
      const first = current.lines[0] ?? '';
      out.push({ type: 'reply', reply: { code: current.code, lines: current.lines, enhanced: parseEnhancedCode(first) } });
    } else if (current.lines.length >= maxLines) {
      fail(out, 'too-many-lines', parsed.text);
    } else {
      pending = current;
    }
  }

  return {
    get failed() {
      return failed;
    },
    push(chunk: string): ReplyEvent[] {
      const out: ReplyEvent[] = [];
      if (failed) return out;
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl !== -1 && !failed) {
        const raw = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (raw.length > maxLine + 1) {
          fail(out, 'line-too-long', raw);
          return out;
        }
        line(out, raw);
        nl = buffer.indexOf('\n');
      }
      if (!failed && buffer.length > maxLine + 1) fail(out, 'line-too-long', buffer);
      return out;
    },
    end(): ReplyEvent[] {
      const out: ReplyEvent[] = [];
      if (failed) return out;
      if (buffer.length > 0) out.push({ type: 'garbage', line: buffer });
      if (pending) out.push({ type: 'garbage', line: pending.lines.map((l) => `${pending?.code ?? ''}-${l}`).join('\n') });
      buffer = '';
      pending = null;
      return out;
    },
  };
}

export interface ParsedReplies {
  replies: SmtpReply[];
  garbage: string[];
  error: ReplyError | null;
}

/** Parses a whole transcript of server text at once. */
export function parseReplies(text: string, options: { maxLineLength?: number; maxLines?: number } = {}): ParsedReplies {
  const parser = createReplyParser(options);
  const events = [...parser.push(text), ...parser.end()];
  const result: ParsedReplies = { replies: [], garbage: [], error: null };
  for (const e of events) {
    if (e.type === 'reply') result.replies.push(e.reply);
    else if (e.type === 'garbage') result.garbage.push(e.line);
    else result.error = e.error;
  }
  return result;
}

/** `250-A` / `250 B` lines back as text (for transcripts and evidence). */
export function formatReply(reply: SmtpReply): string {
  if (reply.lines.length === 0) return String(reply.code);
  return reply.lines.map((l, i) => `${reply.code}${i < reply.lines.length - 1 ? '-' : ' '}${l}`).join('\n');
}

/** EHLO keywords after the greeting line, upper-cased keyword kept with its parameters: `SIZE 157286400`. */
export function ehloCapabilities(reply: SmtpReply): string[] {
  return reply.lines.slice(1).map((l) => l.trim()).filter((l) => l.length > 0);
}

/** The SASL mechanisms an EHLO reply advertises (`AUTH LOGIN XOAUTH2`, also the old `AUTH=LOGIN` form). */
export function authMechanisms(capabilities: readonly string[]): string[] {
  const mechs: string[] = [];
  for (const cap of capabilities) {
    const m = /^AUTH[ =](.*)$/i.exec(cap);
    if (!m) continue;
    for (const mech of (m[1] ?? '').split(/\s+/)) {
      const up = mech.toUpperCase();
      if (up && !mechs.includes(up)) mechs.push(up);
    }
  }
  return mechs;
}

/** Whether an EHLO keyword is present (`STARTTLS`). */
export function hasCapability(capabilities: readonly string[], keyword: string): boolean {
  const k = keyword.toUpperCase();
  return capabilities.some((c) => c.split(/[\s=]/)[0]?.toUpperCase() === k);
}
