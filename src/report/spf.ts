/**
 * Renderers for the `spf` command. Pure: report in, string out. Every string
 * that came from DNS (records, names, explanations) goes through the shared
 * sanitizer, so no terminal escape or bidi override reaches the terminal.
 */
import type { Finding } from '../findings/catalog.js';
import { renderRunFooter, type SpfRunInfo } from './run.js';
import { cleanText, safeJson } from './safe-text.js';
import type { SpfTreeNode } from '../spf/analyze.js';
import { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS } from '../spf/budget.js';
import { describePath } from '../spf/evaluate.js';
import type { SpfReport } from '../spf/report.js';

/** Longest record text shown on one tree line; the full record is on the Record line. */
const TREE_RECORD_WIDTH = 100;

/** DESIGN: `{ result, explanation, lookups, voidLookups, tree, … }`, one JSON document; the run's audit trail last, as `run`. */
export function renderSpfJson(report: SpfReport, run?: SpfRunInfo): string {
  const { result, explanation, lookups, voidLookups, tree, findings, ...rest } = report;
  return `${safeJson({ result, explanation, lookups, voidLookups, tree, findings, ...rest, ...(run ? { run } : {}) }, 2)}\n`;
}

/** The table: inputs and result, counts, the Microsoft include, the indented include tree, findings. */
export function renderSpfTable(report: SpfReport, run?: SpfRunInfo): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => void lines.push(`${label.padEnd(13)}${value}`);
  row('SPF', cleanText(report.domain));
  if (report.records.length > 1) report.records.forEach((r, i) => row(i === 0 ? 'Records' : '', cleanText(r)));
  else row('Record', report.record !== null ? cleanText(report.record) : report.status === 'unknown' ? '(unknown: the lookup failed)' : '(none)');
  if (report.ip !== null) {
    row('check_host', `ip ${cleanText(report.ip)}, sender ${cleanText(report.sender ?? '')}, helo ${cleanText(report.helo ?? '')}`);
    row('Result', report.result ?? '');
    if (report.reason) row('Why', cleanText(report.reason));
    if (report.path.length > 1) row('Path', cleanText(describePath(report.path)));
    row('Explanation', report.explanation === null ? (report.result === 'fail' ? '(none published)' : '—') : cleanText(report.explanation));
  }
  const atLeast = report.complete ? '' : 'at least ';
  const spent = report.evaluation ? `; this check used ${report.evaluation.lookups} and ${report.evaluation.voidLookups} void` : '';
  if (report.tree?.status === 'ok') row('Lookups', `${atLeast}${report.lookups} of ${MAX_DNS_LOOKUPS} in the tree, ${report.voidLookups} void of ${MAX_VOID_LOOKUPS}${spent}`);
  const m = report.m365Include;
  const analysed = report.tree?.status === 'ok';
  row('Microsoft', !analysed ? '— (no single valid record to analyse)' : m
    ? `${m.via}:${cleanText(m.host)}, ${m.direct ? 'direct' : `nested (depth ${m.depth}, via ${cleanText(m.path.join(' > '))})`}, qualifier ${m.qualifier} (cloud ${report.cloud})`
    : `no include of the ${report.cloud} Microsoft 365 host`);
  if (report.m365Samples.length > 0) row('', `samples: ${report.m365Samples.map((s) => `${s.ip} ${s.result}`).join(', ')}`);
  if (report.allQualifier !== null) row('Policy', `${report.allQualifier}all`);

  if (report.tree) {
    lines.push('', 'Include tree (DNS lookups: own / with everything below)');
    renderNode(report.tree, '', '', lines);
  }
  lines.push('', ...renderFindings(report.findings));
  if (run) lines.push('', renderRunFooter(run));
  return `${lines.join('\n')}\n`;
}

function renderNode(node: SpfTreeNode, lead: string, childLead: string, lines: string[]): void {
  const label = node.via === 'root' ? node.domain : (node.term ?? `${node.via}:${node.domain}`);
  const counts = node.status === 'ok' ? `[${node.lookups}/${node.totalLookups}]` : `[${node.status}]`;
  const voids = node.voidLookups > 0 ? ` void ${node.voidLookups}` : '';
  const what = node.status === 'ok' ? shorten(node.record ?? '') : (node.detail ?? '');
  lines.push(`${lead}${cleanText(label)}  ${counts}${voids}  ${cleanText(what)}`);
  node.children.forEach((c, i) => {
    const last = i === node.children.length - 1;
    renderNode(c, `${childLead}${last ? '└─ ' : '├─ '}`, `${childLead}${last ? '   ' : '│  '}`, lines);
  });
}

function shorten(s: string): string {
  return s.length > TREE_RECORD_WIDTH ? `${s.slice(0, TREE_RECORD_WIDTH - 1)}…` : s;
}

function renderFindings(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return ['Findings: none'];
  const out = ['Findings'];
  for (const f of findings) {
    out.push(`  ${f.severity.padEnd(8)}${f.code}  ${cleanText(f.message)}`);
    if (f.evidence) out.push(`  ${''.padEnd(8)}evidence: ${cleanText(f.evidence)}`);
    if (f.fix) out.push(`  ${''.padEnd(8)}fix: ${cleanText(f.fix)}`);
  }
  return out;
}
