import { spawn } from 'node:child_process';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';
import { runProgram } from '../../src/cli/program.js';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Text on stdin (default: empty, ended at once). */
  input?: string;
  /** A stream as stdin instead of `input` (in-process only): the test writes to it as the run goes. */
  stdin?: Readable;
  timeoutMs?: number;
  cwd?: string;
}

/**
 * Runs the built m365audit binary with plain node; never through a shell.
 * For the few smoke tests of the real executable (and signals); everything
 * else runs in-process with {@link runInProcess}.
 */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A stream that keeps what is written to it. */
class Capture extends Writable {
  text = '';
  private readonly waiters: ((text: string) => void)[] = [];
  constructor(readonly isTTY = false) {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : String(chunk);
    for (const l of [...this.waiters]) l(this.text);
    done();
  }
  /** Resolves once the text written so far matches. */
  waitFor(pattern: RegExp): Promise<string> {
    if (pattern.test(this.text)) return Promise.resolve(this.text);
    return new Promise((resolve) => {
      const l = (t: string): void => {
        if (!pattern.test(t)) return;
        this.waiters.splice(this.waiters.indexOf(l), 1);
        resolve(t);
      };
      this.waiters.push(l);
    });
  }
}

/** A run of the program in this process, with handles to drive it while it runs. */
export interface InProcessRun {
  /** Resolves with the result when the command finishes. */
  done: Promise<CliResult>;
  /** Ctrl-C, as the terminal would send it. */
  interrupt(): void;
  /** Resolves once the command listens for Ctrl-C (its handler is installed). */
  interruptible: Promise<void>;
  /** Resolves once stdout / stderr match. */
  stdoutMatches(pattern: RegExp): Promise<string>;
  stderrMatches(pattern: RegExp): Promise<string>;
}

/** Starts the program in-process with in-memory streams; see {@link runInProcess}. */
export function startInProcess(args: readonly string[], options: CliOptions = {}): InProcessRun {
  const started = Date.now();
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = options.stdin ?? Readable.from(options.input === undefined || options.input === '' ? [] : [Buffer.from(options.input)]);
  const handlers = new Set<() => void>();
  let listening: () => void = () => undefined;
  const interruptible = new Promise<void>((resolve) => (listening = resolve));
  let exited: ((code: number) => void) | null = null;
  const exitNow = new Promise<number>((resolve) => (exited = resolve));
  const io: CliIo = {
    stdin,
    stdout,
    stderr,
    env: { NO_COLOR: '1', ...options.env },
    onInterrupt(handler) {
      handlers.add(handler);
      listening();
      return () => void handlers.delete(handler);
    },
    exitNow: (code) => exited?.(code),
    peakRssMiB: () => Math.round(process.resourceUsage().maxRSS / 1024),
    cpuMs: () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    },
  };
  const done = Promise.race([runProgram(args, io), exitNow]).then((code): CliResult => ({ code, signal: null, stdout: stdout.text, stderr: stderr.text, ms: Date.now() - started }));
  return {
    done,
    interruptible,
    interrupt: () => {
      for (const h of [...handlers]) h();
    },
    stdoutMatches: (p) => stdout.waitFor(p),
    stderrMatches: (p) => stderr.waitFor(p),
  };
}

/**
 * Runs one command line in this process, through the same program builder
 * the binary uses, with in-memory stdin/stdout/stderr: same result shape as
 * {@link runCli}, a fraction of the time.
 */
export function runInProcess(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startInProcess(args, options).done;
}

/** A stdin the test writes to while the run goes on. */
export function openStdin(): PassThrough {
  return new PassThrough();
}
