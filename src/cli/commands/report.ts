import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import { parseSavedRun } from '../../report/load.js';
import { renderChunks, type Format } from '../../report/render.js';
import { exitCodeFor, failOnOption, UsageError, useColor, type FailOn } from '../common.js';
import type { CliRun } from '../io.js';
import { emitChunks } from '../output.js';
import { describe } from '../program.js';
import { allFindings, csvRowsOption, formatOption, rejectCsvRowsWithoutCsv } from './check.js';

async function readAll(file: string, stdin: Readable): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
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
    .action(async (file: string, opts: { format?: Format; csvRows?: 'domains' | 'findings'; output?: string; failOn: FailOn; color?: boolean }) => {
      rejectCsvRowsWithoutCsv(opts);
      const saved = parseSavedRun(await readAll(file, run.io.stdin));
      if ('error' in saved) throw new UsageError(`${file === '-' ? 'standard input' : file} is not a saved m365audit run: ${saved.error}`);
      if (saved.reports.length === 0) throw new UsageError(`no domain reports in ${file === '-' ? 'standard input' : file}`);
      await emitChunks(run, renderChunks(opts.format ?? 'table', saved.reports, saved.probe, { color: useColor(run.io, opts), csvRows: opts.csvRows, summary: saved.reports.length > 1, run: saved.run }), opts);
      run.exitCode = exitCodeFor(allFindings(saved.reports, saved.probe), opts.failOn);
    });
}
