import type { DomainReport } from '../audit/audit.js';
import type { Finding } from '../findings/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { DEFAULT_TITLE } from './markdown.js';
import { reachableFact, summarizeProbe } from './probe-summary.js';
import { describeRun, type RunInfo } from './run.js';
import { cleanText } from './safe-text.js';
import { describeDnssecResolver, describeSummaryCounts, summarize } from './summary.js';
import { describeRecord, gradeWord, orderedFindings, otherAreas, recordLines, recordsToPublish, TICKET_AREAS, TICKET_COLUMNS, ticketCell } from './text-ticket.js';
import { scoreText } from './words.js';

/**
 * Every line of prose is shorter than this (ticket systems without
 * Markdown, Jira and ServiceNow, show text as it is): prose is wrapped, a
 * record's value stands alone on its line, whole, however long.
 */
export const TEXT_WIDTH = 100;
/** The widest line of prose: under TEXT_WIDTH. */
const MAX_LINE = TEXT_WIDTH - 1;
/** The domain column never gets narrower than this; a longer domain is cut in the table (its section has it whole). */
const MIN_DOMAIN_COLUMN = 16;
const GAP = '  ';

/** Options of renderText. */
export interface TextOptions {
  /** The run's audit trail, as the last paragraph. */
  run?: RunInfo | null;
  /** The heading (--title); default "Microsoft 365 mail readiness". */
  title?: string | undefined;
}

/**
 * `--format text`: the Markdown ticket's content as plain text, for ticket
 * systems without Markdown. A table of status words in aligned columns,
 * lines under 100 characters, every record's value on a line of its own.
 */
export function renderText(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: TextOptions = {}): string {
  return [...renderTextChunks(reports, probe, options)].join('');
}

/** The text in chunks, reading `reports` four times (widths, table, counts, sections): a spool file will do. */
export function* renderTextChunks(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: TextOptions = {}): Generator<string> {
  const title = cleanText(options.title ?? DEFAULT_TITLE) || DEFAULT_TITLE;
  yield `${wrap(title, '', '').join('\n')}\n${'='.repeat(Math.min(width(title), MAX_LINE))}\n\n`;
  const rowOf = (r: DomainReport): string[] => [cleanText(r.domain ?? r.input) || '(empty)', gradeWord(r), ...TICKET_AREAS.map((a) => cleanText(ticketCell(r, a).word))];
  const widths = TICKET_COLUMNS.map(width);
  for (const r of reports) rowOf(r).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, width(c))));
  // The other columns are short words (MAX_WORD at most); the domain takes what is left of the line.
  const rest = widths.slice(1).reduce((a, b) => a + b + GAP.length, 0);
  widths[0] = Math.max(MIN_DOMAIN_COLUMN, Math.min(widths[0] ?? 0, MAX_LINE - rest));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? fit(c, widths[i] ?? 0).trimEnd() : fit(c, widths[i] ?? 0))).join(GAP);
  yield `${line(TICKET_COLUMNS)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`;
  for (const r of reports) yield `${line(rowOf(r))}\n`;
  const s = summarize(reports);
  yield `\n${wrap(`${describeSummaryCounts(s, 'prose')}.`).join('\n')}\n`;
  const resolver = describeDnssecResolver(s);
  if (resolver) yield `${wrap(resolver).join('\n')}\n`;
  if (probe) yield `${wrap(`SMTP submission probe (once for the run): ${probeWords(probe)}.`).join('\n')}\n`;
  for (const r of reports) yield `\n${renderSection(r).join('\n')}\n`;
  if (probe) yield `\n${['SMTP submission probe', '---------------------', ...probeLines(probe, '')].join('\n')}\n`;
  if (options.run) yield `\n${wrap(cleanText(describeRun(options.run))).join('\n')}\n`;
}

function renderSection(r: DomainReport): string[] {
  const head = `${cleanText(r.domain ?? r.input) || '(empty)'}: ${gradeWord(r)} (score ${cleanText(scoreText(r.score))})`;
  const lines = [...wrap(head), '-'.repeat(Math.min(width(head), MAX_LINE))];
  const others = otherAreas(r);
  if (others.length > 0) lines.push(...wrap(`${others.map((a) => `${a.label} ${cleanText(a.text)}`).join('; ')}`));
  const findings = orderedFindings(r);
  lines.push('');
  if (findings.length === 0) lines.push('No findings.');
  else lines.push('Findings:');
  for (const f of findings) lines.push(...findingLines(f));
  const records = recordsToPublish(r);
  if (records.length > 0) {
    lines.push('', 'Records to publish (each value on its own line, to copy as it is):');
    for (const rec of records) {
      const d = describeRecord(rec);
      lines.push('', ...wrap(`${d.what} ${cleanText(d.name)}${d.after} (${rec.codes.map(cleanText).join(', ')}):`), ...recordLines(rec).map(cleanText));
    }
  }
  const notes = Array.isArray(r.notes) ? r.notes : [];
  if (notes.length > 0) lines.push('', 'Notes:');
  for (const n of notes) lines.push(...wrap(cleanText(n), '- ', '  '));
  if (r.mxProbe) lines.push('', ...wrap(`SMTP probe of the MX host: ${probeWords(r.mxProbe)}`), ...probeLines(r.mxProbe, '  '));
  return lines;
}

function findingLines(f: Finding): string[] {
  return [
    ...wrap(`[${cleanText(String(f.severity))}] ${cleanText(String(f.code))}: ${cleanText(String(f.message))}`, '- ', '  '),
    ...(f.evidence ? wrap(`Evidence: ${cleanText(f.evidence)}`, '    ', '      ') : []),
    ...(f.fix ? wrap(`Fix: ${cleanText(f.fix)}`, '    ', '      ') : []),
  ];
}

function probeWords(p: ProbeResult): string {
  const s = summarizeProbe(p);
  return `${s.status}, ${cleanText(s.text)}`;
}

function probeLines(p: ProbeResult, indent: string): string[] {
  const facts = [`Endpoint: ${cleanText(`${p.host}:${p.port}`)} (${cleanText(String(p.tls))})`, `Reachable: ${reachableFact(p)}`];
  if (p.banner) facts.push(`Banner: ${cleanText(p.banner)}`);
  if (p.tlsVersion) facts.push(`TLS: ${cleanText(p.tlsVersion)}${p.cipher ? ` (${cleanText(p.cipher)})` : ''}`);
  if (p.authMechanisms) facts.push(`AUTH after TLS: ${cleanText(p.authMechanisms.join(' ') || 'none')}`);
  for (const f of p.findings) facts.push(`[${cleanText(String(f.severity))}] ${cleanText(String(f.code))}: ${cleanText(f.message)}`);
  return facts.flatMap((x) => wrap(x, `${indent}- `, `${indent}  `));
}

/** Display width in characters (code points: the text is cleanText'ed, so no control character counts). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s` padded to `w` characters, or cut with an ellipsis. */
function fit(s: string, w: number): string {
  const n = width(s);
  if (n <= w) return s + ' '.repeat(w - n);
  return `${[...s].slice(0, Math.max(0, w - 1)).join('')}…`;
}

/**
 * Prose wrapped to lines of at most MAX_LINE characters, at spaces; a word
 * longer than a line is cut across lines. `first` starts the first line,
 * `rest` the others (a list item's hanging indent).
 */
export function wrap(text: string, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const room = (): number => MAX_LINE - width(line);
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const w = width(word);
    if (!empty && w + 1 <= room()) {
      line += ` ${word}`;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = rest;
    }
    const chars = [...word];
    let at = 0;
    while (chars.length - at > room()) {
      const take = Math.max(1, room());
      lines.push(line + chars.slice(at, at + take).join(''));
      line = rest;
      at += take;
    }
    line += chars.slice(at).join('');
    empty = false;
  }
  lines.push(line);
  return lines;
}
