import type { DomainReport } from '../audit/audit.js';
import type { Finding } from '../findings/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { reachableFact, summarizeProbe } from './probe-summary.js';
import { describeRun, type RunInfo, type RunTrail } from './run.js';
import { mdCode, mdCodeBlock, mdText } from './safe-text.js';
import { describeDnssecResolver, describeSummaryCounts, summarize } from './summary.js';
import { describeRecord, gradeWord, recordLines, orderedFindings, otherAreas, recordsToPublish, TICKET_AREAS, TICKET_COLUMNS, ticketCell } from './text-ticket.js';
import { scoreText } from './words.js';

const MARK = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', 'n/a': '—' } as const;
const SEVERITY_MARK = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
/** The default heading; --title replaces it. */
export const DEFAULT_TITLE = 'Microsoft 365 mail readiness';
/** A domain longer than this is cut in the table (its section heading has it whole): the row stays narrow. */
const MAX_TABLE_DOMAIN = 48;

/** The readiness table's columns (status words; the other areas are said under each domain). */
export const MARKDOWN_COLUMNS: readonly string[] = TICKET_COLUMNS;

/** Options of renderMarkdown. */
export interface MarkdownOptions {
  /** The run's audit trail, as the last line. */
  run?: RunInfo | null;
  /** The heading (--title); default "Microsoft 365 mail readiness". */
  title?: string | undefined;
}

/**
 * A Markdown ticket: a table narrow enough to read in a ticket (Domain,
 * Grade, MX, SPF, DKIM, DMARC: a mark and a status word each), the counts,
 * the run's submission probe in one line, then per domain its other areas,
 * its findings with their fixes and every record to publish in a fenced
 * code block that copies exactly.
 */
export function renderMarkdown(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: MarkdownOptions = {}): string {
  return [...renderMarkdownChunks(reports, probe, options)].join('');
}

/** The Markdown in chunks, reading `reports` three times (table, counts, sections): a spool file will do. */
export function* renderMarkdownChunks(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: MarkdownOptions = {}): Generator<string> {
  yield `## ${mdText(options.title ?? DEFAULT_TITLE) || DEFAULT_TITLE}\n\n${renderMarkdownRow(MARKDOWN_COLUMNS)}${renderMarkdownRow(MARKDOWN_COLUMNS.map(() => '---'))}`;
  for (const r of reports) yield renderMarkdownRow(markdownCells(r));
  const s = summarize(reports);
  yield `\n${describeSummaryCounts(s, 'prose')}.\n`;
  const resolver = describeDnssecResolver(s);
  if (resolver) yield `\n${mdText(resolver)}\n`;
  if (probe) yield `\n${probeLine(probe, 'SMTP submission probe (once for the run)')}\n`;
  for (const r of reports) yield `\n${renderSection(r)}\n`;
  if (probe) yield `\n${['### SMTP submission probe', '', ...probeLines(probe, null)].join('\n')}\n`;
  if (options.run) yield `\n${renderRunFooterMarkdown(options.run)}\n`;
}

/** A GFM table row. */
export function renderMarkdownRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |\n`;
}

/** A domain's table cells, escaped: the domain (cut when long), its grade, a mark and a word per area. */
export function markdownCells(r: DomainReport): string[] {
  const label = typeof (r.domain ?? r.input) === 'string' ? (r.domain ?? r.input) : '';
  const chars = [...label];
  const domain = chars.length > MAX_TABLE_DOMAIN ? `${chars.slice(0, MAX_TABLE_DOMAIN - 1).join('')}…` : label;
  return [
    mdText(domain) || '(empty)',
    gradeWord(r),
    ...TICKET_AREAS.map((a) => {
      const c = ticketCell(r, a);
      return c.status === 'n/a' ? '—' : `${MARK[c.status]} ${mdText(c.word)}`;
    }),
  ];
}

/** One domain: heading, its other areas in a line, findings with fixes, records to publish, notes, its MX probe. */
function renderSection(r: DomainReport): string {
  const name = mdText(r.domain ?? r.input) || '(empty)';
  const lines = [`### ${name}: ${gradeWord(r)} (score ${mdText(scoreText(r.score))})`, ''];
  const others = otherAreas(r);
  if (others.length > 0) lines.push(`${others.map((a) => `${a.label} ${a.status === 'n/a' ? '' : `${MARK[a.status]} `}${mdText(a.text)}`).join(' · ')}`, '');
  const findings = orderedFindings(r);
  if (findings.length === 0) lines.push('No findings.');
  for (const f of findings) lines.push(...findingLines(f));
  const records = recordsToPublish(r);
  if (records.length > 0) {
    lines.push('', '**Records to publish**');
    for (const rec of records) {
      const d = describeRecord(rec);
      lines.push('', `${d.what} ${mdCode(d.name)}${mdText(d.after)} (${rec.codes.map(mdCode).join(', ')}):`, '', mdCodeBlock(recordLines(rec)));
    }
  }
  const notes = Array.isArray(r.notes) ? r.notes : [];
  if (notes.length > 0) lines.push('');
  for (const n of notes) lines.push(`- Note: ${mdText(n)}`);
  if (r.mxProbe) lines.push('', ...probeLines(r.mxProbe, 'SMTP probe of the MX host'));
  return lines.join('\n');
}

function findingLines(f: Finding): string[] {
  const mark = Object.prototype.hasOwnProperty.call(SEVERITY_MARK, f.severity) ? SEVERITY_MARK[f.severity] : SEVERITY_MARK.info;
  const lines = [`- ${mark} ${mdCode(String(f.code))} (${mdText(String(f.severity))}): ${mdText(String(f.message))}`];
  if (f.evidence) lines.push(`  - Evidence: ${mdCode(f.evidence)}`);
  if (f.fix) lines.push(`  - Fix: ${mdText(f.fix)}`);
  return lines;
}

/** The footer as a Markdown line (describeRun, escaped, in italics): check, batch, report and plan. */
export function renderRunFooterMarkdown(run: RunTrail | RunInfo): string {
  return `_${mdText(describeRun(run))}_`;
}

/** A probe in one line: what it says for every domain, said once. */
function probeLine(p: ProbeResult, label: string): string {
  const s = summarizeProbe(p);
  return `${label}: ${MARK[s.status]} ${mdText(s.text)}.`;
}

/** A probe as list items; `label` makes them one item with sub-items (under a domain). */
function probeLines(p: ProbeResult, label: string | null): string[] {
  const s = summarizeProbe(p);
  const facts = [
    `Endpoint: ${mdText(`${p.host}:${p.port}`)} (${mdText(String(p.tls))})`,
    `Reachable: ${reachableFact(p)}${p.banner ? `; banner: ${mdCode(p.banner)}` : ''}`,
  ];
  if (p.tlsVersion) facts.push(`TLS: ${mdText(p.tlsVersion)}${p.cipher ? ` (${mdText(p.cipher)})` : ''}`);
  if (p.authMechanisms) facts.push(`AUTH after TLS: ${mdText(p.authMechanisms.join(' ') || 'none')}`);
  for (const f of p.findings) facts.push(`${mdCode(String(f.code))} (${mdText(String(f.severity))}): ${mdText(f.message)}`);
  if (label === null) return facts.map((x) => `- ${x}`);
  return [`- ${label}: ${MARK[s.status]} ${mdText(s.text)}`, ...facts.map((x) => `  - ${x}`)];
}
