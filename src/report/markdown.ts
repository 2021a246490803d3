import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { probeForDomain, reachableFact, summarizeProbe } from './probe-summary.js';
import { cleanText } from './sanitize.js';
import { SUMMARY_AREAS, summarize, summarizeArea, topAction } from './summary.js';

/**
 * Text from DNS or SMTP inside Markdown: one line, control characters made
 * visible, and everything Markdown or inline HTML would act on escaped, so a
 * record cannot add a table cell, a link, an image or markup to a ticket.
 */
export function mdText(s: string): string {
  return cleanText(s)
    .replace(/\\x0[ad]/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]{}()|~!#])/g, '\\$1')
    .trim();
}

const MARK = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', 'n/a': '—' } as const;
const GRADE_WORD = { ready: 'Ready', 'needs-work': 'Needs work', unknown: 'Unknown', 'not-ready': 'Not ready' } as const;

export const MARKDOWN_COLUMNS = ['Domain', 'Grade', 'Score', 'MX', 'SPF', 'DKIM', 'DMARC', 'Autodiscover', 'SMTP probe', 'Top action'];

/** A GitHub-flavoured readiness table, then each domain's findings with fixes. */
export function renderMarkdown(reports: readonly DomainReport[], probe: ProbeResult | null = null): string {
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    '## Microsoft 365 mail readiness',
    '',
    row(MARKDOWN_COLUMNS),
    row(MARKDOWN_COLUMNS.map((c) => (c === 'Score' ? '---:' : '---'))),
  ];
  for (const r of reports) {
    const p = summarizeProbe(probeForDomain(r, probe));
    lines.push(row([
      mdText(r.domain ?? r.input) || '(empty)',
      GRADE_WORD[r.grade],
      String(r.score),
      ...SUMMARY_AREAS.map((a) => {
        const s = summarizeArea(r, a);
        return `${MARK[s.status]} ${mdText(s.text)}`;
      }),
      `${MARK[p.status]} ${mdText(p.text)}`,
      mdText(topAction(r)) || '—',
    ]));
  }
  const s = summarize(reports);
  lines.push('', `${s.domains} domains: ${s.grades.ready} ready, ${s.grades['needs-work']} needs work, ${s.grades['not-ready']} not ready, ${s.grades.unknown} unknown.`);
  for (const r of reports) {
    lines.push('', `### ${mdText(r.domain ?? r.input) || '(empty)'}: ${GRADE_WORD[r.grade]} (${r.score})`, '');
    if (r.findings.length === 0) lines.push('No findings.');
    for (const f of r.findings) {
      lines.push(`- **${f.severity}** \`${f.code}\`: ${mdText(f.message)}`);
      if (f.evidence) lines.push(`  - Evidence: ${mdText(f.evidence)}`);
      if (f.fix) lines.push(`  - Fix: ${mdText(f.fix)}`);
    }
    for (const n of r.notes) lines.push(`- Note: ${mdText(n)}`);
  }
  if (probe) {
    lines.push('', '### SMTP submission probe', '');
    lines.push(`- Endpoint: ${mdText(`${probe.host}:${probe.port}`)} (${probe.tls})`);
    lines.push(`- Reachable: ${reachableFact(probe)}${probe.banner ? `; banner: ${mdText(probe.banner)}` : ''}`);
    if (probe.tlsVersion) lines.push(`- TLS: ${mdText(probe.tlsVersion)}${probe.cipher ? ` (${mdText(probe.cipher)})` : ''}`);
    if (probe.authMechanisms) lines.push(`- AUTH after TLS: ${mdText(probe.authMechanisms.join(' ') || 'none')}`);
    for (const f of probe.findings) lines.push(`- **${f.severity}** \`${f.code}\`: ${mdText(f.message)}`);
  }
  return `${lines.join('\n')}\n`;
}
