import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { writeText, type CliRun } from './io.js';
import { UsageError } from './usage.js';

/** Chunks are gathered up to this size before a write: fewer awaits, still bounded. */
const WRITE_BATCH = 64 * 1024;

/**
 * Writes a renderer's chunks through `write` (which honours backpressure),
 * a batch of them at a time: output of any size, never one string.
 */
export async function writeChunks(write: (text: string) => Promise<void>, chunks: Iterable<string>): Promise<void> {
  let parts: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= WRITE_BATCH) {
      await write(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (size > 0) await write(parts.join(''));
}

/** Writes chunks to the run's stdout, or to --output (created at the first chunk); a failure is one line, exit 2. */
export async function emitChunks(run: CliRun, chunks: Iterable<string>, opts: { output?: string | undefined }): Promise<void> {
  if (!opts.output) {
    await writeChunks((t) => writeText(run.io.stdout, t), chunks);
    return;
  }
  const path = opts.output;
  const fail = (err: unknown): UsageError => new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  let stream: Promise<Writable> | null = null;
  let failure: unknown = null;
  const open = (): Promise<Writable> => new Promise((resolve, reject) => {
    const s = createWriteStream(path);
    s.once('open', () => resolve(s));
    s.once('error', reject);
    s.on('error', (err) => (failure ??= err));
  });
  try {
    await writeChunks(async (t) => {
      stream ??= open();
      await writeText(await stream, t);
    }, chunks);
    // Nothing rendered still makes the (empty) file, as writeFile did.
    const s = await (stream ?? open());
    s.end();
    await finished(s);
  } catch (err) {
    throw err instanceof UsageError ? err : fail(failure ?? err);
  }
}
