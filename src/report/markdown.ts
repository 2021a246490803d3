import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { probeForDomain, reachableFact, summarizeProbe } from './probe-summary.js';
import { describeRun, type RunInfo, type RunTrail } from './run.js';
import { mdText } from './safe-text.js';
import { AREA_LABELS, describeDnssecResolver, describeSummaryCounts, SUMMARY_AREAS, summarize, summarizeArea, topAction } from './summary.js';
import { scoreText } from './words.js';


const MARK = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', 'n/a': '—' } as const;
const GRADE_WORD = { ready: 'Ready', 'needs-work': 'Needs work', unknown: 'Unknown', 'not-ready': 'Not ready' } as const;

export const MARKDOWN_COLUMNS = ['Domain', 'Grade', 'Score', ...SUMMARY_AREAS.map((a) => AREA_LABELS[a]), 'SMTP probe', 'Top action'];

/** Options of renderMarkdown. */
export interface MarkdownOptions {
  /** The run's audit trail, as the last line. */
  run?: RunInfo | null;
}

/** A GitHub-flavoured readiness table, then each domain's findings with fixes. */
export function renderMarkdown(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: MarkdownOptions = {}): string {
  return [...renderMarkdownChunks(reports, probe, options)].join('');
}

/** The Markdown in chunks, reading `reports` twice (table and summary, then the sections): a spool file will do. */
export function* renderMarkdownChunks(reports: Iterable<DomainReport>, probe: ProbeResult | null = null, options: MarkdownOptions = {}): Generator<string> {
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |\n`;
  yield `## Microsoft 365 mail readiness\n\n${row(MARKDOWN_COLUMNS)}${row(MARKDOWN_COLUMNS.map((c) => (c === 'Score' ? '---:' : '---')))}`;
  for (const r of reports) {
    const p = summarizeProbe(probeForDomain(r, probe));
    yield row([
      mdText(r.domain ?? r.input) || '(empty)',
      GRADE_WORD[r.grade],
      scoreText(r.score),
      ...SUMMARY_AREAS.map((a) => {
        const s = summarizeArea(r, a);
        return `${MARK[s.status]} ${mdText(s.text)}`;
      }),
      `${MARK[p.status]} ${mdText(p.text)}`,
      mdText(topAction(r)) || '—',
    ]);
  }
  const s = summarize(reports);
  yield `\n${describeSummaryCounts(s, 'prose')}.\n`;
  const resolver = describeDnssecResolver(s);
  if (resolver) yield `\n${mdText(resolver)}\n`;
  for (const r of reports) {
    const lines = ['', `### ${mdText(r.domain ?? r.input) || '(empty)'}: ${GRADE_WORD[r.grade]} (${scoreText(r.score)})`, ''];
    if (r.findings.length === 0) lines.push('No findings.');
    for (const f of r.findings) {
      lines.push(`- **${f.severity}** \`${f.code}\`: ${mdText(f.message)}`);
      if (f.evidence) lines.push(`  - Evidence: ${mdText(f.evidence)}`);
      if (f.fix) lines.push(`  - Fix: ${mdText(f.fix)}`);
    }
    for (const n of r.notes) lines.push(`- Note: ${mdText(n)}`);
    if (r.mxProbe) lines.push(...probeLines(r.mxProbe, 'SMTP probe of the MX host'));
    yield `${lines.join('\n')}\n`;
  }
  if (probe) yield `\n${['### SMTP submission probe', '', ...probeLines(probe, null)].join('\n')}\n`;
  if (options.run) yield `\n${renderRunFooterMarkdown(options.run)}\n`;
}

/** The footer as a Markdown line (describeRun, escaped, in italics): check, batch, report and plan. */
export function renderRunFooterMarkdown(run: RunTrail | RunInfo): string {
  return `_${mdText(describeRun(run))}_`;
}

/** A probe as list items; `label` makes them one item with sub-items (under a domain). */
function probeLines(p: ProbeResult, label: string | null): string[] {
  const s = summarizeProbe(p);
  const facts = [
    `Endpoint: ${mdText(`${p.host}:${p.port}`)} (${mdText(String(p.tls))})`,
    `Reachable: ${reachableFact(p)}${p.banner ? `; banner: ${mdText(p.banner)}` : ''}`,
  ];
  if (p.tlsVersion) facts.push(`TLS: ${mdText(p.tlsVersion)}${p.cipher ? ` (${mdText(p.cipher)})` : ''}`);
  if (p.authMechanisms) facts.push(`AUTH after TLS: ${mdText(p.authMechanisms.join(' ') || 'none')}`);
  for (const f of p.findings) facts.push(`**${f.severity}** \`${f.code}\`: ${mdText(f.message)}`);
  if (label === null) return facts.map((x) => `- ${x}`);
  return [`- ${label}: ${MARK[s.status]} ${mdText(s.text)}`, ...facts.map((x) => `  - ${x}`)];
}
