import { MAX_SHARDS } from '../audit/input.js';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { savedRunReports, type ReadSavedRunOptions, type SavedRunError, type SavedRunStreamEnd } from './load.js';
import type { RunInfo } from './run.js';
import { cleanText } from './safe-text.js';

/** One saved run to read: its bytes and the name messages give it. */
export interface SavedRunSource {
  /** The path as given, or `standard input`. */
  name: string;
  stream: AsyncIterable<Uint8Array | string>;
  /** Its size in bytes when known (a file), to name it when refused. */
  size?: number | undefined;
}

/** How several saved runs read as one ended: the probe (the first file's that has one), the merged trail and the reports handed on. */
export interface MergedRunEnd {
  probe: ProbeResult | null;
  run: RunInfo;
  count: number;
  /** What the merged trail cannot say in a field, one line each: shards missing, files that did not cover their shard. */
  warnings: string[];
}

/**
 * Why the runs are refused: one line, and the file it is about. `merge`: the
 * line is a whole sentence of its own (a file that cannot be read, rows out
 * of order, a row in two files); without it, it says what in the file is
 * not a saved run.
 */
export interface MergedRunError extends SavedRunError {
  file: string;
  merge?: true;
}

/**
 * Saved runs read as one stream of reports. One file is read as it is, in
 * its own order; several are merged back into input order by each report's
 * `row` (batch --shard K/N writes rows K, K+N, K+2N …), one report of each
 * file in memory. Call next() until it gives null, then end().
 */
export interface SavedRunsReader {
  /** The next report in input order, or null at the end or at the first error (then end() says which). */
  next(): Promise<DomainReport | null>;
  /** After next() gave null: the merged end, or why the runs are refused. */
  end(): MergedRunEnd | MergedRunError;
  /** Stops reading every file (safe to call at any time, and twice). */
  close(): Promise<void>;
}

type Reports = AsyncGenerator<DomainReport, SavedRunStreamEnd | SavedRunError, void>;

/**
 * Opens one or several saved runs (json or jsonl, any mix) as one stream of
 * reports; see SavedRunsReader. Several files are refused, in one line
 * naming the file, when a report has no `row` (written by `check`, or by a
 * version before rows were recorded), when a file's rows are not in
 * ascending order, or when two files hold the same row (a shard given
 * twice, or runs of different inputs).
 */
export function openSavedRuns(sources: readonly SavedRunSource[], options: ReadSavedRunOptions = {}): SavedRunsReader {
  const files = sources.map((s) => ({ source: s, reports: savedRunReports(s.stream, { ...options, size: s.size }) as Reports, end: null as SavedRunStreamEnd | null, last: -1 }));
  let failure: MergedRunError | null = null;
  let count = 0;
  let finished = false;
  const fail = (file: string, e: SavedRunError | string): null => {
    failure ??= typeof e === 'string' ? { error: e, file, merge: true } : { ...e, file };
    return null;
  };
  // The head of each file still open: its next report (null once the file has ended).
  let heads: (DomainReport | null)[] | null = null;
  const pull = async (i: number): Promise<DomainReport | null> => {
    const f = files[i] as (typeof files)[number];
    let next: IteratorResult<DomainReport, SavedRunStreamEnd | SavedRunError>;
    try {
      next = await f.reports.next();
    } catch (err) {
      return fail(f.source.name, `cannot read ${cleanText(f.source.name)}: ${cleanText(String((err as NodeJS.ErrnoException).code ?? (err as Error).message))}`);
    }
    if (next.done) {
      if ('error' in next.value) return fail(f.source.name, next.value);
      f.end = next.value;
      return null;
    }
    const report = next.value;
    if (files.length === 1) return report;
    const name = cleanText(f.source.name);
    if (typeof report.row !== 'number') {
      return fail(f.source.name, `${name} has a report without a row index (${describeReport(report)}): several runs merge by the row batch records, which check and runs saved before it was recorded lack`);
    }
    if (report.row <= f.last) return fail(f.source.name, `${name} is not in input order: row ${report.row} comes after row ${f.last}`);
    f.last = report.row;
    return report;
  };
  let lastRow = -1;
  let lastFile = -1;
  return {
    async next() {
      if (failure || finished) return null;
      if (files.length === 1) {
        const r = await pull(0);
        if (r === null) finished = true;
        else count++;
        return r;
      }
      if (heads === null) {
        heads = [];
        for (let i = 0; i < files.length && !failure; i++) heads.push(await pull(i));
      }
      if (failure) return null;
      // The smallest row among the heads. A linear scan: a merge has a few files (shards), and each report costs far more to parse.
      let at = -1;
      for (const [i, h] of heads.entries()) if (h && (at < 0 || (h.row as number) < ((heads[at] as DomainReport).row as number))) at = i;
      if (at < 0) {
        finished = true;
        return null;
      }
      const report = heads[at] as DomainReport;
      const row = report.row as number;
      if (row === lastRow) {
        return fail(files[at]?.source.name ?? '', `row ${row} is in both ${cleanText(files[lastFile]?.source.name ?? '')} and ${cleanText(files[at]?.source.name ?? '')}: the same shard given twice, or runs of different inputs`);
      }
      lastRow = row;
      lastFile = at;
      heads[at] = await pull(at);
      if (failure) return null;
      count++;
      return report;
    },
    end() {
      if (failure) return failure;
      const ends = files.map((f) => f.end as SavedRunStreamEnd);
      const runs = ends.map((e) => e.run);
      const warnings = files.length > 1 ? mergeWarnings(runs, files.map((f) => f.source.name)) : [];
      return { probe: ends.find((e) => e.probe !== null)?.probe ?? null, run: mergeRunInfo(runs), count, warnings };
    },
    async close() {
      await Promise.all(files.map((f) => f.reports.return({ error: 'closed' }).catch(() => undefined)));
    },
  };
}

/**
 * What a merge of shards lacks, in words: shards of N not among the files
 * (their rows are missing from the merge), files of different N, files
 * that did not cover their own shard. Empty when the files are every shard,
 * each complete.
 */
export function mergeWarnings(runs: readonly RunInfo[], names: readonly string[]): string[] {
  const out: string[] = [];
  const counts = new Set(runs.map((r) => r.options?.shard?.count ?? null));
  const [n] = [...counts];
  if (counts.size > 1) out.push(`the files are shards of different splits (${[...counts].map((c) => (c === null ? 'no --shard' : `N=${c}`)).join(', ')}): rows may be missing`);
  else if (n !== null && n !== undefined) {
    const present = new Set(runs.map((r) => r.options?.shard?.index));
    // n is at most MAX_SHARDS: the schema bounds a saved run's shard count (a hostile 2^32 made an array of that length).
    const missing: number[] = [];
    for (let i = 0; i < Math.min(n, MAX_SHARDS); i++) if (!present.has(i)) missing.push(i);
    if (missing.length > 0) out.push(`${missing.length === 1 ? 'shard' : 'shards'} ${listed(missing)} of ${n} ${missing.length === 1 ? 'is' : 'are'} not among the files: ${missing.length === 1 ? 'its' : 'their'} rows are missing`);
  }
  const cut = runs.flatMap((r, i) => (r.complete === false ? [cleanText(names[i] ?? '')] : []));
  if (cut.length > 0) out.push(`${listed(cut)} ${cut.length === 1 ? 'does' : 'do'} not cover ${cut.length === 1 ? 'its' : 'their'} whole shard (cut short or stopped; batch --resume continues a run)`);
  return out;
}

/** `0, 2 and 5`; past 8 items, `0, 1, 2 … and 40 more`. */
function listed(xs: readonly (string | number)[]): string {
  const shown = xs.length > 8 ? [...xs.slice(0, 6).map(String), `${xs.length - 6} more`] : xs.map(String);
  return shown.length === 1 ? (shown[0] as string) : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1] as string}`;
}

/** `contoso.com`, or the input of a row that is not a domain name, for a message. */
function describeReport(report: DomainReport): string {
  const text = cleanText(String(report.domain ?? report.input));
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/**
 * The trail of several runs read as one (shards of one input): the earliest
 * start and the latest finish; the version when all agree (else null); every
 * resolver asked; the first run's options, without `shard` when the runs are
 * exactly the shards 0 … N-1 of one N; the rows read and reported added up.
 * `complete` only when every run is and no shard is missing; a run that
 * stopped names why. When any run was rebuilt from its reports (no run
 * line), so is the merge: only times and the rows reported are known.
 */
export function mergeRunInfo(runs: readonly RunInfo[]): RunInfo {
  const [first] = runs;
  if (!first) throw new Error('mergeRunInfo needs at least one run');
  if (runs.length === 1) return first;
  const times = (pick: (r: RunInfo) => string | null): (string)[] => runs.map(pick).filter((t): t is string => t !== null).sort();
  const starts = times((r) => r.startedAt);
  const ends = times((r) => r.finishedAt);
  const sum = (pick: (r: RunInfo) => number | null): number | null => runs.reduce<number | null>((acc, r) => (acc === null || pick(r) === null ? null : acc + (pick(r) as number)), 0);
  const anyFalse = runs.some((r) => r.complete === false);
  const anyNull = runs.some((r) => r.complete === null);
  if (runs.some((r) => r.reconstructed)) {
    return { startedAt: starts[0] ?? null, finishedAt: ends[ends.length - 1] ?? null, version: null, resolvers: null, options: null, reconstructed: true, complete: anyFalse ? false : null, rowsRead: null, rowsReported: sum((r) => r.rowsReported) };
  }
  const shards = runs.map((r) => r.options?.shard);
  const n = shards[0]?.count;
  const allShards = n !== undefined && shards.length === n && shards.every((s) => s?.count === n) && new Set(shards.map((s) => s?.index)).size === n;
  let options = first.options;
  if (options && allShards) {
    const { shard: _shard, ...rest } = options;
    options = rest;
  }
  const versions = new Set(runs.map((r) => r.version));
  const resolvers = runs.every((r) => r.resolvers === null) ? null : [...new Set(runs.flatMap((r) => r.resolvers ?? []))];
  const merged: RunInfo = {
    startedAt: starts[0] ?? null,
    finishedAt: ends[ends.length - 1] ?? null,
    version: versions.size === 1 ? first.version : null,
    resolvers,
    options,
    complete: anyFalse ? false : anyNull ? null : allShards,
    rowsRead: sum((r) => r.rowsRead),
    rowsReported: sum((r) => r.rowsReported),
  };
  const stopped = runs.find((r) => r.stopped);
  if (stopped?.stopped) {
    merged.stopped = stopped.stopped;
    if (stopped.deadServers && stopped.deadAfterMs !== undefined) {
      merged.deadServers = stopped.deadServers;
      merged.deadAfterMs = stopped.deadAfterMs;
    }
  }
  return merged;
}
