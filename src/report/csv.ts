import { stringify } from 'csv-stringify/sync';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { probeForDomain, summarizeProbe } from './probe-summary.js';
import { SUMMARY_AREAS, summarizeArea, topAction } from './summary.js';

export type CsvRows = 'domains' | 'findings';

/**
 * A cell a spreadsheet would run as a formula (= + - @, and tab or CR that
 * some apps strip first) gets a leading apostrophe (OWASP CSV injection).
 * Control characters (line breaks too: one record, one line) and bidi
 * overrides become spaces. Quoting is csv-stringify's (RFC 4180).
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** One row per domain (default) or one row per finding (`--csv-rows findings`). */
export function renderCsv(reports: readonly DomainReport[], probe: ProbeResult | null = null, rows: CsvRows = 'domains'): string {
  const metaKeys = [...new Set(reports.flatMap((r) => Object.keys(r.meta ?? {})))];
  let records: (string | number | null)[][];
  let header: string[];
  if (rows === 'findings') {
    header = ['domain', 'input', 'grade', 'score', 'code', 'severity', 'area', 'message', 'evidence', 'fix', ...metaKeys];
    records = reports.flatMap((r) => {
      const meta = metaKeys.map((k) => r.meta?.[k] ?? '');
      const base = [r.domain ?? '', r.input, r.grade, r.score];
      if (r.findings.length === 0) return [[...base, '', '', '', '', '', '', ...meta]];
      return r.findings.map((f) => [...base, f.code, f.severity, f.area, f.message, f.evidence ?? '', f.fix ?? '', ...meta]);
    });
  } else {
    header = ['domain', 'input', 'grade', 'score', 'cloud', 'tenant', ...SUMMARY_AREAS, 'smtp_probe', 'errors', 'warnings', 'findings', 'top_action', ...metaKeys];
    records = reports.map((r) => [
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
      (() => {
        const p = summarizeProbe(probeForDomain(r, probe));
        return p.status === 'n/a' ? '' : `${p.status}: ${p.text}`;
      })(),
      r.findings.filter((f) => f.severity === 'error').length,
      r.findings.filter((f) => f.severity === 'warning').length,
      r.findings.map((f) => f.code).join(' '),
      topAction(r),
      ...metaKeys.map((k) => r.meta?.[k] ?? ''),
    ]);
  }
  return stringify([header, ...records].map((rec) => rec.map((c) => csvCell(c))), { record_delimiter: '\r\n', quoted_match: /^\s|\s$/ });
}
