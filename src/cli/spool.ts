import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { DomainReport } from '../audit/audit.js';
import { writeText } from './io.js';

/** Bytes read from the spool file at a time. */
const READ_BLOCK = 1 << 20;

/**
 * Reports (or a diff's entries) kept on disk rather than in memory, for the formats that need a
 * run's end (its probe, its column widths) before they can draw its first
 * row: table, csv, markdown and html. Written as JSON lines while the batch
 * runs; iterated once per pass a renderer makes, one report in memory at a
 * time. Memory stays flat in the number of domains; disk holds about what
 * `--format jsonl` would.
 */
export interface Spool<T = DomainReport> extends Iterable<T> {
  add(item: T): Promise<void>;
  /** Ends writing; iterate only after it. */
  finish(): Promise<void>;
  /** Removes the file; safe to call twice or before finish(). */
  dispose(): Promise<void>;
}

export async function createSpool<T = DomainReport>(): Promise<Spool<T>> {
  const dir = await mkdtemp(join(tmpdir(), 'm365audit-spool-'));
  const path = join(dir, 'reports.jsonl');
  const out = createWriteStream(path);
  let failure: Error | null = null;
  out.on('error', (err) => (failure ??= err));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    out.end();
    await finished(out).catch((err: Error) => void (failure ??= err));
  };
  return {
    async add(item) {
      if (failure) throw failure;
      // Plain JSON.stringify: the text is read back by this process only.
      await writeText(out, `${JSON.stringify(item)}\n`);
    },
    async finish() {
      await close();
      if (failure) throw failure;
    },
    async dispose() {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
    [Symbol.iterator]: () => readLines<T>(path),
  };
}

/** The spool's reports, read synchronously in blocks (renderers are plain generators). */
function* readLines<T>(path: string): Generator<T> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BLOCK);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, READ_BLOCK, null);
      if (n === 0) break;
      rest += decoder.write(buf.subarray(0, n));
      let nl = rest.indexOf('\n');
      let start = 0;
      while (nl >= 0) {
        yield JSON.parse(rest.slice(start, nl)) as T;
        start = nl + 1;
        nl = rest.indexOf('\n', start);
      }
      rest = rest.slice(start);
    }
    rest += decoder.end();
    if (rest.trim() !== '') yield JSON.parse(rest) as T;
  } finally {
    closeSync(fd);
  }
}
