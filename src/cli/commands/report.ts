import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseSavedRun } from '../../report/load.js';
import { renderReports } from '../../report/render.js';
import { emit, exitCodeFor, failOnOption, UsageError, useColor, type FailOn } from '../common.js';
import { allFindings, csvRowsOption, formatOption } from './check.js';

async function readAll(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function reportCommand(): Command {
  return new Command('report')
    .description('re-render a saved run (--format json or jsonl output) without querying DNS again')
    .argument('<file>', 'a saved .json or .jsonl file, or - for stdin')
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (file: string, opts: { format: Parameters<typeof renderReports>[0]; csvRows?: 'domains' | 'findings'; output?: string; failOn: FailOn; color?: boolean }) => {
      const run = parseSavedRun(await readAll(file));
      if ('error' in run) throw new UsageError(`${file === '-' ? 'standard input' : file} is not a saved m365audit run: ${run.error}`);
      if (run.reports.length === 0) throw new UsageError(`no domain reports in ${file === '-' ? 'standard input' : file}`);
      await emit(renderReports(opts.format, run.reports, run.probe, { color: !opts.output && useColor(opts), csvRows: opts.csvRows, summary: run.reports.length > 1 }), opts);
      process.exitCode = exitCodeFor(allFindings(run.reports, run.probe), opts.failOn);
    });
}
