/**
 * The bounded message reader. A message can be an attachment-laden 50 MB
 * .eml; what the analysis needs of it is the header block and the start of
 * the body (a DSN's machine-readable parts come before the returned message,
 * RFC 3464 / RFC 6522 3), so the reader keeps at most MAX_HEADER_BYTES of
 * header and MAX_BODY_PREFIX_BYTES of body, counts the rest, and hands every
 * chunk to an optional `tee` (the DKIM body-hash verifier streams the whole
 * message in the same pass). Memory stays bounded whatever the input size.
 *
 * Tolerated: CRLF or LF line ends (RFC 5322 2.1 says CRLF; pastes and mbox
 * files use LF), leading blank lines and white space, a UTF-8 byte order
 * mark, an mbox `From sender date` postmark line, and a header block with no
 * blank line after it (a header-only paste). Pure: bytes in, data out; never
 * throws for any input (the source's own errors pass through).
 */
import type { LineEnding, ReadMessage, ReadOptions } from './types.js';

/** Most header-block bytes kept: 1 MiB. Real headers are 5-30 KiB (Microsoft's with ARC: about 20 KiB). */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Most body bytes kept for MIME/DSN analysis: 2 MiB (a DSN's text and status parts are a few KiB). */
export const MAX_BODY_PREFIX_BYTES = 2 * 1024 * 1024;
/** Longest mbox `From ` postmark line skipped (RFC 5322 2.1.1's 998 octets, and room). */
const MAX_MBOX_LINE = 1000;

const LF = 0x0a;
const CR = 0x0d;

type Phase = 'leading' | 'mbox' | 'header' | 'body';

/** Appends bytes to a list of copies, up to a cap; returns how many were kept. */
class Keeper {
  readonly parts: Uint8Array[] = [];
  size = 0;
  constructor(readonly cap: number) {}
  add(bytes: Uint8Array): void {
    const room = this.cap - this.size;
    if (room <= 0 || bytes.length === 0) return;
    const part = bytes.length <= room ? bytes : bytes.subarray(0, room);
    // A copy: the source may reuse its buffers, and a view would pin the whole chunk.
    this.parts.push(part.slice());
    this.size += part.length;
  }
  bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0] as Uint8Array;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * The incremental state machine behind readMessage: `push` takes a chunk and
 * returns the part of it that belongs to the message (for the tee), `finish`
 * gives the result. Exported for readMessageBytes; use readMessage.
 */
class MessageReader {
  private phase: Phase = 'leading';
  private readonly header: Keeper;
  private readonly body: Keeper;
  private headerBytes = 0;
  private bodyBytes = 0;
  private skipped = 0;
  private total = 0;
  private mbox = false;
  private headerEnded = false;
  /** Bytes of the header line being read so far (0 at a line start), and whether it held only a CR. */
  private lineLength = 0;
  private lineOnlyCr = false;
  private crlf = 0;
  private bareLf = 0;
  private lastByte = -1;
  /** Leading bytes held back while deciding whether they start an mbox `From ` line. */
  private pending: number[] = [];
  /** Where the held-back bytes start in the current chunk, or -1 when they started in an earlier one. */
  private pendingAt = -1;
  private bomAt = 0;

  constructor(options: ReadOptions) {
    this.header = new Keeper(Math.max(0, options.maxHeaderBytes ?? MAX_HEADER_BYTES));
    this.body = new Keeper(Math.max(0, options.maxBodyBytes ?? MAX_BODY_PREFIX_BYTES));
  }

  /** Reads one chunk; returns the views of it that are message bytes (for the tee), in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.total += chunk.length;
    this.pendingAt = -1;
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'leading' || this.phase === 'mbox') {
        const r = this.leading(chunk, i);
        if (r.emit) out.push(...r.emit);
        i = r.next;
        continue;
      }
      const start = i;
      i = this.phase === 'header' ? this.headerPart(chunk, i) : this.bodyPart(chunk, i);
      out.push(chunk.subarray(start, i));
    }
    return out.filter((v) => v.length > 0);
  }

  /** The stream ended. */
  finish(): ReadMessage {
    // Leading bytes still held back ("From" with no more input): they are a (short) header line.
    if (this.pending.length > 0) {
      const held = Uint8Array.from(this.pending);
      this.pending = [];
      this.phase = 'header';
      this.skipped -= held.length;
      this.headerPart(held, 0);
    }
    const header = this.trimmedHeader();
    const lineEnding: LineEnding = this.crlf > 0 && this.bareLf > 0 ? 'mixed' : this.crlf > 0 ? 'crlf' : this.bareLf > 0 ? 'lf' : 'none';
    return {
      header,
      headerBytes: this.headerBytes,
      headerTruncated: this.headerBytes > this.header.cap,
      bodyPrefix: this.body.bytes(),
      bodyBytes: this.bodyBytes,
      bodyTruncated: this.bodyBytes > this.body.size,
      headersOnly: !this.headerEnded,
      skippedBytes: this.skipped,
      mboxFromLine: this.mbox,
      totalBytes: this.total,
      lineEnding,
    };
  }

  /**
   * The kept header; when cut by the cap, cut back to its last complete line
   * (never half a field line), unless it holds no line end at all: then the
   * cut bytes stay, so the classifier can tell what the input is.
   */
  private trimmedHeader(): Uint8Array {
    const bytes = this.header.bytes();
    if (this.headerBytes <= this.header.cap) return bytes;
    const last = bytes.lastIndexOf(LF);
    return last < 0 ? bytes : bytes.subarray(0, last + 1);
  }

  /**
   * Skips white space, a BOM and an mbox `From ` line before the first field.
   * Returns what to emit to the tee (held-back bytes that turned out to be the message) and where to go on.
   */
  private leading(chunk: Uint8Array, i: number): { next: number; emit?: Uint8Array[] } {
    if (this.phase === 'mbox') {
      const lf = chunk.indexOf(LF, i);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.skipped += end - i;
      this.lineLength += end - i;
      if (lf >= 0 || this.lineLength > MAX_MBOX_LINE) {
        this.phase = 'leading';
        this.lineLength = 0;
      }
      return { next: end };
    }
    const FROM = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "
    while (i < chunk.length) {
      const b = chunk[i] as number;
      if (this.pending.length === 0) {
        // UTF-8 byte order mark, at the very start only.
        const BOM = [0xef, 0xbb, 0xbf];
        if (this.skipped === this.bomAt && this.bomAt < 3 && b === BOM[this.bomAt] && !this.mbox) {
          this.bomAt++;
          this.skipped++;
          i++;
          continue;
        }
        if (b === 0x20 || b === 0x09 || b === CR || b === LF) {
          this.skipped++;
          i++;
          continue;
        }
      }
      if (!this.mbox && this.pending.length < FROM.length && b === FROM[this.pending.length]) {
        if (this.pending.length === 0) this.pendingAt = i;
        this.pending.push(b);
        this.skipped++;
        i++;
        if (this.pending.length === FROM.length) {
          // "From " with a space before any colon: an mbox postmark, not a field (a field name has no space).
          this.mbox = true;
          this.pending = [];
          this.phase = 'mbox';
          this.lineLength = FROM.length;
          return { next: i };
        }
        continue;
      }
      // The message starts here: bytes held back belong to it. Held back in this chunk: start
      // the header where they started (one view for the tee, chunk boundaries kept).
      const emit: Uint8Array[] = [];
      this.phase = 'header';
      if (this.pending.length > 0 && this.pendingAt >= 0) {
        this.skipped -= this.pending.length;
        this.pending = [];
        return { next: this.pendingAt };
      }
      if (this.pending.length > 0) {
        const held = Uint8Array.from(this.pending);
        this.skipped -= held.length;
        this.pending = [];
        this.headerPart(held, 0);
        emit.push(held);
      }
      return { next: i, emit };
    }
    return { next: i };
  }

  /** Reads header bytes from `i` up to the blank line (or the chunk's end); returns where it stopped. */
  private headerPart(chunk: Uint8Array, i: number): number {
    let at = i;
    while (at < chunk.length) {
      const lf = chunk.indexOf(LF, at);
      const end = lf < 0 ? chunk.length : lf;
      // Bytes of this line in this chunk, before the LF.
      const n = end - at;
      if (n > 0) {
        this.lineOnlyCr = this.lineLength === 0 && n === 1 && chunk[at] === CR;
        this.lineLength += n;
        this.lastByte = chunk[end - 1] as number;
      }
      if (lf < 0) {
        this.keepHeader(chunk.subarray(i, chunk.length));
        return chunk.length;
      }
      // A line ends at `lf`.
      const blank = this.lineLength === 0 || (this.lineLength === 1 && this.lineOnlyCr);
      if (blank) {
        // The blank line ends the header block; it is not part of it (RFC 5322 2.1). Its CR may
        // have come at the end of the previous chunk, already kept: take it back.
        this.keepHeader(chunk.subarray(i, lf - n));
        if (n === 0 && this.lineOnlyCr) this.dropHeaderCr();
        this.headerEnded = true;
        this.phase = 'body';
        this.lineLength = 0;
        return lf + 1;
      }
      if (this.lastByte === CR) this.crlf++;
      else this.bareLf++;
      this.lineLength = 0;
      this.lineOnlyCr = false;
      at = lf + 1;
    }
    this.keepHeader(chunk.subarray(i, at));
    return at;
  }

  private dropHeaderCr(): void {
    const last = this.header.parts[this.header.parts.length - 1];
    if (this.headerBytes <= this.header.cap && last !== undefined && last[last.length - 1] === CR) {
      this.header.parts[this.header.parts.length - 1] = last.subarray(0, last.length - 1);
      this.header.size--;
    }
    this.headerBytes--;
  }

  private keepHeader(bytes: Uint8Array): void {
    this.headerBytes += bytes.length;
    this.header.add(bytes);
  }

  private bodyPart(chunk: Uint8Array, i: number): number {
    const bytes = chunk.subarray(i);
    this.bodyBytes += bytes.length;
    this.body.add(bytes);
    return chunk.length;
  }
}

/**
 * Reads a message from a stream of chunks in bounded memory: the header block
 * (at most `maxHeaderBytes`), the first `maxBodyBytes` of the body, and the
 * sizes of both; every message chunk goes to `options.tee` in order, and a
 * promise it returns is awaited. Never throws for the bytes it reads (a
 * binary or empty input gives a result that classifyMessage rejects); an
 * error of the source itself passes through.
 */
export async function readMessage(source: AsyncIterable<Uint8Array>, options: ReadOptions = {}): Promise<ReadMessage> {
  const reader = new MessageReader(options);
  for await (const chunk of source) {
    const parts = reader.push(chunk);
    if (options.tee) for (const p of parts) await options.tee(p);
  }
  return reader.finish();
}

/** readMessage over bytes already in memory (a fixture, a returned message/rfc822 part). Synchronous; a tee's promise is not awaited. */
export function readMessageBytes(bytes: Uint8Array, options: ReadOptions = {}): ReadMessage {
  const reader = new MessageReader(options);
  const parts = reader.push(bytes);
  if (options.tee) for (const p of parts) void options.tee(p);
  return reader.finish();
}
