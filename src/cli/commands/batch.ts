import { createReadStream } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { access, constants, unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { DomainReport } from '../../audit/audit.js';
import type { AuditContext } from '../../audit/context.js';
import { readBatchInput } from '../../batch/input.js';
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
      // Opened before any domain is audited: a bad --output fails in a second, not after the run.
      const output = opts.output ? await openOutput(opts.output) : null;
      const out: Writable = output?.stream ?? process.stdout;
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
              await write(out, renderJsonLine(report));
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
        if (result.done === 0 && !result.interrupted) {
          await output?.discard();
          throw new UsageError(`no domains in ${file === '-' ? 'standard input' : file}`);
        }
        const probe = await prober.submission(opts.format === 'jsonl' ? probeClouds : collected);
        probeClouds = [];
        if (probe && exitCodeFor(probe.findings, opts.failOn) === 1) worst = 1;
        if (opts.format === 'jsonl') {
          if (probe) process.stderr.write(renderProbeNote(probe));
        } else {
          await write(out, renderReports(opts.format, collected, probe, { color: !opts.output && useColor(opts), csvRows: opts.csvRows, summary: true }));
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
  if (file === '-') return process.stdin;
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
  stream: Writable;
  /** Removes the file again (nothing was written: no domains). */
  discard(): Promise<void>;
  close(): Promise<void>;
}

/** Opens --output for writing, or fails with one line (exit 2). Write errors later also end as one line. */
async function openOutput(path: string): Promise<OutputFile> {
  const stream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot write ${path}: ${err.code ?? err.message}`)));
  });
  let failure: NodeJS.ErrnoException | null = null;
  // Kept for the whole run, so a later failure (disk full) is never an unhandled 'error'.
  stream.on('error', (err: NodeJS.ErrnoException) => (failure ??= err));
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (stream.destroyed || stream.writableFinished) resolve();
      else stream.end(() => resolve());
    }).then(() => {
      if (failure) throw new UsageError(`cannot write ${path}: ${failure.code ?? failure.message}`);
    });
  return {
    stream,
    close,
    async discard() {
      await close();
      await unlink(path).catch(() => undefined);
    },
  };
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
