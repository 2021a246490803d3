import { createReadStream, createWriteStream, fstatSync, type Stats } from 'node:fs';
import { access, constants, readlink, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { DomainReport } from '../../audit/audit.js';
import type { AuditContext } from '../../audit/context.js';
import { InputError, openBatchInput, readBatchInput } from '../../batch/input.js';
import { DEFAULT_CONCURRENCY, runBatch } from '../../batch/run.js';
import type { Cloud } from '../../m365/clouds.js';
import { renderJsonLine } from '../../report/json.js';
import { renderReports, type Format } from '../../report/render.js';
import { createGcHint } from '../memory.js';
import { addDnsOptions, cloudOption, collectSelector, dnsClientFromOptions, exitCodeFor, failOnOption, interruptOnSigint, positiveInt, UsageError, useColor, type DnsCliOptions, type FailOn } from '../common.js';
import { addProbeOptions, createRunProber, type RunProbeOptions } from '../run-probes.js';
import { allFindings, csvRowsOption, formatOption, renderProbeNote } from './check.js';

interface BatchOptions extends DnsCliOptions, RunProbeOptions {
  cloud?: Cloud;
  format: Format;
  csvRows?: 'domains' | 'findings';
  output?: string;
  concurrency: number;
  progress?: boolean;
  failOn: FailOn;
  color?: boolean;
  stats?: boolean;
  selector?: string[];
}

export function batchCommand(): Command {
  const cmd = new Command('batch')
    .description('audit a list of domains: one a line, or a CSV with a domain column (and optionally tenant); - reads stdin')
    .argument('<file>', 'input file, or - for stdin');
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option('--concurrency <n>', `domains audited at once (default ${DEFAULT_CONCURRENCY})`, positiveInt('--concurrency'), DEFAULT_CONCURRENCY)
    .option('--qps <n>', 'at most this many DNS queries a second (for resolvers that rate-limit)', positiveInt('--qps'))
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .option('--stats', 'print DNS and memory statistics to stderr at the end')
    .option('--selector <name>', 'also check this DKIM selector at every domain (repeatable)', collectSelector);
  addProbeOptions(cmd)
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (file: string, opts: BatchOptions) => {
      const input = await openInput(file);
      const prober = await createRunProber(opts);
      const dns = dnsClientFromOptions(opts);
      const ctx: AuditContext = { dns, cloud: opts.cloud, selectors: opts.selector };
      // Checked before any domain is audited: a bad --output fails in a second, not after the run.
      const output = opts.output ? await prepareOutput(opts.output, file) : null;
      const emit = (text: string): Promise<void> => (output ? output.write(text) : write(process.stdout, text));
      const collected: DomainReport[] = [];
      let probeClouds: DomainReport[] = [];
      let worst: 0 | 1 = 0;
      const controller = new AbortController();
      const stopListening = interruptOnSigint(controller);
      const bar = progressBar(opts, file);
      const gcHint = createGcHint();
      const started = Date.now();
      try {
        const result = await runBatch(ctx, readBatchInput(input, controller.signal), {
          concurrency: opts.concurrency,
          signal: controller.signal,
          enrich: (report) => prober.attachMx(report, dns),
          onReport: async (report) => {
            if (exitCodeFor(allFindings([report], null), opts.failOn) === 1) worst = 1;
            if (opts.format === 'jsonl') {
              await emit(renderJsonLine(report));
              // The cloud of the first few rows picks the submission probe's host.
              if (probeClouds.length < 100) probeClouds.push({ ...report, findings: [] });
            } else collected.push(report);
          },
          onProgress: (done) => {
            bar?.update(done);
            gcHint?.(done);
          },
        });
        bar?.stop();
        if (result.done === 0) {
          // Nothing is written, so an --output file is left as it was.
          if (!result.interrupted) throw new UsageError(`no domains in ${file === '-' ? 'standard input' : file}`);
          process.exitCode = 130;
          return;
        }
        const probe = await prober.submission(opts.format === 'jsonl' ? probeClouds : collected);
        probeClouds = [];
        if (probe && exitCodeFor(probe.findings, opts.failOn) === 1) worst = 1;
        if (opts.format === 'jsonl') {
          if (probe) process.stderr.write(renderProbeNote(probe));
        } else {
          await emit(renderReports(opts.format, collected, probe, { color: !opts.output && useColor(opts), csvRows: opts.csvRows, summary: true }));
        }
        if (opts.stats) {
          const s = dns.stats();
          const secs = (Date.now() - started) / 1000;
          process.stderr.write(`stats: ${result.done} domains in ${secs.toFixed(1)} s (${(result.done / secs).toFixed(1)}/s); DNS ${s.queries} queries, ${s.unique} fetched, ${s.cacheHits} from cache, ${s.tempfails} failed; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`);
        }
        if (result.internalErrors > 0) {
          process.stderr.write(`m365audit: ${result.internalErrors} rows failed inside m365audit (see their notes)\n`);
          process.exitCode = 3;
        } else process.exitCode = result.interrupted ? 130 : worst;
      } finally {
        bar?.stop();
        stopListening();
        await output?.close();
      }
    });
  return cmd;
}

async function openInput(file: string): Promise<Readable> {
  // The first bytes are read here: a directory (EISDIR), a binary file or UTF-32 fails in one line before the run;
  // Ctrl-C while stdin has sent nothing yet ends at once (nothing written, exit 130).
  const stream = file === '-' ? process.stdin : await openFile(file);
  const onSigint = (): never => process.exit(130);
  process.once('SIGINT', onSigint);
  try {
    return await openBatchInput(stream);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file === '-' ? 'standard input' : file}: ${err instanceof InputError ? err.message : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))}`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function openFile(file: string): Promise<Readable> {
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${file}: ${err.code ?? err.message}`)));
  });
  return stream;
}

interface OutputFile {
  /** The first write creates (or truncates) the file. */
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Checks --output before the run, or fails with one line (exit 2): a
 * directory, a file or directory we may not write, or the input file itself.
 * The file is opened at the first write, so a run that writes nothing (no
 * domains) leaves an existing file as it was. Write errors later also end as
 * one line.
 */
async function prepareOutput(path: string, inputFile: string): Promise<OutputFile> {
  const fail = (code: string): UsageError => new UsageError(`cannot write ${path}: ${code}`);
  const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw fail(err.code ?? err.message);
  });
  if (existing) {
    if (existing.isDirectory()) throw fail('EISDIR');
    const input = await inputStats(inputFile);
    if (input && input.dev === existing.dev && input.ino === existing.ino) throw new UsageError(`--output ${path} is the input file; write the result elsewhere`);
    if (existing.isFile()) await access(path, constants.W_OK).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? 'EACCES')));
  } else {
    // A name ending in / would be a directory; a dangling symlink creates its target, elsewhere.
    if (path.endsWith('/') || path.endsWith(sep)) throw fail('EISDIR');
    const link = await readlink(path).catch(() => null);
    const created = link === null ? path : resolve(dirname(path), link);
    await access(dirname(created), constants.W_OK).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? 'EACCES')));
  }
  let opened: Promise<Writable> | null = null;
  let failure: NodeJS.ErrnoException | null = null;
  const open = (): Promise<Writable> =>
    new Promise<Writable>((resolve, reject) => {
      const stream = createWriteStream(path);
      stream.once('open', () => resolve(stream));
      stream.once('error', (err: NodeJS.ErrnoException) => reject(fail(err.code ?? err.message)));
      // Kept for the whole run, so a later failure (disk full) is never an unhandled 'error'.
      stream.on('error', (err: NodeJS.ErrnoException) => (failure ??= err));
    });
  return {
    async write(text) {
      opened ??= open();
      await write(await opened, text);
    },
    async close() {
      if (!opened) return;
      const stream = await opened.catch(() => null);
      if (stream && !stream.destroyed && !stream.writableFinished) await new Promise<void>((resolve) => stream.end(() => resolve()));
      if (failure) throw fail(failure.code ?? failure.message);
    },
  };
}

/** The input file's identity, to refuse writing over it (stdin too, when it is a file). */
async function inputStats(file: string): Promise<Stats | null> {
  try {
    return file === '-' ? fstatSync(0) : await stat(file);
  } catch {
    return null;
  }
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) {
      reject(new UsageError('cannot write the output: the stream is closed'));
      return;
    }
    out.write(text, (err) => (err ? reject(err instanceof UsageError ? err : new UsageError(`cannot write the output: ${(err as NodeJS.ErrnoException).code ?? err.message}`)) : resolve()));
  });
}

function progressBar(opts: BatchOptions, file: string): cliProgress.SingleBar | null {
  if (!opts.progress && !process.stderr.isTTY) return null;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{value}/{total} domains | {rate}/s | ETA {eta_formatted}',
      noTTYOutput: Boolean(opts.progress && !process.stderr.isTTY),
      notTTYSchedule: 1000,
      hideCursor: false,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  bar.start(0, 0, { rate: '0' });
  const t0 = Date.now();
  const update = bar.update.bind(bar);
  bar.update = ((value: number) => update(value, { rate: (value / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(1) })) as typeof bar.update;
  if (file !== '-') {
    // Count the rows once, cheaply, for the ETA; the audit itself streams.
    void (async () => {
      for await (const _row of readBatchInput(createReadStream(file))) total++;
      bar.setTotal(total);
    })().catch(() => undefined);
  }
  return bar;
}
