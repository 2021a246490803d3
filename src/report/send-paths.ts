/**
 * Renderers for `send-paths`: table, JSON and Markdown. Pure: report in,
 * string out. Reasons, notes and findings carry text from DNS and SMTP (MX
 * hosts, SPF explanations, server replies): every one goes through the shared
 * escapes (cleanText for the terminal, mdText for Markdown, safeJson).
 */
import { findingsMarkdown } from './markdown-findings.js';
import type { ConditionState, SendPath, SendPathsReport, SendPathVerdict } from '../audit/send-paths.js';
import { paint, type Paint } from './ansi.js';
import { renderRunFooterMarkdown } from './markdown.js';
import { renderFindingLines } from './probe.js';
import { renderRunFooter, type SendPathsRunInfo } from './run.js';
import { cleanText, mdText, safeJson } from './safe-text.js';

/** Options of the send-paths table: colour (a terminal only) and the run's audit trail. */
export interface SendPathsRenderOptions {
  color?: boolean | undefined;
  run?: SendPathsRunInfo | undefined;
}

const VERDICT_PAINT: Record<SendPathVerdict, Paint> = { works: 'green', blocked: 'red', unknown: 'yellow' };
const STATE_MARK: Record<ConditionState, [string, Paint]> = { ok: ['✓', 'green'], blocked: ['✗', 'red'], unknown: ['?', 'yellow'] };
const MD_VERDICT: Record<SendPathVerdict, string> = { works: '✅ works', blocked: '❌ blocked', unknown: '❔ unknown' };
const MD_STATE: Record<ConditionState, string> = { ok: '✅', blocked: '❌', unknown: '❔' };

/** The inputs a report was made for, in one line of plain text (the caller escapes it). */
function describeInputs(r: SendPathsReport): string {
  const parts = [`cloud ${r.cloud}`, r.ip === null ? 'no --ip' : `device ip ${r.ip}`, `from ${r.from ?? r.spf.sender}`];
  if (r.certificate) parts.push(`certificate ${r.certificate.subject}`);
  return parts.join('; ');
}

/**
 * The table: the three paths side by side (verdict and endpoint), then each
 * path's conditions (✓ ok, ✗ blocked, ? unknown) and notes, the notes on the
 * inputs, the findings, and the run's trail.
 */
export function renderSendPathsTable(r: SendPathsReport, options: SendPathsRenderOptions = {}): string {
  const { color } = options;
  const width = Math.max(...r.paths.map((p) => p.title.length)) + 2;
  const lines = [paint(color, 'bold', `Send paths for ${cleanText(r.domain)}`), cleanText(describeInputs(r)), ''];
  lines.push(`${'Path'.padEnd(width)}${'Verdict'.padEnd(9)}Endpoint`);
  for (const p of r.paths) lines.push(`${p.title.padEnd(width)}${paint(color, VERDICT_PAINT[p.verdict], p.verdict.padEnd(9))}${p.endpoint === null ? '—' : cleanText(p.endpoint)}`);
  r.paths.forEach((p, i) => lines.push('', ...pathLines(p, i + 1, color)));
  if (r.notes.length > 0) lines.push('', 'Notes', ...r.notes.map((n) => `  · ${cleanText(n)}`));
  lines.push('', r.findings.length === 0 ? 'Findings: none' : 'Findings', ...renderFindingLines(r.findings, color));
  if (options.run) lines.push('', renderRunFooter(options.run));
  return `${lines.join('\n')}\n`;
}

function pathLines(p: SendPath, n: number, color: boolean | undefined): string[] {
  const out = [`${n}. ${paint(color, 'bold', p.title)}: ${paint(color, VERDICT_PAINT[p.verdict], p.verdict)}${p.endpoint === null ? '' : ` (${cleanText(p.endpoint)})`}`];
  const width = Math.max(...p.conditions.map((c) => c.check.length)) + 2;
  for (const c of p.conditions) {
    const [mark, tint] = STATE_MARK[c.state];
    out.push(`   ${paint(color, tint, mark)} ${c.check.padEnd(width)}${cleanText(c.reason)}${c.codes.length > 0 ? ` [${c.codes.join(', ')}]` : ''}`);
  }
  for (const note of p.notes) out.push(`   ${paint(color, 'dim', '·')} ${cleanText(note)}`);
  return out;
}

/** The report's fields, and the run's audit trail as `run` (schema `#/$defs/SendPathsDocument`). */
export function renderSendPathsJson(r: SendPathsReport, run?: SendPathsRunInfo): string {
  return `${safeJson(run ? { ...r, run } : r, 2)}\n`;
}

/** Markdown for a ticket: the paths side by side, each path's conditions and notes, the findings with fixes, the run's trail. */
export function renderSendPathsMarkdown(r: SendPathsReport, run?: SendPathsRunInfo): string {
  const lines = [`## Send paths for ${mdText(r.domain)}`, '', `${mdText(describeInputs(r))}.`, '', '| Path | Verdict | Endpoint |', '|---|---|---|'];
  for (const p of r.paths) lines.push(`| ${p.title} | ${MD_VERDICT[p.verdict]} | ${p.endpoint === null ? '—' : mdText(p.endpoint)} |`);
  r.paths.forEach((p, i) => {
    lines.push('', `### ${i + 1}. ${p.title}: ${p.verdict}`, '');
    for (const c of p.conditions) lines.push(`- ${MD_STATE[c.state]} **${c.check}**: ${mdText(c.reason)}${c.codes.length > 0 ? ` (${c.codes.map((x) => `\`${x}\``).join(', ')})` : ''}`);
    for (const note of p.notes) lines.push(`- Note: ${mdText(note)}`);
  });
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- Note: ${mdText(n)}`));
  lines.push('', '### Findings', '');
  lines.push(...findingsMarkdown(r.findings));
  if (run) lines.push('', renderRunFooterMarkdown(run));
  return `${lines.join('\n')}\n`;
}
