import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { normalizeTenant } from '../m365/tenant.js';

/** One input row of a batch: exactly one report comes out for each. */
export interface BatchRow {
  /** 1-based line number in the input. */
  line: number;
  /**
   * 0-based position among the input's rows: blank lines, `#` comments and a
   * CSV header are not rows, so the same list with a comment added keeps its
   * indexes. `--shard K/N` takes the rows whose index % N is K, and every
   * report of a batch carries it as `row` (how shards merge back into input
   * order, and how `--resume` matches a saved row to its input row).
   */
  index?: number;
  /** The domain cell as given (may be garbage: it becomes DOMAIN_INVALID). */
  input: string;
  tenant?: string;
  /** The other CSV columns, carried into the report. */
  meta?: Record<string, string>;
  /** The whole line's length, when it was longer than MAX_LINE_LENGTH and cut on reading. */
  inputLength?: number;
}

/** The input is not a list of domains at all (a binary file, an unsupported encoding): one line, exit 2. */
export class InputError extends Error {}

/**
 * Longest line kept, in characters. A longer line is still one row: its
 * first MAX_LINE_LENGTH characters are kept with a cut marker (so it cannot
 * pass for a valid name), the rest is dropped as it streams past, so memory
 * stays bounded whatever the input.
 */
export const MAX_LINE_LENGTH = 65_536;
/** Bytes looked at to tell text from a binary file (git looks at 8,000). */
const SNIFF_BYTES = 8_000;
/** Enough bytes for any byte-order mark (UTF-32's is four). */
const BOM_BYTES = 4;
/** Above this share of control characters and undecodable bytes, the input is not text. */
const MAX_NON_TEXT_SHARE = 0.3;

const DOMAIN_COLUMNS = ['domain', 'domains', 'domain_name', 'domainname', 'domain name', 'fqdn', 'mail_domain', 'email_domain', 'primary_domain', 'hostname', 'host', 'email', 'website', 'url'];
const TENANT_COLUMNS = ['tenant', 'tenant_prefix', 'tenant prefix', 'initial_domain', 'initial domain', 'onmicrosoft'];

export type InputEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * Decides from the first bytes of an input how to read it: the encoding its
 * byte-order mark names (UTF-8 without one), or why it is not a list of
 * domains (NUL bytes, mostly control characters or undecodable bytes, a
 * UTF-32 mark). Pure.
 */
export function sniffInputEncoding(head: Uint8Array): { encoding: InputEncoding } | { error: string } {
  const b = (i: number): number | undefined => head[i];
  // UTF-32 LE's mark starts like UTF-16 LE's, so it is tested first (Unicode 15, section 23.8).
  if ((b(0) === 0xff && b(1) === 0xfe && b(2) === 0 && b(3) === 0) || (b(0) === 0 && b(1) === 0 && b(2) === 0xfe && b(3) === 0xff)) {
    return { error: 'the input is UTF-32 text; save it as UTF-8' };
  }
  const encoding: InputEncoding = b(0) === 0xff && b(1) === 0xfe ? 'utf-16le' : b(0) === 0xfe && b(1) === 0xff ? 'utf-16be' : 'utf-8';
  let text: string;
  try {
    text = new TextDecoder(encoding).decode(head.subarray(0, SNIFF_BYTES), { stream: true });
  } catch {
    // A Node built without full ICU has no UTF-16 BE decoder.
    return { error: `the input is ${encoding.toUpperCase()} text, which this Node cannot decode; save it as UTF-8` };
  }
  let nonText = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      return { error: encoding === 'utf-8' ? 'the input holds NUL bytes: a binary file, or UTF-16 text without a byte-order mark (save it as UTF-8)' : 'the input holds NUL characters: not a list of domains' };
    }
    // Tab, LF, VT, FF, CR and ESC occur in text files; other C0 controls, DEL and U+FFFD (an undecodable byte) do not.
    if ((c < 0x20 && (c < 0x09 || c > 0x0d) && c !== 0x1b) || c === 0x7f || c === 0xfffd) nonText++;
  }
  if (text.length > 0 && nonText / text.length > MAX_NON_TEXT_SHARE) {
    return { error: `the input is not text (${Math.round((100 * nonText) / text.length)}% of its first characters are control characters or undecodable bytes)` };
  }
  return { encoding };
}

/**
 * Opens a batch input before any row is read: looks at its first bytes and
 * rejects a binary file or an unsupported encoding with an InputError (a
 * one-line reason), then gives the stream back with those bytes unread.
 * readBatchInput does the same check itself; this lets a caller fail before
 * it starts anything.
 */
export async function openBatchInput(stream: Readable): Promise<Readable> {
  const reader = createChunkReader(stream);
  const head: Buffer[] = [];
  let size = 0;
  let chunk: Buffer | null;
  try {
    while (size < BOM_BYTES && (chunk = await reader.next()) !== null) {
      head.push(chunk);
      size += chunk.length;
    }
  } finally {
    reader.release();
  }
  const bytes = Buffer.concat(head);
  const sniffed = sniffInputEncoding(bytes);
  if ('error' in sniffed) throw new InputError(sniffed.error);
  if (bytes.length === 0) return stream;
  // A stream that already ended cannot take the bytes back: hand them over in a fresh one.
  if (stream.readableEnded || stream.destroyed) return Readable.from([bytes]);
  stream.unshift(bytes);
  return stream;
}

/**
 * Reads a batch input as a stream of rows: a plain list (one domain a line)
 * or a CSV with a header naming a domain column. `#` comment lines and blank
 * lines are skipped; LF and CRLF end lines (a lone CR is data: it stays in its
 * line, which then is not a valid name); UTF-8 with or without a BOM and
 * UTF-16 with a BOM are read; a binary file throws InputError before any
 * row. Each line is parsed on its own (csv-parse handles the quoting), so a
 * stray quote cannot swallow the lines after it: every line yields at most
 * one row, and every line that is not blank or a comment exactly one.
 * Everything here is linear in the input (no backtracking regex), and a line
 * longer than MAX_LINE_LENGTH is cut, so memory is bounded.
 */
export async function* readBatchInput(stream: Readable, signal?: AbortSignal): AsyncGenerator<BatchRow> {
  // Already aborted: no reader is attached, so the stream is left as it was.
  if (signal?.aborted) return;
  const reader = createChunkReader(stream, signal);
  try {
    for await (const row of rows(splitLines(decodeChunks(reader)))) {
      // A line cut short by the abort is not a row.
      if (signal?.aborted) return;
      yield row;
    }
  } finally {
    // Leaves the stream paused: on abort, stdin stops reading even while a line never comes.
    reader.release();
  }
}

interface ChunkReader {
  /** The next chunk as bytes; null at the end of the stream or once the signal aborts. */
  next(): Promise<Buffer | null>;
  /** Detaches from the stream (idempotent). */
  release(): void;
}

/**
 * Takes chunks from a stream one at a time: flowing while a read waits,
 * paused as soon as a chunk is in hand. Pausing is what lets stdin stop
 * reading (and the process exit) after an abort, which a 'readable'
 * listener would not allow (a stream that never flowed emits no 'pause').
 */
function createChunkReader(stream: Readable, signal?: AbortSignal): ChunkReader {
  const queue: Buffer[] = [];
  let ended = false;
  let error: unknown = null;
  let wake: (() => void) | null = null;
  const poke = (): void => wake?.();
  const onData = (chunk: Buffer | string): void => {
    queue.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    stream.pause();
    poke();
  };
  const onEnd = (): void => {
    ended = true;
    poke();
  };
  const onError = (err: unknown): void => {
    error ??= err;
    poke();
  };
  stream.pause();
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onError);
  signal?.addEventListener('abort', poke);
  return {
    async next(): Promise<Buffer | null> {
      for (;;) {
        if (signal?.aborted) return null;
        const chunk = queue.shift();
        if (chunk) return chunk;
        if (error) throw error;
        if (ended || stream.readableEnded || stream.destroyed) return null;
        stream.resume();
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    release(): void {
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', poke);
    },
  };
}

/** Bytes to text: sniffs the head (InputError for a binary), then decodes in the encoding it names; the BOM is dropped. */
async function* decodeChunks(reader: ChunkReader): AsyncGenerator<string> {
  const head: Buffer[] = [];
  let size = 0;
  let chunk: Buffer | null = null;
  while (size < BOM_BYTES && (chunk = await reader.next()) !== null) {
    head.push(chunk);
    size += chunk.length;
  }
  const bytes = Buffer.concat(head);
  const sniffed = sniffInputEncoding(bytes);
  if ('error' in sniffed) throw new InputError(sniffed.error);
  // TextDecoder drops a leading BOM of its own encoding (WHATWG Encoding, "decode"), and keeps split sequences across chunks.
  const decoder = new TextDecoder(sniffed.encoding);
  if (bytes.length > 0) yield decoder.decode(bytes, { stream: true });
  while ((chunk = await reader.next()) !== null) yield decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * Text to lines, ending each at LF only (one trailing CR is dropped, so CRLF
 * works; a lone CR stays in the line). indexOf-based, so linear in the input;
 * a line past MAX_LINE_LENGTH keeps its head and a marker, the rest is skipped.
 */
async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let parts: string[] = [];
  let kept = 0;
  let total = 0;
  const finish = (): Line => {
    let text = parts.join('');
    parts = [];
    // A blank line is blank however long (its head is all that was kept: white space all through is blank).
    const cut = total > kept && text.trim() !== '' ? total : undefined;
    if (cut !== undefined) text += `… [line cut: ${total} characters, at most ${MAX_LINE_LENGTH} read]`;
    else if (text.endsWith('\r')) text = text.slice(0, -1);
    kept = 0;
    total = 0;
    return { text, cut };
  };
  const add = (piece: string): void => {
    total += piece.length;
    const room = MAX_LINE_LENGTH - kept;
    if (room <= 0) return;
    const take = piece.length <= room ? piece : piece.slice(0, room);
    parts.push(take);
    kept += take.length;
  };
  let any = false;
  for await (const chunk of chunks) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      add(chunk.slice(from, nl));
      from = nl + 1;
      yield finish();
      any = false;
    }
    if (from < chunk.length) {
      add(chunk.slice(from));
      any = true;
    }
  }
  if (any) yield finish();
}

/** One input line: its text (cut ones end in a marker) and, when it was cut, its whole length. */
interface Line {
  text: string;
  cut: number | undefined;
}

async function* rows(lines: AsyncIterable<Line>): AsyncGenerator<BatchRow> {
  let lineNo = 0;
  let index = 0;
  let header: { domainAt: number; tenantAt: number; names: string[] } | null | undefined;
  for await (const { text: line, cut } of lines) {
    lineNo++;
    const withLength = (row: BatchRow): BatchRow => (cut === undefined ? row : { ...row, inputLength: cut });
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (header === undefined) {
      header = detectHeader(trimmed);
      if (header) continue;
    }
    if (!header) {
      yield withLength({ line: lineNo, index: index++, input: stripComment(trimmed) });
      continue;
    }
    const cells = parseCsvLine(line);
    if (cells === null) {
      yield withLength({ line: lineNo, index: index++, input: trimmed });
      continue;
    }
    const row: BatchRow = { line: lineNo, index: index++, input: (cells[header.domainAt] ?? '').trim() };
    const tenant = header.tenantAt >= 0 ? tenantPrefix(cells[header.tenantAt] ?? '') : '';
    if (tenant) row.tenant = tenant;
    const meta: Record<string, string> = {};
    header.names.forEach((name, i) => {
      if (i !== header?.domainAt && i !== header?.tenantAt) meta[name] = cells[i] ?? '';
    });
    if (Object.keys(meta).length > 0) row.meta = meta;
    yield withLength(row);
  }
}

/**
 * `contoso.com   # note` -> `contoso.com`: a `#` after white space starts a
 * comment (a `#` inside a word does not). Scans with indexOf, so a line of a
 * million spaces costs one pass (the regex it replaces, /\s+#.*$/, backtracked
 * over every run of spaces from every start: quadratic).
 */
export function stripComment(trimmed: string): string {
  for (let at = trimmed.indexOf('#', 1); at !== -1; at = trimmed.indexOf('#', at + 1)) {
    if (isSpace(trimmed.charCodeAt(at - 1))) return trimmed.slice(0, at).trimEnd();
  }
  return trimmed;
}

/** The characters String.prototype.trim removes (ECMA-262 WhiteSpace and LineTerminator), as \s in a regex. */
function isSpace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function detectHeader(line: string): { domainAt: number; tenantAt: number; names: string[] } | null {
  const cells = parseCsvLine(line);
  if (!cells) return null;
  const names = cells.map((c) => c.trim());
  const lower = names.map((c) => c.toLowerCase());
  const domainAt = lower.findIndex((c) => DOMAIN_COLUMNS.includes(c));
  if (domainAt < 0) return null;
  const tenantAt = lower.findIndex((c) => TENANT_COLUMNS.includes(c));
  return { domainAt, tenantAt, names: names.map((n, i) => n || `column${i + 1}`) };
}

function parseCsvLine(line: string): string[] | null {
  try {
    // The line is one record: a lone CR inside it is data, not a record end (csv-parse would otherwise guess CR as one).
    const rows = parse(line, { relax_column_count: true, relax_quotes: true, skip_empty_lines: false, record_delimiter: '\n' }) as string[][];
    return rows[0] ?? [];
  } catch {
    return null;
  }
}

/** `contoso`, `contoso.onmicrosoft.com` or `contoso.onmicrosoft.us` -> `contoso`; '' for anything else. */
export function tenantPrefix(cell: string): string {
  return normalizeTenant(cell) ?? '';
}

/** `--shard K/N`: this run audits the rows whose index % count is index (0 <= index < count). */
export interface Shard {
  index: number;
  count: number;
}

/** Most shards a list is split into: far more machines than any batch needs, and a bound on what `K/N` may say. */
export const MAX_SHARDS = 100_000;

/** `2/7` -> { index: 2, count: 7 }, or why not (one line). Pure. */
export function parseShard(text: string): Shard | { error: string } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const error = { error: `--shard must be K/N with 0 <= K < N <= ${MAX_SHARDS} (e.g. 0/4), not "${text.length > 40 ? `${text.slice(0, 39)}…` : text}"` };
  if (!m) return error;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS || index >= count) return error;
  return { index, count };
}

/**
 * The rows of one shard: those whose `index` % count is the shard's index.
 * The index counts rows (not lines), so a list keeps its split when a comment
 * or a blank line is added; the same input always gives the same shards.
 */
export async function* selectShard(rows: AsyncIterable<BatchRow>, shard: Shard | null): AsyncGenerator<BatchRow> {
  let seen = 0;
  for await (const row of rows) {
    const index = row.index ?? seen;
    seen++;
    if (shard === null || index % shard.count === shard.index) yield row;
  }
}
