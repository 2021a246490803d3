import type { DnsClient } from '../../dns/types.js';
import { createReadStream, fstatSync, writeSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { access, constants, open as openHandle, readlink, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import type cliProgress from 'cli-progress';
import type { DomainReport } from '../../audit/audit.js';
import type { AuditContext } from '../../audit/context.js';
import { InputError, openBatchInput, parseShard, readBatchInput, selectShard, type Shard } from '../../audit/input.js';
import { DEFAULT_CONCURRENCY, renderBatchStop, runBatch, type BatchAtOnce } from '../../audit/batch.js';
import type { Cloud } from '../../m365/clouds.js';
import { echoInput } from '../../audit/echo.js';
import { createJsonWriter, renderJsonLine } from '../../report/json.js';
import { renderChunks, type Format } from '../../report/render.js';
import { createSummary } from '../../report/summary.js';
import { plural } from '../../report/words.js';
import { createGcHint, tuneCompilerForBatch } from '../memory.js';
import { createLoopLag } from '../loop-lag.js';
import { exitCodeFor, failOnOption, interruptOnSigint, positiveInt, UsageError, useColor, warn, cloudOption, type FailOn } from '../common.js';
import { addDnsOptions, collectSelector, dnsClientFromOptions, MAX_CONCURRENCY, type DnsCliOptions } from '../dns-options.js';
import { writeText, type CliIo, type CliRun } from '../io.js';
import { writeChunks } from '../output.js';
import { createCloudTally } from '../../audit/probes.js';
import { describe } from '../command-table.js';
import { addProbeOptions, createRunProber, finishRun, readCaFile, rejectProbeConflicts, type RunProbeOptions } from '../probe-options.js';
import { createSpool, type Spool } from '../spool.js';
import { addTransportOptions, transportFromOptions, type TransportCliOptions } from '../transport-options.js';
import { addZoneOption, auditThroughOverlay, zoneOverlayFromOptions, type ZoneCliOptions } from '../zone-overlay.js';
import { allFindings, columnsOption, csvRowsOption, formatOption, rejectCsvRowsWithoutCsv, rejectReportOptionsElsewhere, renderProbeNote, titleOption } from './check.js';
import { readResumePoint, type ResumePoint } from './batch-resume.js';

interface BatchOptions extends DnsCliOptions, RunProbeOptions, ZoneCliOptions, TransportCliOptions {
  cloud?: Cloud;
  format?: Format;
  csvRows?: 'domains' | 'findings';
  output?: string;
  concurrency: number;
  progress?: boolean;
  failOn: FailOn;
  color?: boolean;
  stats?: boolean;
  selector?: string[];
  shard?: Shard;
  resume?: string;
  title?: string;
  columns?: string[];
}

export function batchCommand(run: CliRun): Command {
  const { io } = run;
  const cmd = new Command('batch')
    .description(describe('batch'))
    .argument('<file>', 'input file, or - for stdin');
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(titleOption())
    .addOption(columnsOption())
    .option('--concurrency <n>', `domains audited at once, at most ${MAX_CONCURRENCY}`, positiveInt('--concurrency', 1, MAX_CONCURRENCY), DEFAULT_CONCURRENCY)
    .option('--qps <n>', 'at most this many DNS queries a second (for resolvers that rate-limit)', positiveInt('--qps'))
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .option('--stats', 'print DNS and memory statistics to stderr at the end')
    .option('--selector <name>', 'also check this DKIM selector at every domain (repeatable)', collectSelector)
    .option('--shard <K/N>', 'audit only the rows whose index (0-based, counting rows, not blank or comment lines) modulo N is K: N machines share one list', shardOption)
    .option('--resume <file>', 'continue an interrupted --format jsonl run written to this file: its whole rows are kept, the input rows they answer skipped, the rest appended (a missing file starts a fresh run)');
  addZoneOption(cmd);
  addTransportOptions(cmd);
  addProbeOptions(cmd)
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (file: string, opts: BatchOptions) => {
      rejectCsvRowsWithoutCsv(opts);
      rejectReportOptionsElsewhere({ ...opts, format: opts.resume !== undefined ? 'jsonl' : opts.format });
      rejectProbeConflicts(cmd);
      if (opts.resume !== undefined) {
        if (opts.format !== undefined && opts.format !== 'jsonl') throw new UsageError(`--resume continues a --format jsonl file, the one format written a whole row a line; --format ${opts.format} cannot be resumed`);
        if (opts.output !== undefined) throw new UsageError('--resume writes to its own file: leave out --output');
      }
      const format = opts.resume !== undefined ? 'jsonl' : (opts.format ?? 'table');
      // --shard 0/1 is the whole input: the same run as without it, and recorded as such.
      const shard = opts.shard && opts.shard.count > 1 ? opts.shard : null;
      const input = await openInput(file, io);
      const prober = await createRunProber(opts);
      const dns = dnsClientFromOptions(opts);
      const { dns: sharing, ...transport } = transportFromOptions(opts, dns, opts.tlsCa ? await readCaFile(opts.tlsCa) : undefined);
      const overlay = await zoneOverlayFromOptions(opts, sharing);
      const ctx: AuditContext = { ...transport, dns: overlay ?? sharing, cloud: opts.cloud, selectors: opts.selector };
      const summary = createSummary();
      const clouds = createCloudTally();
      let worst: 0 | 1 = 0;
      const count = (report: DomainReport): void => {
        if (exitCodeFor(allFindings([report], null), opts.failOn) === 1) worst = 1;
        clouds.add(report);
        summary.add(report);
      };
      const controller = new AbortController();
      const rows = selectShard(readBatchInput(input, controller.signal), shard)[Symbol.asyncIterator]();
      // Checked before any domain is audited: a bad --output fails in a second, not after the run.
      const outPath = opts.resume ?? opts.output;
      const output = outPath ? await prepareOutput(outPath, file, io.stdin, opts.resume !== undefined ? '--resume' : '--output') : null;
      let resume: ResumePoint | null = null;
      if (opts.resume !== undefined && output) {
        resume = await readResumePoint(opts.resume, rows, count, { cloud: opts.cloud ?? null, selectors: opts.selector ?? [], zones: opts.zone ?? [], shard }).catch(async (err: unknown) => {
          await rows.return?.(undefined);
          throw err;
        });
        if (resume.complete) {
          await rows.return?.(undefined);
          warn(run, `${opts.resume} already answers every row of the input (${plural(resume.kept, 'row')}); nothing to resume`);
          if (resume.complete.probe && exitCodeFor(resume.complete.probe.findings, opts.failOn) === 1) worst = 1;
          run.exitCode = worst;
          return;
        }
        // Nothing kept (a missing or empty file, or one cut inside its first line): a fresh run, the file written anew.
        if (resume.kept > 0) output.appendAt(resume.appendAt);
      }
      const emit = (text: string): Promise<void> => (output ? output.write(text) : write(io.stdout, text));
      // Memory stays flat in the number of rows in every format: jsonl and json are written as the
      // reports come (jsonl holds back its last line for the probe and run); the others need the run's
      // end first (its probe, column widths), so their reports wait in a spool file, not in memory.
      const spool: Spool | null = format === 'jsonl' || format === 'json' ? null : await createSpool().catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot create a temporary file for --format ${format}: ${err.code ?? err.message} (set TMPDIR to a writable directory)`);
      });
      const json = format === 'json' ? createJsonWriter() : null;
      // jsonl holds its last report back for the run's probe and trail; a resumed run takes over the one OUT ends with.
      let held: DomainReport | null = resume?.held ?? null;
      let heldInFile = resume?.heldInFile ?? false;
      const kept = resume?.kept ?? 0;
      let jsonStarted = false;
      const stopListening = interruptOnSigint(run, controller);
      const bar = progressBar(io, opts, file, kept);
      const gcHint = createGcHint();
      tuneCompilerForBatch(io.v8Version);
      const started = Date.now();
      const cpuAtStart = io.cpuMs();
      const startedAt = new Date();
      // Above the default, the rows at once are paced by the loop's lag (src/audit/pace.ts).
      const loopLag = opts.concurrency > DEFAULT_CONCURRENCY ? createLoopLag() : null;
      try {
        const result = await runBatch(ctx, { [Symbol.asyncIterator]: () => rows }, {
          concurrency: opts.concurrency,
          ...(loopLag ? { pace: { lagMs: loopLag.lagMs } } : {}),
          signal: controller.signal,
          enrich: (report) => prober.attachMx(ctx, report),
          audit: auditThroughOverlay(overlay, opts.zone ?? []),
          onReport: async (report) => {
            if (report.meta) report.meta = echoMeta(report.meta);
            count(report);
            if (format === 'jsonl') {
              if (held && !heldInFile) await emit(renderJsonLine(held));
              heldInFile = false;
              held = report;
            } else if (json) {
              // The head waits for the first report: a run with no domains writes nothing.
              await emit(`${jsonStarted ? '' : json.head()}${json.report(report)}`);
              jsonStarted = true;
            } else await spool?.add(report);
          },
          onProgress: (done) => {
            bar?.update(done);
            gcHint?.(done);
          },
        });
        bar?.stop();
        if (result.stopped) {
          controller.abort(); // stops reading the input (stdin may still be open)
          warn(run, renderBatchStop(result.stopped));
        }
        if (result.done === 0 && kept === 0) {
          // Nothing is written, so an --output file is left as it was.
          if (!result.interrupted && !result.stopped) throw new UsageError(`no domains in ${file === '-' ? 'standard input' : file}`);
          run.exitCode = result.stopped ? 2 : 130;
          return;
        }
        // Interrupted: write what is done without starting the submission probe (as check does).
        const probe = result.interrupted || result.stopped ? null : await prober.submission(clouds.mostCommon());
        if (probe && exitCodeFor(probe.findings, opts.failOn) === 1) worst = 1;
        const stopped = result.stopped ? { reason: 'dns-dead' as const, servers: result.stopped.servers, ms: result.stopped.ms } : result.interrupted ? { reason: 'interrupted' as const } : null;
        const trail = finishRun({ startedAt, dns, probe, opts, rows: { read: kept + result.read, reported: kept + result.done, inputEnded: result.inputEnded, stopped } });
        if (shard && trail.options) trail.options.shard = { ...shard };
        if (format === 'jsonl') {
          // The held line gets the trail: a line still in OUT as it was is cut off and written again with it.
          if (held && heldInFile && resume) output?.appendAt(resume.heldStart);
          if (held) await emit(renderJsonLine(held, { probe, run: trail }));
          held = null;
          if (probe) io.stderr.write(renderProbeNote(probe));
        } else if (json) {
          await emit(json.tail({ probe, run: trail, summary: summary.result() }));
        } else if (spool) {
          await spool.finish();
          await writeChunks(emit, renderChunks(format, spool, probe, { color: useColor(io, opts), csvRows: opts.csvRows, summary: true, run: trail, counted: summary.result(), title: opts.title, columns: opts.columns }));
        }
        if (opts.stats) {
          const s = dns.stats();
          const secs = (Date.now() - started) / 1000;
          io.stderr.write(`stats: ${plural(result.done, 'domain')} in ${secs.toFixed(1)} s (${(result.done / secs).toFixed(1)}/s); DNS ${plural(s.queries, 'query', 'queries')}, ${s.unique} fetched, ${s.cacheHits} from cache, ${s.tempfails} failed; peak RSS ${io.peakRssMiB()} MiB; CPU ${((io.cpuMs() - cpuAtStart) / Math.max(1, result.done)).toFixed(3)} ms a domain${atOnceStats(result.atOnce, opts.concurrency)}${windowStats(dns)}\n`);
        }
        if (result.internalErrors > 0) {
          warn(run, `${plural(result.internalErrors, 'row')} failed inside m365audit (see their notes)`);
          run.exitCode = 3;
        } else run.exitCode = result.stopped ? 2 : result.interrupted ? 130 : worst;
      } finally {
        loopLag?.stop();
        bar?.stop();
        stopListening();
        await spool?.dispose();
        await output?.close();
      }
    });
  return cmd;
}

async function openInput(file: string, io: CliIo): Promise<Readable> {
  // The first bytes are read here: a directory (EISDIR), a binary file or UTF-32 fails in one line before the run;
  // Ctrl-C while stdin has sent nothing yet ends at once (nothing written, exit 130).
  const stream = file === '-' ? io.stdin : await openFile(file);
  const stopListening = io.onInterrupt(() => io.exitNow(130));
  try {
    return await openBatchInput(stream);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file === '-' ? 'standard input' : file}: ${err instanceof InputError ? err.message : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))}`);
  } finally {
    stopListening();
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
  /** The first write creates (or truncates) the file; after appendAt, it cuts the file there and appends. */
  write(text: string): Promise<void>;
  /** Before the first write: keep the file's first `offset` bytes and append after them (--resume). */
  appendAt(offset: number): void;
  close(): Promise<void>;
}

/**
 * Checks --output before the run, or fails with one line (exit 2): a
 * directory, a file or directory we may not write, or the input file itself.
 * The file is opened at the first write, so a run that writes nothing (no
 * domains) leaves an existing file as it was. Write errors later also end as
 * one line.
 */
async function prepareOutput(path: string, inputFile: string, stdin: Readable, flag: '--output' | '--resume'): Promise<OutputFile> {
  const fail = (code: string): UsageError => new UsageError(`cannot write ${path}: ${code}`);
  const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw fail(err.code ?? err.message);
  });
  if (existing) {
    if (existing.isDirectory()) throw fail('EISDIR');
    const input = await inputStats(inputFile, stdin);
    if (input && input.dev === existing.dev && input.ino === existing.ino) throw new UsageError(`${flag} ${path} is the input file; write the result elsewhere`);
    if (existing.isFile()) await access(path, constants.W_OK).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? 'EACCES')));
  } else {
    // A name ending in / would be a directory; a dangling symlink creates its target, elsewhere.
    if (path.endsWith('/') || path.endsWith(sep)) throw fail('EISDIR');
    const link = await readlink(path).catch(() => null);
    const created = link === null ? path : resolve(dirname(path), link);
    await access(dirname(created), constants.W_OK).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? 'EACCES')));
  }
  // A regular file is written at once with write(2), as node writes a process.stdout that is a
  // file: the stream's buffers and thread-pool writes kept every line alive across collections
  // (10,000 domains at 0 ms, 3 pairs back to back: the stream 1.09-1.31 ms of CPU a domain and
  // 141-145 MiB peak RSS, write(2) 0.98-1.15 and 131-137). Anything else (a FIFO, /dev/full, a
  // terminal) gets a stream on the same descriptor, whose writes wait for the reader.
  let opened: Promise<{ file: FileHandle } | { stream: Writable }> | null = null;
  let failure: NodeJS.ErrnoException | null = null;
  let keep: number | null = null;
  const open = async (): Promise<{ file: FileHandle } | { stream: Writable }> => {
    // --resume: what follows the rows kept (a cut last line, or the line that gets the trail again) goes first.
    if (keep !== null) await truncate(path, keep).catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? err.message)));
    const file = await openHandle(path, keep === null ? 'w' : 'a').catch((err: NodeJS.ErrnoException) => Promise.reject(fail(err.code ?? err.message)));
    // What was opened decides (table, csv and json open at the run's end: the path may be a FIFO by then).
    if ((await file.stat().catch(() => null))?.isFile()) return { file };
    // Kept for the whole run, so a later failure (disk full) is never an unhandled 'error'.
    const stream = file.createWriteStream().on('error', (err: NodeJS.ErrnoException) => (failure ??= err));
    return { stream };
  };
  return {
    async write(text) {
      opened ??= open();
      const out = await opened;
      if ('stream' in out) return write(out.stream, text);
      try {
        writeWhole(out.file.fd, text);
      } catch (err) {
        throw fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    },
    appendAt(offset) {
      if (opened) throw new Error('appendAt after the first write');
      keep = offset;
    },
    async close() {
      if (!opened) return;
      const out = await opened.catch(() => null);
      if (out && 'file' in out) {
        await out.file.close().catch((err: NodeJS.ErrnoException) => void (failure ??= err));
      } else if (out && !out.stream.writableFinished) {
        if (!out.stream.destroyed) out.stream.end();
        // Rows are written without waiting for each (backpressure only): a late failure (disk full) shows here.
        await finished(out.stream).catch((err: NodeJS.ErrnoException) => void (failure ??= err));
      }
      if (failure) throw fail(failure.code ?? failure.message);
    },
  };
}

/** All of `text` to a file descriptor at once (a short write, as on a nearly full disk, is continued). */
function writeWhole(fd: number, text: string): void {
  const n = writeSync(fd, text);
  const bytes = Buffer.byteLength(text);
  if (n === bytes) return;
  const buf = Buffer.from(text);
  for (let at = n; at < bytes; ) {
    const wrote = writeSync(fd, buf, at);
    if (wrote <= 0) throw Object.assign(new Error('nothing written'), { code: 'EIO' });
    at += wrote;
  }
}

/** The input file's identity, to refuse writing over it (stdin too, when it is a file). */
async function inputStats(file: string, stdin: Readable): Promise<Stats | null> {
  try {
    if (file !== '-') return await stat(file);
    const fd = (stdin as { fd?: unknown }).fd;
    return typeof fd === 'number' ? fstatSync(fd) : null;
  } catch {
    return null;
  }
}

/** CSV columns carried into a report are echoed input too: each name and value cut like `input`. */
function echoMeta(meta: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) out[echoInput(k).text] = echoInput(v).text;
  return out;
}

/** Writes with backpressure (see writeText); a failure is one line, exit 2. */
async function write(out: Writable, text: string): Promise<void> {
  try {
    await writeText(out, text);
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`cannot write the output: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function progressBar(io: CliIo, opts: BatchOptions, file: string, kept: number): cliProgress.SingleBar | null {
  if (!opts.progress && !io.stderr.isTTY) return null;
  // Loaded only for a bar (CommonJS; +6 MB RSS once loaded, on every run before).
  const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
  const bar = new bars.SingleBar(
    {
      stream: io.stderr as NodeJS.WriteStream,
      format: '{value}/{total} domains | {rate}/s | ETA {eta_formatted}',
      noTTYOutput: Boolean(opts.progress && !io.stderr.isTTY),
      notTTYSchedule: 1000,
      hideCursor: false,
      etaBuffer: 200,
    },
    bars.Presets.shades_classic,
  );
  let total = 0;
  bar.start(0, 0, { rate: '0' });
  const t0 = Date.now();
  const update = bar.update.bind(bar);
  bar.update = ((value: number) => update(value, { rate: (value / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(1) })) as typeof bar.update;
  if (file !== '-') {
    // Count the rows once, cheaply, for the ETA; the audit itself streams.
    void (async () => {
      for await (const _row of selectShard(readBatchInput(createReadStream(file)), opts.shard ?? null)) total++;
      bar.setTotal(Math.max(0, total - kept));
    })().catch(() => undefined);
  }
  return bar;
}

/** The --stats words for the paced limit on domains at once (src/audit/pace.ts): empty when the run was not paced. */
function atOnceStats(atOnce: BatchAtOnce | null, ceiling: number): string {
  return atOnce ? `; domains at once ${atOnce.least}-${ceiling}, ${atOnce.last} at the end` : '';
}

/** The --stats words for the servers' windows of queries in flight (src/dns/window.ts): the largest, and how often each was halved for a server that fell behind. */
function windowStats(dns: DnsClient): string {
  const w = dns.windows?.() ?? [];
  if (w.length === 0) return '';
  return `; DNS window ${w.map((x) => `${x.server} peak ${x.peak}${x.cuts > 0 ? `, halved ${plural(x.cuts, 'time')}` : ''}`).join('; ')}`;
}

/** --shard K/N, checked as it is parsed (a usage error, exit 2). */
function shardOption(value: string): Shard {
  const shard = parseShard(value);
  if ('error' in shard) throw new InvalidArgumentError(shard.error);
  return shard;
}
