import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DomainReport } from '../../audit/audit.js';
import { echoInput } from '../../audit/echo.js';
import type { BatchRow, Shard } from '../../audit/input.js';
import { LINE_TOO_LONG, MAX_DOCUMENT_BYTES, parseSavedLine, sizeText, splitLines } from '../../report/load.js';
import type { RunInfo } from '../../report/run.js';
import { cleanText } from '../../report/safe-text.js';
import type { ProbeResult } from '../../smtp/types.js';
import type { Cloud } from '../../m365/clouds.js';
import { UsageError } from '../common.js';

/**
 * Where `batch --resume OUT.jsonl` picks up: the rows OUT already holds
 * (whole lines only), checked one by one against the input rows they answer,
 * and the byte offsets to cut OUT at before appending.
 */
export interface ResumePoint {
  /** Rows kept: whole lines of OUT, each answering the input row at its place. */
  kept: number;
  /**
   * The last kept report: jsonl's writer holds the last report back to give
   * it the run's probe and trail, so the resumed run takes it over as its
   * held report. Null when nothing is kept.
   */
  held: DomainReport | null;
  /** The held report's line is still in OUT as it should be (no trail on it): it is not written again unless it must get the trail. */
  heldInFile: boolean;
  /** Byte offset of the held line's start (OUT is cut here when that line is written again, with the trail). */
  heldStart: number;
  /** Byte offset OUT is cut at before the first new line: after the last whole line kept (a cut last line is dropped), or at the held line when it carried a trail. */
  appendAt: number;
  /** The kept last line's trail said the run was complete: every input row is answered, nothing to do. */
  complete: { probe: ProbeResult | null; run: RunInfo } | null;
}

/** What the resumed run is, to compare with the trail OUT's last line may carry. */
export interface ResumeOptions {
  cloud: Cloud | null;
  selectors: readonly string[];
  zones: readonly string[];
  shard: Shard | null;
}

/** What a fresh run starts from: nothing kept, nothing to cut. */
const FRESH: ResumePoint = { kept: 0, held: null, heldInFile: false, heldStart: 0, appendAt: 0, complete: null };

/**
 * Reads OUT for `--resume` and matches its rows against the input: the
 * n-th whole line must answer the n-th input row of this run (after
 * --shard), its `row` the same index and its `input` that row's text as a
 * report echoes it. That is how a file of another input, of another
 * --shard, or of another tool is told apart: the first line that does not
 * match is named, and nothing is written. Every line is validated against
 * the schema (a hostile file is refused in one line, as `report` refuses
 * it); a trail on the last line must have this run's options. A missing or
 * empty OUT is a fresh run. Takes the kept input rows from `rows` (the
 * rest are the run's), handing each kept report to `onKept` (exit code,
 * cloud tally); memory stays flat in the number of rows.
 */
export async function readResumePoint(path: string, rows: AsyncIterator<BatchRow>, onKept: (report: DomainReport) => void, expected: ResumeOptions): Promise<ResumePoint> {
  const name = cleanText(path);
  const refuse = (why: string): UsageError => new UsageError(`cannot resume ${name}: ${why}`);
  const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw refuse(err.code ?? err.message);
  });
  if (s === null) return FRESH;
  if (s.isDirectory()) throw refuse('it is a directory');
  if (!s.isFile()) throw refuse('not a regular file');
  let point: ResumePoint = FRESH;
  let lineNo = 0;
  let tail: { probe: ProbeResult | null; run: RunInfo } | null = null;
  for await (const line of splitLines(createReadStream(path), MAX_DOCUMENT_BYTES, { wholeOnly: true })) {
    lineNo++;
    if (line === LINE_TOO_LONG) throw refuse(`line ${lineNo} is longer than ${sizeText(MAX_DOCUMENT_BYTES)}: not a file batch --format jsonl wrote`);
    if (tail) throw refuse(`line ${lineNo} follows the line that ended a run (it carries probe and run): not one run of batch --format jsonl`);
    const parsed = parseSavedLine(line.bytes.toString('utf8').replace(/^\uFEFF/, ''), lineNo);
    if ('error' in parsed) throw refuse(`not a saved m365audit run: ${parsed.error}`);
    const report = parsed.report;
    if (typeof report.row !== 'number') throw refuse(`line ${lineNo} has no row index (a run of check, or of an m365audit that did not record rows): only a jsonl file of batch can be resumed`);
    const next = await rows.next();
    if (next.done) throw refuse(`line ${lineNo} answers row ${report.row}, but the input has only ${point.kept} rows${expected.shard ? ` in shard ${expected.shard.index}/${expected.shard.count}` : ''}: OUT was written from another input`);
    const row = next.value;
    const echoed = echoInput(row.input).text;
    if (row.index !== report.row || echoed !== report.input) {
      throw refuse(`line ${lineNo} answers row ${report.row} (${quote(report.input)}), but the input's next row is row ${row.index ?? '?'} (${quote(echoed)}): OUT was written from another input${expected.shard || row.index !== report.row ? ' or with another --shard' : ''}`);
    }
    onKept(report);
    if (parsed.run !== undefined) {
      tail = { probe: parsed.probe ?? null, run: parsed.run };
      const differs = optionsDiffer(parsed.run, expected);
      if (differs) throw refuse(`it was written with ${differs}; resume with the same options`);
    }
    point = { kept: point.kept + 1, held: report, heldInFile: !tail, heldStart: line.start, appendAt: tail ? line.start : line.end, complete: null };
  }
  if (tail?.run.complete === true) {
    const next = await rows.next();
    if (!next.done) throw refuse(`it holds a complete run of ${point.kept} rows, and the input has more: OUT was written from another input`);
    return { ...point, complete: tail };
  }
  return point;
}

/** The first option the trail names that this run does not have, in words; null when they agree. */
function optionsDiffer(run: RunInfo, expected: ResumeOptions): string | null {
  const o = run.options;
  if (!o) return null;
  const shard = (s: Shard | null | undefined): string => (s ? `--shard ${s.index}/${s.count}` : 'no --shard');
  if ((o.shard?.index ?? null) !== (expected.shard?.index ?? null) || (o.shard?.count ?? null) !== (expected.shard?.count ?? null)) return shard(o.shard);
  if (o.cloud !== expected.cloud) return o.cloud ? `--cloud ${o.cloud}` : 'no --cloud';
  if (o.selectors.join(' ') !== expected.selectors.join(' ')) return o.selectors.length ? `--selector ${o.selectors.join(' ')}` : 'no --selector';
  if ((o.zones ?? []).join(' ') !== expected.zones.join(' ')) return o.zones?.length ? `--zone ${o.zones.join(' ')}` : 'no --zone';
  return null;
}

function quote(s: string): string {
  const clean = cleanText(s);
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 59)}…` : clean);
}

