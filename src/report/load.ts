import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';

export interface SavedRun {
  reports: DomainReport[];
  probe: ProbeResult | null;
}

const GRADES = new Set(['ready', 'needs-work', 'unknown', 'not-ready']);

/**
 * Reads a saved run: the `--format json` document or `--format jsonl` lines.
 * Returns the reports, or a one-line reason why the text is not a saved run.
 */
export function parseSavedRun(text: string): SavedRun | { error: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { error: 'the input is empty' };
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined && !Array.isArray(whole) && typeof whole === 'object' && whole !== null && 'domains' in whole) {
    const doc = whole as { domains: unknown; probe?: unknown };
    if (!Array.isArray(doc.domains)) return { error: '"domains" is not a list' };
    for (const [i, d] of doc.domains.entries()) {
      const why = invalidReport(d);
      if (why) return { error: `domains[${i}]: ${why}` };
    }
    return { reports: doc.domains as DomainReport[], probe: (doc.probe as ProbeResult | null | undefined) ?? null };
  }
  const reports: DomainReport[] = [];
  const lines = trimmed.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { error: `line ${i + 1} is not JSON` };
    }
    const why = invalidReport(value);
    if (why) return { error: `line ${i + 1}: ${why}` };
    reports.push(value as DomainReport);
  }
  return { reports, probe: null };
}

function invalidReport(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a domain report object';
  const r = v as Record<string, unknown>;
  if (typeof r.input !== 'string') return 'no "input"';
  if (!(typeof r.domain === 'string' || r.domain === null)) return 'no "domain"';
  if (typeof r.grade !== 'string' || !GRADES.has(r.grade)) return 'no valid "grade"';
  if (typeof r.score !== 'number') return 'no "score"';
  if (!Array.isArray(r.findings)) return 'no "findings" list';
  for (const f of r.findings as unknown[]) {
    const ff = f as Record<string, unknown> | null;
    if (!ff || typeof ff.code !== 'string' || typeof ff.severity !== 'string' || typeof ff.message !== 'string') return 'a finding without code, severity and message';
  }
  if (!Array.isArray(r.notes)) r.notes = [];
  return null;
}
