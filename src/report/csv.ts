import { stringify } from 'csv-stringify/sync';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { probeForDomain, summarizeProbe } from './probe-summary.js';
import { csvCell } from './safe-text.js';
import { AREA_CSV_NAMES, SUMMARY_AREAS, summarizeArea, topAction } from './summary.js';

/** What one CSV row is: a domain (with a `findings` column of codes), or a finding (`--csv-rows findings`). */
export type CsvRows = 'domains' | 'findings';



/** One row per domain (default) or one row per finding (`--csv-rows findings`). */
export function renderCsv(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, rows: CsvRows = 'domains'): string {
  return [...renderCsvChunks(reports, probe, rows)].join('');
}

const record = (cells: readonly (string | number | null)[]): string =>
  stringify([cells.map((c) => csvCell(c))], { record_delimiter: '\r\n', quoted_match: /^\s|\s$/ });

/**
 * The CSV a record at a time: one pass for the columns (the meta keys of
 * every row), one for the rows, so `reports` may be a spool file.
 * `audited_at` is each domain's audit time (UTC ISO 8601); `input_length`
 * the input's whole length when the `input` cell was cut to 256 characters
 * (empty otherwise). Both follow the fixed columns, before the meta ones, so
 * the columns before them keep their places.
 */
export function* renderCsvChunks(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, rows: CsvRows = 'domains'): Generator<string> {
  const keys = new Set<string>();
  for (const r of reports) for (const k of Object.keys(r.meta ?? {})) keys.add(k);
  const metaKeys = [...keys];
  const meta = (r: DomainReport): string[] => metaKeys.map((k) => r.meta?.[k] ?? '');
  const inputLength = (r: DomainReport): number | null => (typeof r.inputLength === 'number' ? r.inputLength : null);
  if (rows === 'findings') {
    yield record(['domain', 'input', 'grade', 'score', 'code', 'severity', 'area', 'message', 'evidence', 'fix', 'audited_at', 'input_length', ...metaKeys]);
    for (const r of reports) {
      const base = [r.domain ?? '', r.input, r.grade, r.score];
      const tail = [r.auditedAt, inputLength(r), ...meta(r)];
      if (r.findings.length === 0) yield record([...base, '', '', '', '', '', '', ...tail]);
      for (const f of r.findings) yield record([...base, f.code, f.severity, f.area, f.message, f.evidence ?? '', f.fix ?? '', ...tail]);
    }
    return;
  }
  yield record(['domain', 'input', 'grade', 'score', 'cloud', 'tenant', ...SUMMARY_AREAS.map((a) => AREA_CSV_NAMES[a]), 'smtp_probe', 'errors', 'warnings', 'findings', 'top_action', 'audited_at', 'input_length', ...metaKeys]);
  for (const r of reports) {
    const p = summarizeProbe(probeForDomain(r, probe));
    yield record([
      r.domain ?? '',
      r.input,
      r.grade,
      r.score,
      r.domain ? r.cloud : '',
      r.tenant ?? '',
      ...SUMMARY_AREAS.map((a) => {
        const s = summarizeArea(r, a);
        return s.status === 'n/a' ? '' : `${s.status}: ${s.text}`;
      }),
      p.status === 'n/a' ? '' : `${p.status}: ${p.text}`,
      r.findings.filter((f) => f.severity === 'error').length,
      r.findings.filter((f) => f.severity === 'warning').length,
      r.findings.map((f) => f.code).join(' '),
      topAction(r),
      r.auditedAt,
      inputLength(r),
      ...meta(r),
    ]);
  }
}
