import { Command, Option } from 'commander';
import { createDiffWalk, type DiffEntry } from '../../report/diff.js';
import { DIFF_FORMATS, renderDiffChunks, type DiffFormat } from '../../report/diff-render.js';
import type { DiffRunSide } from '../../report/diff-words.js';
import { openSavedRuns, type MergedRunEnd, type SavedRunsReader } from '../../report/merge.js';
import { singleChoiceOption, UsageError, useColor, warn } from '../common.js';
import { describe } from '../command-table.js';
import type { CliRun } from '../io.js';
import { emitChunks } from '../output.js';
import { createSpool, type Spool } from '../spool.js';
import { openSavedRunFiles, refusedRun, savedRunName } from './report.js';

interface DiffOptions {
  old?: string[];
  new?: string[];
  format?: DiffFormat;
  output?: string;
  failOn: 'regression' | 'never';
  color?: boolean;
}

export function diffCommand(run: CliRun): Command {
  return new Command('diff')
    .description(describe('diff'))
    .argument('[old]', 'the earlier saved run (.json or .jsonl, or - for stdin)')
    .argument('[new]', 'the later saved run')
    .option('--old <files...>', 'the earlier run as several files (the shards of one batch), merged back into input order')
    .option('--new <files...>', 'the later run as several files')
    .addOption(singleChoiceOption('--format <format>', `output format: ${DIFF_FORMATS.join(', ')}`, DIFF_FORMATS, 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(new Option('--fail-on <when>', 'regression: exit 1 when a domain\'s grade got worse or a new error finding appeared').choices(['regression', 'never']).default('never'))
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (old: string | undefined, next: string | undefined, opts: DiffOptions) => {
      const sides = sidesOf([old, next].filter((x): x is string => x !== undefined), opts);
      await diffRuns(run, sides, opts);
    });
}

/** The files of each side: `diff OLD NEW`, or --old/--new lists, one side each way (`diff --old a b NEW`). */
function sidesOf(positional: string[], opts: DiffOptions): { old: string[]; new: string[] } {
  const need = (opts.old ? 0 : 1) + (opts.new ? 0 : 1);
  if (positional.length !== need) {
    throw new UsageError(need === 2 ? 'diff needs two saved runs: diff OLD NEW (or --old FILE... --new FILE...)' : need === 1 ? `give the ${opts.old ? 'new' : 'old'} run as one file after the options, or as --${opts.old ? 'new' : 'old'} FILE...` : 'with --old and --new, give no other file');
  }
  const rest = [...positional];
  const sides = { old: opts.old ?? [rest.shift() as string], new: opts.new ?? [rest.shift() as string] };
  if ([...sides.old, ...sides.new].filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  return sides;
}

/**
 * Walks the two runs side by side, one report of each at a time (see
 * createDiffWalk): for runs in the same order, memory is flat in the number
 * of domains. The entries wait in a spool file (renderers read them once per
 * section), the summary is counted as they come. A saved run that is not
 * valid is refused in one line (exit 2) before anything is written.
 */
async function diffRuns(run: CliRun, files: { old: string[]; new: string[] }, opts: DiffOptions): Promise<void> {
  const oldFiles = await openSavedRunFiles(run, files.old);
  const newFiles = await openSavedRunFiles(run, files.new).catch((err: unknown) => {
    oldFiles.close();
    throw err;
  });
  const readers = { old: openSavedRuns(oldFiles.sources), new: openSavedRuns(newFiles.sources) };
  let spool: Spool<DiffEntry> | null = null;
  try {
    spool = await createSpool<DiffEntry>().catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot create a temporary file for the diff: ${err.code ?? err.message} (set TMPDIR to a writable directory)`);
    });
    const entries = spool;
    const walk = createDiffWalk();
    const open = { old: true, new: true };
    const ends: Partial<Record<'old' | 'new', MergedRunEnd>> = {};
    const step = async (side: 'old' | 'new', reader: SavedRunsReader): Promise<void> => {
      const report = await reader.next();
      if (report === null) {
        open[side] = false;
        const end = reader.end();
        if ('error' in end) throw refusedRun(end);
        if (end.count === 0) throw new UsageError(`no domain reports in ${files[side].map(savedRunName).join(', ')}`);
        ends[side] = end;
        return;
      }
      const entry = walk.add(side, report);
      if (entry) await entries.add(entry);
    };
    // One report of each run in turn: two runs of one list in the same order match as they are read.
    while (open.old || open.new) {
      if (open.old) await step('old', readers.old);
      if (open.new) await step('new', readers.new);
    }
    for (const entry of walk.finish()) await entries.add(entry);
    await entries.finish();
    const summary = walk.summary();
    const side = (s: 'old' | 'new'): DiffRunSide => ({ files: files[s].map(savedRunName), run: (ends[s] as MergedRunEnd).run });
    for (const s of ['old', 'new'] as const) for (const w of ends[s]?.warnings ?? []) warn(run, `${s} run: ${w}`);
    await emitChunks(run, renderDiffChunks(opts.format ?? 'table', { entries, summary, old: side('old'), new: side('new') }, { color: useColor(run.io, opts) }), opts);
    run.exitCode = opts.failOn === 'regression' && summary.verdicts.regressed > 0 ? 1 : 0;
  } finally {
    await Promise.all([readers.old.close(), readers.new.close()]);
    oldFiles.close();
    newFiles.close();
    await spool?.dispose();
  }
}
