import { stringify } from 'csv-stringify/sync';
import { paint, type Paint } from './ansi.js';
import type { DiffFinding, Verdict } from './diff.js';
import { renderDiffHtmlChunks } from './diff-html.js';
import { describeDiffCounts, describeGradeCounts, describeSide, entryLabel, gradeStep, hasDetails, LISTED, orderNote, RECORD_WORDS, recordValue, scoreStep, VERDICT_WORDS, type DiffView } from './diff-words.js';
import { cleanText, csvCell, mdText, safeJson } from './safe-text.js';
import { TOOL_NAME, VERSION } from '../version.js';

/** The output formats of `diff` (`--format`). */
export const DIFF_FORMATS = ['table', 'markdown', 'html', 'json', 'csv'] as const;
/** One of DIFF_FORMATS. */
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** The `schemaVersion` of `diff --format json` (schema/diff.schema.json). */
export const DIFF_SCHEMA_VERSION = 1;

/** Each verdict's colour on a terminal. */
const VERDICT_COLOR: Readonly<Record<Verdict, Paint>> = { regressed: 'red', improved: 'green', changed: 'yellow', unchanged: 'dim', unknown: 'cyan', added: 'bold', removed: 'dim' };
/** A domain cell wider than this is not padded further (the row is still whole). */
const MAX_DOMAIN_WIDTH = 48;

/** Renders a diff in any of its formats, as chunks (output of any size is written as a stream). */
export function renderDiffChunks(format: DiffFormat, view: DiffView, options: { color: boolean }): Iterable<string> {
  switch (format) {
    case 'table':
      return renderDiffTableChunks(view, options.color);
    case 'markdown':
      return renderDiffMarkdownChunks(view);
    case 'html':
      return renderDiffHtmlChunks(view);
    case 'json':
      return renderDiffJsonChunks(view);
    case 'csv':
      return renderDiffCsvChunks(view);
  }
}

function findingText(f: DiffFinding): string {
  return `${f.code} (${f.area}, ${f.severity})`;
}

/**
 * The diff for a terminal: a row per domain that changed (worst news
 * first), each one's findings and records after, then the summary and both
 * runs. Unchanged domains are counted, not listed. Data is cleaned
 * (cleanText); only the verdicts are painted.
 */
export function* renderDiffTableChunks(view: DiffView, color: boolean): Generator<string> {
  const { summary } = view;
  let domainWidth = 'Domain'.length;
  let gradeWidth = 'Grade'.length;
  let listed = 0;
  for (const e of view.entries) {
    if (e.verdict === 'unchanged') continue;
    listed++;
    domainWidth = Math.max(domainWidth, Math.min(MAX_DOMAIN_WIDTH, cleanText(entryLabel(e)).length));
    gradeWidth = Math.max(gradeWidth, gradeStep(e).length);
  }
  const verdictWidth = Math.max(...LISTED.map((v) => VERDICT_WORDS[v].length));
  const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  if (listed === 0) yield 'No domain changed.\n';
  else {
    yield `${[pad('Domain', domainWidth), pad('Change', verdictWidth), pad('Grade', gradeWidth), 'Score'].join('  ')}\n`;
    for (const verdict of LISTED) {
      for (const e of view.entries) {
        if (e.verdict !== verdict) continue;
        yield `${[pad(cleanText(entryLabel(e)), domainWidth), paint(color, VERDICT_COLOR[verdict], pad(VERDICT_WORDS[verdict], verdictWidth)), pad(gradeStep(e), gradeWidth), scoreStep(e)].join('  ')}\n`;
      }
    }
    for (const verdict of LISTED) {
      for (const e of view.entries) {
        if (e.verdict !== verdict || !hasDetails(e)) continue;
        const lines = ['', `${cleanText(entryLabel(e))}: ${paint(color, VERDICT_COLOR[verdict], VERDICT_WORDS[verdict])} (${gradeStep(e)}, score ${scoreStep(e)})`];
        for (const f of e.findings.new) lines.push(`  new       ${findingText(f)}: ${cleanText(f.message)}`);
        for (const f of e.findings.resolved) lines.push(`  resolved  ${findingText(f)}`);
        for (const r of e.records) lines.push(`  ${RECORD_WORDS[r.kind]} ${cleanText(r.name)}: ${recordValue(r.before, cleanText)} → ${recordValue(r.after, cleanText)}`);
        yield `${lines.join('\n')}\n`;
      }
    }
  }
  yield `\nSummary: ${describeDiffCounts(summary)}.\n`;
  yield `Grades before → after: ${describeGradeCounts(summary.grades.before, summary.grades.after)}.\n`;
  if (summary.order === 'differs') yield `${orderNote(summary)}\n`;
  yield `Old: ${cleanText(describeSide(view.old))}\nNew: ${cleanText(describeSide(view.new))}\n`;
}

/**
 * The diff for a ticket: the summary first, a table of the domains that
 * changed, then each one's findings and records as a list. Every string
 * from the runs goes through mdText.
 */
export function* renderDiffMarkdownChunks(view: DiffView): Generator<string> {
  const { summary } = view;
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |\n`;
  yield `## What changed\n\n${mdText(describeDiffCounts(summary))}.\n\nGrades before → after: ${mdText(describeGradeCounts(summary.grades.before, summary.grades.after))}.\n`;
  if (summary.order === 'differs') yield `\n${mdText(orderNote(summary))}\n`;
  let any = false;
  for (const verdict of LISTED) {
    for (const e of view.entries) {
      if (e.verdict !== verdict) continue;
      if (!any) yield `\n${row(['Domain', 'Change', 'Grade', 'Score'])}${row(['---', '---', '---', '---:'])}`;
      any = true;
      yield row([mdText(entryLabel(e)) || '(empty)', `**${VERDICT_WORDS[verdict]}**`, mdText(gradeStep(e)), mdText(scoreStep(e))]);
    }
  }
  if (!any) yield '\nNo domain changed.\n';
  for (const verdict of LISTED) {
    for (const e of view.entries) {
      if (e.verdict !== verdict || !hasDetails(e)) continue;
      const lines = ['', `### ${mdText(entryLabel(e)) || '(empty)'}: ${VERDICT_WORDS[verdict]}`, ''];
      for (const f of e.findings.new) lines.push(`- New **${word(f.severity)}** ${codeSpan(f.code)} (${word(f.area)}): ${mdText(f.message)}`);
      for (const f of e.findings.resolved) lines.push(`- Resolved ${codeSpan(f.code)} (${word(f.area)}, ${word(f.severity)})`);
      for (const r of e.records) lines.push(`- ${RECORD_WORDS[r.kind]} ${mdText(r.name)}: ${recordValue(r.before, mdText)} → ${recordValue(r.after, mdText)}`);
      yield `${lines.join('\n')}\n`;
    }
  }
  yield `\n_Old: ${mdText(describeSide(view.old))}_\n\n_New: ${mdText(describeSide(view.new))}_\n`;
}

/** A catalog word (code, area, severity: the saved runs were validated against the schema) as is; anything else escaped. */
function word(s: string): string {
  return /^[A-Za-z0-9_-]+$/.test(s) ? s : mdText(s);
}

/** A finding code in a code span, where Markdown escapes would show as backslashes. */
function codeSpan(code: string): string {
  return /^[A-Z0-9_]+$/.test(code) ? `\`${code}\`` : mdText(code);
}

/**
 * `diff --format json` (schema/diff.schema.json): the summary, both runs
 * (files and trail) and every domain, unchanged ones included, one entry
 * per chunk. Written with safeJson.
 */
export function* renderDiffJsonChunks(view: DiffView): Generator<string> {
  const member = (key: string, value: unknown): string => `  ${JSON.stringify(key)}: ${safeJson(value, 2).replace(/\n/g, '\n  ')}`;
  yield `{\n  "schemaVersion": ${DIFF_SCHEMA_VERSION},\n${[member('tool', { name: TOOL_NAME, version: VERSION }), member('old', view.old), member('new', view.new), member('summary', view.summary)].join(',\n')},\n  "domains": [`;
  let n = 0;
  for (const e of view.entries) yield `${n++ === 0 ? '\n' : ',\n'}    ${safeJson(e, 2).replace(/\n/g, '\n    ')}`;
  yield `${n > 0 ? '\n  ' : ''}]\n}\n`;
}

/** The CSV columns of `diff --format csv`: one row per domain, unchanged ones included. */
export const DIFF_CSV_COLUMNS = ['domain', 'input', 'change', 'grade_before', 'grade_after', 'score_before', 'score_after', 'findings_new', 'findings_resolved', 'records_changed', 'row_before', 'row_after'] as const;

/**
 * One row per domain: the verdict, grades and scores, the new and resolved
 * finding codes (space-separated), the kinds of records that changed. Cells
 * go through csvCell (formula injection, control characters).
 */
export function* renderDiffCsvChunks(view: DiffView): Generator<string> {
  const record = (cells: readonly (string | number | null)[]): string => stringify([cells.map((c) => csvCell(c))], { record_delimiter: '\r\n', quoted_match: /^\s|\s$/ });
  yield record([...DIFF_CSV_COLUMNS]);
  for (const e of view.entries) {
    yield record([
      e.domain ?? '', e.input, e.verdict,
      e.before?.grade ?? '', e.after?.grade ?? '',
      e.before?.score ?? null, e.after?.score ?? null,
      e.findings.new.map((f) => f.code).join(' '), e.findings.resolved.map((f) => f.code).join(' '),
      [...new Set(e.records.map((r) => r.kind))].join(' '),
      e.before?.row ?? null, e.after?.row ?? null,
    ]);
  }
}
