/**
 * One reader for the files options name (--tls-ca, --client-cert,
 * --client-key, --cert, --zone): a regular file only (a directory, a device
 * such as /dev/zero, a FIFO or a socket is refused at once: opened without
 * blocking, checked with fstat), read to at most `maxBytes` (a larger one is
 * refused, never read whole). Every failure is a one-line UsageError naming
 * the option and the file.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from './usage.js';

/** How a file is named in errors (`--tls-ca ca.pem`), and its size bound. */
export interface BoundedRead {
  flag: string;
  maxBytes: number;
  /** Added to the directory refusal (e.g. "--zone takes one zone file; repeat it for more"). */
  directoryHint?: string;
}

const sizeWords = (n: number): string => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`);

/** The file's text (UTF-8), or a UsageError: `cannot read FLAG FILE: why`. */
export async function readOptionFile(file: string, opts: BoundedRead): Promise<string> {
  const fail = (why: string): UsageError => new UsageError(`cannot read ${opts.flag} ${file}: ${why}`);
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? 'error')));
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw fail(`it is a directory${opts.directoryHint ? ` (${opts.directoryHint})` : ''}`);
    if (!info.isFile()) throw fail('not a regular file');
    if (info.size > opts.maxBytes) throw fail(`larger than ${sizeWords(opts.maxBytes)}`);
    // The size can change between fstat and read: read one byte past the bound to tell.
    const buf = Buffer.alloc(opts.maxBytes + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > opts.maxBytes) throw fail(`larger than ${sizeWords(opts.maxBytes)}`);
    }
    return buf.subarray(0, got).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw fail((err as NodeJS.ErrnoException).code ?? 'error');
  } finally {
    await handle.close();
  }
}
