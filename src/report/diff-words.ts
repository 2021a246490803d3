import { VERDICTS, type DiffEntry, type DiffSummary, type GradeCounts, type RecordChange, type Verdict } from './diff.js';
import { describeRun, type RunInfo } from './run.js';
import { plural, scoreText } from './words.js';

/** The words every diff renderer shares (plain text: each renderer escapes them its own way). */

/** One side of a diff as the renderers name it: the files read, and the run they hold (merged when several). */
export interface DiffRunSide {
  files: string[];
  run: RunInfo;
}

/** What every diff renderer draws: the entries (read once per pass: an array, or a spool file read again), the summary, and both runs. */
export interface DiffView {
  entries: Iterable<DiffEntry>;
  summary: DiffSummary;
  old: DiffRunSide;
  new: DiffRunSide;
}

/** How each verdict is said. */
export const VERDICT_WORDS: Readonly<Record<Verdict, string>> = {
  regressed: 'regressed', improved: 'improved', changed: 'changed', unchanged: 'unchanged', unknown: 'not comparable', added: 'added', removed: 'removed',
};
/** Verdicts listed domain by domain, worst news first; unchanged domains are only counted (json and csv list every domain). */
export const LISTED: readonly Verdict[] = VERDICTS.filter((v) => v !== 'unchanged');
const GRADE_ORDER = ['ready', 'needs-work', 'not-ready', 'unknown'] as const;

/** `2 regressed, 3 improved, 1 changed, 40 unchanged; 1 added, 2 removed` (with `1 not comparable` when there are such). */
export function describeDiffCounts(s: DiffSummary): string {
  const v = s.verdicts;
  const compared = [`${v.regressed} regressed`, `${v.improved} improved`, `${v.changed} changed`, `${v.unchanged} unchanged`];
  if (v.unknown > 0) compared.push(`${v.unknown} not comparable (grade unknown)`);
  return `${plural(s.before, 'domain')} before, ${s.after} after: ${compared.join(', ')}; ${v.added} added, ${v.removed} removed`;
}

/** `ready 10 → 12, needs-work 5 → 4, not-ready 3 → 2, unknown 0 → 0`. */
export function describeGradeCounts(before: GradeCounts, after: GradeCounts): string {
  return GRADE_ORDER.map((g) => `${g} ${before[g]} → ${after[g]}`).join(', ');
}

/** The grade step of an entry: `ready → not-ready`, `— → ready` (added), `ready → —` (removed). */
export function gradeStep(e: DiffEntry): string {
  return `${e.before?.grade ?? '—'} → ${e.after?.grade ?? '—'}`;
}

/** The score step: `100 → 80`; `?` for an unknown grade's score, `—` for a run the domain is not in. */
export function scoreStep(e: DiffEntry): string {
  return `${e.before ? scoreText(e.before.score) : '—'} → ${e.after ? scoreText(e.after.score) : '—'}`;
}

/** How a record is named: `SPF record`, `DMARC record`, `DKIM CNAME`, `MX`. */
export const RECORD_WORDS: Readonly<Record<RecordChange['kind'], string>> = { spf: 'SPF record', dmarc: 'DMARC record', dkim: 'DKIM CNAME', mx: 'MX' };

/** The domain, or the input of a row that is not a domain name. */
export function entryLabel(e: DiffEntry): string {
  return e.domain ?? e.input;
}

/** Whether an entry has findings or records to show under the table. */
export function hasDetails(e: DiffEntry): boolean {
  return e.findings.new.length > 0 || e.findings.resolved.length > 0 || e.records.length > 0;
}

/** The run of one side in one line: `run.jsonl: Audited … .` */
export function describeSide(side: DiffRunSide): string {
  return `${side.files.join(', ')}: ${describeRun(side.run)}`;
}

/** Said when the runs were not in one order: they were matched by domain, holding the unmatched reports. */
export function orderNote(s: DiffSummary): string {
  return `The runs list their domains in different orders: they were matched by domain (${plural(s.held, 'report')} held at most).`;
}

/** A record's value in quotes, escaped by `esc`, or `none`. */
export function recordValue(v: string | null, esc: (s: string) => string): string {
  return v === null ? 'none' : `"${esc(v)}"`;
}
