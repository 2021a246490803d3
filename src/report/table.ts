import { paint } from './ansi.js';
import Table from 'cli-table3';
import type { DomainReport } from '../audit/audit.js';
import type { Finding } from '../findings/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { probeForDomain, summarizeProbe } from './probe-summary.js';
import { renderRunFooter, type RunInfo } from './run.js';
import { cleanText } from './safe-text.js';
import { AREA_LABELS, renderSummaryText, SUMMARY_AREAS, summarize, summarizeArea, type AreaSummary } from './summary.js';
import { scoreText } from './words.js';

/** Options of renderTable. */
export interface TableOptions {
  color: boolean;
  /** The run's SMTP submission probe, shown under the table. */
  probe?: ProbeResult | null;
  /** The run's audit trail, as the last line. */
  run?: RunInfo | null;
  /** Add the per-grade counts and most frequent findings (batch). */
  summary?: boolean;
  /** Rows drawn by one cli-table3 table (the output does not depend on it; tests make it small). */
  blockRows?: number;
}

const GRADE_COLOR = { ready: 'green', 'needs-work': 'yellow', unknown: 'cyan', 'not-ready': 'red' } as const;
const STATUS_MARK: Record<AreaSummary['status'], string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', 'n/a': '' };
const STATUS_COLOR = { pass: 'green', warn: 'yellow', fail: 'red', unknown: 'cyan', 'n/a': 'dim' } as const;
const HEAD = ['Domain', 'Grade', 'Score', 'Cloud', ...SUMMARY_AREAS.map((a) => AREA_LABELS[a])];
/** cli-table3 lays out a whole table in memory; a run's rows are drawn this many at a time and joined. */
const BLOCK_ROWS = 512;

/** The readiness table: one row per domain, then each domain's findings with evidence and fixes. */
export function renderTable(reports: Iterable<DomainReport>, options: TableOptions): string {
  return [...renderTableChunks(reports, options)].join('');
}

/**
 * The readiness table as a sequence of chunks, for output of any size: the
 * rows are read in three passes (column widths, rows, details), so `reports`
 * may be a spool file read again rather than an array in memory. An "SMTP
 * probe" column appears when any domain has its MX probe (--probe-mx).
 */
export function* renderTableChunks(reports: Iterable<DomainReport>, options: TableOptions): Generator<string> {
  const { color } = options;
  const probe = options.probe ?? null;
  let withProbe = false;
  for (const r of reports) if (r.mxProbe) withProbe = true;
  const head = withProbe ? [...HEAD, 'SMTP probe'] : HEAD;
  const rowOf = (r: DomainReport): string[] => {
    const cells = [
      cleanText(r.domain ?? r.input),
      paint(color, GRADE_COLOR[r.grade], r.grade),
      scoreText(r.score),
      r.domain ? r.cloud : '—',
      ...SUMMARY_AREAS.map((a) => statusText(color, summarizeArea(r, a))),
    ];
    if (withProbe) cells.push(statusText(color, summarizeProbe(probeForDomain(r, probe))));
    return cells;
  };
  yield* drawTable(head, reports, rowOf, color, options.blockRows ?? BLOCK_ROWS);
  for (const r of reports) {
    const headLine = `${paint(color, 'bold', cleanText(r.domain ?? r.input))}${r.tenant ? ` (tenant ${cleanText(r.tenant)})` : ''}: ${paint(color, GRADE_COLOR[r.grade], r.grade)}, score ${scoreText(r.score)}`;
    const lines = [headLine];
    if (r.findings.length === 0) lines.push('  no findings');
    for (const f of r.findings) lines.push(...renderFinding(f, color));
    for (const n of r.notes) lines.push(`  note: ${cleanText(n)}`);
    if (r.mxProbe) lines.push(...renderProbeBlock(r.mxProbe, color, '  SMTP probe of the MX host', '    '));
    yield `\n\n${lines.join('\n')}`;
  }
  if (probe) yield `\n\n${renderProbeBlock(probe, color, 'SMTP probe', '  ').join('\n')}`;
  yield '\n';
  if (options.summary) yield `\n${renderSummaryText(summarize(reports))}`;
  if (options.run) yield `\n${renderRunFooter(options.run)}\n`;
}

function statusText(color: boolean, s: AreaSummary | { status: 'pass' | 'warn' | 'fail' | 'n/a'; text: string }): string {
  return paint(color, STATUS_COLOR[s.status], `${STATUS_MARK[s.status]} ${cleanText(s.text)}`.trim());
}

/**
 * One cli-table3 table drawn in blocks: the first pass measures each block
 * (its top border gives cli-table3's own column widths), the second draws
 * every block with the widest of them and joins the blocks, so the text is
 * exactly what a single table of all rows would be, in bounded memory.
 */
function* drawTable(head: readonly string[], reports: Iterable<DomainReport>, rowOf: (r: DomainReport) => string[], color: boolean, blockRows: number): Generator<string> {
  const style = { head: color ? ['bold'] : [], border: [], compact: false };
  const widths = borderWidths(new Table({ head: [...head], style, wordWrap: false }).toString());
  for (const block of blocks(reports, rowOf, blockRows)) {
    const t = new Table({ style, wordWrap: false });
    t.push(...block);
    borderWidths(t.toString()).forEach((w, i) => (widths[i] = Math.max(widths[i] ?? 0, w)));
  }
  const separator = `├${widths.map((w) => '─'.repeat(w)).join('┼')}┤`;
  let first = true;
  let bottom: string | null = null;
  for (const block of blocks(reports, rowOf, blockRows)) {
    const t = first ? new Table({ head: [...head], style, wordWrap: false, colWidths: widths }) : new Table({ style, wordWrap: false, colWidths: widths });
    t.push(...block);
    const lines = t.toString().split('\n');
    // A later block's top border becomes the separator cli-table3 draws between rows; only the last bottom border stays.
    if (!first) lines[0] = separator;
    bottom = lines.pop() ?? '';
    yield `${lines.join('\n')}\n`;
    first = false;
  }
  yield bottom ?? new Table({ head: [...head], style, wordWrap: false }).toString();
}

function* blocks(reports: Iterable<DomainReport>, rowOf: (r: DomainReport) => string[], size: number): Generator<string[][]> {
  let block: string[][] = [];
  for (const r of reports) {
    block.push(rowOf(r));
    if (block.length >= size) {
      yield block;
      block = [];
    }
  }
  if (block.length > 0) yield block;
}

/** Column widths from a table's top border line (`┌───┬────┐`). */
function borderWidths(table: string): number[] {
  const top = table.slice(0, table.indexOf('\n') < 0 ? undefined : table.indexOf('\n'));
  return top.slice(1, -1).split('┬').map((s) => s.length);
}

function renderProbeBlock(p: ProbeResult, color: boolean, label: string, indent: string): string[] {
  const s = summarizeProbe(p);
  const lines = [`${paint(color, 'bold', label)} ${cleanText(`${p.host}:${p.port}`)} (${cleanText(String(p.tls))}): ${paint(color, STATUS_COLOR[s.status], s.status)}`];
  if (p.banner) lines.push(`${indent}banner: ${cleanText(p.banner)}`);
  if (p.tlsVersion) lines.push(`${indent}TLS: ${cleanText(p.tlsVersion)}${p.cipher ? ` ${cleanText(p.cipher)}` : ''}`);
  if (p.authMechanisms) lines.push(`${indent}AUTH after TLS: ${cleanText(p.authMechanisms.join(' ') || 'none')}`);
  for (const f of p.findings) lines.push(...renderFinding(f, color, indent));
  return lines;
}

const SEVERITY_LABEL = { error: ['✗ error  ', 'red'], warning: ['! warning', 'yellow'], info: ['i info   ', 'dim'] } as const;

function renderFinding(f: Finding, color: boolean, indent = '  '): string[] {
  const [label, c] = SEVERITY_LABEL[f.severity];
  const lines = [`${indent}${paint(color, c, label)} ${f.code}: ${cleanText(f.message)}`];
  if (f.evidence) lines.push(`${indent}    evidence: ${cleanText(f.evidence)}`);
  if (f.fix) lines.push(`${indent}    fix: ${cleanText(f.fix)}`);
  return lines;
}
