import type { DomainReport } from '../audit/audit.js';
import { reconstructRun, type RunInfo } from './run.js';
import { safeJson } from './safe-text.js';
import type { RunSummary } from './summary.js';
import { TOOL_NAME, VERSION } from '../version.js';

/** The `schemaVersion` of the `--format json` document (schema/report.schema.json). */
export const SCHEMA_VERSION = 1;

/**
 * The `--format json` document (DESIGN.md, schema/report.schema.json): the reports, the run's probe, its audit trail and, for a batch, the summary.
 */
export interface JsonDocument<P = unknown> {
  schemaVersion: 1;
  tool: { name: string; version: string };
  domains: DomainReport[];
  probe: P | null;
  /** The audit trail: when, version, resolvers, options. */
  run: RunInfo;
  /** Counts per grade and the most frequent findings (batch only). */
  summary?: RunSummary;
}



/** What a document ends with: known only once every report is written. */
export interface JsonTail<P = unknown> {
  probe: P | null;
  /** The audit trail; rebuilt from the reports' auditedAt when not given. */
  run: RunInfo;
  summary?: RunSummary | undefined;
}

/**
 * The DESIGN JSON document written as it goes: `head()`, then `report(r)`
 * for each domain as soon as it is done, then `tail()` with the probe, the
 * run and the summary. The text is exactly safeJson(document, 2), but no
 * string ever holds more than one report, so a run of any size can be written.
 */
export function createJsonWriter<P = unknown>(): { head(): string; report(r: DomainReport): string; tail(end: JsonTail<P>): string } {
  let count = 0;
  const member = (key: string, value: unknown): string => `  ${JSON.stringify(key)}: ${safeJson(value, 2).replace(/\n/g, '\n  ')}`;
  return {
    head: () => `{\n  "schemaVersion": ${SCHEMA_VERSION},\n${member('tool', { name: TOOL_NAME, version: VERSION })},\n  "domains": [`,
    report: (r) => `${count++ === 0 ? '\n' : ',\n'}    ${safeJson(r, 2).replace(/\n/g, '\n    ')}`,
    tail: (end) => {
      const members = [member('probe', end.probe), member('run', end.run)];
      if (end.summary) members.push(member('summary', end.summary));
      return `${count > 0 ? '\n  ' : ''}],\n${members.join(',\n')}\n}\n`;
    },
  };
}

/** Options of renderJson: the summary (batch) and the run's audit trail (rebuilt from the reports when absent). */
export interface JsonOptions {
  summary?: RunSummary | undefined;
  run?: RunInfo | null | undefined;
}

/** The DESIGN JSON document, as one string (for runs that fit in memory; see renderJsonChunks). */
export function renderJson<P>(reports: Iterable<DomainReport>, probe: P | null = null, options: JsonOptions = {}): string {
  return [...renderJsonChunks(reports, probe, options)].join('');
}

/** The document in chunks, one per report; `reports` is read twice when the run must be rebuilt. */
export function* renderJsonChunks<P>(reports: Iterable<DomainReport>, probe: P | null = null, options: JsonOptions = {}): Generator<string> {
  const w = createJsonWriter<P>();
  yield w.head();
  for (const r of reports) yield w.report(r);
  yield w.tail({ probe, run: options.run ?? reconstructRun(reports), summary: options.summary });
}

/** What the last line of a jsonl run carries besides its report. */
export interface JsonlTail<P = unknown> {
  probe: P | null;
  run: RunInfo;
}

/**
 * One DomainReport per line, nothing else. The last line of a run also
 * carries the run's submission `probe` and its `run` (audit trail), so that
 * `report` of the file shows them as the live run did; a reader that only
 * wants reports ignores the two fields.
 */
export function renderJsonLine(report: DomainReport, tail?: JsonlTail): string {
  return `${safeJson(tail ? { ...report, probe: tail.probe, run: tail.run } : report)}\n`;
}

/** The jsonl of a run: one line per report, the probe and run on the last. */
export function* renderJsonlChunks<P>(reports: Iterable<DomainReport>, tail: JsonlTail<P>): Generator<string> {
  let held: DomainReport | null = null;
  for (const r of reports) {
    if (held) yield renderJsonLine(held);
    held = r;
  }
  if (held) yield renderJsonLine(held, tail);
}
