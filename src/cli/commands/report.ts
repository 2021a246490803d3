import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import { MAX_DOCUMENT_BYTES, readSavedRun, sizeText } from '../../report/load.js';
import { renderChunks, type Format } from '../../report/render.js';
import { createSummary } from '../../report/summary.js';
import { exitCodeFor, failOnOption, UsageError, useColor, type FailOn } from '../common.js';
import type { CliRun } from '../io.js';
import { emitChunks } from '../output.js';
import { describe } from '../command-table.js';
import { createSpool } from '../spool.js';
import { allFindings, csvRowsOption, formatOption, rejectCsvRowsWithoutCsv } from './check.js';

interface ReportOptions {
  format?: Format;
  csvRows?: 'domains' | 'findings';
  output?: string;
  failOn: FailOn;
  color?: boolean;
}

export function reportCommand(run: CliRun): Command {
  return new Command('report')
    .description(describe('report'))
    .argument('<file>', 'a saved .json or .jsonl file, or - for stdin')
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (file: string, opts: ReportOptions) => {
      rejectCsvRowsWithoutCsv(opts);
      await reportSaved(run, file, opts);
    });
}

/**
 * Re-renders a saved run without asking DNS. The file is read as a stream:
 * each jsonl line is validated as it comes and the reports wait in a spool
 * file (the renderers read them once per pass), so memory stays flat in the
 * number of rows; a --format json document is read whole, up to
 * MAX_DOCUMENT_BYTES.
 */
async function reportSaved(run: CliRun, file: string, opts: ReportOptions): Promise<void> {
  const name = file === '-' ? 'standard input' : file;
  const cannotRead = (err: unknown): UsageError => new UsageError(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  let size: number | undefined;
  let source: Readable = run.io.stdin;
  if (file !== '-') {
    const s = await stat(file).catch((err: unknown) => Promise.reject(cannotRead(err)));
    if (s.isDirectory()) throw new UsageError(`cannot read ${name}: EISDIR`);
    if (s.isFile()) size = s.size;
    source = createReadStream(file);
  }
  const spool = await createSpool().catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot create a temporary file to read ${name}: ${err.code ?? err.message} (set TMPDIR to a writable directory)`);
  });
  try {
    const summary = createSummary();
    let worst: 0 | 1 = 0;
    const end = await readSavedRun(source, async (report) => {
      summary.add(report);
      if (exitCodeFor(allFindings([report], null), opts.failOn) === 1) worst = 1;
      await spool.add(report);
    }, { size }).catch((err: unknown) => Promise.reject(err instanceof UsageError ? err : cannotRead(err)));
    if ('error' in end) {
      if (end.tooLarge) {
        const bytes = end.tooLarge.bytes;
        throw new UsageError(`${name} is a --format json document of ${bytes === null ? `more than ${sizeText(MAX_DOCUMENT_BYTES)}` : sizeText(bytes)}, over the ${sizeText(MAX_DOCUMENT_BYTES)} report reads at once; save large runs with --format jsonl (read a line at a time, any size)`);
      }
      throw new UsageError(`${name} is not a saved m365audit run: ${end.error}`);
    }
    if (end.count === 0) throw new UsageError(`no domain reports in ${name}`);
    if (end.probe && exitCodeFor(end.probe.findings, opts.failOn) === 1) worst = 1;
    await spool.finish();
    const counted = summary.result();
    await emitChunks(run, renderChunks(opts.format ?? 'table', spool, end.probe, { color: useColor(run.io, opts), csvRows: opts.csvRows, summary: end.count > 1, run: end.run, counted }), opts);
    run.exitCode = worst;
  } finally {
    if (source !== run.io.stdin) source.destroy();
    await spool.dispose();
  }
}
