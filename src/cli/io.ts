import type { Readable, Writable } from 'node:stream';

/**
 * Everything a command touches outside itself: the three streams, the
 * environment, Ctrl-C and the process's memory figure. `main.ts` builds it
 * from `process`; tests build one over in-memory streams and run the very
 * same program in-process (test/support/cli.ts).
 */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Registers a Ctrl-C (SIGINT) handler; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Ends the process at once with this code (a second Ctrl-C). */
  exitNow(code: number): void;
  /** Peak resident memory so far, MiB (for --stats). */
  peakRssMiB(): number;
  /** CPU time of the process so far (user + system), ms (for --stats). */
  cpuMs(): number;
  /** The running V8's version (`process.versions.v8`): batch tunes V8 for a long run on the ones measured (memory.ts). None: no tuning. */
  readonly v8Version?: string;
}

/** One run of the program: its IO and the exit code the actions set. */
export interface CliRun {
  readonly io: CliIo;
  exitCode: number;
}

/**
 * Writes text to a stream, honouring backpressure: resolves at once while the
 * stream's buffer has room, else on 'drain'. A closed or failing stream
 * rejects with the error (the caller turns it into one line).
 */
export function writeText(out: Writable, text: string): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.reject(new Error('the stream is closed'));
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      out.off('drain', onDrain);
      out.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (err: Error): void => done(err);
    out.once('error', onError);
    const room = out.write(text, (err) => {
      if (err) done(err);
    });
    if (room) done();
    else out.once('drain', onDrain);
  });
}
