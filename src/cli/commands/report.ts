import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import { MAX_DOCUMENT_BYTES, sizeText } from '../../report/load.js';
import { openSavedRuns, type MergedRunError, type SavedRunSource } from '../../report/merge.js';
import { renderChunks, type Format } from '../../report/render.js';
import { createSummary } from '../../report/summary.js';
import { exitCodeFor, failOnOption, UsageError, useColor, warn, type FailOn } from '../common.js';
import type { CliRun } from '../io.js';
import { emitChunks } from '../output.js';
import { describe } from '../command-table.js';
import { createSpool } from '../spool.js';
import { allFindings, columnsOption, csvRowsOption, formatOption, rejectCsvRowsWithoutCsv, rejectReportOptionsElsewhere, titleOption } from './check.js';

interface ReportOptions {
  format?: Format;
  csvRows?: 'domains' | 'findings';
  output?: string;
  failOn: FailOn;
  color?: boolean;
  title?: string;
  columns?: string[];
}

export function reportCommand(run: CliRun): Command {
  return new Command('report')
    .description(describe('report'))
    .argument('<file...>', 'a saved .json or .jsonl run, or - for stdin; several (the shards of one batch) are merged back into input order')
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(titleOption())
    .addOption(columnsOption())
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (files: string[], opts: ReportOptions) => {
      rejectCsvRowsWithoutCsv(opts);
      rejectReportOptionsElsewhere(opts);
      await reportSaved(run, files, opts);
    });
}

/** `run.json`, or `standard input` for `-`: how messages name a saved run. */
export function savedRunName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/** The saved runs as sources for openSavedRuns: each file checked (not a directory, readable) before any is read. */
export async function openSavedRunFiles(run: CliRun, files: readonly string[]): Promise<{ sources: SavedRunSource[]; close(): void }> {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  const streams: Readable[] = [];
  const sources: SavedRunSource[] = [];
  const seen = new Map<string, string>();
  try {
    for (const file of files) {
      const name = savedRunName(file);
      if (file === '-') {
        sources.push({ name, stream: run.io.stdin });
        continue;
      }
      const s = await stat(file).catch((err: unknown) => Promise.reject(cannotRead(name, err)));
      if (s.isDirectory()) throw new UsageError(`cannot read ${name}: EISDIR`);
      const id = `${s.dev}:${s.ino}`;
      const twice = seen.get(id);
      if (twice !== undefined) throw new UsageError(twice === file ? `${name} is given twice` : `${twice} and ${name} are the same file`);
      seen.set(id, file);
      const stream = createReadStream(file);
      streams.push(stream);
      sources.push({ name, stream, size: s.isFile() ? s.size : undefined });
    }
  } catch (err) {
    for (const s of streams) s.destroy();
    throw err;
  }
  return { sources, close: () => streams.forEach((s) => s.destroy()) };
}

function cannotRead(name: string, err: unknown): UsageError {
  return new UsageError(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
}

/** The one line a refused saved run ends in (exit 2): too large for its format, or not a saved run (the first field that is not as the schema says). */
export function refusedRun(end: MergedRunError): UsageError {
  const name = end.file;
  if (end.tooLarge) {
    const bytes = end.tooLarge.bytes;
    return new UsageError(`${name} is a --format json document of ${bytes === null ? `more than ${sizeText(MAX_DOCUMENT_BYTES)}` : sizeText(bytes)}, over the ${sizeText(MAX_DOCUMENT_BYTES)} report reads at once; save large runs with --format jsonl (read a line at a time, any size)`);
  }
  // A merge's own refusals (rows out of order, a row in two files) are whole sentences already.
  return new UsageError(end.merge ? end.error : `${name} is not a saved m365audit run: ${end.error}`);
}

/**
 * Re-renders saved runs without asking DNS. Each file is read as a stream:
 * each jsonl line is validated as it comes and the reports wait in a spool
 * file (the renderers read them once per pass), so memory stays flat in the
 * number of rows; a --format json document is read whole, up to
 * MAX_DOCUMENT_BYTES. Several files (shards) are merged by row.
 */
async function reportSaved(run: CliRun, files: readonly string[], opts: ReportOptions): Promise<void> {
  const opened = await openSavedRunFiles(run, files);
  const spool = await createSpool().catch((err: NodeJS.ErrnoException) => {
    opened.close();
    throw new UsageError(`cannot create a temporary file to read ${savedRunName(files[0] ?? '-')}: ${err.code ?? err.message} (set TMPDIR to a writable directory)`);
  });
  const reader = openSavedRuns(opened.sources);
  try {
    const summary = createSummary();
    let worst: 0 | 1 = 0;
    for (;;) {
      const report = await reader.next();
      if (report === null) break;
      summary.add(report);
      if (exitCodeFor(allFindings([report], null), opts.failOn) === 1) worst = 1;
      await spool.add(report);
    }
    const end = reader.end();
    if ('error' in end) throw refusedRun(end);
    if (end.count === 0) throw new UsageError(`no domain reports in ${files.map(savedRunName).join(', ')}`);
    for (const w of end.warnings) warn(run, w);
    if (end.probe && exitCodeFor(end.probe.findings, opts.failOn) === 1) worst = 1;
    await spool.finish();
    const counted = summary.result();
    await emitChunks(run, renderChunks(opts.format ?? 'table', spool, end.probe, { color: useColor(run.io, opts), csvRows: opts.csvRows, summary: end.count > 1, run: end.run, counted, title: opts.title, columns: opts.columns }), opts);
    run.exitCode = worst;
  } finally {
    await reader.close();
    opened.close();
    await spool.dispose();
  }
}
